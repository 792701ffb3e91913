package dev.titok.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.config.TiTokConfig;
import dev.titok.io.SafeTensors;
import dev.titok.testing.Fixtures;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Inference calls free every native tensor they create: after two hundred calls the model's manager holds exactly
 * the arrays it held after warm-up, and the resident set stays flat.
 */
class NativeMemoryTest {

    @Test
    void repeatedInferenceLeavesNoTensorsBehind() {
        Path dir = Fixtures.root().resolve("titok_vq_stage2");
        TiTokConfig config = TiTokConfig.read(dir.resolve("config.json"));
        try (SafeTensors weights = SafeTensors.open(dir.resolve("model.safetensors"));
             TiTok model = TiTok.load(config, weights.tensors(), dir.toString())) {
            int size = config.imageSize();
            float[][] images = new float[4][3 * size * size];
            SplittableRandom random = new SplittableRandom(1);
            for (float[] image : images) {
                for (int i = 0; i < image.length; i++) {
                    image[i] = (float) random.nextDouble();
                }
            }
            for (int i = 0; i < 30; i++) {
                round(model, images);
            }
            // Counted after warm-up: modules may cache constants (GroupNorm's unit affine) on first use.
            int held = model.manager().getManagedArrays().size();
            long before = nativeBytes();
            for (int i = 0; i < 200; i++) {
                round(model, images);
            }
            assertThat(model.manager().getManagedArrays()).as("arrays left in the model's manager").hasSize(held);
            long growth = nativeBytes() - before;
            assertThat(growth).as("growth of resident memory outside the Java heap over 200 rounds, bytes").isLessThan(32L << 20);
        }
    }

    private static void round(TiTok model, float[][] images) {
        long[][] tokens = model.tokenize(images);
        model.detokenize(tokens);
    }

    /** Resident memory not explained by the committed Java heap (which grows with garbage until collected). */
    private static long nativeBytes() {
        System.gc();
        return residentBytes() - Runtime.getRuntime().totalMemory();
    }

    /** VmRSS of this process from /proc (Linux); 0 elsewhere, which makes the RSS check vacuous there. */
    private static long residentBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
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
