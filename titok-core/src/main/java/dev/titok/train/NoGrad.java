package dev.titok.train;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns libtorch's (thread-local) grad mode off until closed, then restores what it was, like {@code torch.no_grad()}.
 * Optimizer and EMA updates write into leaf tensors that require gradients, which libtorch allows only with grad mode
 * off; a training loop usually runs them while its {@code GradientCollector} keeps grad mode on.
 */
final class NoGrad implements AutoCloseable {

    private final boolean previous;

    private NoGrad() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
