package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.kernels.Kernels;
import dev.titok.tensor.RandomSource;
import dev.titok.testing.KernelTolerance;
import dev.titok.testing.Tolerance;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The guided step's single pass of 2B rows gives the logits of the official two passes (conditional, then null
 * class) and leaves the random stream where the two passes leave it, for both generator kinds and every kernel set.
 */
class GuidedForwardTest {

    @TestFactory
    Stream<DynamicTest> onePassEqualsTheOfficialTwo() {
        return GeneratorFixture.cases(io -> io.contains("out.logits_cond")).stream().flatMap(dir ->
                Stream.concat(Stream.of(Kernels.REFERENCE), KernelTolerance.FAST.stream().filter(KernelTolerance::available))
                        .map(kernels -> DynamicTest.dynamicTest(dir.getFileName() + " (" + kernels.label() + ")",
                                () -> check(dir, kernels))));
    }

    private static void check(Path dir, Kernels kernels) {
        GeneratorFixture fixture = GeneratorFixture.open(dir);
        try (GeneratorModel model = fixture.loadModel(); NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            model.useKernels(kernels);
            NDManager m = model.manager();
            int b = 3;
            SplittableRandom values = new SplittableRandom(5);
            long[] ids = values.longs((long) b * model.sequenceLength(), 0, model.codebookSize() + 1).toArray();
            NDArray tokens = m.create(ids, new Shape(b, model.sequenceLength()));
            NDArray condition = m.create(values.longs(b, 0, model.numClasses()).toArray());
            RandomSource twoPasses = RandomSource.seeded(9);
            NDArray cond = model.forward(tokens, condition, 0.0, twoPasses);
            NDArray uncond = model.forward(tokens, condition, 1.0, twoPasses);
            RandomSource onePass = RandomSource.seeded(9);
            NDArray[] both = model.forwardGuided(tokens, condition, onePass);
            Tolerance tolerance = KernelTolerance.of(kernels, Tolerance.FLOAT32);
            tolerance.assertClose("conditional logits", both[0].toFloatArray(), cond.toFloatArray());
            tolerance.assertClose("unconditional logits", both[1].toFloatArray(), uncond.toFloatArray());
            assertThat(both[0].getShape()).isEqualTo(cond.getShape());
            assertThat(onePass.uniform(m, new Shape(4)).toFloatArray()).as("the next draws")
                    .isEqualTo(twoPasses.uniform(m, new Shape(4)).toFloatArray());
        }
    }
}
