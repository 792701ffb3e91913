package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Replay;
import dev.titok.testing.Fixtures;
import dev.titok.testing.Tolerance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The sampling step against the official {@code generate}, without a real generator: every recorded step is re-run
 * from its recorded logits and Gumbel draws, and whole runs are re-run with a stand-in model that returns the
 * recorded forward outputs. Every sampling case of the fixture folder is used, whatever its sizes.
 */
class SamplerStepTest {

    // ---- per-step values of the released settings (SPEC §4.8) ---------------------------------------------------

    @Test
    void titokL32StepValues() {
        SamplingConfig config = SamplingConfig.of(GeneratorPresets.generator("titok_l32"));
        float[] noise = {8.3125f, 7.125f, 5.9375f, 4.75f, 3.5625f, 2.375f, 1.1875f, 0f};
        float[] softmax = {1.2f, 1.1f, 1.0f, 0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
        double[] guidance = {0, 0.5625, 1.125, 1.6875, 2.25, 2.8125, 3.375, 3.9375};
        for (int s = 0; s < 8; s++) {
            assertThat(config.noiseTemperature(s)).as("noise temperature of step %d", s).isEqualTo(noise[s]);
            assertThat(config.softmaxTemperature(s)).as("softmax temperature of step %d", s).isCloseTo(softmax[s], within(1e-6f));
            assertThat(config.guidance(s)).as("guidance of step %d", s).isEqualTo(guidance[s]);
        }
        assertThat(config.guided(0)).as("linear decay: step 0 is unguided, one forward pass").isFalse();
        assertThat(config.guided(1)).isTrue();
    }

    @Test
    void titokS128PowerCosineGuidance() {
        SamplingConfig config = SamplingConfig.of(GeneratorPresets.generator("titok_s128"));
        assertThat(config.guidance(0)).isEqualTo(1.0);
        assertThat(config.guidance(16)).isCloseTo(1.0036, within(1e-4));
        assertThat(config.guidance(32)).isCloseTo(1.2246, within(1e-4));
        assertThat(config.guidance(48)).isCloseTo(3.2332, within(1e-4));
        assertThat(config.guidance(63)).isCloseTo(6.8691, within(1e-4));
    }

    @Test
    void presetsAreTheOfficialInferenceSettings() {
        assertThat(SamplingConfig.of(GeneratorPresets.generator("titok_l32")))
                .isEqualTo(new SamplingConfig(8, 9.5, 4.5, GuidanceDecay.LINEAR, 3.0, true));
        assertThat(SamplingConfig.of(GeneratorPresets.generator("titok_b64")))
                .isEqualTo(new SamplingConfig(8, 11.0, 3.0, GuidanceDecay.LINEAR, 3.0, true));
        assertThat(SamplingConfig.of(GeneratorPresets.generator("titok_s128")))
                .isEqualTo(new SamplingConfig(64, 2.8, 6.9, GuidanceDecay.POWER_COSINE, 3.0, true));
        assertThatThrownBy(() -> GeneratorPresets.generator("titok_xl"))
                .isInstanceOf(TitokException.class).hasMessageContaining("titok_xl");
    }

    @Test
    void guidanceDecayUsesTheOfficialNames() {
        for (GuidanceDecay decay : GuidanceDecay.values()) {
            assertThat(GuidanceDecay.parse(decay.officialName())).isEqualTo(decay);
        }
        assertThat(GuidanceDecay.parse("power-cosine")).isEqualTo(GuidanceDecay.POWER_COSINE);
        assertThatThrownBy(() -> GuidanceDecay.parse("cosine"))
                .isInstanceOf(TitokException.class).hasMessageContaining("'cosine'").hasMessageContaining("power-cosine");
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> new SamplingConfig(0, 1.0, 3.0, GuidanceDecay.CONSTANT, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("steps");
        assertThatThrownBy(() -> new SamplingConfig(8, -1.0, 3.0, GuidanceDecay.CONSTANT, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingConfig(8, 1.0, -0.5, GuidanceDecay.CONSTANT, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("guidance scale");
        assertThatThrownBy(() -> new SamplingConfig(8, Double.NaN, 3.0, GuidanceDecay.CONSTANT, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> new SamplingConfig(8, 1.0, 3.0, GuidanceDecay.POWER_COSINE, -3.0, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("pow");
        assertThatThrownBy(() -> new SamplingConfig(8, 1.0, 3.0, null, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("guidance decay");
    }

    @Test
    void generateLeavesOnlyItsResultBehind() {
        int codebook = 16;
        int length = 32;
        MaskedTokenModel noise = new MaskedTokenModel() {
            @Override
            public int codebookSize() {
                return codebook;
            }

            @Override
            public int numClasses() {
                return 10;
            }

            @Override
            public int sequenceLength() {
                return length;
            }

            @Override
            public NDArray forward(NDArray ids, NDArray condition, double condDropProb, RandomSource random) {
                random.uniform(ids.getManager(), condition.getShape());
                return ids.getManager().randomNormal(new Shape(ids.getShape().get(0), length, codebook));
            }
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray condition = manager.create(new long[] {3, 7});
            int before = manager.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                NDArray ids = Sampler.generate(noise, condition, SamplingConfig.of(GeneratorPresets.generator("titok_l32")), RandomSource.seeded(i));
                assertThat(manager.getManagedArrays()).as("arrays after generate #%d", i).hasSize(before + 1);
                assertThat(ids.getShape()).isEqualTo(new Shape(2, length));
                assertThat(ids.getDataType()).isEqualTo(DataType.INT64);
                assertThat(Arrays.stream(ids.toLongArray()).boxed().toList()).allMatch(id -> id >= 0 && id < codebook);
                ids.close();
            }
            assertThatThrownBy(() -> Sampler.generate(noise, manager.create(new long[] {10}), SamplingConfig.of(GeneratorPresets.generator("titok_l32")),
                    RandomSource.seeded(0))).isInstanceOf(TitokException.class).hasMessageContaining("[0, 10)");
        }
    }

    // ---- recorded official runs ------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicContainer> everyRecordedStep() {
        return Recording.cases().map(dir -> {
            Recording recording = Recording.read(dir);
            return DynamicContainer.dynamicContainer(dir.getFileName().toString(), recording.runs().stream()
                    .map(run -> DynamicContainer.dynamicContainer(run.name(), Stream.concat(
                            Stream.of(scheduleTest(run)),
                            IntStream.range(0, run.config().steps()).mapToObj(s -> stepTest(run, s))))));
        });
    }

    @TestFactory
    Stream<DynamicContainer> everyRunWithRecordedForwardOutputs() {
        return Recording.cases().map(dir -> {
            Recording recording = Recording.read(dir);
            return DynamicContainer.dynamicContainer(dir.getFileName().toString(), recording.runs().stream()
                    .map(run -> DynamicTest.dynamicTest(run.name(), () -> {
                        try (NDManager manager = NDManager.newBaseManager()) {
                            JniUtils.setGradMode(false);
                            RecordedForwards model = new RecordedForwards(run, recording.numClasses());
                            Replay random = run.replay(run.draws());
                            NDArray condition = manager.create(recording.condition().toLongs(),
                                    new Shape(recording.condition().shape()));
                            NDArray ids = Sampler.generate(model, condition, run.config(), random, step -> {
                                run.check(step, true);
                                model.expectInput(run.stepTensor(step.index(), "ids"));
                            });
                            assertThat(random.remaining()).as("recorded draws left unused").isZero();
                            assertThat(model.condDropProbs).as("cond_drop_prob of each forward call")
                                    .isEqualTo(run.expectedCondDropProbs());
                            assertThat(ids.getShape()).isEqualTo(new Shape(run.tensor("out.ids").shape()));
                            Tolerance.assertEqual(run.prefix() + ".out.ids", ids.toLongArray(), run.tensor("out.ids").toLongs());
                        }
                    })));
        });
    }

    /** The per-step scalars the official code logged: noise temperature, guidance and mask_len. */
    private static DynamicTest scheduleTest(Run run) {
        return DynamicTest.dynamicTest("annealed_temp, cfg_scale, mask_len", () -> {
            for (JsonNode logged : run.perStep()) {
                int s = logged.get("step").asInt();
                assertThat(run.config().noiseTemperature(s)).as("annealed_temp of step %d", s)
                        .isEqualTo((float) logged.get("annealed_temp").asDouble());
                assertThat((float) run.config().guidance(s)).as("cfg_scale of step %d", s)
                        .isEqualTo((float) logged.get("cfg_scale").asDouble());
                assertThat(run.stepTensor(s, "mask_len").toLongs()[0]).as("recorded mask_len of step %d", s)
                        .isEqualTo(logged.get("mask_len").asLong());
            }
        });
    }

    /** Step s from the recorded logits (after guidance and annealing), the state before it and its Gumbel draws. */
    private static DynamicTest stepTest(Run run, int s) {
        return DynamicTest.dynamicTest(String.format("step %02d", s), () -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                HostTensor recordedLogits = run.stepTensor(s, "logits");
                long[] shape = recordedLogits.shape();                                     // (B, L, N)
                NDArray logits = manager.create(recordedLogits.toFloats(), new Shape(shape));
                NDArray ids = s == 0
                        ? manager.full(new Shape(shape[0], shape[1]), shape[2], DataType.INT64)  // all [MASK]
                        : longs(manager, run.stepTensor(s - 1, "ids"));
                List<Draw> draws = run.drawsOfStep(s);
                int forwardCalls = run.config().guided(s) ? 2 : 1;
                assertThat(draws).as("draws of step %d: %d forward passes, then token and confidence noise", s, forwardCalls)
                        .hasSize(forwardCalls + 2);
                Replay random = run.replay(draws.subList(forwardCalls, draws.size()));
                run.check(Sampler.step(ids, logits, run.config(), s, random), false);
                assertThat(random.remaining()).as("Gumbel draws left unused").isZero();
            }
        });
    }

    static NDArray longs(NDManager manager, HostTensor tensor) {
        return manager.create(tensor.toLongs(), new Shape(tensor.shape()));
    }

    /** Floats compared within {@link Tolerance#FLOAT32}; infinities (revealed positions) must match exactly. */
    static void assertFloats(String what, NDArray actual, HostTensor expected) {
        assertThat(actual.getShape()).as(what + " shape").isEqualTo(new Shape(expected.shape()));
        float[] a = actual.toFloatArray();
        float[] e = expected.toFloats();
        for (int i = 0; i < e.length; i++) {
            if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                assertThat(a[i]).as("%s element %d", what, i).isEqualTo(e[i]);
                a[i] = 0;
                e[i] = 0;
            }
        }
        Tolerance.FLOAT32.assertClose(what, a, e);
    }

    static void assertLongs(String what, NDArray actual, HostTensor expected) {
        assertThat(actual.getShape()).as(what + " shape").isEqualTo(new Shape(expected.shape()));
        Tolerance.assertEqual(what, actual.toType(DataType.INT64, false).toLongArray(), expected.toLongs());
    }

    /**
     * A generator whose forward passes return the recorded official outputs in call order, after taking the
     * label-dropout draw the official forward takes and checking its input state.
     */
    private static final class RecordedForwards implements MaskedTokenModel {

        private final Run run;
        private final int numClasses;
        private final long[] shape;                                                         // (B, L, N)
        private final List<Double> condDropProbs = new ArrayList<>();
        private long[] expectedInput;

        RecordedForwards(Run run, int numClasses) {
            this.run = run;
            this.numClasses = numClasses;
            this.shape = run.forwardLogits(0).shape();
            this.expectedInput = new long[Math.toIntExact(shape[0] * shape[1])];
            Arrays.fill(expectedInput, shape[2]);
        }

        void expectInput(HostTensor ids) {
            expectedInput = ids.toLongs();
        }

        @Override
        public int codebookSize() {
            return Math.toIntExact(shape[2]);
        }

        @Override
        public int numClasses() {
            return numClasses;
        }

        @Override
        public int sequenceLength() {
            return Math.toIntExact(shape[1]);
        }

        @Override
        public NDArray forward(NDArray ids, NDArray condition, double condDropProb, RandomSource random) {
            random.uniform(ids.getManager(), condition.getShape());
            int call = condDropProbs.size();
            condDropProbs.add(condDropProb);
            Tolerance.assertEqual("input ids of forward call " + call, ids.toLongArray(), expectedInput);
            HostTensor logits = run.forwardLogits(call);
            return ids.getManager().create(logits.toFloats(), new Shape(logits.shape()));
        }
    }

    /** One draw of a run: its index in call order, the step that took it, its values. */
    record Draw(int index, int step, HostTensor values) {}

    /**
     * One recorded {@code generate} call: its arguments, all its draws in call order and the official locals of every
     * step ({@code runN.step.SS.*}) and forward pass ({@code runN.forward.FF.logits}).
     */
    record Run(String prefix, JsonNode kwargs, SamplingConfig config, JsonNode perStep, List<Draw> draws,
               Map<Integer, Map<String, HostTensor>> steps, List<HostTensor> forwards, Map<String, HostTensor> io) {

        String name() {
            return prefix + " " + kwargs;
        }

        HostTensor tensor(String suffix) {
            HostTensor t = io.get(prefix + "." + suffix);
            assertThat(t).as(prefix + "." + suffix + " in io.safetensors").isNotNull();
            return t;
        }

        HostTensor stepTensor(int step, String what) {
            HostTensor t = steps.getOrDefault(step, Map.of()).get(what);
            assertThat(t).as("%s.step.%02d.%s in io.safetensors", prefix, step, what).isNotNull();
            return t;
        }

        HostTensor forwardLogits(int call) {
            assertThat(call).as("forward call index (the recording has %d)", forwards.size()).isLessThan(forwards.size());
            return forwards.get(call);
        }

        List<Draw> drawsOfStep(int step) {
            return draws.stream().filter(d -> d.step() == step).toList();
        }

        /** cond_drop_prob of every forward call: 0 for the first of a step, 1 for the second (unconditional) one. */
        List<Double> expectedCondDropProbs() {
            List<Double> probs = new ArrayList<>();
            for (int s = 0; s < config.steps(); s++) {
                int calls = drawsOfStep(s).size() - 2;
                for (int c = 0; c < calls; c++) {
                    probs.add(c == 0 ? 0.0 : 1.0);
                }
            }
            return probs;
        }

        Replay replay(List<Draw> subset) {
            return new Replay(subset.stream().map(d -> d.values().toFloats()).toList(),
                    subset.stream().map(d -> new Shape(d.values().shape())).toList());
        }

        /** Every recorded local of the step; the logits only when they were computed from forward outputs. */
        void check(Sampler.Step step, boolean withLogits) {
            String at = String.format("%s.step.%02d.", prefix, step.index());
            int s = step.index();
            if (withLogits) {
                assertFloats(at + "logits", step.logits(), stepTensor(s, "logits"));
            }
            assertLongs(at + "sampled_ids", step.sampledIds(), stepTensor(s, "sampled_ids"));
            assertFloats(at + "sampled_logits", step.sampledLogits(), stepTensor(s, "sampled_logits"));
            assertFloats(at + "confidence", step.confidence(), stepTensor(s, "confidence"));
            assertThat(step.maskLength()).as(at + "mask_len").isEqualTo(stepTensor(s, "mask_len").toLongs()[0]);
            assertLongs(at + "masking", step.masking(), stepTensor(s, "masking"));
            assertLongs(at + "ids", step.ids(), stepTensor(s, "ids"));
        }
    }

    /** The sampling runs of one fixture case, from its io.safetensors (tensors and {@code __metadata__}). */
    record Recording(int numClasses, HostTensor condition, List<Run> runs) {

        private static final Pattern NAME = Pattern.compile("(run\\d+)\\.(rand|step|forward)\\.(\\d+)(?:\\.(\\w+))?");

        /** Every fixture case recorded from {@code generate}: its io.safetensors has {@code run0.out.ids}. */
        static Stream<Path> cases() {
            List<Path> cases = Fixtures.cases(config -> config.path("model").has("generator")).stream()
                    .filter(dir -> {
                        try (SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"))) {
                            return io.names().contains("run0.out.ids");
                        }
                    })
                    .toList();
            Assumptions.assumeFalse(cases.isEmpty(), "no sampling case (io.safetensors with run0.out.ids) under " + Fixtures.root());
            return cases.stream();
        }

        static Recording read(Path dir) {
            Map<String, HostTensor> io;
            Map<String, String> metadata;
            try (SafeTensors file = SafeTensors.open(dir.resolve("io.safetensors"))) {
                io = file.tensors();
                metadata = file.metadata();
            }
            JsonNode runsMeta = json(metadata.get("runs"));
            JsonNode drawLogs = json(metadata.get("draw_logs"));
            int numClasses = Fixtures.config(dir).path("model").path("generator").path("condition_num_classes").asInt();
            assertThat(numClasses).as("model.generator.condition_num_classes in " + dir).isPositive();

            List<Run> runs = new ArrayList<>();
            for (JsonNode runMeta : runsMeta) {
                String prefix = runMeta.get("prefix").asText();
                Map<Integer, HostTensor> rand = new TreeMap<>();
                Map<Integer, Map<String, HostTensor>> steps = new TreeMap<>();
                Map<Integer, HostTensor> forwards = new TreeMap<>();
                io.forEach((name, tensor) -> {
                    Matcher m = NAME.matcher(name);
                    if (m.matches() && m.group(1).equals(prefix)) {
                        int index = Integer.parseInt(m.group(3));
                        switch (m.group(2)) {
                            case "rand" -> rand.put(index, tensor);
                            case "step" -> steps.computeIfAbsent(index, k -> new TreeMap<>()).put(m.group(4), tensor);
                            default -> forwards.put(index, tensor);
                        }
                    }
                });
                List<Draw> draws = new ArrayList<>();
                for (JsonNode log : drawLogs.get(prefix)) {
                    int index = log.get("index").asInt();
                    HostTensor values = rand.get(index);
                    assertThat(values).as("%s.rand draw %d in io.safetensors", prefix, index).isNotNull();
                    long[] loggedShape = new ObjectMapper().convertValue(log.get("shape"), long[].class);
                    assertThat(values.shape()).as("%s draw %d shape", prefix, index).isEqualTo(loggedShape);
                    draws.add(new Draw(index, log.get("step").asInt(), values));
                }
                assertThat(draws).as(prefix + " draws").hasSize(rand.size());
                runs.add(new Run(prefix, runMeta.get("kwargs"), config(runMeta.get("kwargs")), runMeta.get("per_step"),
                        draws, steps, new ArrayList<>(forwards.values()), io));
            }
            return new Recording(numClasses, io.get("in.condition"), runs);
        }

        /** The official {@code generate} keyword arguments, with its defaults for the absent ones. */
        static SamplingConfig config(JsonNode kwargs) {
            return new SamplingConfig(
                    kwargs.path("num_sample_steps").asInt(8),
                    kwargs.path("randomize_temperature").asDouble(4.5),
                    kwargs.path("guidance_scale").asDouble(3.0),
                    GuidanceDecay.parse(kwargs.path("guidance_decay").asText("constant")),
                    kwargs.path("guidance_scale_pow").asDouble(SamplingConfig.DEFAULT_GUIDANCE_SCALE_POW),
                    kwargs.path("softmax_temperature_annealing").asBoolean(false));
        }

        private static JsonNode json(String text) {
            assertThat(text).as("io.safetensors __metadata__ entry").isNotNull();
            try {
                return new ObjectMapper().readTree(text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
