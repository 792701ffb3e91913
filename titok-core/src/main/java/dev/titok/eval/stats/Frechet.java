package dev.titok.eval.stats;

import dev.titok.TitokException;

/**
 * Fréchet Inception Distance between two Gaussian feature summaries,
 * {@code ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2·tr sqrtm(Σ1·Σ2)}, exactly as two official evaluators compute it in float64:
 * <ul>
 *   <li>{@link #rfid}: the reconstruction FID of TiTok's {@code VQGANEvaluator.result()} (evaluator/evaluator.py):
 *       the imaginary part of the root is checked first, and a root that is not finite (SciPy's failure value) is
 *       replaced in the trace by {@code Σ_i √((Σr_ii·ε)(Σf_ii·ε)/(ε·ε))}, ε = 1e-6;</li>
 *   <li>{@link #admDistance}: {@code FIDStatistics.frechet_distance} of OpenAI's ADM evaluation suite (the gFID of
 *       the papers), called on the samples with the reference: a root that is not finite is recomputed with ε·I
 *       added to both covariances, then the imaginary part is checked.</li>
 * </ul>
 * In both, a complex root whose diagonal has an imaginary part above 1e-3 is an error, and otherwise its real part
 * is used. The root is {@link MatrixSqrt} (SciPy's sqrtm).
 */
public final class Frechet {

    /** ε of both fallbacks. */
    public static final double FALLBACK_EPS = 1e-6;
    /** {@code np.allclose(diagonal(covmean).imag, 0, atol=1e-3)}. */
    public static final double IMAGINARY_TOLERANCE = 1e-3;

    /** The matrix square root used, replaceable in tests to force SciPy's failure value. */
    @FunctionalInterface
    interface SquareRoot {
        MatrixSqrt.Result of(double[] a, int n);
    }

    private Frechet() {}

    /**
     * A distance and its terms.
     *
     * @param fid                {@code meanTerm + traceReal + traceFake − 2·traceCovmean}
     * @param meanTerm           ‖μ1 − μ2‖²
     * @param traceReal          tr Σ of the real images (ADM: of the reference batch)
     * @param traceFake          tr Σ of the reconstructions (ADM: of the samples)
     * @param traceCovmean       tr of the real part of the root, or the official fallback's value
     * @param complex            whether the root was complex (its imaginary part was checked and dropped)
     * @param maxAbsImagDiagonal max |imaginary part| on the diagonal of the root
     * @param maxAbsImag         max |imaginary part| over the whole root
     * @param usedFallback       whether the root was not finite and the fallback was taken
     */
    public record Result(double fid, double meanTerm, double traceReal, double traceFake, double traceCovmean,
                         boolean complex, double maxAbsImagDiagonal, double maxAbsImag, boolean usedFallback) {}

    /**
     * The official rFID of accumulated real and reconstruction features.
     *
     * @throws TitokException when either side has fewer than 2 features or the dimensions differ, or as
     *                        {@link #rfid(FidStatistics, FidStatistics)}
     */
    public static Result rfid(FeatureStatistics real, FeatureStatistics fake) {
        if (real.count() < 2 || fake.count() < 2) {
            throw new TitokException("rFID needs at least 2 features on each side for a covariance; got "
                    + real.count() + " real and " + fake.count() + " reconstructed");
        }
        return rfid(real.toFid(), fake.toFid());
    }

    /**
     * The official rFID of two summaries, with sqrtm(Σ_real·Σ_fake) in that order.
     *
     * @throws TitokException when the dimensions differ, a covariance is not finite, or the root's diagonal has an
     *                        imaginary part above 1e-3 (the official evaluator raises "Imaginary component" there)
     */
    public static Result rfid(FidStatistics real, FidStatistics fake) {
        return rfid(real, fake, MatrixSqrt::sqrtm);
    }

    static Result rfid(FidStatistics real, FidStatistics fake, SquareRoot sqrtm) {
        int d = checkPair(real, fake);
        MatrixSqrt.Result root = sqrtm.of(Dense.multiply(real.sigma(), fake.sigma(), d), d);
        checkImaginary(root);
        double traceCovmean = root.trace();
        boolean fallback = !root.isFinite();
        if (fallback) {
            double eps = FALLBACK_EPS;
            traceCovmean = 0;
            for (int i = 0; i < d; i++) {
                traceCovmean += Math.sqrt((real.sigma()[i * d + i] * eps) * (fake.sigma()[i * d + i] * eps) / (eps * eps));
            }
        }
        double meanTerm = meanTerm(real, fake);
        double traceReal = trace(real.sigma(), d);
        double traceFake = trace(fake.sigma(), d);
        double fid = meanTerm + traceReal + traceFake - 2 * traceCovmean;
        return new Result(fid, meanTerm, traceReal, traceFake, traceCovmean, root.complex(), root.maxAbsImagDiagonal(),
                root.maxAbsImag(), fallback);
    }

    /**
     * ADM's FID of samples against reference statistics: {@code sample_stats.frechet_distance(ref_stats)}, so
     * {@code Δμ = μ_sample − μ_reference} and the root is sqrtm(Σ_sample·Σ_reference), in that order.
     *
     * @return the distance, with {@code traceReal} the reference's trace and {@code traceFake} the samples'
     * @throws TitokException when the dimensions differ, a covariance is not finite, or the root's diagonal has an
     *                        imaginary part above 1e-3
     */
    public static Result admDistance(FidStatistics sample, FidStatistics reference) {
        return admDistance(sample, reference, MatrixSqrt::sqrtm);
    }

    static Result admDistance(FidStatistics sample, FidStatistics reference, SquareRoot sqrtm) {
        int d = checkPair(sample, reference);
        MatrixSqrt.Result root = sqrtm.of(Dense.multiply(sample.sigma(), reference.sigma(), d), d);
        boolean fallback = !root.isFinite() || !Double.isFinite(root.maxAbsImag());
        if (fallback) {
            double[] s1 = sample.sigma().clone();
            double[] s2 = reference.sigma().clone();
            for (int i = 0; i < d; i++) {
                s1[i * d + i] += FALLBACK_EPS;
                s2[i * d + i] += FALLBACK_EPS;
            }
            root = sqrtm.of(Dense.multiply(s1, s2, d), d);
        }
        checkImaginary(root);
        double traceCovmean = root.trace();
        double meanTerm = meanTerm(sample, reference);
        double traceSample = trace(sample.sigma(), d);
        double traceReference = trace(reference.sigma(), d);
        double fid = meanTerm + traceSample + traceReference - 2 * traceCovmean;
        return new Result(fid, meanTerm, traceReference, traceSample, traceCovmean, root.complex(),
                root.maxAbsImagDiagonal(), root.maxAbsImag(), fallback);
    }

    /** ‖μ1 − μ2‖². */
    private static double meanTerm(FidStatistics a, FidStatistics b) {
        double sum = 0;
        for (int i = 0; i < a.dim(); i++) {
            double diff = a.mu()[i] - b.mu()[i];
            sum += diff * diff;
        }
        return sum;
    }

    private static int checkPair(FidStatistics a, FidStatistics b) {
        if (a.dim() != b.dim()) {
            throw new TitokException("FID: the statistics have different dimensions, " + a.dim() + " and " + b.dim());
        }
        for (double[] sigma : new double[][] {a.sigma(), b.sigma()}) {
            for (double x : sigma) {
                if (!Double.isFinite(x)) {
                    throw new TitokException("FID: a covariance has non-finite entries (from a single sample, or "
                            + "non-finite features?)");
                }
            }
        }
        return a.dim();
    }

    private static void checkImaginary(MatrixSqrt.Result root) {
        // written so that a NaN fails, like np.allclose
        if (root.complex() && !(root.maxAbsImagDiagonal() <= IMAGINARY_TOLERANCE)) {
            throw new TitokException(String.format("FID: the imaginary component of sqrtm(Σ1·Σ2) is too large to drop: "
                    + "max |imag| %.3g on the diagonal (allowed %.0e), %.3g overall; the official evaluators raise "
                    + "ValueError('Imaginary component ...') here", root.maxAbsImagDiagonal(), IMAGINARY_TOLERANCE,
                    root.maxAbsImag()));
        }
    }

    private static double trace(double[] a, int d) {
        double sum = 0;
        for (int i = 0; i < d; i++) {
            sum += a[i * d + i];
        }
        return sum;
    }
}
