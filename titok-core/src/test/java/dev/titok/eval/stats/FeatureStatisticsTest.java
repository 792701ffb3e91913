package dev.titok.eval.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The running feature sums: official order, any batching, merging, and saving for a resumed evaluation. */
class FeatureStatisticsTest {

    @TempDir
    Path dir;

    @Test
    void blockedUpdateEqualsTheOfficialPerSampleLoopBitForBit() {
        // 100 × 256² is enough work for the parallel tiles
        int n = 100;
        int d = 256;
        double[] features = features(n, d, 1);

        FeatureStatistics statistics = new FeatureStatistics(d);
        statistics.add(features, n);

        double[] total = new double[d];
        double[] outer = new double[d * d];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < d; i++) {
                total[i] += features[k * d + i];
                for (int j = 0; j < d; j++) {
                    outer[i * d + j] += features[k * d + i] * features[k * d + j];
                }
            }
        }
        assertThat(statistics.count()).isEqualTo(n);
        assertThat(statistics.total()).isEqualTo(total);
        assertThat(statistics.outerSums()).isEqualTo(outer);
    }

    @Test
    void batchingDoesNotChangeTheSums() {
        int d = 12;
        double[] features = features(30, d, 2);
        FeatureStatistics whole = new FeatureStatistics(d);
        FeatureStatistics pieces = new FeatureStatistics(d);

        whole.add(features, 30);
        pieces.add(Arrays.copyOfRange(features, 0, 7 * d), 7);
        pieces.add(new double[0], 0);
        pieces.add(Arrays.copyOfRange(features, 7 * d, 30 * d), 23);

        assertThat(pieces.outerSums()).isEqualTo(whole.outerSums());
        assertThat(pieces.total()).isEqualTo(whole.total());
        assertThat(pieces.covariance()).isEqualTo(whole.covariance());
    }

    @Test
    void floatFeaturesAreWidenedExactly() {
        float[] features = {0.1f, 2.5f, -3.25f, 1e-3f};
        double[] wide = {0.1f, 2.5f, -3.25f, 1e-3f};
        FeatureStatistics fromFloats = new FeatureStatistics(2);
        FeatureStatistics fromDoubles = new FeatureStatistics(2);

        fromFloats.add(features, 2);
        fromDoubles.add(wide, 2);

        assertThat(fromFloats.outerSums()).isEqualTo(fromDoubles.outerSums());
    }

    @Test
    void meanAndCovarianceFollowTheOfficialFormulas() {
        FeatureStatistics statistics = new FeatureStatistics(2);
        statistics.add(new double[] {1, 2, 3, 6, 5, 4}, 3);

        assertThat(statistics.mean()).containsExactly(3, 4);
        // (Σ f·fᵀ − Σf·Σfᵀ/n)/(n − 1) = ([[35, 40], [40, 56]] − [[27, 36], [36, 48]]) / 2
        assertThat(statistics.covariance()).containsExactly(4, 2, 2, 4);
        assertThat(statistics.toFid()).isEqualTo(new FidStatistics(new double[] {3, 4}, new double[] {4, 2, 2, 4}));
    }

    @Test
    void emptySumsGiveZeroCovarianceAndNanMean() {
        FeatureStatistics empty = new FeatureStatistics(3);

        assertThat(empty.covariance()).containsOnly(0.0);
        assertThat(empty.mean()).containsOnly(Double.NaN);
    }

    @Test
    void mergedHalvesMatchTheWholeUpToRounding() {
        int d = 16;
        double[] features = features(40, d, 3);
        FeatureStatistics whole = new FeatureStatistics(d);
        FeatureStatistics first = new FeatureStatistics(d);
        FeatureStatistics second = new FeatureStatistics(d);
        whole.add(features, 40);
        first.add(Arrays.copyOfRange(features, 0, 25 * d), 25);
        second.add(Arrays.copyOfRange(features, 25 * d, 40 * d), 15);

        first.merge(second);

        assertThat(first.count()).isEqualTo(40);
        double[] merged = first.covariance();
        double[] expected = whole.covariance();
        for (int i = 0; i < expected.length; i++) {
            assertThat(merged[i]).isCloseTo(expected[i], within(1e-12));
        }
    }

    @Test
    void savesAndLoadsTheRawSumsExactly() {
        int d = 5;
        FeatureStatistics statistics = new FeatureStatistics(d);
        statistics.add(features(9, d, 4), 9);
        Path file = dir.resolve("real.npz");

        statistics.save(file);
        FeatureStatistics loaded = FeatureStatistics.load(file);

        assertThat(loaded.dim()).isEqualTo(d);
        assertThat(loaded.count()).isEqualTo(9);
        assertThat(loaded.total()).isEqualTo(statistics.total());
        assertThat(loaded.outerSums()).isEqualTo(statistics.outerSums());
        double[] more = features(3, d, 5);
        loaded.add(more, 3);
        statistics.add(more, 3);
        assertThat(loaded.covariance()).isEqualTo(statistics.covariance());
    }

    @Test
    void explainsFilesThatAreNotSavedSums() {
        Path stats = dir.resolve("stats.npz");
        Path shapes = dir.resolve("shapes.npz");
        new FidStatistics(new double[] {1}, new double[] {2}).write(stats);
        Npz.write(shapes, Map.of(
                "count", HostTensor.ofLongs(new long[0], new long[] {2}),
                "total", HostTensor.ofDoubles(new long[] {2}, new double[2]),
                "outer_sum", HostTensor.ofDoubles(new long[] {2, 3}, new double[6])));

        assertThatThrownBy(() -> FeatureStatistics.load(stats))
                .isInstanceOf(TitokException.class)
                .hasMessage(stats + ": no array 'total'; it holds mu, sigma (not a file written by this program?)");
        assertThatThrownBy(() -> FeatureStatistics.load(shapes))
                .isInstanceOf(TitokException.class)
                .hasMessage(shapes + ":outer_sum: expected a F64 array of shape [2, 2], found F64 [2, 3]");
    }

    @Test
    void refusesMismatchedDimensions() {
        FeatureStatistics statistics = new FeatureStatistics(4);

        assertThatThrownBy(() -> statistics.add(new double[7], 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 2 features of dimension 4 (8 values), got 7 values");
        assertThatThrownBy(() -> statistics.merge(new FeatureStatistics(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot merge statistics of dimension 3 into dimension 4");
        assertThatThrownBy(() -> new FeatureStatistics(0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static double[] features(int n, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] features = new double[n * d];
        for (int i = 0; i < features.length; i++) {
            // non-negative like pooled ReLU activations, with exact zeros
            features[i] = Math.max(0, random.nextDouble(-0.5, 2));
        }
        return features;
    }
}
