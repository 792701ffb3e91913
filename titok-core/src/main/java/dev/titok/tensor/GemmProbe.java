package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.Kernels;
import dev.titok.kernels.LinearWeights;

/**
 * Measures this process's matrix-multiply rate, the yardstick for how close a model runs to the machine's limit
 * ("utilisation" in the benchmarks): libtorch's plain float32 GEMM, and the fused kernels' linear layer.
 */
public final class GemmProbe {

    private GemmProbe() {}

    /** GFLOP/s of an n×n by n×n product, best of repeated runs over about {@code seconds}. */
    public static double gflops(int n, double seconds) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = manager.randomUniform(-1, 1, new Shape(n, n));
            return best(n, seconds, () -> a.matMul(b).close());
        }
    }

    /**
     * The same product through {@code kernels}' linear layer ({@code x·Wᵀ}, float32 in and out, bf16 inside for
     * {@link Kernels#BF16}): the yardstick of what those kernels can reach on this machine.
     */
    public static double gflops(Kernels kernels, int n, double seconds) {
        if (kernels == Kernels.REFERENCE) {
            return gflops(n, seconds);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            FusedKernels fused = FusedKernels.create(kernels, manager);
            NDArray a = manager.randomUniform(-1, 1, new Shape(n, n));
            LinearWeights w = fused.linearWeights(manager.randomUniform(-1, 1, new Shape(n, n)), null);
            return best(n, seconds, () -> fused.linear(a, w).close());
        }
    }

    private static double best(int n, double seconds, Runnable product) {
        product.run();
        double best = 0;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long start = System.nanoTime();
            product.run();
            double elapsed = (System.nanoTime() - start) / 1e9;
            best = Math.max(best, 2.0 * n * n * n / elapsed / 1e9);
        } while (System.nanoTime() < deadline);
        return best;
    }
}
