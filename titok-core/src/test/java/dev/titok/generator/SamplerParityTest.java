package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.titok.io.HostTensor;
import dev.titok.io.WeightsFile;
import dev.titok.kernels.Kernels;
import dev.titok.tensor.Replay;
import dev.titok.testing.Tolerance;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Whole {@code generate} runs through the Java generator loaded from the fixture weights: replaying every recorded
 * draw in order must give exactly the official token ids of every step and of the result. The fixtures' draw seeds
 * were chosen with decision margins far above float32 noise, so logits that differ in the last bits still give the
 * same tokens.
 */
class SamplerParityTest {

    @TestFactory
    Stream<DynamicContainer> everyRecordedRun() {
        return SamplerStepTest.Recording.cases().map(dir -> {
            SamplerStepTest.Recording recording = SamplerStepTest.Recording.read(dir);
            return DynamicContainer.dynamicContainer(dir.getFileName().toString(), recording.runs().stream()
                    .flatMap(run -> Stream.of(Kernels.REFERENCE, Kernels.FP32).map(kernels -> DynamicTest.dynamicTest(
                            run.name() + " (" + kernels.label() + ")", () -> generate(dir, recording, run, kernels)))));
        });
    }

    /**
     * The float32 kernels must give the same tokens too; bf16 is only held to the logits' tolerance
     * ({@code GeneratorParityTest}), since its rounding is larger than the margins the draw seeds were chosen for.
     */
    private static void generate(Path dir, SamplerStepTest.Recording recording, SamplerStepTest.Run run, Kernels kernels) {
        Path weights = dir.resolve("model.safetensors");
        GeneratorConfig config = GeneratorConfig.read(dir.resolve("config.json"));
        try (GeneratorModel model = GeneratorModel.load(config, WeightsFile.load(weights), weights.toString());
             NDManager manager = NDManager.newBaseManager()) {
            model.useKernels(kernels);
            HostTensor classes = recording.condition();
            NDArray condition = manager.create(classes.toLongs(), new Shape(classes.shape()));
            Replay random = run.replay(run.draws());
            NDArray ids = Sampler.generate(model, condition, run.config(), random, step -> {
                String at = String.format("%s.step.%02d.", run.prefix(), step.index());
                // The logits first: when tokens differ, this says whether the model or the sampling diverged.
                SamplerStepTest.assertFloats(at + "logits", step.logits(), run.stepTensor(step.index(), "logits"));
                SamplerStepTest.assertLongs(at + "ids", step.ids(), run.stepTensor(step.index(), "ids"));
            });
            assertThat(random.remaining()).as("recorded draws left unused").isZero();
            assertThat(ids.getShape()).isEqualTo(new Shape(run.tensor("out.ids").shape()));
            Tolerance.assertEqual(run.prefix() + ".out.ids", ids.toLongArray(), run.tensor("out.ids").toLongs());
        }
    }
}
