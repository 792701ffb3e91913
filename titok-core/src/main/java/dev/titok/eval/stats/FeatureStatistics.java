package dev.titok.eval.stats;

import dev.titok.TitokException;
import dev.titok.io.DType;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The running sums behind the rFID of the official evaluator ({@code VQGANEvaluator.update()} in
 * evaluator/evaluator.py): the number of features n, their sum {@code Σf} and the sum of their outer products
 * {@code Σ f·fᵀ}, all float64, from which the mean and the covariance follow.
 *
 * <p>Each element of the sums is accumulated over the samples in arrival order, as the official loop
 * {@code total += f; sigma += outer(f, f)} does, so the sums are the official ones bit for bit when the features are.
 * A batch is added as a rank-k update over tiles of rows (and threads), which keeps that order per element: only the
 * upper triangle is accumulated, f_i·f_j being exactly f_j·f_i. 50,000 features of 2048 dimensions take about 40 s on
 * one core; memory is one d×d array.
 *
 * <p>Not thread-safe: give each thread its own instance and {@link #merge} them (which changes the order of the
 * sums, so the result is then equal to the official one up to rounding only). {@link #save} and {@link #load} keep the
 * raw sums so that a long evaluation can resume.
 */
public final class FeatureStatistics {

    /** Rows of the outer-product sums per task: 8 rows of 2048 doubles stay in the L1/L2 cache over a batch. */
    private static final int TILE = 8;
    /** The largest d whose d×d sums fit one Java array. */
    private static final int MAX_DIM = (int) Math.sqrt(Integer.MAX_VALUE - 8);
    private static final String COUNT = "count";
    private static final String TOTAL = "total";
    private static final String OUTER = "outer_sum";

    private final int dim;
    private long count;
    /** Σf, (d,). */
    private final double[] total;
    /** Σ f·fᵀ, (d, d) row-major; only the upper triangle (j ≥ i) is kept up to date. */
    private final double[] outer;

    /**
     * Empty sums for {@code dim}-dimensional features.
     *
     * @throws IllegalArgumentException when {@code dim} is not positive or d² doubles do not fit one array
     */
    public FeatureStatistics(int dim) {
        if (dim < 1 || dim > MAX_DIM) {
            throw new IllegalArgumentException("feature dimension " + dim + " must be in 1.." + MAX_DIM);
        }
        this.dim = dim;
        this.total = new double[dim];
        this.outer = new double[dim * dim];
    }

    /** d, the feature dimension. */
    public int dim() {
        return dim;
    }

    /** n, the number of features added. */
    public long count() {
        return count;
    }

    /**
     * Adds a batch of features.
     *
     * @param rows  (count, d) row-major
     * @param count number of features in {@code rows}
     * @throws IllegalArgumentException when {@code rows} does not hold exactly count·d values
     */
    public void add(double[] rows, int count) {
        if (count < 0 || rows.length != (long) count * dim) {
            throw new IllegalArgumentException(String.format(
                    "expected %d features of dimension %d (%,d values), got %,d values", count, dim, (long) count * dim, rows.length));
        }
        for (int k = 0; k < count; k++) {
            for (int i = 0; i < dim; i++) {
                total[i] += rows[k * dim + i];
            }
        }
        int tiles = (dim + TILE - 1) / TILE;
        IntStream range = IntStream.range(0, tiles);
        // for small batches the whole update takes microseconds: not worth waking the pool
        (count * (long) dim * dim >= 1 << 22 ? range.parallel() : range).forEach(tile -> {
            int end = Math.min(dim, (tile + 1) * TILE);
            for (int k = 0; k < count; k++) {
                int base = k * dim;
                for (int i = tile * TILE; i < end; i++) {
                    Dense.axpy(rows[base + i], rows, base + i, outer, i * dim + i, dim - i);
                }
            }
        });
        this.count += count;
    }

    /** Adds a batch of float32 features, widened exactly to float64; see {@link #add(double[], int)}. */
    public void add(float[] rows, int count) {
        double[] wide = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            wide[i] = rows[i];
        }
        add(wide, count);
    }

    /**
     * Adds the sums of {@code other}, e.g. those of another thread.
     *
     * @throws IllegalArgumentException when the dimensions differ
     */
    public void merge(FeatureStatistics other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("cannot merge statistics of dimension " + other.dim + " into dimension " + dim);
        }
        count += other.count;
        for (int i = 0; i < dim; i++) {
            total[i] += other.total[i];
            for (int j = i; j < dim; j++) {
                outer[i * dim + j] += other.outer[i * dim + j];
            }
        }
    }

    /** A copy of Σf, (d,). */
    public double[] total() {
        return total.clone();
    }

    /** Σ f·fᵀ, (d, d) row-major, symmetric. */
    public double[] outerSums() {
        double[] full = outer.clone();
        for (int i = 0; i < dim; i++) {
            for (int j = i + 1; j < dim; j++) {
                full[j * dim + i] = full[i * dim + j];
            }
        }
        return full;
    }

    /** μ = Σf / n, (d,); NaN when n is 0, as the official division is. */
    public double[] mean() {
        double[] mean = new double[dim];
        for (int i = 0; i < dim; i++) {
            mean[i] = total[i] / count;
        }
        return mean;
    }

    /**
     * The covariance by the official one-pass formula ({@code get_covariance}):
     * {@code (Σ f·fᵀ − (Σf)(Σf)ᵀ / n) / (n − 1)}, (d, d) row-major; zeros when n is 0, as the official code returns.
     */
    public double[] covariance() {
        double[] sigma = new double[dim * dim];
        if (count == 0) {
            return sigma;
        }
        double n = count;
        for (int i = 0; i < dim; i++) {
            for (int j = i; j < dim; j++) {
                double value = (outer[i * dim + j] - total[i] * total[j] / n) / (n - 1);
                sigma[i * dim + j] = value;
                sigma[j * dim + i] = value;
            }
        }
        return sigma;
    }

    /** The mean and covariance, for {@link Frechet}. */
    public FidStatistics toFid() {
        return new FidStatistics(mean(), covariance());
    }

    /**
     * Saves the raw sums to an .npz ({@code count} int64, {@code total} (d,) and {@code outer_sum} (d, d) float64),
     * written under a temporary name and renamed, so an interrupted save keeps the previous file.
     *
     * @throws TitokException naming the file when it cannot be written
     */
    public void save(Path file) {
        Npz.write(file, toArrays(""));
    }

    /** The raw sums as arrays named {@code prefix + count|total|outer_sum}, for a file of several states. */
    public Map<String, HostTensor> toArrays(String prefix) {
        Map<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put(prefix + COUNT, HostTensor.ofLongs(new long[0], new long[] {count}));
        arrays.put(prefix + TOTAL, HostTensor.ofDoubles(new long[] {dim}, total));
        arrays.put(prefix + OUTER, HostTensor.ofDoubles(new long[] {dim, dim}, outerSums()));
        return arrays;
    }

    /**
     * Loads sums saved by {@link #save}.
     *
     * @throws TitokException naming the file when it is missing, damaged, or not such sums
     */
    public static FeatureStatistics load(Path file) {
        return fromArrays(file, Npz.read(file), "");
    }

    /**
     * Sums from arrays written by {@link #toArrays} with the same prefix.
     *
     * @param file names the source in messages
     * @throws TitokException when an array is missing or mis-shaped
     */
    public static FeatureStatistics fromArrays(Path file, Map<String, HostTensor> arrays, String prefix) {
        HostTensor total = Npz.get(file, arrays, prefix + TOTAL);
        Npz.require(file + ":" + prefix + TOTAL, total, DType.F64, -1);
        int dim = (int) total.shape()[0];
        HostTensor countTensor = Npz.get(file, arrays, prefix + COUNT);
        HostTensor outer = Npz.get(file, arrays, prefix + OUTER);
        Npz.require(file + ":" + prefix + COUNT, countTensor, DType.I64);
        Npz.require(file + ":" + prefix + OUTER, outer, DType.F64, dim, dim);
        long count = countTensor.toLongs()[0];
        if (count < 0) {
            throw new TitokException(file + ": negative feature count " + count);
        }
        FeatureStatistics statistics = new FeatureStatistics(dim);
        statistics.count = count;
        System.arraycopy(total.toDoubles(), 0, statistics.total, 0, dim);
        System.arraycopy(outer.toDoubles(), 0, statistics.outer, 0, dim * dim);
        return statistics;
    }
}
