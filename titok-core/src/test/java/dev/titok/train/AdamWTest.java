package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.nn.Init;
import dev.titok.nn.Model;
import dev.titok.nn.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdamW against PyTorch's algorithm ({@code _single_tensor_adam}, decoupled weight decay) evaluated here in plain
 * double arithmetic, independently of the class under test.
 */
class AdamWTest {

    private static final double[] LRS = {0.0, 0.1, 0.05, 0.02, 0.08};

    /** Three parameters: a decaying 2×3 matrix, a bias without decay, and one the loss never reaches. */
    private static final class Toy extends Model {
        final Parameter weight = parameter("proj.weight", Init.ZEROS, 2, 3);
        final Parameter bias = parameter("proj.bias", Init.ZEROS, 3);
        final Parameter unused = parameter("head.weight", Init.ZEROS, 2, 2);

        Toy() {
            initializeRandomly(0);
            weight.set(manager().create(new float[] {0.5f, -1.0f, 0.25f, 2.0f, -0.75f, 1.5f}, new Shape(2, 3)));
            bias.set(manager().create(new float[] {0.1f, -0.2f, 0.3f}));
            unused.set(manager().create(new float[] {1f, 2f, 3f, 4f}, new Shape(2, 2)));
        }
    }

    /** Gradient of step t for element i: deterministic, mixed signs and magnitudes. */
    private static float grad(int t, int i) {
        return (float) (Math.sin(1.3 * i + 0.7 * t) * (0.2 + 0.5 * t) + 0.05 * i);
    }

    /** Makes exactly {@code grad(t, ·)} the gradient of both used parameters: d/dp sum(p ⊙ G) = G. */
    private static void backward(Toy toy, int t) {
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDManager m = toy.manager();
            NDArray loss = toy.weight.value().mul(m.create(grads(t, 0, 6), new Shape(2, 3))).sum()
                    .add(toy.bias.value().mul(m.create(grads(t, 6, 3))).sum());
            collector.backward(loss);
        }
    }

    private static float[] grads(int t, int offset, int n) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = grad(t, offset + i);
        }
        return g;
    }

    /** torch's single-tensor AdamW for one element over all steps, in double. */
    private static double expected(double p, int offset, double beta1, double beta2, double eps, double wd) {
        double m = 0;
        double v = 0;
        for (int t = 0; t < LRS.length; t++) {
            double lr = LRS[t];
            double g = grad(t, offset);
            int step = t + 1;
            if (wd != 0) {
                p *= 1 - lr * wd;
            }
            m += (1 - beta1) * (g - m);
            v = v * beta2 + (1 - beta2) * g * g;
            double biasCorrection1 = 1 - Math.pow(beta1, step);
            double biasCorrection2 = 1 - Math.pow(beta2, step);
            double denom = Math.sqrt(v) / Math.sqrt(biasCorrection2) + eps;
            p -= lr / biasCorrection1 * m / denom;
        }
        return p;
    }

    private static void train(Toy toy, AdamW adamw) {
        for (int t = 0; t < LRS.length; t++) {
            backward(toy, t);
            adamw.step(LRS[t]);
            adamw.zeroGrad();
        }
    }

    private static void assertFollowsTorch(double beta1, double beta2, double weightDecay) {
        try (Toy toy = new Toy()) {
            float[] w0 = toy.weight.value().toFloatArray();
            float[] b0 = toy.bias.value().toFloatArray();
            List<ParamGroup> groups = ParamGroups.official(Trainable.prepare(toy), weightDecay);
            assertThat(groups.get(0).params()).containsOnlyKeys("proj.bias");
            assertThat(groups.get(1).params()).containsOnlyKeys("proj.weight", "head.weight");
            try (AdamW adamw = new AdamW(groups, beta1, beta2, 1e-8)) {
                train(toy, adamw);
            }
            float[] w = toy.weight.value().toFloatArray();
            float[] b = toy.bias.value().toFloatArray();
            for (int i = 0; i < 6; i++) {
                assertThat((double) w[i]).as("weight[%d]", i)
                        .isCloseTo(expected(w0[i], i, beta1, beta2, 1e-8, weightDecay), within(2e-6));
            }
            for (int i = 0; i < 3; i++) {
                assertThat((double) b[i]).as("bias[%d] (no decay group)", i)
                        .isCloseTo(expected(b0[i], 6 + i, beta1, beta2, 1e-8, 0), within(2e-6));
            }
            assertThat(toy.unused.value().toFloatArray()).as("never reached by backward: skipped, not decayed")
                    .containsExactly(1f, 2f, 3f, 4f);
        }
    }

    @Test
    void followsTorchWithoutWeightDecay() {
        assertFollowsTorch(0.9, 0.999, 0.0);
    }

    @Test
    void followsTorchWithDecoupledWeightDecayOnTheDecayGroupOnly() {
        assertFollowsTorch(0.9, 0.99, 0.3);
    }

    @Test
    void followsTorchWithSmallBeta1WhereLerpTakesItsOtherBranch() {
        assertFollowsTorch(0.3, 0.96, 0.03);
    }

    @Test
    void firstStepWithLrZeroLeavesParametersButCountsTheStep() {
        try (Toy toy = new Toy(); AdamW adamw = new AdamW(ParamGroups.official(Trainable.prepare(toy), 0.1), 0.9, 0.99, 1e-8)) {
            float[] before = toy.weight.value().toFloatArray();
            backward(toy, 0);
            adamw.step(0.0);
            assertThat(toy.weight.value().toFloatArray()).containsExactly(before);
            Checkpointable.State state = adamw.saveState();
            assertThat(state.tensors().get("step.proj.weight").toLongs()).containsExactly(1L);
            assertThat(state.tensors()).doesNotContainKey("step.head.weight");
        }
    }

    @Test
    void stateRoundTripContinuesExactly() {
        try (Toy a = new Toy(); Toy b = new Toy();
             AdamW first = new AdamW(ParamGroups.official(Trainable.prepare(a), 0.1), 0.9, 0.99, 1e-8);
             AdamW second = new AdamW(ParamGroups.official(Trainable.prepare(b), 0.1), 0.9, 0.99, 1e-8)) {
            for (int t = 0; t < 2; t++) {
                backward(a, t);
                first.step(LRS[t + 1]);
                first.zeroGrad();
            }
            new ModuleWeights(b).loadState(new ModuleWeights(a).saveState(), "a");
            second.loadState(first.saveState(), "saved");
            for (Toy toy : List.of(a, b)) {
                backward(toy, 2);
            }
            first.step(0.05);
            second.step(0.05);
            assertThat(b.weight.value().toFloatArray()).containsExactly(a.weight.value().toFloatArray());
            assertThat(b.bias.value().toFloatArray()).containsExactly(a.bias.value().toFloatArray());
        }
    }

    @Test
    void stateOfOtherParametersIsRejectedInOneMessage() {
        try (Toy toy = new Toy(); AdamW adamw = new AdamW(ParamGroups.official(Trainable.prepare(toy), 0.1), 0.9, 0.99, 1e-8)) {
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            tensors.put("exp_avg.proj.weight", HostTensor.ofFloats(new long[] {3, 2}, new float[6]));
            tensors.put("exp_avg_sq.proj.weight", HostTensor.ofFloats(new long[] {2, 3}, new float[6]));
            tensors.put("step.proj.weight", HostTensor.ofLongs(new long[0], new long[] {4}));
            tensors.put("exp_avg.encoder.other", HostTensor.ofFloats(new long[] {1}, new float[1]));
            assertThatThrownBy(() -> adamw.loadState(new Checkpointable.State(tensors, Map.of()), "opt.safetensors"))
                    .isInstanceOf(TitokException.class)
                    .hasMessageContaining("opt.safetensors")
                    .hasMessageContaining("exp_avg.encoder.other is not state of a parameter")
                    .hasMessageContaining("exp_avg.proj.weight has shape [3, 2], expected [2, 3]");
        }
    }

    @Test
    void aParameterInTwoGroupsIsRefused() {
        try (Toy toy = new Toy()) {
            Map<String, Parameter> all = Trainable.prepare(toy);
            assertThatThrownBy(() -> new AdamW(List.of(new ParamGroup(all, 0), new ParamGroup(all, 0.1)), 0.9, 0.99, 1e-8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("proj.weight");
        }
    }

    /** Weights memory-mapped read-only from safetensors get writable copies; the file itself is never written. */
    @Test
    void updatesModelsLoadedFromMemoryMappedFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (TinyMlp source = TinyMlp.random(3)) {
            SafeTensors.write(file, new ModuleWeights(source).saveState().tensors(), Map.of());
        }
        byte[] bytes = Files.readAllBytes(file);
        try (SafeTensors weights = SafeTensors.open(file);
             TinyMlp model = TinyMlp.load(weights.tensors());
             AdamW adamw = new AdamW(ParamGroups.official(Trainable.prepare(model), 0.1), 0.9, 0.99, 1e-8)) {
            float[] before = model.namedParameters().get("fc1.weight").value().toFloatArray();
            try (NDScope scope = new NDScope();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray x = model.manager().ones(new Shape(4, TinyMlp.IN));
                collector.backward(model.forward(x).square().mean());
            }
            adamw.step(0.1);
            assertThat(model.namedParameters().get("fc1.weight").value().toFloatArray()).isNotEqualTo(before);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }
}
