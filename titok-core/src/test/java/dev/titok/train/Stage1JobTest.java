package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.VqganConfig;
import dev.titok.io.HostTensor;
import dev.titok.tokenizer.TiTok;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage 1 of a tiny TiTok against a random tiny MaskGIT-VQGAN teacher (1024 codes, ×8 downsampling: a 2×2 grid for
 * 16-pixel images, the TiTok decoder's grid): the proxy-code loss falls, a stopped and resumed run ends bit-identical to
 * a straight one, and a teacher of another grid is refused.
 */
class Stage1JobTest {

    private static final TiTokConfig CONFIG = new TiTokConfig("tiny-stage1", SingleStageJobTest.TINY,
            SingleStageJobTest.TINY, 8, 8, 16, 4, 8, QuantizeMode.VQ, 16, true, 0.25, false, true, 1e-5, null);
    private static final VqganConfig TEACHER = new VqganConfig(List.of(1, 1, 1, 1), 32, 1, 16, 16, 3,
            TiTokConfig.PROXY_CODES);

    private static TokenizerJobs.Settings settings(long totalSteps) {
        return TokenizerJobs.Settings.stage1(8, 1, totalSteps).withSchedule(1e-2, 1e-4, 2, totalSteps);
    }

    @Test
    void theProxyCodeLossFalls() {
        List<Map<String, Double>> steps = new ArrayList<>();
        try (TiTok model = TiTok.random(CONFIG, 1);
             Vqgan teacher = Vqgan.random(TEACHER, 2);
             Stage1Job job = new Stage1Job(model, teacher, SingleStageJobTest.SHAPES, settings(30))) {
            for (int step = 0; step < 30; step++) {
                steps.add(job.step(step));
            }
        }
        double first = SingleStageJobTest.mean(steps.subList(0, 5), "loss");
        double last = SingleStageJobTest.mean(steps.subList(25, 30), "loss");
        System.out.printf("stage 1: loss %.4f -> %.4f, proxy accuracy %.3f -> %.3f%n", first, last,
                SingleStageJobTest.mean(steps.subList(0, 5), "proxy_accuracy"),
                SingleStageJobTest.mean(steps.subList(25, 30), "proxy_accuracy"));
        assertThat(last).isLessThan(0.8 * first);
        assertThat(steps.get(29)).containsKeys("proxy_loss", "quantizer_loss", "commitment_loss", "codebook_loss",
                "proxy_accuracy", "lr", "grad_norm");
        assertThat(steps.get(29).get("codebook_usage")).isBetween(1.0 / 16, 1.0);
    }

    @Test
    void aStoppedAndResumedRunEndsBitIdenticalToAStraightOne(@TempDir Path dir) {
        int n = 6;
        Map<String, Map<String, HostTensor>> straight;
        try (TiTok model = TiTok.random(CONFIG, 1);
             Vqgan teacher = Vqgan.random(TEACHER, 2);
             Stage1Job job = new Stage1Job(model, teacher, SingleStageJobTest.SHAPES, settings(n))) {
            new TrainingLoop().run(job, new TrainingLoop.Options(n, 1, 0, 0, 1, dir.resolve("straight"), false),
                    TrainingLoop.Listener.NONE);
            straight = SingleStageJobTest.everything(job.state());
        }
        TrainingLoop.Options options = new TrainingLoop.Options(n, 1, n / 2, 0, 1, dir.resolve("resumed"), true);
        try (TiTok model = TiTok.random(CONFIG, 1);
             Vqgan teacher = Vqgan.random(TEACHER, 2);
             Stage1Job job = new Stage1Job(model, teacher, SingleStageJobTest.SHAPES, settings(n))) {
            TrainingLoop loop = new TrainingLoop();
            loop.requestStop(); // asked before the start: the run stops after its first step
            assertThat(loop.run(job, options, TrainingLoop.Listener.NONE)).isEqualTo(new TrainingLoop.Result(0, 1, true));
        }
        try (TiTok model = TiTok.random(CONFIG, 5);
             Vqgan teacher = Vqgan.random(TEACHER, 2);
             Stage1Job job = new Stage1Job(model, teacher, SingleStageJobTest.SHAPES, settings(n))) {
            assertThat(new TrainingLoop().run(job, options, TrainingLoop.Listener.NONE))
                    .isEqualTo(new TrainingLoop.Result(1, n, false));
            SingleStageJobTest.everything(job.state()).forEach((part, tensors) ->
                    assertThat(tensors).as(part).isEqualTo(straight.get(part)));
        }
        assertThat(dir.resolve("resumed/previews/step-000003.png")).isNotEmptyFile();
        assertThat(dir.resolve("resumed/loss.png")).isNotEmptyFile();
    }

    @Test
    void aTeacherOfAnotherGridIsRefused() {
        VqganConfig coarse = new VqganConfig(List.of(1, 1, 1, 1, 1), 32, 1, 16, 16, 3, TiTokConfig.PROXY_CODES);
        try (TiTok model = TiTok.random(CONFIG, 1); Vqgan teacher = Vqgan.random(coarse, 2)) {
            assertThatThrownBy(() -> new Stage1Job(model, teacher, SingleStageJobTest.SHAPES, settings(1)))
                    .isInstanceOf(TitokException.class).hasMessageContaining("does not fit")
                    .hasMessageContaining("1x1 grid");
        }
    }
}
