package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.config.VqganConfig;
import dev.titok.data.SyntheticShapes;
import dev.titok.io.HostTensor;
import dev.titok.tokenizer.TiTok;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage 2 shrunk: a 16-pixel stage-1 TiTok whose 4×4 decoder grid matches a ×4 VQGAN with the 1024 proxy codes the
 * legacy head predicts; merge, frozen parts, learning and resume.
 */
class Stage2JobTest {

    private static final TransformerSize TINY = new TransformerSize("tiny", 32, 1, 2, 2.0);
    private static final TiTokConfig STAGE1 = new TiTokConfig("tiny", TINY, TINY, 4, 4, 16, 8, 8, QuantizeMode.VQ, 64,
            true, 0.25, false, true, 1e-5, null);
    private static final VqganConfig VQGAN = new VqganConfig(List.of(1, 1, 1), 32, 1, 16, 8, 3, TiTokConfig.PROXY_CODES);

    private static Stage2Job.Settings settings() {
        return new Stage2Job.Settings(4, 2e-3, 1e-4, 0, 100, 0.9, 0.999, 1e-4, 1.0, 21,
                new Adversary.Settings(32, 1e-3, 1e-4, 0, 100, 0.9, 0.999, 1e-4, 1.0, 3, 0.01, 0.001, 22));
    }

    private static Stage2Job job(TiTok stage1, Vqgan vqgan, int threads) {
        return new Stage2Job(settings(), stage1, vqgan, new SyntheticShapes(16, 64, 5), threads);
    }

    @Test
    void mergeRenamesTheVqganDecoderAndCodebookAndDropsItsEncoder() {
        try (TiTok stage1 = TiTok.random(STAGE1, 1); Vqgan vqgan = Vqgan.random(VQGAN, 2)) {
            Map<String, HostTensor> merged = Stage2Job.initialWeights(stage1, vqgan);
            Set<String> added = merged.keySet().stream().filter(k -> !stage1.namedParameters().containsKey(k))
                    .collect(Collectors.toSet());
            Set<String> expected = vqgan.namedParameters().keySet().stream().filter(k -> !k.startsWith("encoder."))
                    .map(k -> "pixel_" + k).collect(Collectors.toSet());
            assertThat(added).isEqualTo(expected).contains("pixel_quantize.embedding.weight", "pixel_decoder.conv_in.weight")
                    .noneMatch(k -> k.contains("encoder.") && k.startsWith("pixel_"));
            assertThat(merged.keySet()).isEqualTo(new TiTok(Stage2Job.stage2Config(STAGE1, vqgan)).namedParameters().keySet());
            assertThat(merged.get("pixel_decoder.conv_in.weight"))
                    .isEqualTo(new ModuleWeights(vqgan).saveState().tensors().get("decoder.conv_in.weight"));
        }
    }

    @Test
    void decoderSideLearnsWhileEncoderAndQuantizerStayFrozen() {
        try (TiTok stage1 = TiTok.random(STAGE1, 1); Vqgan vqgan = Vqgan.random(VQGAN, 2);
             Stage2Job job = job(stage1, vqgan, 1)) {
            Map<String, HostTensor> before = new ModuleWeights(job.model()).saveState().tensors();
            double first = 0; // mean reconstruction loss of the first 4 steps, then of the last 4: single batches vary
            double last = 0;
            for (long step = 0; step < 24; step++) {
                Map<String, Double> metrics = job.step(step);
                if (step < 4) {
                    first += metrics.get("rec") / 4;
                } else if (step >= 20) {
                    last += metrics.get("rec") / 4;
                }
                assertThat(metrics.containsKey("d_loss")).isEqualTo(step >= 3);
            }
            assertThat(last).isLessThan(0.7 * first);
            Map<String, HostTensor> after = new ModuleWeights(job.model()).saveState().tensors();
            before.forEach((name, tensor) -> {
                if (Stage2Job.TRAINABLE.test(name)) {
                    assertThat(after.get(name)).as(name).isNotEqualTo(tensor);
                } else {
                    assertThat(after.get(name)).as(name).isEqualTo(tensor);
                }
            });
            assertThat(before.keySet()).anyMatch(k -> k.startsWith("encoder.")).contains("latent_tokens",
                    "quantize.embedding.weight", "pixel_quantize.embedding.weight");
        }
    }

    @Test
    void resumeContinuesBitIdentically(@TempDir Path dir) {
        try (TiTok stage1 = TiTok.random(STAGE1, 1); Vqgan vqgan = Vqgan.random(VQGAN, 2)) {
            TreeMap<String, HostTensor> straight;
            Path checkpoint;
            try (Stage2Job job = job(stage1, vqgan, 1)) {
                for (long step = 0; step < 2; step++) {
                    job.step(step);
                }
                checkpoint = new Checkpointer(dir, 2).save(job.state(), 2, job.dataPosition());
                for (long step = 2; step < 4; step++) {
                    job.step(step);
                }
                straight = new TreeMap<>(TeacherJobTest.snapshot(job));
            }
            try (TiTok other = TiTok.random(STAGE1, 9); Stage2Job resumed = job(other, vqgan, 2)) {
                Checkpointer.Resumed r = Checkpointer.load(checkpoint, resumed.state());
                resumed.restoreDataPosition(r.dataPosition());
                for (long step = r.step(); step < 4; step++) {
                    resumed.step(step);
                }
                assertThat(TeacherJobTest.snapshot(resumed)).isEqualTo(straight);
            }
        }
    }
}
