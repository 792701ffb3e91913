package dev.titok.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.data.Dataset;
import dev.titok.data.SyntheticShapes;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconstruction evaluation on a tiny random tokenizer and a random classifier as feature space: the figures are
 * consistent with each other, and an evaluation interrupted after a saved state ends with exactly the figures of an
 * uninterrupted one.
 */
class ReconstructionEvaluationTest {

    private static final TransformerSize TINY = new TransformerSize("tiny", 32, 1, 2, 2.0);
    private static final TiTokConfig CONFIG = new TiTokConfig("tiny", TINY, TINY, 8, 8, 32, 8, 8, QuantizeMode.VQ, 64,
            true, 0.25, false, false, 1e-5, null);

    private static TiTok titok;
    private static ClassifierSpace space;
    private static final Dataset DATA = new SyntheticShapes(32, 40, 7);

    @TempDir
    Path dir;

    @BeforeAll
    static void models() {
        titok = TiTok.random(CONFIG, 3);
        space = ClassifierSpace.of(Classifier.random(10, 32, 5), "a random test classifier");
    }

    @AfterAll
    static void close() {
        titok.close();
        space.close();
    }

    private static ReconstructionEvaluation.Settings settings() {
        return new ReconstructionEvaluation.Settings(8, 4, 5, space, null, 8);
    }

    @Test
    void theFiguresAgreeWithEachOther() {
        ReconstructionEvaluation.Result r = ReconstructionEvaluation.run(titok, DATA, settings(), done -> { });
        assertThat(r.images()).isEqualTo(40);
        assertThat(r.perClass()).hasSize(10);
        assertThat(r.perClass().stream().mapToInt(ReconstructionEvaluation.ClassResult::images).sum()).isEqualTo(40);
        double weighted = r.perClass().stream().filter(c -> c.images() > 0).mapToDouble(c -> c.psnr() * c.images()).sum() / 40;
        assertThat(r.psnr()).isCloseTo(weighted, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(r.ssim()).isBetween(-1.0, 1.0);
        assertThat(r.codebookUsage()).isBetween(1.0 / 64, 1.0);
        assertThat(r.fid().fid()).isPositive();
        assertThat(r.inceptionScore()).isBetween(1.0, 10.0);
        assertThat(r.featureSpace()).contains("NOT Inception");
        assertThat(r.first()).hasSize(4);
        assertThat(r.first().get(0).index()).isZero();
        assertThat(r.worst()).hasSize(5);
        List<Double> worst = r.worst().stream().map(ReconstructionEvaluation.Shown::psnr).toList();
        assertThat(worst).isSorted();
        assertThat(r.first().stream().mapToDouble(ReconstructionEvaluation.Shown::psnr).min().orElseThrow())
                .isGreaterThanOrEqualTo(worst.get(0));
    }

    @Test
    void aResumedEvaluationEndsWithTheUninterruptedFigures() {
        ReconstructionEvaluation.Result whole = ReconstructionEvaluation.run(titok, DATA, settings(), done -> { });
        Path state = dir.resolve("recon.state.npz");
        ReconstructionEvaluation.Settings saving = settings().withState(state, 8);
        assertThatThrownBy(() -> ReconstructionEvaluation.run(titok, DATA, saving, done -> {
            if (done == 24) {
                throw new IllegalStateException("interrupted");
            }
        })).hasMessage("interrupted");
        assertThat(state).exists();
        int[] resumedFrom = {-1};
        ReconstructionEvaluation.Result resumed = ReconstructionEvaluation.run(titok, DATA, saving, done -> {
            if (resumedFrom[0] < 0) {
                resumedFrom[0] = done;
            }
        });
        assertThat(resumedFrom[0]).as("the first progress report after resuming: the state saved before the interruption").isEqualTo(24);
        assertThat(resumed.psnr()).isEqualTo(whole.psnr());
        assertThat(resumed.ssim()).isEqualTo(whole.ssim());
        assertThat(resumed.codebookEntropy()).isEqualTo(whole.codebookEntropy());
        assertThat(resumed.fid().fid()).isEqualTo(whole.fid().fid());
        assertThat(resumed.inceptionScore()).isEqualTo(whole.inceptionScore());
        assertThat(resumed.perClass()).isEqualTo(whole.perClass());
        assertThat(resumed.worst().stream().map(ReconstructionEvaluation.Shown::index).toList())
                .isEqualTo(whole.worst().stream().map(ReconstructionEvaluation.Shown::index).toList());
        assertThat(resumed.first().get(3).reconstruction()).isEqualTo(whole.first().get(3).reconstruction());
    }

    @Test
    void aStateOfAnotherEvaluationIsRefused() throws Exception {
        Path state = dir.resolve("other.npz");
        ReconstructionEvaluation.run(titok, DATA, settings().withState(state, 8), done -> { });
        ReconstructionEvaluation.Settings otherBatch = new ReconstructionEvaluation.Settings(4, 4, 5, space, state, 8);
        assertThatThrownBy(() -> ReconstructionEvaluation.run(titok, DATA, otherBatch, done -> { }))
                .isInstanceOf(TitokException.class).hasMessageContaining("belongs to another evaluation");
        Files.writeString(state, "not a state");
        assertThatThrownBy(() -> ReconstructionEvaluation.run(titok, DATA, settings().withState(state, 8), done -> { }))
                .isInstanceOf(TitokException.class).hasMessageContaining(state.toString());
    }

    @Test
    void dataOfAnotherImageSizeIsRefused() {
        assertThatThrownBy(() -> ReconstructionEvaluation.run(titok, new SyntheticShapes(64, 4, 1), 1, done -> { }))
                .isInstanceOf(TitokException.class).hasMessageContaining("64-pixel images");
    }
}
