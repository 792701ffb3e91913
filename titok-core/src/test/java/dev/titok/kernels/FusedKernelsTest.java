package dev.titok.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.titok.nn.GroupNorm;
import dev.titok.nn.ScaledDotProduct;
import dev.titok.tensor.Ops;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each fused kernel against the composed DJL operations it replaces, on random data: float32 to rounding, bfloat16
 * to its 8-bit mantissa (relative to the output's largest value).
 */
class FusedKernelsTest {

    private static double tolerance(Kernels kernels) {
        return kernels == Kernels.BF16 ? 2e-2 : 2e-6;
    }

    private static void assumeAvailable(Kernels kernels) {
        if (kernels == Kernels.BF16) {
            Assumptions.assumeTrue(FusedKernels.bf16Supported(), "this CPU has no bfloat16 instructions");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kernels.class, names = {"FP32", "BF16"})
    void linearWithAndWithoutBias(Kernels kernels) {
        assumeAvailable(kernels);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            FusedKernels fused = FusedKernels.create(kernels, m);
            NDArray x = m.randomNormal(new Shape(2, 7, 48));
            NDArray w = m.randomNormal(0, 0.2f, new Shape(40, 48), DataType.FLOAT32);
            NDArray b = m.randomNormal(new Shape(40));
            assertClose("linear", fused.linear(x, fused.linearWeights(w, b)), reference(x, w, b), kernels);
            assertClose("linear without bias", fused.linear(x, fused.linearWeights(w, null)), reference(x, w, null), kernels);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kernels.class, names = {"FP32", "BF16"})
    void mlpWithExactGelu(Kernels kernels) {
        assumeAvailable(kernels);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(4);
            FusedKernels fused = FusedKernels.create(kernels, m);
            NDArray x = m.randomNormal(new Shape(3, 5, 32));
            NDArray w1 = m.randomNormal(0, 0.3f, new Shape(128, 32), DataType.FLOAT32);
            NDArray b1 = m.randomNormal(new Shape(128));
            NDArray w2 = m.randomNormal(0, 0.1f, new Shape(32, 128), DataType.FLOAT32);
            NDArray b2 = m.randomNormal(new Shape(32));
            NDArray expected = reference(Activation.gelu(reference(x, w1, b1)), w2, b2);
            assertClose("mlp", fused.mlp(x, fused.linearWeights(w1, b1), fused.linearWeights(w2, b2)), expected, kernels);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kernels.class, names = {"FP32", "BF16"})
    void selfAttentionAndAttend(Kernels kernels) {
        assumeAvailable(kernels);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            FusedKernels fused = FusedKernels.create(kernels, m);
            int b = 2, t = 9, heads = 4, width = 32;
            NDArray x = m.randomNormal(new Shape(b, t, width));
            NDArray inW = m.randomNormal(0, 0.3f, new Shape(3 * width, width), DataType.FLOAT32);
            NDArray inB = m.randomNormal(new Shape(3 * width));
            NDArray outW = m.randomNormal(0, 0.2f, new Shape(width, width), DataType.FLOAT32);
            NDArray outB = m.randomNormal(new Shape(width));
            NDArray qkv = reference(x, inW, inB).reshape(b, t, 3, heads, -1).transpose(2, 0, 3, 1, 4);   // (3, B, heads, T, d)
            NDArray q = qkv.get(0);
            NDArray k = qkv.get(1);
            NDArray v = qkv.get(2);
            NDArray attended = ScaledDotProduct.attend(q, k, v);
            LinearWeights in = fused.linearWeights(inW, inB);
            LinearWeights out = fused.linearWeights(outW, outB);
            for (boolean flash : new boolean[] {false, true}) {
                String how = flash ? " (flash)" : " (composed)";
                assertClose("attend" + how, fused.attend(q, k, v, flash), attended, kernels);
                assertClose("self-attention" + how, fused.selfAttention(x, in, out, heads, flash),
                        reference(attended, outW, outB), kernels);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kernels.class, names = {"FP32", "BF16"})
    void convolutions(Kernels kernels) {
        assumeAvailable(kernels);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(6);
            FusedKernels fused = FusedKernels.create(kernels, m);
            NDArray x = m.randomNormal(new Shape(2, 32, 16, 16));
            int[][] cases = {{3, 1, 1, 48}, {1, 1, 0, 16}, {4, 4, 0, 32}, {3, 2, 0, 16}};   // kernel, stride, padding, out
            for (int[] c : cases) {
                NDArray w = m.randomNormal(0, 0.1f, new Shape(c[3], 32, c[0], c[0]), DataType.FLOAT32);
                NDArray bias = m.randomNormal(new Shape(c[3]));
                NDArray expected = Ops.conv2d(x, w, bias, c[1], c[2]);
                assertClose("conv " + c[0] + "x" + c[0] + " stride " + c[1], fused.conv2d(x, fused.convWeights(w, bias, c[1], c[2])),
                        expected, kernels);
            }
        }
    }

    @Test
    void bf16ConvolutionsWithChannelsOffTheBlockAreNotFused() {
        assumeAvailable(Kernels.BF16);
        try (NDManager m = NDManager.newBaseManager()) {
            FusedKernels bf16 = FusedKernels.create(Kernels.BF16, m);
            FusedKernels fp32 = FusedKernels.create(Kernels.FP32, m);
            assertThat(bf16.convSupported(m.zeros(new Shape(128, 128, 3, 3)))).isTrue();
            assertThat(bf16.convSupported(m.zeros(new Shape(3, 128, 3, 3)))).isFalse();
            assertThat(bf16.convSupported(m.zeros(new Shape(768, 3, 16, 16)))).isFalse();
            assertThat(fp32.convSupported(m.zeros(new Shape(3, 128, 3, 3)))).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kernels.class, names = {"FP32", "BF16"})
    void groupNormSiluAndConvolution(Kernels kernels) {
        assumeAvailable(kernels);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            FusedKernels fused = FusedKernels.create(kernels, m);
            GroupNorm reference = new GroupNorm(8, 32, 1e-6);
            reference.initialize(m, 7);
            NDArray gamma = reference.namedParameters().get("weight").value();
            NDArray beta = reference.namedParameters().get("bias").value();
            gamma.addi(m.randomNormal(0, 0.5f, gamma.getShape(), DataType.FLOAT32));
            beta.addi(m.randomNormal(0, 0.5f, beta.getShape(), DataType.FLOAT32));
            NDArray x = m.randomNormal(1, 2, new Shape(2, 32, 12, 12), DataType.FLOAT32);
            NDArray h = Ops.silu(reference.forward(x));
            assertClose("group norm + silu", fused.groupNormSilu(x, gamma, beta, 8, 1e-6), h, Kernels.FP32);
            NDArray w = m.randomNormal(0, 0.1f, new Shape(48, 32, 3, 3), DataType.FLOAT32);
            NDArray b = m.randomNormal(new Shape(48));
            assertClose("group norm + silu + conv", fused.groupNormSiluConv(x, gamma, beta, 8, 1e-6,
                    fused.convWeights(w, b, 1, 1)), Ops.conv2d(h, w, b, 1, 1), kernels);
        }
    }

    @Test
    void referenceNeedsNoKernelsAndNamesParse() {
        assertThat(FusedKernels.create(Kernels.REFERENCE, null)).isNull();
        assertThat(Kernels.parse("BF16")).isEqualTo(Kernels.BF16);
        assertThatThrownBy(() -> Kernels.parse("fp16")).hasMessageContaining("expected reference, fp32 or bf16");
    }

    private static NDArray reference(NDArray x, NDArray w, NDArray b) {
        return ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow();
    }

    private static void assertClose(String what, NDArray actual, NDArray expected, Kernels kernels) {
        assertThat(actual.getShape()).as(what + " shape").isEqualTo(expected.getShape());
        double scale = expected.abs().max().getFloat();
        double error = actual.sub(expected).abs().max().getFloat() / scale;
        assertThat(error).as(what + ": largest error relative to the largest value").isLessThan(tolerance(kernels));
    }
}
