package dev.titok.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.config.TiTokConfig;
import dev.titok.config.VqganConfig;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.testing.Fixtures;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A stage-1 model gives pixels through a MaskGIT-VQGAN: argmax of its proxy-code logits per cell, then the VQGAN
 * decoder (SPEC §1.8). Checked against the official logits of the stage-1 fixture and a VQGAN of fitting shape.
 */
class StageOneDecodingTest {

    private static final Path STAGE1 = Fixtures.root().resolve("titok_vq_stage1");

    @Test
    void detokenizeDecodesTheArgmaxOfTheOfficialLogits() {
        TiTokConfig config = TiTokConfig.read(STAGE1.resolve("config.json"));
        // 1024 codes, ×8 upsampling: from the 4×4 grid of the 32-pixel fixture model to 32 pixels.
        VqganConfig fitting = new VqganConfig(List.of(1, 1, 1, 1), 32, 1, 32, 16, 3, TiTokConfig.PROXY_CODES);
        try (SafeTensors weights = SafeTensors.open(STAGE1.resolve("model.safetensors"));
             SafeTensors io = SafeTensors.open(STAGE1.resolve("io.safetensors"));
             TiTok titok = TiTok.load(config, weights.tensors(), STAGE1.toString())) {
            Vqgan vqgan = Vqgan.random(fitting, 3);
            titok.withProxyDecoder(vqgan);
            HostTensor tokens = io.get("in.tokens");
            long[] flat = tokens.toLongs();
            int k = config.numLatentTokens();
            long[][] rows = {Arrays.copyOfRange(flat, 0, k), Arrays.copyOfRange(flat, k, 2 * k)};
            float[][] pixels = titok.detokenize(rows);

            try (NDScope scope = new NDScope()) {
                HostTensor logits = io.get("out.decode_tokens");
                NDArray official = vqgan.manager().create(logits.toFloats(), new Shape(logits.shape()));
                float[] expected = vqgan.decodeProxyLogits(official).toFloatArray();
                float[] actual = new float[expected.length];
                System.arraycopy(pixels[0], 0, actual, 0, pixels[0].length);
                System.arraycopy(pixels[1], 0, actual, pixels[0].length, pixels[1].length);
                assertThat(actual).containsExactly(expected);
            }
            for (float v : pixels[0]) {
                assertThat(v).isBetween(0f, 1f);
            }
        }
    }

    @Test
    void aVqganOfTheWrongShapeIsRefused() {
        TiTokConfig config = TiTokConfig.read(STAGE1.resolve("config.json"));
        try (TiTok titok = TiTok.random(config, 0); Vqgan small = Vqgan.random(
                new VqganConfig(List.of(1, 1, 1, 1), 32, 1, 32, 16, 3, 64), 0)) {
            assertThatThrownBy(() -> titok.withProxyDecoder(small)).isInstanceOf(TitokException.class)
                    .hasMessageContaining("does not fit").hasMessageContaining("64 codes");
        }
    }
}
