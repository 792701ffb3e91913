package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.generator.GeneratorConfig.ModelType;
import dev.titok.nn.Parameter;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Replay;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Behaviour of both generator classes with random weights: label dropout, draws, initialisation, input checks. */
class GeneratorModelTest {

    private static final int B = 3;

    private static GeneratorConfig tiny(ModelType type) {
        return new GeneratorConfig("tiny", type, 32, 5, 6, 32, 4, 4, 64, 0.1, 0.1, 0.1, 8, 4.5, 3.0, GuidanceDecay.CONSTANT);
    }

    /** Records the shape of every draw of a seeded source. */
    private static final class Recording implements RandomSource {
        final RandomSource inner = RandomSource.seeded(1);
        final List<Shape> shapes = new ArrayList<>();

        @Override
        public NDArray uniform(NDManager manager, Shape shape) {
            shapes.add(shape);
            return inner.uniform(manager, shape);
        }

        @Override
        public NDArray normal(NDManager manager, Shape shape) {
            shapes.add(shape);
            return inner.normal(manager, shape);
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void everyForwardDrawsOneUniformPerImageAndReturnsImageLogits(ModelType type) {
        try (GeneratorModel model = GeneratorModel.random(tiny(type), 7); NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            Recording random = new Recording();
            NDArray ids = ids(model.manager(), 1);
            NDArray classes = model.manager().create(new long[] {0, 2, 4});
            for (double p : new double[] {0.0, 0.5, 1.0}) {
                NDArray logits = model.forward(ids, classes, p, random);
                assertThat(logits.getShape()).isEqualTo(new Shape(B, 6, 32));
                assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT32);
            }
            assertThat(random.shapes).containsExactly(new Shape(B), new Shape(B), new Shape(B));
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void dropProbabilityOneReplacesEveryClassByTheNullClass(ModelType type) {
        try (GeneratorModel model = GeneratorModel.random(tiny(type), 7); NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            NDManager m = model.manager();
            RandomSource random = RandomSource.seeded(3);
            NDArray ids = ids(m, 2);
            NDArray a = m.create(new long[] {0, 1, 2});
            NDArray b = m.create(new long[] {4, 3, 0});
            assertThat(model.forward(ids, a, 1.0, random).toFloatArray())
                    .containsExactly(model.forward(ids, b, 1.0, random).toFloatArray());
            assertThat(model.forward(ids, a, 0.0, random).toFloatArray())
                    .isNotEqualTo(model.forward(ids, b, 0.0, random).toFloatArray());
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void aRowIsDroppedWhereItsDrawIsBelowTheProbability(ModelType type) {
        try (GeneratorModel model = GeneratorModel.random(tiny(type), 7); NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            NDManager m = model.manager();
            NDArray ids = ids(m, 3);
            NDArray classes = m.create(new long[] {1, 2, 3});
            // 0.5 itself is not below 0.5: only the first row is dropped.
            Replay draws = new Replay(List.of(new float[] {0.25f, 0.5f, 0.75f}, new float[3], new float[3]),
                    List.of(new Shape(B), new Shape(B), new Shape(B)));
            float[] mixed = model.forward(ids, classes, 0.5, draws).toFloatArray();
            float[] dropped = model.forward(ids, classes, 1.0, draws).toFloatArray();
            float[] kept = model.forward(ids, classes, 0.0, draws).toFloatArray();
            int row = 6 * 32;
            for (int i = 0; i < mixed.length; i++) {
                assertThat(mixed[i]).isEqualTo(i < row ? dropped[i] : kept[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void randomInitialisationFollowsTheOfficialScheme(ModelType type) {
        try (GeneratorModel model = GeneratorModel.random(tiny(type), 11)) {
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                String name = e.getKey();
                float[] v = e.getValue().value().toFloatArray();
                boolean norm = name.contains("LayerNorm") || name.contains("norm");
                if (norm && name.endsWith("weight")) {
                    assertThat(v).as(name).containsOnly(1f);
                } else if (name.endsWith("bias")) {
                    assertThat(v).as(name).containsOnly(0f);
                } else {
                    assertThat(std(v)).as(name + " std").isCloseTo(0.02, within(0.004));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void inputsThatDoNotFitAreRejected(ModelType type) {
        try (GeneratorModel model = GeneratorModel.random(tiny(type), 7); NDScope scope = new NDScope()) {
            NDManager m = model.manager();
            RandomSource random = RandomSource.seeded(0);
            NDArray classes = m.create(new long[] {0, 1, 2});
            assertThatThrownBy(() -> model.forward(m.zeros(new Shape(B, 5), DataType.INT64), classes, 0, random))
                    .isInstanceOf(TitokException.class).hasMessage("token ids of shape (3, 5): expected (B, 6) for this generator");
            assertThatThrownBy(() -> model.forward(ids(m, 0).maximum(33L), classes, 0, random))
                    .isInstanceOf(TitokException.class).hasMessage("token id 33 is out of range: expected 0..32 (32 = mask)");
            assertThatThrownBy(() -> model.forward(ids(m, 0), m.create(new long[] {0, 1, 5}), 0, random))
                    .isInstanceOf(TitokException.class).hasMessage("class id 5 is out of range: expected 0..4");
            assertThatThrownBy(() -> model.forward(ids(m, 0), m.create(new long[] {0, 1}), 0, random))
                    .isInstanceOf(TitokException.class).hasMessage("class ids of shape (2): expected one per image, (3)");
            assertThatThrownBy(() -> model.forward(ids(m, 0).toType(DataType.FLOAT32, false), classes, 0, random))
                    .isInstanceOf(TitokException.class).hasMessage("token ids of type float32: expected integers");
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void forwardCallsInAScopeLeaveNoTensorsInTheModel(ModelType type) {
        try (GeneratorModel model = GeneratorModel.random(tiny(type), 7)) {
            int parameters = model.manager().getManagedArrays().size();
            RandomSource random = RandomSource.seeded(2);
            for (int i = 0; i < 50; i++) {
                try (NDScope scope = new NDScope()) {
                    JniUtils.setGradMode(false);
                    NDManager m = model.manager();
                    model.forward(ids(m, i), m.create(new long[] {0, 1, 2}), 0.1, random);
                    TrainingMask.arccos(ids(m, i).minimum(31L), model.codebookSize(), random);
                }
            }
            assertThat(model.manager().getManagedArrays()).as("arrays left in the model's manager").hasSize(parameters);
        }
    }

    /** (B, 6) ids in [0, 32], a third of them the mask id. */
    private static NDArray ids(NDManager m, int seed) {
        long[] v = new long[B * 6];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i + seed) % 3 == 0 ? 32 : (7L * i + seed) % 32;
        }
        return m.create(v, new Shape(B, 6));
    }

    private static double std(float[] v) {
        double sum = 0;
        double sq = 0;
        for (float x : v) {
            sum += x;
            sq += (double) x * x;
        }
        double mean = sum / v.length;
        return Math.sqrt(sq / v.length - mean * mean);
    }
}
