package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.titok.generator.GeneratorConfig.ModelType;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The training-mode forward pass: ImageBert's hidden and attention dropout act only in training mode, with masks drawn
 * from the random source after the label-dropout draw; inference mode is the unchanged forward; U-ViT has no dropout.
 */
class GeneratorTrainingModeTest {

    private static final long[] IDS = {1, 7, 32, 2, 32, 9, 4, 4, 32, 32, 30, 0};                 // 32 = mask
    private static final long[] CLASSES = {3, 1};

    private static GeneratorConfig config(ModelType type, double dropout, double attnDrop) {
        return new GeneratorConfig("tiny", type, 32, 5, 6, 32, 2, 4, 64, dropout, attnDrop, 0.1, 8, 4.5, 3.0,
                GuidanceDecay.CONSTANT);
    }

    /** Logits of one forward pass with a fresh source of the given seed. */
    private static float[] logits(GeneratorModel model, long seed, double condDropProb, boolean training) {
        try (NDScope scope = new NDScope()) {
            NDManager m = model.manager();
            NDArray ids = m.create(IDS, new Shape(2, 6));
            NDArray classes = m.create(CLASSES);
            return model.forward(ids, classes, condDropProb, RandomSource.seeded(seed), training).toFloatArray();
        }
    }

    @Test
    void inferenceModeIsTheMaskedTokenModelForward() {
        try (GeneratorModel model = GeneratorModel.random(config(ModelType.VIT, 0.1, 0.1), 1);
             NDScope scope = new NDScope()) {
            NDArray ids = model.manager().create(IDS, new Shape(2, 6));
            NDArray classes = model.manager().create(CLASSES);
            float[] plain = model.forward(ids, classes, 0.0, RandomSource.seeded(2)).toFloatArray();
            assertThat(logits(model, 2, 0.0, false)).containsExactly(plain);
        }
    }

    @Test
    void trainingModeDropsOutReproduciblyFromTheSource() {
        try (GeneratorModel model = GeneratorModel.random(config(ModelType.VIT, 0.1, 0.1), 1)) {
            float[] inference = logits(model, 2, 0.0, false);
            float[] training = logits(model, 2, 0.0, true);
            assertThat(training).isNotEqualTo(inference);
            assertThat(logits(model, 2, 0.0, true)).as("same seed").containsExactly(training);
            assertThat(logits(model, 3, 0.0, true)).as("other seed").isNotEqualTo(training);
        }
    }

    @Test
    void eachDropoutActsAlone() {
        for (double[] p : new double[][] {{0.3, 0.0}, {0.0, 0.3}}) {
            try (GeneratorModel model = GeneratorModel.random(config(ModelType.VIT, p[0], p[1]), 1)) {
                assertThat(logits(model, 2, 0.0, true)).isNotEqualTo(logits(model, 2, 0.0, false));
            }
        }
    }

    @Test
    void masksAreDrawnAfterTheLabelDropoutInForwardOrder() {
        try (GeneratorModel model = GeneratorModel.random(config(ModelType.VIT, 0.1, 0.1), 1);
             NDScope scope = new NDScope()) {
            NDManager m = model.manager();
            NDArray ids = m.create(IDS, new Shape(2, 6));
            NDArray classes = m.create(CLASSES);
            List<Shape> draws = new ArrayList<>();
            RandomSource recording = new RandomSource() {
                private final Seeded inner = RandomSource.seeded(5);

                @Override
                public NDArray uniform(NDManager manager, Shape shape) {
                    draws.add(shape);
                    return inner.uniform(manager, shape);
                }

                @Override
                public NDArray normal(NDManager manager, Shape shape) {
                    throw new AssertionError("no normal draws expected");
                }
            };
            model.forward(ids, classes, 0.1, recording, false);
            assertThat(draws).as("inference").containsExactly(new Shape(2));
            draws.clear();
            model.forward(ids, classes, 0.1, recording, true);
            Shape hidden = new Shape(2, 7, 32);
            Shape attention = new Shape(2, 4, 7, 7);
            // label dropout, embeddings, then per layer: attention probabilities, attention output, FFN output
            assertThat(draws).as("training").containsExactly(new Shape(2), hidden,
                    attention, hidden, hidden, attention, hidden, hidden);
        }
    }

    @Test
    void withoutDropoutTrainingEqualsInference() {
        for (ModelType type : ModelType.values()) {
            double p = type == ModelType.VIT ? 0.0 : 0.1;                    // U-ViT ignores the config's dropout
            try (GeneratorModel model = GeneratorModel.random(config(type, p, p), 1)) {
                assertThat(logits(model, 2, 0.5, true)).as(type.toString()).containsExactly(logits(model, 2, 0.5, false));
            }
        }
    }
}
