package dev.titok.eval.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.titok.TitokException;
import dev.titok.image.Rounding;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inception Score against the fixture's official run (one split, ε 1e-16) and ADM's 10 splits, plus the uint8
 * conversion the official update() applies before the Inception network.
 *
 * <p>Tolerances: the probabilities come from exp and log, whose last bit differs between Java and the vectorised
 * PyTorch/NumPy kernels, and sums run in other orders; 1e-13 relative covers that (measured below 1e-14), while a
 * formula slip (ε, the split handling, a missing mean) moves the scores by far more.
 */
class InceptionScoreTest {

    private static final double RELATIVE = 1e-13;

    @TempDir
    Path dir;

    @Test
    void officialScoreOfTheFixtureLogits() {
        FrechetFixture fixture = FrechetFixture.load();
        InceptionScore score = official(fixture);

        assertThat(score.count()).isEqualTo(200);
        assertThat(score.score()).isCloseTo(fixture.scalar("is.out.is_official"), within(RELATIVE * 21));
        assertClose(score.probabilityTotal(), fixture.doubles("is.dbg.prob_total"), RELATIVE * 200);
        assertClose(score.klTotal(), fixture.doubles("is.dbg.total_kl_d"), RELATIVE * 200);
    }

    @Test
    void admScoreOfTheFixtureLogitsInTenSplits() {
        FrechetFixture fixture = FrechetFixture.load();
        double[] probabilities = InceptionScore.softmax(fixture.doubles("is.in.logits"), 200, 1008);

        InceptionScore.AdmResult tenSplits = InceptionScore.adm(probabilities, 200, 1008, 20);
        InceptionScore.AdmResult oneSplit = InceptionScore.adm(probabilities, 200, 1008, 200);

        assertThat(tenSplits.score()).isCloseTo(fixture.scalar("is.out.is_adm_10splits"), within(RELATIVE * 10));
        assertClose(tenSplits.splitScores(), fixture.doubles("is.out.is_adm_split_scores"), RELATIVE * 12);
        assertThat(oneSplit.splitScores()).hasSize(1);
        assertThat(oneSplit.score()).isCloseTo(fixture.scalar("is.dbg.is_adm_1split"), within(RELATIVE * 21));
    }

    @Test
    void admRemainderIsALastSmallerSplitWeightedLikeTheOthers() {
        double[] probabilities = InceptionScore.softmax(logits(25, 7, 1), 25, 7);

        InceptionScore.AdmResult result = InceptionScore.adm(probabilities, 25, 7, 10);

        // range(0, 25, 10): rows 0–9, 10–19, 20–24
        double[] expected = new double[3];
        for (int s = 0; s < 3; s++) {
            int to = Math.min(25, 10 * s + 10);
            double[] split = Arrays.copyOfRange(probabilities, 10 * s * 7, to * 7);
            expected[s] = InceptionScore.adm(split, to - 10 * s, 7, 10).score();
        }
        assertThat(result.splitScores()).containsExactly(expected);
        assertThat(result.score()).isEqualTo((expected[0] + expected[1] + expected[2]) / 3);
    }

    @Test
    void mergeSaveAndLoadKeepTheSums() {
        double[] logits = logits(30, 5, 2);
        InceptionScore whole = new InceptionScore(5);
        whole.add(logits, 30);
        InceptionScore first = new InceptionScore(5);
        InceptionScore second = new InceptionScore(5);
        first.add(Arrays.copyOfRange(logits, 0, 50), 10);
        second.add(Arrays.copyOfRange(logits, 50, 150), 20);
        Path file = dir.resolve("is.npz");

        first.merge(second);
        first.save(file);
        InceptionScore loaded = InceptionScore.load(file);

        assertThat(loaded.count()).isEqualTo(30);
        assertThat(loaded.probabilityTotal()).isEqualTo(first.probabilityTotal());
        assertThat(loaded.klTotal()).isEqualTo(first.klTotal());
        assertThat(loaded.score()).isEqualTo(first.score()).isCloseTo(whole.score(), within(1e-13));
    }

    @Test
    void floatLogitsAreWidenedExactly() {
        float[] logits = {0.5f, -1.25f, 3f, 0.1f};
        InceptionScore fromFloats = new InceptionScore(2);
        InceptionScore fromDoubles = new InceptionScore(2);

        fromFloats.add(logits, 2);
        fromDoubles.add(new double[] {0.5f, -1.25f, 3f, 0.1f}, 2);

        assertThat(fromFloats.score()).isEqualTo(fromDoubles.score());
    }

    @Test
    void explainsMisuse() {
        InceptionScore score = new InceptionScore(4);

        assertThatThrownBy(score::score).isInstanceOf(TitokException.class).hasMessage("Inception Score: no examples to evaluate");
        assertThatThrownBy(() -> score.add(new double[7], 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 2 rows of 4 logits (8 values), got 7");
        assertThatThrownBy(() -> score.merge(new InceptionScore(3))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InceptionScore.adm(new double[8], 2, 4, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * update() feeds the network {@code (x * 255).to(uint8)}: a float32 product, truncated. Originals (exact k/255)
     * come back as k; reconstructions were rounded half-even first by train_utils, so overall they are rounded.
     */
    @Test
    void uint8ConversionOfTheOfficialUpdate() {
        FrechetFixture fixture = FrechetFixture.load();

        assertThat(levels(fixture, "quant.in.fake_float", Rounding.TRUNCATE)).isEqualTo(fixture.tensor("quant.out.fake_uint8").toLongs());
        assertThat(levels(fixture, "quant.in.real_float", Rounding.TRUNCATE)).isEqualTo(fixture.tensor("quant.out.real_uint8").toLongs());
        assertThat(levels(fixture, "quant.in.fake_float", Rounding.ROUND_HALF_EVEN))
                .isEqualTo(fixture.tensor("quant.out.fake_train_pipeline_uint8").toLongs());
    }

    private static long[] levels(FrechetFixture fixture, String name, Rounding rounding) {
        float[] values = fixture.tensor(name).toFloats();
        long[] levels = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            levels[i] = rounding.toLevel(values[i]);
        }
        return levels;
    }

    /** The official accumulator fed the fixture's logits in its batches of 50. */
    private static InceptionScore official(FrechetFixture fixture) {
        double[] logits = fixture.doubles("is.in.logits");
        InceptionScore score = new InceptionScore(1008);
        for (int from = 0; from < 200; from += FrechetFixture.BATCH) {
            score.add(Arrays.copyOfRange(logits, from * 1008, (from + FrechetFixture.BATCH) * 1008), FrechetFixture.BATCH);
        }
        return score;
    }

    private static double[] logits(int rows, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] logits = new double[rows * classes];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = random.nextDouble(-3, 3);
        }
        return logits;
    }

    private static void assertClose(double[] actual, double[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }
}
