package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.data.Dataset;
import dev.titok.data.SyntheticShapes;
import dev.titok.io.HostTensor;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Single-stage training of a tiny pixel-head TiTok on synthetic shapes: the loss falls (vq and vae), a run stopped
 * halfway and resumed by fresh objects ends bit-identical to a straight run (vae sampling and the GAN included), and
 * native memory stays flat.
 */
class SingleStageJobTest {

    static final TransformerSize TINY = new TransformerSize("tiny", 32, 1, 2, 2.0);
    static final Dataset SHAPES = new SyntheticShapes(16, 256, 7);

    static TiTokConfig config(QuantizeMode mode) {
        return new TiTokConfig("tiny-" + mode, TINY, TINY, 8, 8, 16, 4, 8, mode, mode == QuantizeMode.VQ ? 16 : 0,
                mode == QuantizeMode.VQ, 0.25, false, false, 1e-5, null);
    }

    static TokenizerJobs.Settings settings(long totalSteps) {
        return TokenizerJobs.Settings.singleStage(8, 1, totalSteps).withSchedule(3e-3, 1e-4, 2, totalSteps);
    }

    @ParameterizedTest
    @EnumSource(QuantizeMode.class)
    void theLossFalls(QuantizeMode mode) {
        List<Map<String, Double>> steps = new ArrayList<>();
        try (TiTok model = TiTok.random(config(mode), 1);
             SingleStageJob job = new SingleStageJob(model, SHAPES, settings(40))) {
            for (int step = 0; step < 40; step++) {
                steps.add(job.step(step));
            }
        }
        double first = mean(steps.subList(0, 5), "loss");
        double last = mean(steps.subList(35, 40), "loss");
        System.out.printf("single-stage %s: loss %.4f -> %.4f, psnr %.2f -> %.2f dB%n", mode, first, last,
                mean(steps.subList(0, 5), "psnr"), mean(steps.subList(35, 40), "psnr"));
        assertThat(last).isLessThan(0.5 * first);
        assertThat(mean(steps.subList(35, 40), "psnr")).isGreaterThan(mean(steps.subList(0, 5), "psnr") + 3);
        assertThat(steps.get(39)).containsKeys("reconstruction_loss", "lr", "grad_norm",
                mode == QuantizeMode.VQ ? "quantizer_loss" : "kl_loss");
        if (mode == QuantizeMode.VQ) {
            assertThat(steps.get(39).get("codebook_usage")).isBetween(1.0 / 16, 1.0);
        }
    }

    /** vae (its sampling draws are part of the state) with a GAN that starts at step 2 (the adversary's state too). */
    @Test
    void aStoppedAndResumedRunEndsBitIdenticalToAStraightOne(@TempDir Path dir) {
        int n = 6;
        Adversary.Settings gan = new Adversary.Settings(32, 1e-3, 1e-5, 1, n, 0.9, 0.999, 1e-4, 1.0, 2, 0.1, 0.001, 3);
        Map<String, Map<String, HostTensor>> straight;
        try (TiTok model = TiTok.random(config(QuantizeMode.VAE), 1);
             SingleStageJob job = new SingleStageJob(model, SHAPES, settings(n), gan)) {
            new TrainingLoop().run(job, new TrainingLoop.Options(n, 1, 0, 0, 1, dir.resolve("straight"), false),
                    TrainingLoop.Listener.NONE);
            straight = everything(job.state());
        }
        TrainingLoop.Options options = new TrainingLoop.Options(n, 1, n / 2, 0, 1, dir.resolve("resumed"), true);
        try (TiTok model = TiTok.random(config(QuantizeMode.VAE), 1);
             SingleStageJob job = new SingleStageJob(model, SHAPES, settings(n), gan)) {
            TrainingLoop loop = new TrainingLoop();
            TrainingLoop.Result result = loop.run(job, options, (step, total, metrics) -> {
                if (step == n / 2) {
                    loop.requestStop();
                }
            });
            assertThat(result.stopped()).isTrue();
        }
        try (TiTok model = TiTok.random(config(QuantizeMode.VAE), 99);
             SingleStageJob job = new SingleStageJob(model, SHAPES, settings(n), gan)) {
            TrainingLoop.Result result = new TrainingLoop().run(job, options, TrainingLoop.Listener.NONE);
            assertThat(result).isEqualTo(new TrainingLoop.Result(n / 2, n, false));
            Map<String, Map<String, HostTensor>> resumed = everything(job.state());
            assertThat(resumed.keySet()).containsExactly("model", "ema", "optimizer", "adversary");
            resumed.forEach((part, tensors) -> assertThat(tensors).as(part).isEqualTo(straight.get(part)));
        }
        assertThat(dir.resolve("resumed/previews/step-000003.png")).isNotEmptyFile();
        assertThat(dir.resolve("resumed/previews/step-000006.png")).isNotEmptyFile();
        assertThat(MetricsLog.read(dir.resolve("resumed/metrics.jsonl")).get(n - 1).values())
                .containsKeys("gan_loss", "d_loss", "kl_loss", "psnr");
    }

    /** vq with dead-code restarts every 2 steps: the use counts and the restart draws are part of the state. */
    @Test
    void aResumedRunWithDeadCodeRestartsEndsBitIdentical(@TempDir Path dir) {
        int n = 6;
        TokenizerJobs.Settings restarting = new TokenizerJobs.Settings(8, 3e-3, 1e-4, 2, n, 0.9, 0.99, 1e-4, 1.0, 1.0,
                0.0, 42, 2);
        Map<String, Map<String, HostTensor>> straight;
        try (TiTok model = TiTok.random(config(QuantizeMode.VQ), 1);
             SingleStageJob job = new SingleStageJob(model, SHAPES, restarting)) {
            for (int step = 0; step < n; step++) {
                job.step(step);
            }
            straight = everything(job.state());
        }
        TrainingLoop.Options options = new TrainingLoop.Options(n, 1, 0, 0, 1, dir, true);
        try (TiTok model = TiTok.random(config(QuantizeMode.VQ), 1);
             SingleStageJob job = new SingleStageJob(model, SHAPES, restarting)) {
            TrainingLoop loop = new TrainingLoop();
            loop.run(job, options, (step, total, metrics) -> {
                if (step == 3) {
                    loop.requestStop();
                }
            });
        }
        try (TiTok model = TiTok.random(config(QuantizeMode.VQ), 5);
             SingleStageJob job = new SingleStageJob(model, SHAPES, restarting)) {
            new TrainingLoop().run(job, options, TrainingLoop.Listener.NONE);
            Map<String, Map<String, HostTensor>> resumed = everything(job.state());
            assertThat(resumed.keySet()).contains("dead_codes");
            resumed.forEach((part, tensors) -> assertThat(tensors).as(part).isEqualTo(straight.get(part)));
        }
        assertThat(MetricsLog.read(dir.resolve("metrics.jsonl")).get(1).values().get("codes_restarted")).isPositive();
    }

    @Test
    void nativeMemoryStaysFlat() {
        try (TiTok model = TiTok.random(config(QuantizeMode.VQ), 1);
             SingleStageJob job = new SingleStageJob(model, SHAPES, settings(400))) {
            for (int step = 0; step < 50; step++) {                                    // allocator and heap warm-up
                job.step(step);
            }
            NDManager system = model.manager().getParentManager();
            int modelArrays = model.manager().getManagedArrays().size();
            int allArrays = system.getManagedArrays().size();
            long[] rss = new long[20];
            for (int step = 50; step < 250; step++) {
                job.step(step);
                if (step % 10 == 9) {
                    System.gc(); // Java garbage in a not yet touched part of the heap would count as growth
                    rss[(step - 50) / 10] = residentBytes();
                }
            }
            assertThat(model.manager().getManagedArrays()).as("arrays in the model's manager").hasSize(modelArrays);
            assertThat(system.getManagedArrays()).as("arrays in all managers").hasSize(allArrays);
            // glibc's allocator makes the resident size wobble by some 30 MB from step to step, so compare the mean of
            // the first five samples with that of the last five; a leak of one batch's tensors per step (~0.5 MB)
            // would open a gap of about 80 MB
            long first = java.util.Arrays.stream(rss, 0, 5).sum() / 5;
            long last = java.util.Arrays.stream(rss, 15, 20).sum() / 5;
            assertThat(last - first).as("resident memory growth over 200 steps").isLessThan(40L << 20);
        }
    }

    @Test
    void aStageOneModelIsRefused() {
        TiTokConfig legacy = new TiTokConfig("legacy", TINY, TINY, 8, 8, 16, 4, 8, QuantizeMode.VQ, 16, true, 0.25,
                false, true, 1e-5, null);
        try (TiTok model = TiTok.random(legacy, 1)) {
            assertThatThrownBy(() -> new SingleStageJob(model, SHAPES, settings(1)))
                    .isInstanceOf(TitokException.class).hasMessageContaining("RGB head");
        }
    }

    /** VmRSS of this process from /proc (Linux). */
    static long residentBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Every tensor of every checkpoint part. */
    static Map<String, Map<String, HostTensor>> everything(TrainingState state) {
        Map<String, Map<String, HostTensor>> out = new LinkedHashMap<>();
        state.parts().forEach((name, part) -> out.put(name, part.saveState().tensors()));
        return out;
    }

    static double mean(List<Map<String, Double>> steps, String metric) {
        return steps.stream().mapToDouble(m -> m.get(metric)).average().orElseThrow();
    }
}
