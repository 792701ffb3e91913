package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import dev.titok.nn.Parameter;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * What the training code relies on from DJL's autograd on the PyTorch engine: gradients of Linear and MSE match the
 * analytic ones, LayerNorm and GELU match finite differences, backward passes accumulate until zeroed.
 */
class AutogradTest {

    private static final int B = 4;

    private static float[] gradient(Parameter p) {
        try (NDScope scope = new NDScope()) {
            return Gradients.of(p.value()).toFloatArray();
        }
    }

    /** Runs backward on {@code loss(x)} with x fixed. */
    private static float backward(TinyMlp model, Function<NDArray, NDArray> loss) {
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray l = loss.apply(input(model.manager()));
            collector.backward(l);
            return l.getFloat();
        }
    }

    private static NDArray input(NDManager m) {
        float[] x = new float[B * TinyMlp.IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.cos(0.37 * i);
        }
        return m.create(x, new Shape(B, TinyMlp.IN));
    }

    @Test
    void linearAndMeanSquaredErrorMatchTheAnalyticGradient() {
        try (TinyMlp model = TinyMlp.random(5)) {
            Map<String, Parameter> params = Trainable.prepare(model, name -> name.startsWith("fc1."));
            Parameter w = params.get("fc1.weight");
            Parameter b = params.get("fc1.bias");
            // L = mean((x·Wᵀ + b)²) over B×H: dL/dW = 2/(B·H) · yᵀx, dL/db = 2/(B·H) · Σ_b y
            backward(model, x -> x.matMul(w.value().transpose()).add(b.value()).square().mean());
            float[] x = input(model.manager()).toFloatArray();
            float[] weight = w.value().toFloatArray();
            float[] bias = b.value().toFloatArray();
            int h = TinyMlp.HIDDEN;
            int in = TinyMlp.IN;
            double[] dW = new double[h * in];
            double[] db = new double[h];
            for (int s = 0; s < B; s++) {
                for (int o = 0; o < h; o++) {
                    double y = bias[o];
                    for (int i = 0; i < in; i++) {
                        y += x[s * in + i] * weight[o * in + i];
                    }
                    double scale = 2.0 / (B * h) * y;
                    db[o] += scale;
                    for (int i = 0; i < in; i++) {
                        dW[o * in + i] += scale * x[s * in + i];
                    }
                }
            }
            float[] gw = gradient(w);
            float[] gb = gradient(b);
            for (int i = 0; i < dW.length; i++) {
                assertThat((double) gw[i]).isCloseTo(dW[i], within(1e-6));
            }
            for (int i = 0; i < db.length; i++) {
                assertThat((double) gb[i]).isCloseTo(db[i], within(1e-6));
            }
        }
    }

    @Test
    void layerNormAndGeluMatchFiniteDifferences() {
        try (TinyMlp model = TinyMlp.random(5)) {
            Map<String, Parameter> params = Trainable.prepare(model);
            Function<NDArray, NDArray> loss = x -> model.forward(x).sin().sum();
            backward(model, loss);
            for (String name : new String[] {"norm.weight", "norm.bias", "fc1.weight", "fc2.weight"}) {
                Parameter p = params.get(name);
                float[] analytic = gradient(p);
                for (int i = 0; i < 3; i++) {
                    int index = (i * 7) % analytic.length;
                    double numeric = (lossWith(model, loss, p, index, 1e-2f) - lossWith(model, loss, p, index, -1e-2f)) / 2e-2;
                    assertThat((double) analytic[index]).as("%s[%d]", name, index)
                            .isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
                }
            }
        }
    }

    private static double lossWith(TinyMlp model, Function<NDArray, NDArray> loss, Parameter p, int index, float delta) {
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            float[] one = new float[Math.toIntExact(p.shape().size())];
            one[index] = delta;
            NDArray bump = model.manager().create(one, p.shape());
            p.value().addi(bump);
            double value = loss.apply(input(model.manager())).getFloat();
            p.value().subi(bump);
            return value;
        }
    }

    @Test
    void backwardPassesAccumulateUntilZeroed() {
        try (TinyMlp model = TinyMlp.random(5); AdamW adamw = new AdamW(
                ParamGroups.official(Trainable.prepare(model), 0), 0.9, 0.99, AdamW.DEFAULT_EPS)) {
            Function<NDArray, NDArray> loss = x -> Activation.gelu(model.forward(x)).mean();
            backward(model, loss);
            float[] once = gradient(model.namedParameters().get("fc1.weight"));
            backward(model, loss);
            float[] twice = gradient(model.namedParameters().get("fc1.weight"));
            for (int i = 0; i < once.length; i++) {
                assertThat(twice[i]).isEqualTo(2 * once[i]);
            }
            adamw.zeroGrad();
            assertThat(gradient(model.namedParameters().get("fc1.weight"))).containsOnly(0f);
            backward(model, loss);
            assertThat(gradient(model.namedParameters().get("fc1.weight"))).containsExactly(once);
        }
    }
}
