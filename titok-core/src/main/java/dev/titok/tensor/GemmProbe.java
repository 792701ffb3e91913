package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Measures this process's plain float32 matrix-multiply rate through libtorch, the yardstick for how close a model
 * runs to the machine's limit ("utilisation" in the benchmarks).
 */
public final class GemmProbe {

    private GemmProbe() {}

    /** GFLOP/s of an n×n by n×n product, best of repeated runs over about {@code seconds}. */
    public static double gflops(int n, double seconds) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = manager.randomUniform(-1, 1, new Shape(n, n));
            a.matMul(b).close();
            double best = 0;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            do {
                long start = System.nanoTime();
                a.matMul(b).close();
                double elapsed = (System.nanoTime() - start) / 1e9;
                best = Math.max(best, 2.0 * n * n * n / elapsed / 1e9);
            } while (System.nanoTime() < deadline);
            return best;
        }
    }
}
