package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withPrecision;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.titok.nn.Parameter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code clip_grad_norm_}: one global norm over all gradients, one common scale. */
class GradClipTest {

    /** Gives fc1.weight the gradient {@code scale·1} and fc2.bias {@code scale·2} (others get none). */
    private static Map<String, Parameter> withGradients(TinyMlp model, float scale) {
        Map<String, Parameter> params = Trainable.prepare(model);
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = params.get("fc1.weight").value().sum().mul(scale)
                    .add(params.get("fc2.bias").value().sum().mul(2 * scale));
            collector.backward(loss);
        }
        return params;
    }

    private static float[] grad(Parameter p) {
        try (NDScope scope = new NDScope()) {
            return Gradients.of(p.value()).toFloatArray();
        }
    }

    @Test
    void largeGradientsAreScaledToTheMaximumNorm() {
        try (TinyMlp model = TinyMlp.random(1)) {
            Map<String, Parameter> params = withGradients(model, 3f);
            int n1 = TinyMlp.IN * TinyMlp.HIDDEN;
            int n2 = TinyMlp.OUT;
            double total = Math.sqrt(n1 * 9.0 + n2 * 36.0);
            double norm = GradClip.clip(params.values(), 1.0);
            assertThat(norm).isCloseTo(total, within(total * 1e-6));
            double coef = 1.0 / (total + 1e-6);
            assertThat(grad(params.get("fc1.weight"))).containsOnly(new float[] {(float) (3 * coef)}, withPrecision(1e-7f));
            assertThat(grad(params.get("fc2.bias"))).containsOnly(new float[] {(float) (6 * coef)}, withPrecision(1e-7f));
            assertThat(GradClip.clip(params.values(), 1.0)).as("after clipping").isCloseTo(1.0, within(1e-5));
        }
    }

    @Test
    void smallGradientsAreLeftAsTheyAre() {
        try (TinyMlp model = TinyMlp.random(1)) {
            Map<String, Parameter> params = withGradients(model, 1e-3f);
            float[] before = grad(params.get("fc1.weight"));
            double norm = GradClip.clip(params.values(), 1.0);
            assertThat(norm).isLessThan(1.0).isGreaterThan(0.0);
            assertThat(grad(params.get("fc1.weight"))).containsExactly(before);
        }
    }

    @Test
    void noGradientsGiveNormZero() {
        try (TinyMlp model = TinyMlp.random(1)) {
            assertThat(GradClip.clip(Trainable.prepare(model).values(), 1.0)).isZero();
        }
    }
}
