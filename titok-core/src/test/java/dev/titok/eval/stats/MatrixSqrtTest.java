package dev.titok.eval.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * SciPy 1.13's sqrtm on matrices whose roots are known, and the real Schur form behind it. The expected values of the
 * small cases are what SciPy 1.13 returns (its own test suite has the nilpotent one).
 */
class MatrixSqrtTest {

    @Test
    void rootOfAPositiveDiagonalIsReal() {
        MatrixSqrt.Result root = MatrixSqrt.sqrtm(new double[] {4, 0, 0, 0, 9, 0, 0, 0, 0.25}, 3);

        assertThat(root.real()).containsExactly(2, 0, 0, 0, 3, 0, 0, 0, 0.5);
        assertThat(root.complex()).isFalse();
        assertThat(root.failed()).isFalse();
        assertThat(root.trace()).isEqualTo(5.5);
    }

    @Test
    void rotationHasComplexEigenvaluesAndARealRoot() {
        // eigenvalues ±i: a 2×2 block of the real Schur form, so SciPy goes complex; the root, the rotation by 45°,
        // is real
        MatrixSqrt.Result root = MatrixSqrt.sqrtm(new double[] {0, -1, 1, 0}, 2);

        double c = Math.sqrt(0.5);
        assertThat(root.complex()).isTrue();
        assertClose(root.real(), new double[] {c, -c, c, c}, 1e-15);
        assertThat(root.maxAbsImag()).isLessThan(1e-15);
    }

    @Test
    void negativeEigenvalueGivesAnImaginaryRoot() {
        MatrixSqrt.Result diagonal = MatrixSqrt.sqrtm(new double[] {4, 0, 0, -9}, 2);
        // upper triangular with eigenvalues −1 and 4: R = [[i, 1/(i + 2)], [0, 2]], 1/(i + 2) = 0.4 − 0.2i
        MatrixSqrt.Result triangular = MatrixSqrt.sqrtm(new double[] {-1, 1, 0, 4}, 2);

        assertThat(diagonal.complex()).isTrue();
        assertThat(diagonal.real()).containsExactly(2, 0, 0, 0);
        assertThat(diagonal.maxAbsImagDiagonal()).isEqualTo(3);
        assertClose(triangular.real(), new double[] {0, 0.4, 0, 2}, 1e-16);
        assertThat(triangular.maxAbsImagDiagonal()).isEqualTo(1);
        assertThat(triangular.maxAbsImag()).isEqualTo(1);
    }

    @Test
    void nilpotentMatrixHasNoRoot() {
        MatrixSqrt.Result root = MatrixSqrt.sqrtm(new double[] {0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0}, 4);

        assertThat(root.failed()).isTrue();
        assertThat(root.isFinite()).isFalse();
        assertThat(root.real()).containsOnly(Double.NaN);
        assertThat(root.complex()).isFalse();
    }

    @Test
    void zeroMatrixIsItsOwnRoot() {
        MatrixSqrt.Result root = MatrixSqrt.sqrtm(new double[9], 3);

        assertThat(root.failed()).isFalse();
        assertThat(root.real()).containsOnly(0.0);
    }

    @Test
    void zeroDenominatorBetweenBlocksIsPerturbedLikeLapacksTrsyl() {
        // 128 rows are two blocks of 64; R_00 + R_127,127 = 0 with T_0,127 = 1 would fail within a block, but SciPy
        // solves across blocks with ?trsyl, which divides by smin = safmin·64·64/ulp instead
        int n = 128;
        double[] a = new double[n * n];
        a[n - 1] = 1;

        MatrixSqrt.Result root = MatrixSqrt.sqrtm(a, n);

        assertThat(root.failed()).isFalse();
        assertThat(root.real()[n - 1]).isEqualTo(1 / (Double.MIN_NORMAL * 64 * 64 / Math.ulp(1.0)));
        assertThat(root.trace()).isZero();
    }

    @Test
    void rootSquaresBackAcrossBlocksAndComplexPairs() {
        // 150 rows: two blocks of 75. A Gaussian matrix has eigenvalues in a disk of radius ~√n, here shifted to
        // the right half-plane, so the principal root is real although SciPy's path is complex
        int n = 150;
        double[] a = gaussian(n, 5);
        for (int i = 0; i < n; i++) {
            a[i * n + i] += 2 * Math.sqrt(n);
        }

        MatrixSqrt.Result root = MatrixSqrt.sqrtm(a, n);

        assertThat(root.complex()).isTrue();
        assertThat(root.maxAbsImag()).isLessThan(1e-12);
        assertClose(Dense.multiply(root.real(), root.real(), n), a, 1e-11 * max(a));
    }

    @Test
    void rootOfASymmetricPositiveDefiniteMatrixSquaresBack() {
        int n = 70;
        double[] b = gaussian(n, 11);
        double[] a = Dense.multiply(b, Dense.transpose(b, n), n);

        MatrixSqrt.Result root = MatrixSqrt.sqrtm(a, n);

        assertThat(root.complex()).isFalse();
        assertClose(Dense.multiply(root.real(), root.real(), n), a, 1e-12 * max(a));
    }

    @Test
    void realSchurFormIsQuasiTriangularWithOnlyComplexPairBlocks() {
        int n = 40;
        double[] a = gaussian(n, 3);

        RealSchur schur = RealSchur.of(a, n);

        double[] t = schur.t;
        double[] z = schur.z;
        assertClose(Dense.multiply(Dense.transpose(z, n), z, n), identity(n), 1e-13);
        assertClose(Dense.multiply(Dense.multiply(z, t, n), Dense.transpose(z, n), n), a, 1e-12 * max(a));
        int blocks = 0;
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i - 1; j++) {
                assertThat(t[i * n + j]).as("T[%d, %d]", i, j).isZero();
            }
            double sub = t[i * n + i - 1];
            if (sub != 0) {
                blocks++;
                if (i >= 2) {
                    assertThat(t[(i - 1) * n + i - 2]).as("no 2×2 blocks next to each other").isZero();
                }
                double half = (t[(i - 1) * n + i - 1] - t[i * n + i]) / 2;
                assertThat(half * half + t[(i - 1) * n + i] * sub).as("block at %d has complex eigenvalues", i).isNegative();
            }
        }
        assertThat(blocks).isPositive();
    }

    @Test
    void blocksAreScipys() {
        assertThat(MatrixSqrt.blockStarts(10)).containsExactly(0, 10);
        assertThat(MatrixSqrt.blockStarts(130)).containsExactly(0, 65, 130);
        // 191 = 2 blocks: the small one first
        assertThat(MatrixSqrt.blockStarts(191)).containsExactly(0, 95, 191);
        int[] starts = MatrixSqrt.blockStarts(2048);
        assertThat(starts).hasSize(33);
        assertThat(starts[1]).isEqualTo(64);
        assertThat(starts[32]).isEqualTo(2048);
    }

    @Test
    void refusesNonFiniteOrMisshapenInput() {
        assertThatThrownBy(() -> MatrixSqrt.sqrtm(new double[] {1, Double.NaN, 0, 1}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sqrtm: the matrix has non-finite entries");
        assertThatThrownBy(() -> MatrixSqrt.sqrtm(new double[5], 2)).isInstanceOf(IllegalArgumentException.class);
    }

    private static double[] gaussian(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] a = new double[n * n];
        for (int i = 0; i < a.length; i++) {
            // Box–Muller
            a[i] = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
        }
        return a;
    }

    private static double[] identity(int n) {
        double[] eye = new double[n * n];
        for (int i = 0; i < n; i++) {
            eye[i * n + i] = 1;
        }
        return eye;
    }

    private static double max(double[] a) {
        return Arrays.stream(a).map(Math::abs).max().orElseThrow();
    }

    private static void assertClose(double[] actual, double[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }
}
