package dev.titok.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.io.SafeTensors;
import dev.titok.testing.Fixtures;
import dev.titok.testing.Tolerance;
import dev.titok.tokenizer.EncoderFeatures.Pooling;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The linear-probe features against tensors the official code recorded: {@code dbg.encoder.ln_post} (B, K, W) and
 * {@code out.z} (B, C or 2C, 1, K), pooled here by hand.
 */
class EncoderFeaturesTest {

    @Test
    void vqStageOneFeaturesAreTheRecordedTensorsPooled() {
        check(Fixtures.root().resolve("titok_vq_stage1"), false);
    }

    /** For a vae model Z is the posterior mean: the first C of the encoder's 2C channels. */
    @Test
    void vaeZIsThePosteriorMean() {
        check(Fixtures.root().resolve("titok_vae"), true);
    }

    private static void check(Path dir, boolean vae) {
        float[] pixels;
        float[] lnPost;
        float[] z;
        long[] lnShape;
        long[] zShape;
        try (SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"))) {
            pixels = io.tensors().get("in.pixels").toFloats();
            lnPost = io.tensors().get("dbg.encoder.ln_post").toFloats();
            lnShape = io.tensors().get("dbg.encoder.ln_post").shape();
            z = io.tensors().get("out.z").toFloats();
            zShape = io.tensors().get("out.z").shape();
        }
        int b = (int) lnShape[0];
        int k = (int) lnShape[1];
        int width = (int) lnShape[2];
        int channels = (int) zShape[1];
        int c = vae ? channels / 2 : channels;
        float[][] images = new float[b][];
        int per = pixels.length / b;
        for (int i = 0; i < b; i++) {
            images[i] = Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
        }
        // (B, K, W) token-major as recorded; z read as [b][channel][k] with the dummy height 1
        float[] encoderConcat = lnPost;
        float[] encoderMean = new float[b * width];
        float[] zConcat = new float[b * k * c];
        float[] zMean = new float[b * c];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < k; t++) {
                for (int w = 0; w < width; w++) {
                    encoderMean[i * width + w] += lnPost[(i * k + t) * width + w] / k;
                }
                for (int ch = 0; ch < c; ch++) {
                    float v = z[(i * channels + ch) * k + t];
                    zConcat[(i * k + t) * c + ch] = v;
                    zMean[i * c + ch] += v / k;
                }
            }
        }
        try (TiTok titok = TiTokModels.open(dir.toString(), null)) {
            compare("encoder mean", titok.encoderFeatures(images, EncoderFeatures.ENCODER, Pooling.MEAN), encoderMean);
            compare("encoder concat", titok.encoderFeatures(images, EncoderFeatures.ENCODER, Pooling.CONCAT),
                    encoderConcat);
            compare("z mean", titok.encoderFeatures(images, EncoderFeatures.Z, Pooling.MEAN), zMean);
            compare("z concat", titok.encoderFeatures(images, EncoderFeatures.Z, Pooling.CONCAT), zConcat);
        }
    }

    private static void compare(String what, float[][] actual, float[] expected) {
        int per = expected.length / actual.length;
        float[] flat = new float[expected.length];
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as(what + " length").hasSize(per);
            System.arraycopy(actual[i], 0, flat, i * per, per);
        }
        Tolerance.FLOAT32.assertClose(what, flat, expected);
    }
}
