package dev.titok.eval.stats;

import java.util.Arrays;

/**
 * The principal square root of a real square matrix, computed as SciPy 1.13's {@code scipy.linalg.sqrtm(A, disp=False)}
 * computes it, which is what the official rFID and the ADM gFID use for {@code sqrtm(Σ1·Σ2)}.
 *
 * <p>The path, step for step: the real Schur form {@code A = Z·T·Zᵀ} ({@link RealSchur}); when a subdiagonal entry
 * of T passes SciPy's test {@code |t[k,k−1]| > eps·(|t[k−1,k−1]| + |t[k,k]|)} (a 2×2 block of a complex pair),
 * conversion to the complex Schur form by a Givens rotation per block, as {@code scipy.linalg.rsf2csf}; complex
 * arithmetic from then on when T became complex or its diagonal has a negative entry; the upper triangular root R
 * of T by the Björck–Hammarling recurrence {@code R_ii = √T_ii} (principal branch),
 * {@code R_ij = (T_ij − Σ_{i<k<j} R_ik·R_kj) / (R_ii + R_jj)}; and {@code X = Z·R·Zᴴ}.
 *
 * <p>SciPy splits the recurrence into blocks of about 64 rows: within a block a zero denominator with a non-zero
 * numerator is a failure ({@code SqrtmError}, after which sqrtm returns a matrix of NaN), while the entries between
 * blocks come from LAPACK's triangular Sylvester solver {@code ?trsyl}, which instead replaces a denominator of
 * magnitude at most {@code smin = max(ulp·max|R_block|, safmin·m·n/ulp)} by smin. Both rules are kept here, on the
 * same block partition; the entries are accumulated column by column in one pass, which is the same arithmetic up
 * to the order of the sums.
 *
 * <p><b>Singular products.</b> For covariances from fewer samples than dimensions, {@code Σ1·Σ2} has a null space
 * whose eigenvalues come out of any Schur decomposition as rounding noise (|λ| around 1e-14 here), many complex or
 * negative: the result is then complex, and each of those eigenvalues still adds its principal root (~1e-7) to the
 * trace. The noise depends on every rounding of the decomposition, so it differs between this code and LAPACK;
 * the trace agrees with SciPy's to within the sum of those roots, not to machine precision.
 *
 * <p>Cost: about 25·n³ flops. For n = 2048 on one core, about 35 s for a real root and 45 s for a complex one; the
 * Hessenberg reduction, most of the QR sweeps and the final products spread over all cores, with results that do not
 * depend on their number.
 */
public final class MatrixSqrt {

    /** NumPy's {@code finfo(float64).eps}, the tolerance of SciPy's 2×2-block test. */
    private static final double EPS = Math.ulp(1.0);
    /** SciPy's block size for the triangular recurrence. */
    private static final int BLOCK = 64;

    private MatrixSqrt() {}

    /**
     * A square root and how it was obtained.
     *
     * @param n                 order of the matrix
     * @param real              the real part of the root, (n, n) row-major; all NaN when {@code failed}
     * @param complex           whether the root was computed in complex arithmetic (SciPy returns a complex array)
     * @param maxAbsImagDiagonal max |imaginary part| over the diagonal (0 for a real root); the official evaluators
     *                          reject the root when this exceeds 1e-3
     * @param maxAbsImag        max |imaginary part| over all entries (0 for a real root)
     * @param failed            whether SciPy's triangular recurrence would fail (zero denominator within a block)
     */
    public record Result(int n, double[] real, boolean complex, double maxAbsImagDiagonal, double maxAbsImag,
                         boolean failed) {

        /** The trace of the real part, summed in index order. */
        public double trace() {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += real[i * n + i];
            }
            return sum;
        }

        /** Whether every entry of the real part is finite (false after a failure). */
        public boolean isFinite() {
            for (double x : real) {
                if (!Double.isFinite(x)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The principal square root of {@code a}.
     *
     * @param a (n, n) row-major, not modified
     * @throws IllegalArgumentException when {@code a} does not hold n² values or has a non-finite entry (SciPy's
     *                                  {@code check_finite})
     */
    public static Result sqrtm(double[] a, int n) {
        if (n < 1 || a.length != n * n) {
            throw new IllegalArgumentException("sqrtm needs an n×n matrix, got " + a.length + " values for n = " + n);
        }
        for (double x : a) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException("sqrtm: the matrix has non-finite entries");
            }
        }
        RealSchur schur = RealSchur.of(a, n);
        double[] t = schur.t;
        double[] z = schur.z;
        boolean toComplex = false;
        boolean negative = false;
        for (int k = 0; k < n; k++) {
            toComplex |= k > 0
                    && Math.abs(t[k * n + k - 1]) > EPS * (Math.abs(t[(k - 1) * n + k - 1]) + Math.abs(t[k * n + k]));
            negative |= t[k * n + k] < 0;
        }
        int[] blocks = blockStarts(n);
        if (!toComplex && !negative) {
            double[] r = new double[n * n];
            if (!sqrtTriangular(t, r, n, blocks)) {
                return failure(n);
            }
            double[] y = new double[n * n];
            Dense.multiplyAdd(z, r, y, n, true);
            return new Result(n, Dense.multiply(y, Dense.transpose(z, n), n), false, 0, 0, false);
        }
        double[] ti = new double[n * n];
        double[] zi = new double[n * n];
        if (toComplex) {
            toComplexSchur(t, ti, z, zi, n);
        }
        double[] rr = new double[n * n];
        double[] ri = new double[n * n];
        if (!sqrtTriangular(t, ti, rr, ri, n, blocks)) {
            return failure(n);
        }
        double[] yr = new double[n * n];
        double[] yi = new double[n * n];
        Dense.multiplyAdd(z, zi, rr, ri, yr, yi, n, true);
        // Zᴴ = conj(Z)ᵀ
        double[] hr = Dense.transpose(z, n);
        double[] hi = Dense.transpose(zi, n);
        for (int k = 0; k < hi.length; k++) {
            hi[k] = -hi[k];
        }
        double[] xr = new double[n * n];
        double[] xi = new double[n * n];
        Dense.multiplyAdd(yr, yi, hr, hi, xr, xi, n, false);
        double maxDiagonal = 0;
        double maxAll = 0;
        for (int k = 0; k < xi.length; k++) {
            maxAll = Math.max(maxAll, Math.abs(xi[k]));
        }
        for (int k = 0; k < n; k++) {
            maxDiagonal = Math.max(maxDiagonal, Math.abs(xi[k * n + k]));
        }
        return new Result(n, xr, true, maxDiagonal, maxAll, false);
    }

    /** What SciPy's sqrtm returns when the triangular recurrence fails: a real matrix of NaN. */
    static Result failure(int n) {
        double[] nan = new double[n * n];
        Arrays.fill(nan, Double.NaN);
        return new Result(n, nan, false, 0, 0, true);
    }

    /**
     * {@code rsf2csf}: for k = n−1 down to 1, a 2×2 block at rows k−1, k (SciPy's test) is made upper triangular by
     * the unitary G = [[c̄, s], [−s, c]] built from its first eigenvalue μ (positive imaginary part first, as LAPACK
     * returns a conjugate pair): c = (μ − t_kk)/r, s = t_{k,k−1}/r. T ← G·T on rows k−1, k; T ← T·Gᴴ and Z ← Z·Gᴴ on
     * columns k−1, k. The subdiagonal is zeroed either way.
     */
    private static void toComplexSchur(double[] tr, double[] ti, double[] zr, double[] zi, int n) {
        for (int m = n - 1; m >= 1; m--) {
            int sub = m * n + m - 1;
            double t21 = tr[sub];
            int p = (m - 1) * n + m - 1;
            int q = m * n + m;
            double absSum = Math.hypot(tr[p], ti[p]) + Math.hypot(tr[q], ti[q]);
            if (Math.abs(t21) > EPS * absSum) {
                // the block itself is still real: blocks are never adjacent, so no earlier rotation reached it
                double a = tr[p];
                double b = tr[(m - 1) * n + m];
                double d = tr[q];
                double half = 0.5 * (a - d);
                double disc = half * half + b * t21;
                // μ − t_kk = (a − d)/2 + i·√(−disc); disc ≤ 0 because RealSchur split every real pair
                double muRe = half;
                double muIm = Math.sqrt(Math.max(0, -disc));
                double r = Math.hypot(Math.hypot(muRe, muIm), t21);
                double cr = muRe / r;
                double ci = muIm / r;
                double s = t21 / r;
                for (int j = m - 1; j < n; j++) {
                    int x = (m - 1) * n + j;
                    int y = m * n + j;
                    double xr = tr[x];
                    double xi = ti[x];
                    double yr = tr[y];
                    double yi = ti[y];
                    // x' = c̄·x + s·y ; y' = −s·x + c·y
                    tr[x] = cr * xr + ci * xi + s * yr;
                    ti[x] = cr * xi - ci * xr + s * yi;
                    tr[y] = -s * xr + cr * yr - ci * yi;
                    ti[y] = -s * xi + cr * yi + ci * yr;
                }
                // columns m−1, m of T (rows 0..m) and of Z
                rotateColumns(tr, ti, m - 1, n, m + 1, cr, ci, s);
                rotateColumns(zr, zi, m - 1, n, n, cr, ci, s);
            }
            tr[sub] = 0;
            ti[sub] = 0;
        }
    }

    /** Columns c, c+1 of rows 0..rows−1 of an (n, n) matrix times Gᴴ = [[c, −s], [s, c̄]]. */
    private static void rotateColumns(double[] ar, double[] ai, int c, int n, int rows, double cr, double ci, double s) {
        for (int e = 0; e < rows; e++) {
            int x = e * n + c;
            int y = x + 1;
            double xr = ar[x];
            double xi = ai[x];
            double yr = ar[y];
            double yi = ai[y];
            // x' = x·c + y·s ; y' = −x·s + y·c̄
            ar[x] = xr * cr - xi * ci + s * yr;
            ai[x] = xr * ci + xi * cr + s * yi;
            ar[y] = -s * xr + yr * cr + yi * ci;
            ai[y] = -s * xi + yi * cr - yr * ci;
        }
    }

    /**
     * SciPy's block partition of n rows: {@code max(n / 64, 1)} blocks, the first ones {@code n / blocks} rows, the
     * last {@code n % blocks} one row more. Returns the block starts followed by n.
     */
    static int[] blockStarts(int n) {
        int count = Math.max(n / BLOCK, 1);
        int small = n / count;
        int large = n % count;
        int[] starts = new int[count + 1];
        for (int b = 0; b < count; b++) {
            starts[b + 1] = starts[b] + (b < count - large ? small : small + 1);
        }
        return starts;
    }

    /** Real triangular root; false on a failure within a block. */
    private static boolean sqrtTriangular(double[] t, double[] r, int n, int[] starts) {
        for (int i = 0; i < n; i++) {
            r[i * n + i] = Math.sqrt(t[i * n + i]);
        }
        // column j of R is gathered in col so that Σ_k R_ik·R_kj runs over two contiguous arrays
        double[] col = new double[n];
        int blocks = starts.length - 1;
        for (int b = 0; b < blocks; b++) {
            for (int j = starts[b]; j < starts[b + 1]; j++) {
                col[j] = r[j * n + j];
                for (int i = j - 1; i >= starts[b]; i--) {
                    double num = t[i * n + j] - Dense.dot(r, i * n + i + 1, col, i + 1, j - i - 1);
                    double denom = r[i * n + i] + col[j];
                    double value;
                    if (denom != 0) {
                        value = num / denom;
                    } else if (num == 0) {
                        value = 0;
                    } else {
                        return false;
                    }
                    r[i * n + j] = value;
                    col[i] = value;
                }
            }
        }
        double[] blockMax = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            for (int i = starts[b]; i < starts[b + 1]; i++) {
                for (int j = i; j < starts[b + 1]; j++) {
                    blockMax[b] = Math.max(blockMax[b], Math.abs(r[i * n + j]));
                }
            }
        }
        for (int bj = 1; bj < blocks; bj++) {
            for (int j = starts[bj]; j < starts[bj + 1]; j++) {
                for (int k = starts[bj]; k <= j; k++) {
                    col[k] = r[k * n + j];
                }
                for (int bi = bj - 1; bi >= 0; bi--) {
                    double smin = trsylMinimum(blockMax[bi], blockMax[bj], starts, bi, bj);
                    for (int i = starts[bi + 1] - 1; i >= starts[bi]; i--) {
                        double num = t[i * n + j] - Dense.dot(r, i * n + i + 1, col, i + 1, j - i - 1);
                        double denom = r[i * n + i] + col[j];
                        double value = num / (Math.abs(denom) <= smin ? smin : denom);
                        r[i * n + j] = value;
                        col[i] = value;
                    }
                }
            }
        }
        return true;
    }

    /** Complex triangular root (T = tr + i·ti); false on a failure within a block. */
    private static boolean sqrtTriangular(double[] tr, double[] ti, double[] rr, double[] ri, int n, int[] starts) {
        for (int i = 0; i < n; i++) {
            int d = i * n + i;
            double x = tr[d];
            double y = ti[d];
            // principal branch, as C99 csqrt: Re ≥ 0, and the sign of Im follows that of y (including −0)
            if (x == 0 && y == 0) {
                rr[d] = 0;
                ri[d] = y;
            } else {
                double w = Math.sqrt((Math.abs(x) + Math.hypot(x, y)) / 2);
                if (x >= 0) {
                    rr[d] = w;
                    ri[d] = y / (2 * w);
                } else {
                    rr[d] = Math.abs(y) / (2 * w);
                    ri[d] = Math.copySign(w, y);
                }
            }
        }
        double[] colR = new double[n];
        double[] colI = new double[n];
        double[] quotient = new double[2];
        int blocks = starts.length - 1;
        for (int b = 0; b < blocks; b++) {
            for (int j = starts[b]; j < starts[b + 1]; j++) {
                colR[j] = rr[j * n + j];
                colI[j] = ri[j * n + j];
                for (int i = j - 1; i >= starts[b]; i--) {
                    complexEntry(tr, ti, rr, ri, colR, colI, n, i, j, quotient);
                    double numR = quotient[0];
                    double numI = quotient[1];
                    double denR = rr[i * n + i] + colR[j];
                    double denI = ri[i * n + i] + colI[j];
                    if (denR != 0 || denI != 0) {
                        divide(numR, numI, denR, denI, quotient);
                    } else if (numR == 0 && numI == 0) {
                        quotient[0] = 0;
                        quotient[1] = 0;
                    } else {
                        return false;
                    }
                    rr[i * n + j] = colR[i] = quotient[0];
                    ri[i * n + j] = colI[i] = quotient[1];
                }
            }
        }
        double[] blockMax = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            for (int i = starts[b]; i < starts[b + 1]; i++) {
                for (int j = i; j < starts[b + 1]; j++) {
                    blockMax[b] = Math.max(blockMax[b], Math.hypot(rr[i * n + j], ri[i * n + j]));
                }
            }
        }
        for (int bj = 1; bj < blocks; bj++) {
            for (int j = starts[bj]; j < starts[bj + 1]; j++) {
                for (int k = starts[bj]; k <= j; k++) {
                    colR[k] = rr[k * n + j];
                    colI[k] = ri[k * n + j];
                }
                for (int bi = bj - 1; bi >= 0; bi--) {
                    double smin = trsylMinimum(blockMax[bi], blockMax[bj], starts, bi, bj);
                    for (int i = starts[bi + 1] - 1; i >= starts[bi]; i--) {
                        complexEntry(tr, ti, rr, ri, colR, colI, n, i, j, quotient);
                        double numR = quotient[0];
                        double numI = quotient[1];
                        double denR = rr[i * n + i] + colR[j];
                        double denI = ri[i * n + i] + colI[j];
                        // ztrsyl measures the denominator by |Re| + |Im|
                        if (Math.abs(denR) + Math.abs(denI) <= smin) {
                            denR = smin;
                            denI = 0;
                        }
                        divide(numR, numI, denR, denI, quotient);
                        rr[i * n + j] = colR[i] = quotient[0];
                        ri[i * n + j] = colI[i] = quotient[1];
                    }
                }
            }
        }
        return true;
    }

    /** {@code T_ij − Σ_{i<k<j} R_ik·R_kj} into {@code out}, with column j of R gathered in colR/colI. */
    private static void complexEntry(double[] tr, double[] ti, double[] rr, double[] ri, double[] colR,
                                     double[] colI, int n, int i, int j, double[] out) {
        double sr0 = 0;
        double si0 = 0;
        double sr1 = 0;
        double si1 = 0;
        int row = i * n;
        int k = i + 1;
        for (; k + 1 < j; k += 2) {
            double a = rr[row + k];
            double b = ri[row + k];
            double c = colR[k];
            double d = colI[k];
            sr0 += a * c - b * d;
            si0 += a * d + b * c;
            a = rr[row + k + 1];
            b = ri[row + k + 1];
            c = colR[k + 1];
            d = colI[k + 1];
            sr1 += a * c - b * d;
            si1 += a * d + b * c;
        }
        if (k < j) {
            double a = rr[row + k];
            double b = ri[row + k];
            sr0 += a * colR[k] - b * colI[k];
            si0 += a * colI[k] + b * colR[k];
        }
        out[0] = tr[row + j] - (sr0 + sr1);
        out[1] = ti[row + j] - (si0 + si1);
    }

    /** The smallest denominator LAPACK's {@code ?trsyl} accepts for the block pair (bi, bj). */
    private static double trsylMinimum(double maxI, double maxJ, int[] starts, int bi, int bj) {
        double cells = (double) (starts[bi + 1] - starts[bi]) * (starts[bj + 1] - starts[bj]);
        return Math.max(EPS * Math.max(maxI, maxJ), Double.MIN_NORMAL * cells / EPS);
    }

    /** Complex division (Smith's algorithm, which avoids overflow in |den|²) into {@code out}. */
    private static void divide(double numR, double numI, double denR, double denI, double[] out) {
        if (Math.abs(denR) >= Math.abs(denI)) {
            double ratio = denI / denR;
            double scale = denR + denI * ratio;
            out[0] = (numR + numI * ratio) / scale;
            out[1] = (numI - numR * ratio) / scale;
        } else {
            double ratio = denR / denI;
            double scale = denI + denR * ratio;
            out[0] = (numR * ratio + numI) / scale;
            out[1] = (numI * ratio - numR) / scale;
        }
    }
}
