package dev.titok.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.titok.config.TiTokConfig;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.io.WeightsFile;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.Kernels;
import dev.titok.tensor.Trace;
import dev.titok.testing.Fixtures;
import dev.titok.testing.KernelTolerance;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Switching a model between kernel sets: every fast set really runs its forward passes on the fused kernels (and
 * bf16 visibly changes the outputs), while the reference path makes no fused call and gives back its own outputs
 * bit for bit after a round trip.
 */
class KernelSwitchTest {

    @Test
    void fastKernelsTakeAnotherPathAndReferenceComesBack() {
        Path dir = Fixtures.cases(Fixtures::isTiTok).stream()
                .filter(d -> d.getFileName().toString().equals("titok_vq_stage2")).findFirst().orElseThrow();
        Path weights = dir.resolve("model.safetensors");
        try (TiTok model = TiTok.load(TiTokConfig.read(dir.resolve("config.json")), WeightsFile.load(weights), weights.toString());
             SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"))) {
            HostTensor pixels = io.get("in.pixels");
            HostTensor tokens = io.get("in.tokens");
            model.useKernels(Kernels.REFERENCE);
            long before = FusedKernels.callCount();
            float[][] reference = run(model, Kernels.REFERENCE, pixels, tokens);
            assertThat(FusedKernels.callCount()).as("fused calls on the reference path").isEqualTo(before);
            for (Kernels fast : KernelTolerance.FAST) {
                if (!KernelTolerance.available(fast)) {
                    continue;
                }
                model.useKernels(fast);
                long converted = FusedKernels.callCount();
                float[][] out = run(model, fast, pixels, tokens);
                // encoder and decoder: 2 blocks each with one attention and one MLP call, plus the linear layers
                assertThat(FusedKernels.callCount() - converted).as(fast.label() + " fused calls in one encode and decode")
                        .isGreaterThanOrEqualTo(8);
                if (fast == Kernels.BF16) {
                    assertThat(out[0]).as("bf16 encoder output").isNotEqualTo(reference[0]);
                    assertThat(out[1]).as("bf16 decoded pixels").isNotEqualTo(reference[1]);
                }
                assertThat(model.kernels()).isEqualTo(fast);
            }
            float[][] again = run(model, Kernels.REFERENCE, pixels, tokens);
            assertThat(again[0]).as("encoder output back on the reference kernels").isEqualTo(reference[0]);
            assertThat(again[1]).as("decoded pixels back on the reference kernels").isEqualTo(reference[1]);
        }
    }

    /** The encoder's continuous output z and the pixels decoded from the official token ids. */
    private static float[][] run(TiTok model, Kernels kernels, HostTensor pixels, HostTensor tokens) {
        if (model.kernels() != kernels) {
            model.useKernels(kernels);
        }
        try (NDScope scope = new NDScope()) {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            NDArray x = model.manager().create(pixels.toFloats(), new Shape(pixels.shape()));
            NDArray ids = model.manager().create(tokens.toLongs(), new Shape(tokens.shape()));
            return new float[][] {model.encode(x, null, Trace.NONE).z().toFloatArray(),
                    model.decodeTokens(ids, Trace.NONE).toFloatArray()};
        }
    }
}
