package dev.titok.eval.stats;

import java.util.stream.IntStream;

/**
 * Kernels on dense square matrices stored as flat row-major {@code double[]} (element (i, j) of an n×n matrix at
 * {@code i*n + j}); complex matrices are a pair of such arrays, real and imaginary parts.
 *
 * <p>Products are blocked over the inner dimension so that a slab of the right factor stays in cache while every
 * row of the left factor streams past it, and split over rows between threads. Each output element is still
 * accumulated over the inner index in increasing order by one thread, so results do not depend on the number of
 * threads.
 */
final class Dense {

    /** Rows of the right factor per slab: 128 rows of 2048 doubles are 2 MiB, which stays in a typical L2/L3. */
    private static final int SLAB = 128;
    /** Rows of the left factor per task. */
    private static final int ROWS_PER_TASK = 16;

    private Dense() {}

    /** {@code a·b}, (n, n) each. */
    static double[] multiply(double[] a, double[] b, int n) {
        double[] c = new double[n * n];
        multiplyAdd(a, b, c, n, false);
        return c;
    }

    /**
     * {@code c += a·b}, (n, n) each.
     *
     * @param upperB whether {@code b} is upper triangular, so that row k of it starts at column k
     */
    static void multiplyAdd(double[] a, double[] b, double[] c, int n, boolean upperB) {
        for (int slab = 0; slab < n; slab += SLAB) {
            int k0 = slab;
            int kEnd = Math.min(n, k0 + SLAB);
            overRowBlocks(n, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int ci = i * n;
                    for (int k = k0; k < kEnd; k++) {
                        double aik = a[ci + k];
                        // adding 0·b changes nothing for finite b, and triangular and sparse factors skip work
                        if (aik != 0) {
                            int from = upperB ? k : 0;
                            axpy(aik, b, k * n + from, c, ci + from, n - from);
                        }
                    }
                }
            });
        }
    }

    /**
     * {@code (cr + i·ci) += (ar + i·ai)·(br + i·bi)}, (n, n) each.
     *
     * @param upperB whether {@code b} is upper triangular
     */
    static void multiplyAdd(double[] ar, double[] ai, double[] br, double[] bi, double[] cr, double[] ci, int n,
                            boolean upperB) {
        for (int slab = 0; slab < n; slab += SLAB) {
            int k0 = slab;
            int kEnd = Math.min(n, k0 + SLAB);
            overRowBlocks(n, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int row = i * n;
                    for (int k = k0; k < kEnd; k++) {
                        double re = ar[row + k];
                        double im = ai[row + k];
                        if (re == 0 && im == 0) {
                            continue;
                        }
                        int from = upperB ? k : 0;
                        int bk = k * n + from;
                        int ck = row + from;
                        for (int j = 0; j < n - from; j++) {
                            double x = br[bk + j];
                            double y = bi[bk + j];
                            cr[ck + j] += re * x - im * y;
                            ci[ck + j] += re * y + im * x;
                        }
                    }
                }
            });
        }
    }

    /** The transpose of an (n, n) matrix. */
    static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        // 32×32 doubles (8 KiB) per tile: the rows read and the columns written both stay in L1
        final int tile = 32;
        for (int i0 = 0; i0 < n; i0 += tile) {
            for (int j0 = 0; j0 < n; j0 += tile) {
                for (int i = i0; i < Math.min(n, i0 + tile); i++) {
                    for (int j = j0; j < Math.min(n, j0 + tile); j++) {
                        t[j * n + i] = a[i * n + j];
                    }
                }
            }
        }
        return t;
    }

    /** {@code y[yOff..] += alpha·x[xOff..]} over {@code length} elements. */
    static void axpy(double alpha, double[] x, int xOff, double[] y, int yOff, int length) {
        for (int j = 0; j < length; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }

    /** The dot product of {@code length} elements; four partial sums break the chain of dependent additions. */
    static double dot(double[] x, int xOff, double[] y, int yOff, int length) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < length; j += 4) {
            s0 += x[xOff + j] * y[yOff + j];
            s1 += x[xOff + j + 1] * y[yOff + j + 1];
            s2 += x[xOff + j + 2] * y[yOff + j + 2];
            s3 += x[xOff + j + 3] * y[yOff + j + 3];
        }
        for (; j < length; j++) {
            s0 += x[xOff + j] * y[yOff + j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** A range [from, to) of rows (or columns) of the output. */
    @FunctionalInterface
    interface RowBlock {
        void run(int from, int to);
    }

    /** Runs {@code block} over consecutive ranges of 16 rows of [0, rows), in parallel when there is enough work. */
    static void overRowBlocks(int rows, RowBlock block) {
        overBlocks(rows, ROWS_PER_TASK, block);
    }

    /** Runs {@code block} over consecutive ranges of {@code size} of [0, count), in parallel when there is enough work. */
    static void overBlocks(int count, int size, RowBlock block) {
        int tasks = (count + size - 1) / size;
        IntStream range = IntStream.range(0, tasks);
        // below ~256 rows a pass takes well under a millisecond: not worth waking the pool
        (count >= 256 ? range.parallel() : range).forEach(t -> block.run(t * size, Math.min(count, (t + 1) * size)));
    }
}
