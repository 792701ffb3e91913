package dev.titok.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.titok.TitokException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearProbeTest {

    /**
     * Ten Gaussian clusters far apart in 20 dimensions, on a large offset and scale that only the BatchNorm removes:
     * linearly separable, so the default recipe must classify (nearly) all held-out points. LARS moves the weight
     * matrix by about lr·0.001·‖W‖ per step, so the set has to give enough steps for the weights to leave their start.
     */
    @Test
    void separableClustersAreLearned() {
        Random random = new Random(11);
        double[][] centres = new double[10][20];
        for (double[] centre : centres) {
            for (int j = 0; j < centre.length; j++) {
                centre[j] = 3 * random.nextGaussian();
            }
        }
        LinearProbe.Features train = clusters(centres, 20_000, random);
        LinearProbe.Features test = clusters(centres, 2_000, random);
        LinearProbe.Result result = LinearProbe.train(train, test, LinearProbe.Settings.DEFAULT.withEpochs(30, 3),
                p -> { });
        assertThat(result.testAccuracy()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.trainAccuracy()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.batchSize()).isEqualTo(1024);
        assertThat(result.steps()).isEqualTo(30L * (20_000 / 1024));
        assertThat(result.peakLr()).as("MAE's peak lr, 0.1 · 16384 / 256").isEqualTo(6.4);
    }

    /**
     * The loss of every step against an independent NumPy transcription of the recipe (BatchNorm1d train-mode
     * statistics, softmax cross-entropy gradients, MAE's LARS and lr_sched, java.util.Random's Gaussian for the
     * initial weights) on 12 examples in one full batch, 6 epochs with 2 of warm-up, base lr 50 and weight decay 0.01;
     * the training accuracy with the running statistics was 5/12 there too.
     */
    @Test
    void stepLossesMatchAnIndependentNumpyRun() {
        Random random = new Random(3);
        float[][] vectors = new float[12][5];
        int[] labels = new int[12];
        for (int i = 0; i < 12; i++) {
            labels[i] = i % 3;
            for (int j = 0; j < 5; j++) {
                vectors[i][j] = (float) (random.nextGaussian() + (j == labels[i] ? 1.5 : 0));
            }
        }
        LinearProbe.Features data = new LinearProbe.Features(vectors, labels, 3);
        List<Double> losses = new ArrayList<>();
        LinearProbe.Result result = LinearProbe.train(data, data, new LinearProbe.Settings(6, 2, 12, 50.0, 0.01, 42),
                p -> losses.add(p.loss()));
        double[] numpy = {1.0963495281280302, 1.0963495281280302, 1.0962981824844618, 1.0961517202439215,
            1.0959930699721285, 1.0958823862321863};
        assertThat(losses).hasSize(numpy.length);
        for (int i = 0; i < numpy.length; i++) {
            assertThat(losses.get(i)).as("step %d", i + 1).isCloseTo(numpy[i], within(1e-13));
        }
        assertThat(result.trainAccuracy()).isEqualTo(5 / 12.0);
    }

    /** p = (3, 4), grad = (0.6, 0.8), wd 0.5: dp = (2.1, 2.8), ‖p‖ = 5, ‖dp‖ = 3.5, q = 0.001·5/3.5 = 1/700. */
    @Test
    void larsStepMatchesAHandComputation() {
        double[] p = {3, 4};
        double[] mu = {0.01, -0.02};
        LinearProbe.larsStep(p, new double[] {0.6, 0.8}, mu, 2.0, 0.5, true);
        // dp = (0.003, 0.004); mu = 0.9·(0.01, −0.02) + dp = (0.012, −0.014); p −= 2·mu
        assertThat(mu[0]).isCloseTo(0.012, within(1e-15));
        assertThat(mu[1]).isCloseTo(-0.014, within(1e-15));
        assertThat(p[0]).isCloseTo(2.976, within(1e-15));
        assertThat(p[1]).isCloseTo(4.028, within(1e-15));

        double[] bias = {1};
        double[] biasMu = {0.2};
        LinearProbe.larsStep(bias, new double[] {0.5}, biasMu, 0.1, 0.5, false);    // no decay, no trust ratio
        assertThat(biasMu[0]).isCloseTo(0.68, within(1e-15));
        assertThat(bias[0]).isCloseTo(0.932, within(1e-15));

        double[] zero = {0, 0};
        double[] zeroMu = {0, 0};
        LinearProbe.larsStep(zero, new double[] {1, 2}, zeroMu, 0.5, 0.0, true);    // ‖p‖ = 0: q = 1
        assertThat(zero).containsExactly(-0.5, -1.0);
    }

    @Test
    void learningRateWarmsUpThenFollowsAHalfCosine() {
        double peak = 0.4;
        assertThat(LinearProbe.learningRate(0, peak, 10, 90)).isZero();
        assertThat(LinearProbe.learningRate(2.5, peak, 10, 90)).isCloseTo(0.1, within(1e-15));
        assertThat(LinearProbe.learningRate(10, peak, 10, 90)).isCloseTo(0.4, within(1e-15));
        assertThat(LinearProbe.learningRate(50, peak, 10, 90)).isCloseTo(0.2, within(1e-15));
        assertThat(LinearProbe.learningRate(70, peak, 10, 90)).isCloseTo(0.2 * (1 - Math.sqrt(0.5)), within(1e-15));
        assertThat(LinearProbe.learningRate(90, peak, 10, 90)).isCloseTo(0, within(1e-15));
    }

    /** 100 examples, batch 50: two steps per epoch, so the schedule is read at epochs 0, 0.5, 1, 1.5, 2, ... */
    @Test
    void trainingReadsTheScheduleAtFractionalEpochs() {
        LinearProbe.Features data = clusters(new double[][] {{1, 0}, {0, 1}}, 100, new Random(2));
        List<LinearProbe.Progress> steps = new ArrayList<>();
        LinearProbe.Result result = LinearProbe.train(data, data, new LinearProbe.Settings(4, 2, 50, 0.1, 0, 0),
                steps::add);
        double peak = 0.1 * 50 / 256;
        assertThat(result.peakLr()).isEqualTo(peak);
        double[] expected = {0, peak / 4, peak / 2, 3 * peak / 4, peak, peak * 0.5 * (1 + Math.cos(Math.PI / 4)),
            peak / 2, peak * 0.5 * (1 + Math.cos(3 * Math.PI / 4))};
        assertThat(steps).hasSize(8);
        for (int i = 0; i < 8; i++) {
            assertThat(steps.get(i).lr()).as("step %d", i).isCloseTo(expected[i], within(1e-15));
            assertThat(steps.get(i).epoch()).isEqualTo(i / 2);
            assertThat(steps.get(i).step()).isEqualTo(i + 1);
            assertThat(steps.get(i).totalSteps()).isEqualTo(8);
        }
    }

    /**
     * With the whole set as one batch, every step sees the same statistics: after s steps the running mean is
     * (1 − 0.9^s)·mean and the running variance 0.9^s + (1 − 0.9^s)·unbiased variance, as BatchNorm1d computes.
     */
    @Test
    void runningStatisticsFollowBatchNormWithTheUnbiasedVariance() {
        float[][] vectors = {{1, 10}, {2, 10}, {4, 13}, {9, 11}};
        int[] labels = {0, 1, 0, 1};
        LinearProbe.Features data = new LinearProbe.Features(vectors, labels, 2);
        double[] mean = {4, 11};
        double[] unbiased = {(9 + 4 + 0 + 25) / 3.0, (1 + 1 + 4 + 0) / 3.0};
        for (int steps = 1; steps <= 2; steps++) {
            LinearProbe probe = LinearProbe.train(data, data, new LinearProbe.Settings(steps, 0, 4, 0.1, 0, 0), p -> { })
                    .probe();
            double kept = Math.pow(0.9, steps);
            for (int j = 0; j < 2; j++) {
                assertThat(probe.runningMean()[j]).isCloseTo((1 - kept) * mean[j], within(1e-12));
                assertThat(probe.runningVariance()[j]).isCloseTo(kept + (1 - kept) * unbiased[j], within(1e-12));
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameProbeAndAnotherSeedAnother() {
        Random random = new Random(5);
        double[][] centres = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
        LinearProbe.Features train = clusters(centres, 300, random, 0.8);
        LinearProbe.Features test = clusters(centres, 100, random, 0.8);
        LinearProbe.Settings settings = new LinearProbe.Settings(5, 1, 64, 0.1, 0, 7);
        LinearProbe.Result first = LinearProbe.train(train, test, settings, p -> { });
        LinearProbe.Result again = LinearProbe.train(train, test, settings, p -> { });
        LinearProbe.Result other = LinearProbe.train(train, test, settings.withSeed(8), p -> { });
        assertThat(again.lastLoss()).isEqualTo(first.lastLoss());
        assertThat(again.testAccuracy()).isEqualTo(first.testAccuracy());
        assertThat(again.probe().predict(test.vectors())).containsExactly(first.probe().predict(test.vectors()));
        assertThat(other.lastLoss()).isNotEqualTo(first.lastLoss());
    }

    @Test
    void aSetSmallerThanABatchIsOneBatch() {
        LinearProbe.Features data = clusters(new double[][] {{1, 0}, {0, 1}}, 30, new Random(4));
        LinearProbe.Result result = LinearProbe.train(data, data, LinearProbe.Settings.DEFAULT.withEpochs(3, 1),
                p -> { });
        assertThat(result.batchSize()).isEqualTo(30);
        assertThat(result.steps()).isEqualTo(3);
        assertThat(result.peakLr()).isEqualTo(1.6 * 30 / 256);
    }

    @Test
    void badInputsAreRefused() {
        assertThatThrownBy(() -> new LinearProbe.Settings(10, 10, 64, 0.1, 0, 0)).isInstanceOf(TitokException.class)
                .hasMessageContaining("warm-up");
        assertThatThrownBy(() -> new LinearProbe.Settings(10, 1, 1, 0.1, 0, 0)).isInstanceOf(TitokException.class)
                .hasMessageContaining("at least 2");
        assertThatThrownBy(() -> new LinearProbe.Features(new float[][] {{1}, {2}}, new int[] {0, 2}, 2))
                .isInstanceOf(TitokException.class).hasMessageContaining("label 2");
        LinearProbe.Features two = new LinearProbe.Features(new float[][] {{1, 2}, {2, 1}}, new int[] {0, 1}, 2);
        LinearProbe.Features three = new LinearProbe.Features(new float[][] {{1, 2, 3}}, new int[] {0}, 2);
        assertThatThrownBy(() -> LinearProbe.train(two, three, LinearProbe.Settings.DEFAULT, p -> { }))
                .isInstanceOf(TitokException.class).hasMessageContaining("do not match");
    }

    private static LinearProbe.Features clusters(double[][] centres, int n, Random random) {
        return clusters(centres, n, random, 0.3);
    }

    /** Example i of class i mod C: its centre plus noise of the given std, then ×100 + 50 in every dimension. */
    private static LinearProbe.Features clusters(double[][] centres, int n, Random random, double noise) {
        int d = centres[0].length;
        float[][] vectors = new float[n][d];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % centres.length;
            for (int j = 0; j < d; j++) {
                vectors[i][j] = (float) (100 * (centres[labels[i]][j] + noise * random.nextGaussian()) + 50);
            }
        }
        return new LinearProbe.Features(vectors, labels, centres.length);
    }
}
