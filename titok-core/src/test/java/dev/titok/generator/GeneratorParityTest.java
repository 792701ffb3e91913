package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.titok.io.HostTensor;
import dev.titok.kernels.Kernels;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Replay;
import dev.titok.testing.Fixtures;
import dev.titok.testing.KernelTolerance;
import dev.titok.testing.Tolerance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every generator case of the fixture folder (made by the official PyTorch code) through the Java model and
 * compares every recorded output: logits within the fixtures' float32 tolerance, masked tokens and masks exactly.
 * Which call made an output is read from the fixture's own description of it, and the recorded draws are replayed in
 * call order, so a case of any size or call sequence is checked the same way.
 */
class GeneratorParityTest {

    /** e.g. {@code forward(in.input_ids, in.condition, cond_drop_prob=0.0)}. */
    private static final Pattern FORWARD = Pattern.compile("forward\\(([\\w.]+), ([\\w.]+), cond_drop_prob=([0-9.]+)\\)");
    /** e.g. {@code masking_input_tokens(in.tokens)[1]}: element 0 is the masked ids, 1 the mask. */
    private static final Pattern MASKING = Pattern.compile("masking_input_tokens\\(([\\w.]+)\\)\\[([01])\\]");
    private static final Pattern STEP_LOGITS = Pattern.compile("run\\d+\\.step\\.\\d+\\.logits");

    @TestFactory
    Stream<DynamicContainer> everyGeneratorCase() {
        return GeneratorFixture.cases(io -> io.contains("out.logits_cond")).stream().flatMap(dir ->
                Stream.concat(Stream.of(Kernels.REFERENCE), KernelTolerance.FAST.stream().filter(KernelTolerance::available))
                        .map(kernels -> DynamicContainer.dynamicContainer(dir.getFileName() + " (" + kernels.label() + ")",
                                checks(GeneratorFixture.open(dir), kernels))));
    }

    /**
     * For sampling runs without guidance or temperature annealing, the recorded per-step logits are plain conditional
     * forwards of the ids before that step.
     */
    @TestFactory
    Stream<DynamicTest> samplingFixtureModel() {
        return GeneratorFixture.cases(io -> io.stream().anyMatch(n -> STEP_LOGITS.matcher(n).matches())).stream()
                .flatMap(dir -> unguidedSteps(GeneratorFixture.open(dir)));
    }

    private static Stream<DynamicTest> checks(GeneratorFixture fixture, Kernels kernels) {
        Replay replay = fixture.replay("rand.");
        Map<String, Result> results = run(fixture, replay, kernels);
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : fixture.io().keySet()) {
            if (!name.startsWith("out.")) {
                continue;
            }
            HostTensor expected = fixture.io().get(name);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Result actual = results.get(name);
                assertThat(actual).as(name + " (" + fixture.description(name) + ") is recorded by the official code"
                        + " but the Java model did not produce it").isNotNull();
                actual.assertMatches(name, expected, kernels);
            }));
        }
        tests.add(DynamicTest.dynamicTest("every recorded draw is consumed", () -> assertThat(replay.remaining()).isZero()));
        return tests.stream();
    }

    /** Makes each output's call in recorded order, so that the calls consume the recorded draws in order. */
    private static Map<String, Result> run(GeneratorFixture f, Replay replay, Kernels kernels) {
        Map<String, Result> out = new LinkedHashMap<>();
        Map<String, TrainingMask> masks = new HashMap<>();
        try (GeneratorModel model = f.loadModel(); NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            model.useKernels(kernels);
            NDManager m = model.manager();
            for (String name : f.io().keySet()) {
                Matcher forward = FORWARD.matcher(f.description(name));
                Matcher masking = MASKING.matcher(f.description(name));
                if (!name.startsWith("out.")) {
                    continue;
                }
                if (forward.find()) {
                    NDArray logits = model.forward(f.longs(m, forward.group(1)), f.longs(m, forward.group(2)),
                            Double.parseDouble(forward.group(3)), replay);
                    out.put(name, Result.of(logits));
                } else if (masking.find()) {
                    TrainingMask mask = masks.computeIfAbsent(masking.group(1),
                            tokens -> TrainingMask.arccos(f.longs(m, tokens), model.codebookSize(), replay));
                    out.put(name, Result.of(masking.group(2).equals("0")
                            ? mask.inputIds()
                            : mask.mask().toType(DataType.INT64, false)));
                }
            }
        }
        return out;
    }

    private static Stream<DynamicTest> unguidedSteps(GeneratorFixture f) {
        List<DynamicTest> tests = new ArrayList<>();
        List<Result> logits = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (GeneratorModel model = f.loadModel(); NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            NDManager m = model.manager();
            NDArray condition = f.longs(m, "in.condition");
            long batch = condition.getShape().get(0);
            RandomSource random = RandomSource.seeded(0); // probability 0 never drops, whatever is drawn
            for (JsonNode run : Fixtures.config(f.dir()).path("fixture").path("sampling_runs")) {
                JsonNode kwargs = run.path("kwargs");
                if (kwargs.path("guidance_scale").asDouble() != 0 || kwargs.path("softmax_temperature_annealing").asBoolean()) {
                    continue;
                }
                String prefix = run.path("prefix").asText();
                for (int step = 0; f.io().containsKey(stepTensor(prefix, step, "logits")); step++) {
                    NDArray ids = step == 0
                            ? m.full(new Shape(batch, model.sequenceLength()), model.codebookSize(), DataType.INT64)
                            : f.longs(m, stepTensor(prefix, step - 1, "ids"));
                    names.add(stepTensor(prefix, step, "logits"));
                    logits.add(Result.of(model.forward(ids, condition, 0.0, random)));
                }
            }
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Result actual = logits.get(i);
            tests.add(DynamicTest.dynamicTest(name, () -> actual.assertMatches(name, f.io().get(name))));
        }
        return tests.stream();
    }

    private static String stepTensor(String prefix, int step, String what) {
        return String.format("%s.step.%02d.%s", prefix, step, what);
    }

    /** One output of the Java model, copied to the heap. */
    private record Result(long[] shape, float[] floats, long[] longs) {

        static Result of(NDArray a) {
            long[] shape = a.getShape().getShape();
            return a.getDataType().isInteger()
                    ? new Result(shape, null, a.toLongArray())
                    : new Result(shape, a.toFloatArray(), null);
        }

        void assertMatches(String name, HostTensor expected) {
            assertMatches(name, expected, Kernels.REFERENCE);
        }

        /** Masks and ids are not computed by the kernels, so they stay exact whichever kernels ran. */
        void assertMatches(String name, HostTensor expected, Kernels kernels) {
            assertThat(shape).as(name + " shape").isEqualTo(expected.shape());
            if (longs != null) {
                Tolerance.assertEqual(name, longs, expected.toLongs());
            } else {
                KernelTolerance.of(kernels, Tolerance.FLOAT32).assertClose(name, floats, expected.toFloats());
            }
        }
    }
}
