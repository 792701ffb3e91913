package dev.titok.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

/**
 * Times the two attention kernels of {@link FusedKernels} on random q, k, v: PyTorch's fused
 * {@code scaled_dot_product_attention} (flash attention on CPU) and the composed {@code softmax(q·kᵀ·s)·v}. The
 * crossover between them ({@link FusedKernels#flashPays}) comes from these measurements.
 */
public final class AttentionProbe {

    private AttentionProbe() {}

    /** Milliseconds per call, best of repeated calls over about {@code seconds}, after one warm-up call. */
    public static double millis(Kernels kernels, boolean flash, int batch, int heads, int tokens, int headDim,
                                double seconds) {
        try (NDManager manager = NDManager.newBaseManager()) {
            FusedKernels fused = FusedKernels.create(kernels, manager);
            Shape shape = new Shape(batch, heads, tokens, headDim);
            NDArray q = manager.randomNormal(shape);
            NDArray k = manager.randomNormal(shape);
            NDArray v = manager.randomNormal(shape);
            Runnable call = () -> {
                try (NDScope scope = new NDScope()) {
                    fused.attend(q, k, v, flash);
                }
            };
            call.run();
            double best = Double.MAX_VALUE;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            do {
                long start = System.nanoTime();
                call.run();
                best = Math.min(best, (System.nanoTime() - start) / 1e6);
            } while (System.nanoTime() < deadline);
            return best;
        }
    }

    /** Floating-point operations of one call: the two products, {@code 4·B·heads·T²·d}. */
    public static double flops(int batch, int heads, int tokens, int headDim) {
        return 4.0 * batch * heads * tokens * (double) tokens * headDim;
    }
}
