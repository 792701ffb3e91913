package dev.titok.eval.stats;

import dev.titok.TitokException;
import dev.titok.io.DType;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Inception Score, in the two ways the evaluations of the papers compute it, float64.
 *
 * <p>The instance methods are the official accumulator of TiTok's {@code VQGANEvaluator} (evaluator/evaluator.py):
 * for each batch, with {@code p = softmax(logits)} per sample, {@code P += Σ_batch p} and
 * {@code K += Σ_batch p·log(p + 1e-16)}; the score over all N samples in ONE split is
 * {@code exp(Σ_c (K_c − P_c·log(P_c/N + 1e-16)) / N)}. Add the same batches as the official run for the closest
 * rounding. Not thread-safe: use one instance per thread and {@link #merge} them.
 *
 * <p>{@link #adm} is {@code compute_inception_score} of OpenAI's ADM evaluation suite (the IS of the generation
 * tables): consecutive splits of {@link #ADM_SPLIT_SIZE} rows, per split {@code exp(mean_i Σ_c p_ic·(log p_ic −
 * log mean_i' p_i'c))} without any epsilon, and the mean of the split scores.
 */
public final class InceptionScore {

    /** The ε inside both logarithms of the official score. */
    public static final double EPS = 1e-16;
    /** Rows per split in ADM's evaluator: 10 splits of the 50,000 samples. */
    public static final int ADM_SPLIT_SIZE = 5000;

    private static final String COUNT = "count";
    private static final String PROB_TOTAL = "prob_total";
    private static final String KL_TOTAL = "kl_total";

    private final int classes;
    private long count;
    /** P = Σ p, (classes,). */
    private final double[] probTotal;
    /** K = Σ p·log(p + ε), (classes,). */
    private final double[] klTotal;

    /**
     * Empty sums over {@code classes} outputs (1008 for the official Inception network).
     *
     * @throws IllegalArgumentException when {@code classes} is not positive
     */
    public InceptionScore(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("an Inception Score needs at least one class, got " + classes);
        }
        this.classes = classes;
        this.probTotal = new double[classes];
        this.klTotal = new double[classes];
    }

    /** The number of classes. */
    public int classes() {
        return classes;
    }

    /** N, the number of samples added. */
    public long count() {
        return count;
    }

    /**
     * Adds a batch of logits: softmax per row, then the batch sums of p and p·log(p + 1e-16) are added to the totals.
     *
     * @param logits (rows, classes) row-major
     * @throws IllegalArgumentException when {@code logits} does not hold exactly rows·classes values
     */
    public void add(double[] logits, int rows) {
        double[] p = softmax(logits, rows, classes);
        double[] batchP = new double[classes];
        double[] batchK = new double[classes];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < classes; c++) {
                double value = p[i * classes + c];
                batchP[c] += value;
                batchK[c] += value * Math.log(value + EPS);
            }
        }
        for (int c = 0; c < classes; c++) {
            probTotal[c] += batchP[c];
            klTotal[c] += batchK[c];
        }
        count += rows;
    }

    /** Adds a batch of float32 logits, widened exactly; see {@link #add(double[], int)}. */
    public void add(float[] logits, int rows) {
        double[] wide = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            wide[i] = logits[i];
        }
        add(wide, rows);
    }

    /**
     * Adds the sums of {@code other}.
     *
     * @throws IllegalArgumentException when the class counts differ
     */
    public void merge(InceptionScore other) {
        if (other.classes != classes) {
            throw new IllegalArgumentException("cannot merge " + other.classes + "-class sums into " + classes + "-class sums");
        }
        count += other.count;
        for (int c = 0; c < classes; c++) {
            probTotal[c] += other.probTotal[c];
            klTotal[c] += other.klTotal[c];
        }
    }

    /** A copy of P = Σ p, (classes,). */
    public double[] probabilityTotal() {
        return probTotal.clone();
    }

    /** A copy of K = Σ p·log(p + 1e-16), (classes,). */
    public double[] klTotal() {
        return klTotal.clone();
    }

    /**
     * The official score over all samples in one split.
     *
     * @throws TitokException when no sample was added (the official "No examples to evaluate")
     */
    public double score() {
        if (count < 1) {
            throw new TitokException("Inception Score: no examples to evaluate");
        }
        double n = count;
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            double logMean = Math.log(probTotal[c] / n + EPS);
            sum += klTotal[c] - probTotal[c] * logMean;
        }
        return Math.exp(sum / n);
    }

    /**
     * Saves the sums to an .npz ({@code count} int64, {@code prob_total} and {@code kl_total} (classes,) float64),
     * atomically.
     *
     * @throws TitokException naming the file when it cannot be written
     */
    public void save(Path file) {
        Npz.write(file, toArrays(""));
    }

    /** The sums as arrays named {@code prefix + count|prob_total|kl_total}, for a file of several states. */
    public Map<String, HostTensor> toArrays(String prefix) {
        Map<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put(prefix + COUNT, HostTensor.ofLongs(new long[0], new long[] {count}));
        arrays.put(prefix + PROB_TOTAL, HostTensor.ofDoubles(new long[] {classes}, probTotal));
        arrays.put(prefix + KL_TOTAL, HostTensor.ofDoubles(new long[] {classes}, klTotal));
        return arrays;
    }

    /**
     * Loads sums saved by {@link #save}.
     *
     * @throws TitokException naming the file when it is missing, damaged, or not such sums
     */
    public static InceptionScore load(Path file) {
        return fromArrays(file, Npz.read(file), "");
    }

    /**
     * Sums from arrays written by {@link #toArrays} with the same prefix.
     *
     * @param file names the source in messages
     * @throws TitokException when an array is missing or mis-shaped
     */
    public static InceptionScore fromArrays(Path file, Map<String, HostTensor> arrays, String prefix) {
        HostTensor prob = Npz.get(file, arrays, prefix + PROB_TOTAL);
        Npz.require(file + ":" + prefix + PROB_TOTAL, prob, DType.F64, -1);
        int classes = (int) prob.shape()[0];
        HostTensor kl = Npz.get(file, arrays, prefix + KL_TOTAL);
        HostTensor countTensor = Npz.get(file, arrays, prefix + COUNT);
        Npz.require(file + ":" + prefix + KL_TOTAL, kl, DType.F64, classes);
        Npz.require(file + ":" + prefix + COUNT, countTensor, DType.I64);
        long count = countTensor.toLongs()[0];
        if (count < 0 || classes < 1) {
            throw new TitokException(file + ": " + count + " samples over " + classes + " classes are not Inception Score sums");
        }
        InceptionScore score = new InceptionScore(classes);
        score.count = count;
        System.arraycopy(prob.toDoubles(), 0, score.probTotal, 0, classes);
        System.arraycopy(kl.toDoubles(), 0, score.klTotal, 0, classes);
        return score;
    }

    /**
     * Row-wise softmax as {@code torch.softmax} computes it: {@code exp(x − max)}, times the reciprocal of its sum.
     *
     * @param logits (rows, classes) row-major
     * @return probabilities, (rows, classes) row-major
     * @throws IllegalArgumentException when {@code logits} does not hold exactly rows·classes values
     */
    public static double[] softmax(double[] logits, int rows, int classes) {
        if (rows < 0 || classes < 1 || logits.length != (long) rows * classes) {
            throw new IllegalArgumentException(String.format("expected %d rows of %d logits (%,d values), got %,d",
                    rows, classes, (long) rows * classes, logits.length));
        }
        double[] p = new double[logits.length];
        for (int i = 0; i < rows; i++) {
            int row = i * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[row + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                p[row + c] = Math.exp(logits[row + c] - max);
                sum += p[row + c];
            }
            double scale = 1 / sum;
            for (int c = 0; c < classes; c++) {
                p[row + c] *= scale;
            }
        }
        return p;
    }

    /**
     * ADM's score and its per-split scores.
     *
     * @param score       the mean of the split scores
     * @param splitScores one score per split, in order
     */
    public record AdmResult(double score, double[] splitScores) {}

    /**
     * ADM's split Inception Score of softmax probabilities. The splits are {@code range(0, N, splitSize)}, so a
     * remainder of fewer than {@code splitSize} rows forms a last, smaller split that counts as much as the others
     * in the mean. As in ADM there is no ε: a probability of exactly 0 makes the score NaN (0·log 0).
     *
     * @param probabilities (rows, classes) row-major, e.g. from {@link #softmax}
     * @param splitSize     rows per split, {@link #ADM_SPLIT_SIZE} in ADM
     * @throws IllegalArgumentException when the array does not hold rows·classes values, or rows or splitSize is
     *                                  not positive
     */
    public static AdmResult adm(double[] probabilities, int rows, int classes, int splitSize) {
        if (rows < 1 || classes < 1 || splitSize < 1 || probabilities.length != (long) rows * classes) {
            throw new IllegalArgumentException(String.format(
                    "expected %d rows of %d probabilities (%,d values) and a positive split size, got %,d values and %d",
                    rows, classes, (long) rows * classes, probabilities.length, splitSize));
        }
        int splits = (rows + splitSize - 1) / splitSize;
        double[] scores = new double[splits];
        double[] logMean = new double[classes];
        for (int s = 0; s < splits; s++) {
            int from = s * splitSize;
            int to = Math.min(rows, from + splitSize);
            int size = to - from;
            Arrays.fill(logMean, 0);
            for (int i = from; i < to; i++) {
                for (int c = 0; c < classes; c++) {
                    logMean[c] += probabilities[i * classes + c];
                }
            }
            for (int c = 0; c < classes; c++) {
                logMean[c] = Math.log(logMean[c] / size);
            }
            double klSum = 0;
            for (int i = from; i < to; i++) {
                double kl = 0;
                for (int c = 0; c < classes; c++) {
                    double p = probabilities[i * classes + c];
                    kl += p * (Math.log(p) - logMean[c]);
                }
                klSum += kl;
            }
            scores[s] = Math.exp(klSum / size);
        }
        double mean = 0;
        for (double score : scores) {
            mean += score;
        }
        return new AdmResult(mean / splits, scores);
    }
}
