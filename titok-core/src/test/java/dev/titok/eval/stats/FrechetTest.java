package dev.titok.eval.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The branches of the two FID formulas that natural covariance products do not reach. */
class FrechetTest {

    private static final FidStatistics A = new FidStatistics(new double[] {1, 2}, new double[] {2, 0.5, 0.5, 1});
    private static final FidStatistics B = new FidStatistics(new double[] {0, 1}, new double[] {1, -0.25, -0.25, 3});

    @Test
    void officialFormulaOnSmallStatistics() {
        Frechet.Result r = Frechet.rfid(A, B);

        double traceCovmean = MatrixSqrt.sqrtm(Dense.multiply(A.sigma(), B.sigma(), 2), 2).trace();
        assertThat(r.meanTerm()).isEqualTo(2);
        assertThat(r.traceReal()).isEqualTo(3);
        assertThat(r.traceFake()).isEqualTo(4);
        assertThat(r.traceCovmean()).isEqualTo(traceCovmean);
        assertThat(r.fid()).isEqualTo(2 + 3 + 4 - 2 * traceCovmean);
        assertThat(r.usedFallback()).isFalse();
    }

    @Test
    void admRetriesWithEpsilonOnTheDiagonalsWhenTheRootFails() {
        List<double[]> products = new ArrayList<>();
        Frechet.SquareRoot failingOnce = (a, n) -> {
            products.add(a.clone());
            return products.size() == 1 ? MatrixSqrt.failure(n) : MatrixSqrt.sqrtm(a, n);
        };

        Frechet.Result r = Frechet.admDistance(A, B, failingOnce);

        double eps = Frechet.FALLBACK_EPS;
        double[] shifted = Dense.multiply(new double[] {2 + eps, 0.5, 0.5, 1 + eps}, new double[] {1 + eps, -0.25, -0.25, 3 + eps}, 2);
        assertThat(products).hasSize(2);
        assertThat(products.get(1)).isEqualTo(shifted);
        assertThat(r.usedFallback()).isTrue();
        // the traces of the covariances themselves stay unshifted; A is the sample, B the reference
        assertThat(r.traceFake()).isEqualTo(3);
        assertThat(r.traceReal()).isEqualTo(4);
        assertThat(r.fid()).isEqualTo(2 + 3 + 4 - 2 * MatrixSqrt.sqrtm(shifted, 2).trace());
    }

    @Test
    void rootWithALargeImaginaryDiagonalIsAnError() {
        Frechet.SquareRoot imaginary = (a, n) -> new MatrixSqrt.Result(n, new double[n * n], true, 2e-3, 5e-3, false);
        Frechet.SquareRoot nan = (a, n) -> new MatrixSqrt.Result(n, new double[n * n], true, Double.NaN, Double.NaN, false);
        Frechet.SquareRoot small = (a, n) -> new MatrixSqrt.Result(n, new double[n * n], true, 1e-3, 0.5, false);

        assertThatThrownBy(() -> Frechet.rfid(A, B, imaginary))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("imaginary component of sqrtm(Σ1·Σ2) is too large to drop: max |imag| 0.00200 on the diagonal");
        assertThatThrownBy(() -> Frechet.admDistance(A, B, imaginary)).isInstanceOf(TitokException.class);
        assertThatThrownBy(() -> Frechet.rfid(A, B, nan)).isInstanceOf(TitokException.class);
        // np.allclose(…, atol=1e-3) accepts 1e-3 itself, and looks at the diagonal only
        assertThat(Frechet.rfid(A, B, small).traceCovmean()).isZero();
    }

    @Test
    void needsTwoFeaturesAndMatchingFiniteStatistics() {
        FeatureStatistics one = new FeatureStatistics(2);
        one.add(new double[] {1, 2}, 1);
        FidStatistics other = new FidStatistics(new double[] {0, 0, 0}, new double[9]);
        FidStatistics infinite = new FidStatistics(new double[] {0, 0}, new double[] {Double.POSITIVE_INFINITY, 0, 0, 1});

        assertThatThrownBy(() -> Frechet.rfid(one, one))
                .isInstanceOf(TitokException.class)
                .hasMessage("rFID needs at least 2 features on each side for a covariance; got 1 real and 1 reconstructed");
        assertThatThrownBy(() -> Frechet.rfid(A, other))
                .isInstanceOf(TitokException.class)
                .hasMessage("FID: the statistics have different dimensions, 2 and 3");
        assertThatThrownBy(() -> Frechet.admDistance(A, infinite))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith("FID: a covariance has non-finite entries");
    }

    @Test
    void statisticsRoundTripThroughAnNpz(@TempDir Path dir) {
        Path file = dir.resolve("ref.npz");

        A.write(file);

        assertThat(FidStatistics.read(file)).isEqualTo(A);
    }
}
