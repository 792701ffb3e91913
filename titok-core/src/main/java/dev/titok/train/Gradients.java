package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** Access to libtorch's {@code .grad} that tells "no gradient yet" apart from a zero gradient. */
final class Gradients {

    private Gradients() {}

    /**
     * The gradient accumulated into {@code value} by backward passes, or null when none has reached it (PyTorch's
     * {@code p.grad is None}). The returned handle belongs to the current {@link ai.djl.ndarray.NDScope}; the
     * gradient itself is libtorch's. DJL's own {@code getGradient()} would invent zeros for the second case.
     */
    static NDArray of(NDArray value) {
        if (!value.hasGradient()) {
            return null;
        }
        return JniUtils.getGradient((PtNDArray) value);
    }

    /** Sets an accumulated gradient to zero in place; a parameter without one is left as it is. */
    static void zero(NDArray value) {
        if (value.hasGradient()) {
            JniUtils.zeroGrad((PtNDArray) value);
        }
    }
}
