package dev.titok.nn;

import ai.djl.ndarray.NDArray;

/** {@code y = x·Wᵀ + b}; weight {@code (out, in)} as in PyTorch. */
public final class Linear extends Module {

    private final Parameter weight;
    private final Parameter bias;

    public Linear(long in, long out, boolean bias) {
        this.weight = parameter("weight", Init.LINEAR, out, in);
        this.bias = bias ? parameter("bias", Init.ZEROS, out) : null;
    }

    public Linear(long in, long out) {
        this(in, out, true);
    }

    /** (..., in) → (..., out). */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.core.Linear.linear(x, weight.value(), bias == null ? null : bias.value()).singletonOrThrow();
    }
}
