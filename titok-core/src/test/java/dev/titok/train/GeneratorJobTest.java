package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.data.TokenShards;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorConfig.ModelType;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GuidanceDecay;
import dev.titok.generator.SamplingConfig;
import dev.titok.io.HostTensor;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generator training on synthetic tokens with class structure (each class has its own token at each position, shown
 * 80% of the time): the loss falls and masked tokens become predictable, a resumed run continues bit-identically,
 * native memory stays flat, and a preview grid is written.
 */
class GeneratorJobTest {

    private static final int CLASSES = 10;
    private static final int K = 8;
    private static final int CODEBOOK = 32;
    private static final GeneratorConfig CONFIG = new GeneratorConfig("tiny", ModelType.VIT, CODEBOOK, CLASSES, K, 32,
            2, 4, 64, 0.1, 0.1, 0.1, 8, 1.0, 4.5, GuidanceDecay.CONSTANT);
    private static final GeneratorTrainingConfig RECIPE = GeneratorTrainingConfig.official(32, 200)
            .withSchedule(1e-2, 1e-4, 5)
            .withSeed(7)
            .withPreview(new SamplingConfig(4, 1.0, 2.0, GuidanceDecay.CONSTANT, false), 3, 2, true);

    @TempDir
    static Path dir;

    /** 400 images: class c shows token (7c + 3i + 1) mod N at position i with probability 0.8, else a random one. */
    private static TokenShards data() {
        Path file = dir.resolve("tokens.jsonl");
        if (!Files.exists(file)) {
            SplittableRandom random = new SplittableRandom(11);
            try (TokenShards.Writer writer = TokenShards.writer(file)) {
                for (int n = 0; n < 400; n++) {
                    int c = n % CLASSES;
                    int[] tokens = new int[K];
                    for (int i = 0; i < K; i++) {
                        tokens[i] = random.nextDouble() < 0.8 ? (7 * c + 3 * i + 1) % CODEBOOK : random.nextInt(CODEBOOK);
                    }
                    writer.add(c, tokens);
                }
                writer.commit();
            }
        }
        return TokenShards.read(file, K, CODEBOOK, CLASSES);
    }

    private static GeneratorJob job(GeneratorModel model, TiTok tokenizer) {
        return new GeneratorJob(model, data(), RECIPE, tokenizer, List.of());
    }

    @Test
    void lossFallsAndMaskedTokensBecomePredictable() {
        try (GeneratorModel model = GeneratorModel.random(CONFIG, 1); GeneratorJob job = job(model, null)) {
            List<Map<String, Double>> metrics = new ArrayList<>();
            for (int step = 0; step < 80; step++) {
                metrics.add(job.step(step));
            }
            double firstLoss = mean(metrics.subList(0, 10), "loss");
            double lastLoss = mean(metrics.subList(70, 80), "loss");
            double firstAccuracy = mean(metrics.subList(0, 10), "masked_accuracy");
            double lastAccuracy = mean(metrics.subList(70, 80), "masked_accuracy");
            System.out.printf("generator job: loss %.3f -> %.3f, masked accuracy %.3f -> %.3f%n",
                    firstLoss, lastLoss, firstAccuracy, lastAccuracy);
            assertThat(lastLoss).isLessThan(0.8 * firstLoss);
            assertThat(lastAccuracy).isGreaterThan(0.4).isGreaterThan(firstAccuracy + 0.25);
            assertThat(metrics.get(0)).containsOnlyKeys("loss", "masked_accuracy", "lr", "grad_norm");
            assertThat(metrics.get(0).get("lr")).isZero();
            assertThat(metrics.get(5).get("lr")).isEqualTo(1e-2);
            assertThat(metrics.get(0).get("grad_norm")).isPositive();
        }
    }

    @Test
    void resumeContinuesBitIdentically(@TempDir Path checkpoints) {
        int n = 12;
        try (GeneratorModel straightModel = GeneratorModel.random(CONFIG, 1);
             GeneratorJob straight = job(straightModel, null)) {
            List<Map<String, Double>> expected = new ArrayList<>();
            for (int step = 0; step < n; step++) {
                expected.add(straight.step(step));
            }
            Path saved;
            try (GeneratorModel firstModel = GeneratorModel.random(CONFIG, 1); GeneratorJob first = job(firstModel, null)) {
                for (int step = 0; step < n / 2; step++) {
                    first.step(step);
                }
                saved = new Checkpointer(checkpoints, 1).save(first.state(), n / 2, first.dataPosition());
            }
            // other initial weights prove that restoring replaces them
            try (GeneratorModel resumedModel = GeneratorModel.random(CONFIG, 99);
                 GeneratorJob resumed = job(resumedModel, null)) {
                Checkpointer.Resumed at = Checkpointer.load(saved, resumed.state());
                resumed.restoreDataPosition(at.dataPosition());
                for (long step = at.step(); step < n; step++) {
                    assertThat(resumed.step(step)).as("step " + step).isEqualTo(expected.get((int) step));
                }
                assertSameState(straight, resumed);
            }
        }
    }

    @Test
    void nativeMemoryStaysFlat() {
        GeneratorTrainingConfig small = new GeneratorTrainingConfig(8, 1000, 1e-3, 1e-4, 5, 0.9, 0.96, 0.03, 1.0,
                RECIPE.loss(), 3, RECIPE.preview(), 1, 1, true);
        try (GeneratorModel model = GeneratorModel.random(CONFIG, 1);
             GeneratorJob job = new GeneratorJob(model, data(), small, null, List.of())) {
            for (int step = 0; step < 40; step++) {
                job.step(step);
            }
            int held = model.manager().getManagedArrays().size();
            // glibc's heap swings by tens of MB from one reading to the next; a leak raises the floor of the readings
            List<Long> readings = new ArrayList<>();
            for (int step = 40; step < 240; step++) {
                job.step(step);
                if (step % 20 == 19) {
                    readings.add(nativeBytes());
                }
            }
            assertThat(model.manager().getManagedArrays()).as("arrays left in the model's manager").hasSize(held);
            long growth = Collections.min(readings.subList(7, 10)) - Collections.min(readings.subList(0, 3));
            assertThat(growth).as("growth of the resident memory outside the Java heap over 200 steps, bytes")
                    .isLessThan(32L << 20);
        }
    }

    @Test
    void previewWritesOneRowPerClassAndLeavesTrainingAlone(@TempDir Path out) throws Exception {
        TransformerSize tiny = new TransformerSize("tiny", 32, 1, 2, 2.0);
        TiTokConfig titok = new TiTokConfig("tiny", tiny, tiny, 8, 8, 32, K, 8, QuantizeMode.VQ, CODEBOOK, true, 0.25,
                false, false, 1e-5, null);
        try (TiTok tokenizer = TiTok.random(titok, 3);
             GeneratorModel withModel = GeneratorModel.random(CONFIG, 1);
             GeneratorJob withPreview = job(withModel, tokenizer);
             GeneratorModel plainModel = GeneratorModel.random(CONFIG, 1);
             GeneratorJob plain = job(plainModel, null)) {
            for (int step = 0; step < 4; step++) {
                withPreview.preview(step, out);
                assertThat(withPreview.step(step)).isEqualTo(plain.step(step));
            }
            Path grid = TrainingLoop.previewFile(out, 3);
            assertThat(grid).exists();
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(grid.toFile());
            assertThat(image.getHeight()).as("3 rows").isGreaterThan(3 * 96).isLessThan(4 * 96 + 100);
            assertThat(image.getWidth()).as("2 columns").isGreaterThan(2 * 96).isLessThan(3 * 96);
        }
    }

    private static void assertSameState(GeneratorJob a, GeneratorJob b) {
        Map<String, Checkpointable> partsA = a.state().parts();
        Map<String, Checkpointable> partsB = b.state().parts();
        assertThat(partsB.keySet()).isEqualTo(partsA.keySet());
        partsA.forEach((name, part) -> {
            Map<String, HostTensor> ta = part.saveState().tensors();
            Map<String, HostTensor> tb = partsB.get(name).saveState().tensors();
            assertThat(tb.keySet()).as(name).isEqualTo(ta.keySet());
            ta.forEach((key, tensor) -> assertThat(tb.get(key).data()).as(name + " " + key).isEqualTo(tensor.data()));
        });
        assertThat(b.state().randoms().get("random").state()).isEqualTo(a.state().randoms().get("random").state());
        assertThat(b.dataPosition()).isEqualTo(a.dataPosition());
    }

    private static double mean(List<Map<String, Double>> metrics, String key) {
        return metrics.stream().mapToDouble(m -> m.get(key)).average().orElseThrow();
    }

    /** Resident memory not explained by the committed Java heap (which grows with garbage until collected). */
    private static long nativeBytes() {
        System.gc();
        return residentBytes() - Runtime.getRuntime().totalMemory();
    }

    /** VmRSS of this process from /proc (Linux); 0 elsewhere, which makes the RSS check vacuous there. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return 0;
    }
}
