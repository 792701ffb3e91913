package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.config.TiTokConfig;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.io.WeightsFile;
import dev.titok.kernels.Kernels;
import dev.titok.tensor.Trace;
import dev.titok.testing.Fixtures;
import dev.titok.testing.KernelTolerance;
import dev.titok.testing.Tolerance;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The fused kernels with flash attention forced on ({@code titok.kernels.flashMinTokens=0}; the fixtures' sequences
 * are too short to choose it by themselves) against the official outputs: the encoder's z and the decoder's output
 * from the official token ids, for every vq fixture and both fast kernel sets.
 */
class FlashAttentionParityTest {

    @TestFactory
    Stream<DynamicTest> flashAttentionMatchesTheOfficialOutputs() {
        return Fixtures.cases(Fixtures::isTiTok).stream()
                .filter(dir -> dir.getFileName().toString().startsWith("titok_vq"))
                .flatMap(dir -> KernelTolerance.FAST.stream().filter(KernelTolerance::available)
                        .map(kernels -> DynamicTest.dynamicTest(dir.getFileName() + " (" + kernels.label() + ", flash)",
                                () -> check(dir, kernels))));
    }

    private static void check(Path dir, Kernels kernels) {
        Path weights = dir.resolve("model.safetensors");
        TiTokConfig config = TiTokConfig.read(dir.resolve("config.json"));
        String previous = System.setProperty("titok.kernels.flashMinTokens", "0");
        try (TiTok model = TiTok.load(config, WeightsFile.load(weights), weights.toString());
             SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"));
             NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            model.useKernels(kernels);
            HostTensor pixels = io.get("in.pixels");
            HostTensor tokens = io.get("in.tokens");
            NDArray x = model.manager().create(pixels.toFloats(), new Shape(pixels.shape()));
            NDArray ids = model.manager().create(tokens.toLongs(), new Shape(tokens.shape()));
            KernelTolerance.of(kernels, Tolerance.FLOAT32).assertClose("out.z",
                    model.encode(x, null, Trace.NONE).z().toFloatArray(), io.get("out.z").toFloats());
            Tolerance decoded = KernelTolerance.of(kernels, config.finetuneDecoder() ? Tolerance.CONV_STACK : Tolerance.FLOAT32);
            decoded.assertClose("out.decode_tokens", model.decodeTokens(ids, Trace.NONE).toFloatArray(),
                    io.get("out.decode_tokens").toFloats());
        } finally {
            if (previous == null) {
                System.clearProperty("titok.kernels.flashMinTokens");
            } else {
                System.setProperty("titok.kernels.flashMinTokens", previous);
            }
        }
    }
}
