package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.titok.nn.Parameter;
import dev.titok.tensor.RandomSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The official NLayerDiscriminator's state-dict schema, its BlurPool and its output grid (SPEC §5.3). */
class DiscriminatorTest {

    @Test
    void officialKeysShapesAndParameterCount() {
        Map<String, List<Long>> expected = new LinkedHashMap<>();
        expected.put("block_in.0.weight", List.of(128L, 3L, 5L, 5L));
        expected.put("block_in.0.bias", List.of(128L));
        long[][] io = {{128, 128}, {128, 256}, {256, 512}};
        for (int i = 0; i < 3; i++) {
            expected.put("blocks." + i + ".0.weight", List.of(io[i][1], io[i][0], 3L, 3L));
            expected.put("blocks." + i + ".0.bias", List.of(io[i][1]));
            expected.put("blocks." + i + ".1.kernel", List.of(1L, 1L, 4L, 4L));
            expected.put("blocks." + i + ".2.weight", List.of(io[i][1]));
            expected.put("blocks." + i + ".2.bias", List.of(io[i][1]));
        }
        expected.put("to_logits.0.weight", List.of(512L, 512L, 1L, 1L));
        expected.put("to_logits.0.bias", List.of(512L));
        expected.put("to_logits.2.weight", List.of(1L, 512L, 5L, 5L));
        expected.put("to_logits.2.bias", List.of(1L));

        Discriminator d = new Discriminator(Discriminator.OFFICIAL_HIDDEN);
        Map<String, List<Long>> actual = new LinkedHashMap<>();
        d.namedParameters().forEach((name, p) -> actual.put(name, boxed(p.shape().getShape())));
        assertThat(actual).containsExactlyEntriesOf(expected);

        // block_in 3·128·25 + 128; blocks: 128·128·9 + 128 + 2·128, 128·256·9 + 256 + 2·256, 256·512·9 + 512 + 2·512;
        // to_logits 512·512 + 512 and 512·25 + 1. The three 16-value kernels are buffers, not parameters.
        long byHand = (9600 + 128) + (147456 + 128 + 256) + (294912 + 256 + 512) + (1179648 + 512 + 1024)
                + (262144 + 512) + (12800 + 1);
        assertThat(d.parameterCount()).isEqualTo(byHand).isEqualTo(1_909_889L);
        assertThat(d.namedParameters().entrySet()).allSatisfy(e ->
                assertThat(e.getValue().trainable()).as(e.getKey()).isEqualTo(!e.getKey().endsWith("kernel")));
    }

    @Test
    void buffersAreFrozenSavedAndNotOptimized() {
        try (Discriminator d = Discriminator.random(32, 1)) {
            Map<String, Parameter> trainable = Trainable.prepare(d);
            assertThat(trainable).doesNotContainKeys("blocks.0.1.kernel", "blocks.1.1.kernel", "blocks.2.1.kernel");
            assertThat(ParamGroups.official(d.namedParameters(), 0.1).stream()
                    .flatMap(g -> g.params().keySet().stream())).doesNotContain("blocks.0.1.kernel");
            assertThat(d.namedParameters().get("blocks.0.1.kernel").value().hasGradient()).isFalse();
            assertThat(new ModuleWeights(d).saveState().tensors()).containsKey("blocks.2.1.kernel");
            // PyTorch default init: weights and biases within ±1/sqrt(fan_in)
            float bound = (float) (1 / Math.sqrt(3 * 25));
            assertThat(d.namedParameters().get("block_in.0.bias").value().abs().max().getFloat()).isLessThanOrEqualTo(bound);
            assertThat(d.namedParameters().get("block_in.0.weight").value().abs().max().getFloat())
                    .isLessThanOrEqualTo(bound).isGreaterThan(0.8f * bound);
        }
    }

    @Test
    void blurKernelIsTheNormalisedBinomialOuterProduct() {
        Discriminator.BlurPool blur = new Discriminator.BlurPool();
        try (NDManager m = NDManager.newBaseManager()) {
            blur.initialize(m, 0);
            float[] k = blur.namedParameters().get("kernel").value().toFloatArray();
            float[] taps = {1, 3, 3, 1};
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 4; c++) {
                    assertThat(k[r * 4 + c]).isEqualTo(taps[r] * taps[c] / 64f);
                }
            }
        }
    }

    @Test
    void blurPoolPadsTfSameAndStridesByTwo() {
        Discriminator.BlurPool blur = new Discriminator.BlurPool();
        try (NDManager m = NDManager.newBaseManager()) {
            blur.initialize(m, 0);
            // 4×4 ramp x[r][c] = 4r + c: pad 1 each side, out 2×2; out[0][0] = Σ t_r t_c x[r−1][c−1] over r, c in 1..3
            // with t = [1,3,3,1]/8 = 4·(5/8)(7/8) + (7/8)(5/8) = 175/64
            float[] ramp = new float[16];
            for (int i = 0; i < 16; i++) {
                ramp[i] = i;
            }
            NDArray out = blur.forward(m.create(ramp, new Shape(1, 1, 4, 4)));
            assertThat(out.getShape()).isEqualTo(new Shape(1, 1, 2, 2));
            assertThat(out.toFloatArray()[0]).isCloseTo(175f / 64, within(1e-6f));
            assertThat(out.toFloatArray()).containsExactly(reference(ramp, 4, 1, 2), within(1e-5f));

            // odd 5×5, two channels: total pad 3 → 1 before, 2 after; out 3×3 per channel, depthwise
            float[] x = new float[50];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i * 0.7);
            }
            NDArray odd = blur.forward(m.create(x, new Shape(1, 2, 5, 5)));
            assertThat(odd.getShape()).isEqualTo(new Shape(1, 2, 3, 3));
            float[] expected = new float[18];
            for (int ch = 0; ch < 2; ch++) {
                float[] plane = java.util.Arrays.copyOfRange(x, ch * 25, ch * 25 + 25);
                System.arraycopy(reference(plane, 5, 1, 3), 0, expected, ch * 9, 9);
            }
            assertThat(odd.toFloatArray()).containsExactly(expected, within(1e-5f));
        }
    }

    @Test
    void logitsAreSixteenBySixteenForAnySize() {
        try (Discriminator d = Discriminator.random(32, 2)) {
            for (int size : new int[] {16, 32, 48}) {
                try (NDManager m = d.manager().newSubManager()) {
                    NDArray x = RandomSource.seeded(size).uniform(m, new Shape(2, 3, size, size));
                    NDArray logits = d.forward(x);
                    assertThat(logits.getShape()).isEqualTo(new Shape(2, 1, 16, 16));
                    assertThat(logits.isNaN().any().getBoolean()).isFalse();
                }
            }
        }
    }

    /** Direct 4×4 stride-2 correlation with the blur kernel over an n×n plane zero-padded by {@code before}. */
    private static float[] reference(float[] plane, int n, int before, int outSide) {
        float[] taps = {1, 3, 3, 1};
        float[] out = new float[outSide * outSide];
        for (int i = 0; i < outSide; i++) {
            for (int j = 0; j < outSide; j++) {
                double sum = 0;
                for (int r = 0; r < 4; r++) {
                    for (int c = 0; c < 4; c++) {
                        int y = 2 * i + r - before;
                        int x = 2 * j + c - before;
                        if (y >= 0 && y < n && x >= 0 && x < n) {
                            sum += taps[r] * taps[c] / 64.0 * plane[y * n + x];
                        }
                    }
                }
                out[i * outSide + j] = (float) sum;
            }
        }
        return out;
    }

    private static List<Long> boxed(long[] shape) {
        return java.util.Arrays.stream(shape).boxed().toList();
    }
}
