package dev.titok.eval.stats;

import dev.titok.TitokException;
import java.util.Arrays;

/**
 * Real Schur decomposition {@code A = Z·T·Zᵀ} of a real square matrix, as LAPACK's {@code dgees} (behind
 * {@code scipy.linalg.schur}) computes it: Householder reduction to upper Hessenberg form, then Francis double-shift
 * QR iterations with the Schur vectors accumulated.
 *
 * <p>The iteration follows the small-matrix LAPACK routine {@code dlahqr}: the conservative deflation test of Ahues and
 * Tisseur, exceptional shifts after 10 and 20 iterations without deflation, and 2×2 diagonal blocks with real
 * eigenvalues split by a rotation, so that T is upper triangular except for 2×2 blocks of complex conjugate pairs, with
 * exact zeros everywhere else below the diagonal. LAPACK switches to a multishift variant with aggressive early
 * deflation above 75 rows; the decomposition is the same up to rounding, which for a singular product of covariances
 * decides only the rounding-noise eigenvalues of the null space (see {@link MatrixSqrt}).
 *
 * <p>Speed: a sweep only has to chase its bulge through the active window; the updates of the rows above the bulge,
 * of the columns right of the window and of Z commute with the chase, so they are applied after it, row by row (or
 * column block by column block) and in parallel, each element still receiving the same operations in the same order.
 * The result does not depend on the number of threads.
 */
final class RealSchur {

    /** Relative machine precision, LAPACK's {@code dlamch('P')}. */
    static final double ULP = Math.ulp(1.0);
    private static final double SAFE_MIN = Double.MIN_NORMAL;
    /** Columns of uᵀ·A per task, so that each task runs long axpys down the rows. */
    private static final int COLUMN_BLOCK = 256;

    /** Order of the matrices. */
    final int n;
    /** T, (n, n) row-major, upper quasi-triangular. */
    final double[] t;
    /** Z, (n, n) row-major, orthogonal. */
    final double[] z;

    private RealSchur(int n, double[] t, double[] z) {
        this.n = n;
        this.t = t;
        this.z = z;
    }

    /**
     * Decomposes {@code a}, (n, n) row-major, which is not modified.
     *
     * @throws TitokException when the QR iteration does not converge (LAPACK's {@code info > 0}, scipy's
     *                        "Schur form not found"), which needs a pathological matrix
     */
    static RealSchur of(double[] a, int n) {
        double[] h = a.clone();
        double[] z = hessenberg(h, n);
        schurForm(h, z, n);
        return new RealSchur(n, h, z);
    }

    /**
     * Reduces {@code h} in place to upper Hessenberg form {@code Qᵀ·A·Q} and returns Q.
     *
     * <p>Step m applies the reflector {@code P = I − τ·u·uᵀ} (u_m = 1) that zeroes column m−1 below row m, from the
     * left and from the right; u is parked in the zeroed part of the column until Q is formed.
     */
    private static double[] hessenberg(double[] h, int n) {
        double[] tau = new double[n];
        double[] u = new double[n];
        double[] w = new double[n];
        for (int m = 1; m < n - 1; m++) {
            int col = m - 1;
            double alpha = h[m * n + col];
            double xnorm = columnNorm(h, n, col, m + 1);
            if (xnorm == 0) {
                // already zero below the subdiagonal: P = I
                continue;
            }
            double beta = -Math.copySign(Math.hypot(alpha, xnorm), alpha);
            double tm = (beta - alpha) / beta;
            double scale = 1 / (alpha - beta);
            u[m] = 1;
            for (int i = m + 1; i < n; i++) {
                u[i] = h[i * n + col] * scale;
                h[i * n + col] = u[i];
            }
            h[m * n + col] = beta;
            tau[m] = tm;
            // H ← P·H·P on columns m..n−1: w = uᵀ·H first; then each row takes the left update (rows m.. only) and
            // right after it, while in cache, the right one
            int start = m;
            int len = n - m;
            leftProduct(h, n, m, u, w);
            Dense.overRowBlocks(n, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    if (r >= start) {
                        Dense.axpy(-tm * u[r], w, start, h, r * n + start, len);
                    }
                    double f = Dense.dot(h, r * n + start, u, start, len);
                    Dense.axpy(-tm * f, u, start, h, r * n + start, len);
                }
            });
        }
        // Q = P_1·P_2⋯P_{n−2}, formed from the right end so that P_m only meets the part of Q already built, rows
        // and columns m..n−1
        double[] q = new double[n * n];
        for (int i = 0; i < n; i++) {
            q[i * n + i] = 1;
        }
        for (int m = n - 2; m >= 1; m--) {
            if (tau[m] == 0) {
                continue;
            }
            u[m] = 1;
            for (int i = m + 1; i < n; i++) {
                u[i] = h[i * n + m - 1];
                h[i * n + m - 1] = 0;
            }
            reflectLeft(q, n, m, u, tau[m], w);
        }
        return q;
    }

    /** {@code A ← (I − τ·u·uᵀ)·A} on rows and columns m..n−1: {@code w = uᵀ·A}, then {@code A −= τ·u·w}. */
    private static void reflectLeft(double[] a, int n, int m, double[] u, double tau, double[] w) {
        leftProduct(a, n, m, u, w);
        Dense.overRowBlocks(n - m, (r0, r1) -> {
            for (int i = m + r0; i < m + r1; i++) {
                Dense.axpy(-tau * u[i], w, m, a, i * n + m, n - m);
            }
        });
    }

    /** {@code w[m..] = uᵀ·A} over rows and columns m..n−1, along rows, split between threads by column blocks. */
    private static void leftProduct(double[] a, int n, int m, double[] u, double[] w) {
        Dense.overBlocks(n - m, COLUMN_BLOCK, (c0, c1) -> {
            Arrays.fill(w, m + c0, m + c1, 0);
            for (int i = m; i < n; i++) {
                Dense.axpy(u[i], a, i * n + m + c0, w, m + c0, c1 - c0);
            }
        });
    }

    /** Euclidean norm of {@code h[from.., col]}, scaled so that tiny or huge entries neither underflow nor overflow. */
    private static double columnNorm(double[] h, int n, int col, int from) {
        double scale = 0;
        for (int i = from; i < n; i++) {
            scale = Math.max(scale, Math.abs(h[i * n + col]));
        }
        if (scale == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = from; i < n; i++) {
            double x = h[i * n + col] / scale;
            sum += x * x;
        }
        return scale * Math.sqrt(sum);
    }

    /** Francis QR iterations on the Hessenberg matrix {@code h} until it is quasi-triangular, updating Z. */
    private static void schurForm(double[] h, double[] z, int n) {
        double smallNum = SAFE_MIN * (n / ULP);
        int maxIterations = 30 * Math.max(10, n);
        // the reflectors of one sweep, (τ, u2, u3) per step
        double[] sweep = new double[3 * n];
        int hi = n - 1;
        while (hi >= 0) {
            int lo = 0;
            int iterations = 0;
            while (true) {
                lo = deflationPoint(h, n, lo, hi, smallNum);
                if (lo >= hi - 1) {
                    break;
                }
                if (++iterations > maxIterations) {
                    throw new TitokException("the Schur decomposition of the " + n + "×" + n + " matrix did not converge "
                            + "in " + maxIterations + " QR iterations at row " + hi);
                }
                francisStep(h, z, n, lo, hi, iterations, sweep);
            }
            if (lo == hi - 1) {
                splitIfReal(h, z, n, lo);
            }
            hi = lo - 1;
        }
    }

    /**
     * The top row of the unreduced block that ends at row {@code hi}: the largest k in (lo, hi] whose subdiagonal
     * entry is negligible (then set to zero), else {@code lo}.
     */
    private static int deflationPoint(double[] h, int n, int lo, int hi, double smallNum) {
        for (int k = hi; k > lo; k--) {
            if (negligible(h, n, k, lo, hi, smallNum)) {
                h[k * n + k - 1] = 0;
                return k;
            }
        }
        return lo;
    }

    /** Whether {@code h[k, k−1]} can be set to zero: small against its neighbours (Ahues–Tisseur). */
    private static boolean negligible(double[] h, int n, int k, int lo, int hi, double smallNum) {
        double sub = Math.abs(h[k * n + k - 1]);
        if (sub <= smallNum) {
            return true;
        }
        double above = h[(k - 1) * n + k - 1];
        double diag = h[k * n + k];
        double tst = Math.abs(above) + Math.abs(diag);
        if (tst == 0) {
            if (k - 2 >= lo) {
                tst += Math.abs(h[(k - 1) * n + k - 2]);
            }
            if (k + 1 <= hi) {
                tst += Math.abs(h[(k + 1) * n + k]);
            }
        }
        if (sub > ULP * tst) {
            return false;
        }
        double sup = Math.abs(h[(k - 1) * n + k]);
        double ab = Math.max(sub, sup);
        double ba = Math.min(sub, sup);
        double aa = Math.max(Math.abs(diag), Math.abs(above - diag));
        double bb = Math.min(Math.abs(diag), Math.abs(above - diag));
        double s = aa + ab;
        return ba * (ab / s) <= Math.max(smallNum, ULP * (bb * (aa / s)));
    }

    /**
     * One double-shift QR sweep on rows and columns lo..hi: the two shifts are the eigenvalues of the trailing 2×2
     * block (or an exceptional pair every 10 iterations without deflation, to break cycles), applied implicitly by
     * chasing a 3×3 bulge down the subdiagonal.
     */
    private static void francisStep(double[] h, double[] z, int n, int lo, int hi, int iteration, double[] sweep) {
        int i = hi;
        double h11;
        double h12;
        double h21;
        double h22;
        if (iteration % 20 == 0) {
            double s = Math.abs(h[i * n + i - 1]) + Math.abs(h[(i - 1) * n + i - 2]);
            h11 = 0.75 * s + h[i * n + i];
            h12 = -0.4375 * s;
            h21 = s;
            h22 = h11;
        } else if (iteration % 10 == 0) {
            double s = Math.abs(h[(lo + 1) * n + lo]) + Math.abs(h[(lo + 2) * n + lo + 1]);
            h11 = 0.75 * s + h[lo * n + lo];
            h12 = -0.4375 * s;
            h21 = s;
            h22 = h11;
        } else {
            h11 = h[(i - 1) * n + i - 1];
            h12 = h[(i - 1) * n + i];
            h21 = h[i * n + i - 1];
            h22 = h[i * n + i];
        }
        // the shifts, computed on the block scaled to unit size; two real shifts are replaced by the one closer to
        // h22 twice (Wilkinson)
        double rt1r = 0;
        double rt1i = 0;
        double rt2r = 0;
        double rt2i = 0;
        double s = Math.abs(h11) + Math.abs(h12) + Math.abs(h21) + Math.abs(h22);
        if (s != 0) {
            h11 /= s;
            h21 /= s;
            h12 /= s;
            h22 /= s;
            double tr = (h11 + h22) / 2;
            double det = (h11 - tr) * (h22 - tr) - h12 * h21;
            double rtdisc = Math.sqrt(Math.abs(det));
            if (det >= 0) {
                rt1r = tr * s;
                rt2r = rt1r;
                rt1i = rtdisc * s;
                rt2i = -rt1i;
            } else {
                rt1r = tr + rtdisc;
                rt2r = tr - rtdisc;
                rt1r = Math.abs(rt1r - h22) <= Math.abs(rt2r - h22) ? rt1r * s : rt2r * s;
                rt2r = rt1r;
            }
        }
        // start the bulge at the lowest row m where the sweep decouples from the rows above (two consecutive
        // small subdiagonal entries), with v = (H − σ1)(H − σ2)·e_m scaled
        int m = i - 2;
        double v1;
        double v2;
        double v3;
        while (true) {
            double hmm = h[m * n + m];
            double h21s = h[(m + 1) * n + m];
            double sc = Math.abs(hmm - rt2r) + Math.abs(rt2i) + Math.abs(h21s);
            h21s /= sc;
            v1 = h21s * h[m * n + m + 1] + (hmm - rt1r) * ((hmm - rt2r) / sc) - rt1i * (rt2i / sc);
            v2 = h21s * (hmm + h[(m + 1) * n + m + 1] - rt1r - rt2r);
            v3 = h21s * h[(m + 2) * n + m + 1];
            sc = Math.abs(v1) + Math.abs(v2) + Math.abs(v3);
            v1 /= sc;
            v2 /= sc;
            v3 /= sc;
            if (m == lo) {
                break;
            }
            double h00 = Math.abs(h[m * n + m - 1]) * (Math.abs(v2) + Math.abs(v3));
            double h01 = Math.abs(v1) * (Math.abs(h[(m - 1) * n + m - 1]) + Math.abs(hmm)
                    + Math.abs(h[(m + 1) * n + m + 1]));
            if (h00 <= ULP * h01) {
                break;
            }
            m--;
        }
        for (int k = m; k < i; k++) {
            int nr = Math.min(3, i - k + 1);
            double x1;
            double x2;
            double x3;
            if (k > m) {
                x1 = h[k * n + k - 1];
                x2 = h[(k + 1) * n + k - 1];
                x3 = nr == 3 ? h[(k + 2) * n + k - 1] : 0;
            } else {
                x1 = v1;
                x2 = v2;
                x3 = v3;
            }
            // reflector I − τ·u·uᵀ, u = (1, u2, u3), mapping (x1, x2, x3) to (β, 0, 0)
            double xnorm = nr == 3 ? Math.hypot(x2, x3) : Math.abs(x2);
            double tau = 0;
            double u2 = 0;
            double u3 = 0;
            double beta = x1;
            if (xnorm != 0) {
                beta = -Math.copySign(Math.hypot(x1, xnorm), x1);
                tau = (beta - x1) / beta;
                double scale = 1 / (x1 - beta);
                u2 = x2 * scale;
                u3 = x3 * scale;
            }
            if (k > m) {
                h[k * n + k - 1] = beta;
                h[(k + 1) * n + k - 1] = 0;
                if (k < i - 1) {
                    h[(k + 2) * n + k - 1] = 0;
                }
            } else if (m > lo) {
                // the reflector also meets the negligible h[m, m−1]; written this way it cannot underflow to garbage
                h[k * n + k - 1] *= 1 - tau;
            }
            sweep[3 * k] = tau;
            sweep[3 * k + 1] = u2;
            sweep[3 * k + 2] = u3;
            // only what the rest of the chase reads is updated now: rows k.. within the window from the left, rows
            // k+1..k+3 from the right
            if (nr == 3) {
                reflect3Rows(h, n, k, k, i + 1, tau, u2, u3);
            } else {
                reflect2Rows(h, n, k, k, i + 1, tau, u2);
            }
            for (int r = k + 1; r <= Math.min(k + 3, i); r++) {
                reflectRow(h, r * n, k, i, sweep);
            }
        }
        applyDeferred(h, z, n, m, i, sweep);
    }

    /**
     * The rest of a sweep of steps m..i−1: H from the right on rows 0..k for step k (the rows above the bulge), H from
     * the left right of the window (columns i+1..n−1), and Z from the right on every row.
     */
    private static void applyDeferred(double[] h, double[] z, int n, int m, int i, double[] sweep) {
        Dense.overRowBlocks(i, (r0, r1) -> reflectRows(h, n, r0, r1, m, i, sweep, true));
        int right = i + 1;
        Dense.overRowBlocks(n - right, (c0, c1) -> {
            for (int k = m; k < i; k++) {
                if (k < i - 1) {
                    reflect3Rows(h, n, k, right + c0, right + c1, sweep[3 * k], sweep[3 * k + 1], sweep[3 * k + 2]);
                } else {
                    reflect2Rows(h, n, k, right + c0, right + c1, sweep[3 * k], sweep[3 * k + 1]);
                }
            }
        });
        Dense.overRowBlocks(n, (r0, r1) -> reflectRows(z, n, r0, r1, m, i, sweep, false));
    }

    /**
     * Rows [r0, r1) of {@code a}, each times the reflectors of steps first..i−1 of a sweep in order, where first is
     * m, or {@code max(m, r)} when {@code staggered}. Along a row every step depends on the one before, so four rows
     * go in lockstep to keep the processor busy, each carrying the two entries the next step shares in registers.
     */
    private static void reflectRows(double[] a, int n, int r0, int r1, int m, int i, double[] sweep, boolean staggered) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int start = Math.min(i, staggered ? Math.max(m, r + 3) : m);
            for (int q = r; q < r + 3; q++) {
                for (int k = staggered ? Math.max(m, q) : m; k < start; k++) {
                    reflectRow(a, q * n, k, i, sweep);
                }
            }
            if (start == i) {
                continue;
            }
            int p0 = r * n;
            int p1 = p0 + n;
            int p2 = p1 + n;
            int p3 = p2 + n;
            double x0 = a[p0 + start];
            double y0 = a[p0 + start + 1];
            double x1 = a[p1 + start];
            double y1 = a[p1 + start + 1];
            double x2 = a[p2 + start];
            double y2 = a[p2 + start + 1];
            double x3 = a[p3 + start];
            double y3 = a[p3 + start + 1];
            for (int k = start; k < i - 1; k++) {
                double tau = sweep[3 * k];
                double u2 = sweep[3 * k + 1];
                double u3 = sweep[3 * k + 2];
                double t2 = tau * u2;
                double t3 = tau * u3;
                double w = a[p0 + k + 2];
                double sum = x0 + u2 * y0 + u3 * w;
                a[p0 + k] = x0 - sum * tau;
                x0 = y0 - sum * t2;
                y0 = w - sum * t3;
                w = a[p1 + k + 2];
                sum = x1 + u2 * y1 + u3 * w;
                a[p1 + k] = x1 - sum * tau;
                x1 = y1 - sum * t2;
                y1 = w - sum * t3;
                w = a[p2 + k + 2];
                sum = x2 + u2 * y2 + u3 * w;
                a[p2 + k] = x2 - sum * tau;
                x2 = y2 - sum * t2;
                y2 = w - sum * t3;
                w = a[p3 + k + 2];
                sum = x3 + u2 * y3 + u3 * w;
                a[p3 + k] = x3 - sum * tau;
                x3 = y3 - sum * t2;
                y3 = w - sum * t3;
            }
            // the last step, k = i−1, has a reflector of two
            int k = i - 1;
            double tau = sweep[3 * k];
            double t2 = tau * sweep[3 * k + 1];
            double u2 = sweep[3 * k + 1];
            double sum = x0 + u2 * y0;
            a[p0 + k] = x0 - sum * tau;
            a[p0 + k + 1] = y0 - sum * t2;
            sum = x1 + u2 * y1;
            a[p1 + k] = x1 - sum * tau;
            a[p1 + k + 1] = y1 - sum * t2;
            sum = x2 + u2 * y2;
            a[p2 + k] = x2 - sum * tau;
            a[p2 + k + 1] = y2 - sum * t2;
            sum = x3 + u2 * y3;
            a[p3 + k] = x3 - sum * tau;
            a[p3 + k + 1] = y3 - sum * t2;
        }
        for (; r < r1; r++) {
            for (int k = staggered ? Math.max(m, r) : m; k < i; k++) {
                reflectRow(a, r * n, k, i, sweep);
            }
        }
    }

    /**
     * Columns k..k+2 (k..k+1 for the last step, k = i−1) of the row starting at {@code row}, times the reflector of
     * step k: {@code x ← x − τ·(x·u)·uᵀ}.
     */
    private static void reflectRow(double[] a, int row, int k, int i, double[] sweep) {
        double tau = sweep[3 * k];
        double u2 = sweep[3 * k + 1];
        int p = row + k;
        if (k < i - 1) {
            double u3 = sweep[3 * k + 2];
            double sum = a[p] + u2 * a[p + 1] + u3 * a[p + 2];
            a[p] -= sum * tau;
            a[p + 1] -= sum * (tau * u2);
            a[p + 2] -= sum * (tau * u3);
        } else {
            double sum = a[p] + u2 * a[p + 1];
            a[p] -= sum * tau;
            a[p + 1] -= sum * (tau * u2);
        }
    }

    /** Rows k..k+2, columns [from, to): left multiplication by I − τ·u·uᵀ, u = (1, u2, u3). */
    private static void reflect3Rows(double[] a, int n, int k, int from, int to, double tau, double u2, double u3) {
        int r0 = k * n;
        int r1 = r0 + n;
        int r2 = r1 + n;
        double t2 = tau * u2;
        double t3 = tau * u3;
        for (int j = from; j < to; j++) {
            double sum = a[r0 + j] + u2 * a[r1 + j] + u3 * a[r2 + j];
            a[r0 + j] -= sum * tau;
            a[r1 + j] -= sum * t2;
            a[r2 + j] -= sum * t3;
        }
    }

    /** Rows k, k+1, columns [from, to): left multiplication by I − τ·u·uᵀ, u = (1, u2). */
    private static void reflect2Rows(double[] a, int n, int k, int from, int to, double tau, double u2) {
        int r0 = k * n;
        int r1 = r0 + n;
        double t2 = tau * u2;
        for (int j = from; j < to; j++) {
            double sum = a[r0 + j] + u2 * a[r1 + j];
            a[r0 + j] -= sum * tau;
            a[r1 + j] -= sum * t2;
        }
    }

    /**
     * A deflated 2×2 block at rows k, k+1: when its eigenvalues are real and distinct, rotates it to upper
     * triangular form (the first column of the rotation is an eigenvector), so that only complex pairs stay as 2×2
     * blocks. The discriminant is evaluated as LAPACK's {@code dlanv2} does, scaled against overflow.
     */
    private static void splitIfReal(double[] h, double[] z, int n, int k) {
        int k1 = k + 1;
        double a = h[k * n + k];
        double b = h[k * n + k1];
        double c = h[k1 * n + k];
        double d = h[k1 * n + k1];
        double p = 0.5 * (a - d);
        double bcmax = Math.max(Math.abs(b), Math.abs(c));
        double bcmis = Math.min(Math.abs(b), Math.abs(c)) * Math.signum(b) * Math.signum(c);
        double scale = Math.max(Math.abs(p), bcmax);
        double disc = p / scale * p + bcmax / scale * bcmis;
        if (!(disc > 0)) {
            return;
        }
        // λ1 = d + z1 with eigenvector (z1, c); the sign of p avoids cancellation
        double z1 = p + Math.copySign(Math.sqrt(scale) * Math.sqrt(disc), p);
        double r = Math.hypot(z1, c);
        double cs = z1 / r;
        double sn = c / r;
        for (int j = k; j < n; j++) {
            double x = h[k * n + j];
            double y = h[k1 * n + j];
            h[k * n + j] = cs * x + sn * y;
            h[k1 * n + j] = cs * y - sn * x;
        }
        rotateColumns(h, n, k, k1 + 1, cs, sn);
        rotateColumns(z, n, k, n, cs, sn);
        h[k1 * n + k] = 0;
    }

    /** Columns k, k+1 of rows 0..rows−1 times the rotation [[cs, −sn], [sn, cs]]. */
    private static void rotateColumns(double[] a, int n, int k, int rows, double cs, double sn) {
        for (int row = 0; row < rows; row++) {
            int p = row * n + k;
            double x = a[p];
            double y = a[p + 1];
            a[p] = cs * x + sn * y;
            a[p + 1] = cs * y - sn * x;
        }
    }
}
