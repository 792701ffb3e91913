package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.LazyWeights;
import dev.titok.kernels.LinearWeights;

/** {@code y = x·Wᵀ + b}; weight {@code (out, in)} as in PyTorch. */
public final class Linear extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private FusedKernels kernels;
    private LazyWeights<LinearWeights> fusedWeights;

    public Linear(long in, long out, boolean bias) {
        this.weight = parameter("weight", Init.LINEAR, out, in);
        this.bias = bias ? parameter("bias", Init.ZEROS, out) : null;
    }

    public Linear(long in, long out) {
        this(in, out, true);
    }

    /** The current weight, (out, in). */
    public NDArray weight() {
        return weight.value();
    }

    /** The current bias, (out); null for a layer without one. */
    public NDArray bias() {
        return bias == null ? null : bias.value();
    }

    @Override
    protected void onKernels(FusedKernels kernels) {
        this.kernels = kernels;
        this.fusedWeights = kernels == null ? null
                : kernels.lazily(() -> kernels.linearWeights(weight.value(), bias == null ? null : bias.value()));
    }

    /** The weights converted for fused calls that span several layers ({@link FusedKernels#mlp}); null on the reference path. */
    public LinearWeights fusedWeights() {
        return fusedWeights == null ? null : fusedWeights.get();
    }

    /** (..., in) → (..., out). */
    public NDArray forward(NDArray x) {
        if (fusedWeights != null) {
            return kernels.linear(x, fusedWeights.get());
        }
        return ai.djl.nn.core.Linear.linear(x, weight.value(), bias == null ? null : bias.value()).singletonOrThrow();
    }
}
