package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The official EMA: decay sequence, update rule, frozen parameters, export. */
class EmaTest {

    @Test
    void decaySequenceIsZeroThenTwoEleventhsThreeTwelfthsCappedAt0999() {
        assertThat(Ema.decay(1)).isZero();
        assertThat(Ema.decay(2)).isEqualTo(2.0 / 11);
        assertThat(Ema.decay(3)).isEqualTo(3.0 / 12);
        assertThat(Ema.decay(4)).isEqualTo(4.0 / 13);
        assertThat(Ema.decay(8990)).isLessThan(0.999);
        assertThat(Ema.decay(8991)).isEqualTo(0.999);
        assertThat(Ema.decay(1_000_000)).isEqualTo(0.999);
    }

    @Test
    void shadowFollowsTrainableWeightsAndCopiesFrozenOnes() {
        try (TinyMlp model = TinyMlp.random(1)) {
            Trainable.prepare(model, name -> !name.startsWith("norm."));
            Map<String, Parameter> params = model.namedParameters();
            float[] start = params.get("fc1.weight").value().toFloatArray();
            double[] expected = new double[start.length];
            for (int i = 0; i < start.length; i++) {
                expected[i] = start[i];
            }
            try (Ema ema = new Ema(model)) {
                for (int k = 1; k <= 4; k++) {
                    bump(params.get("fc1.weight").value(), 0.25f * k);
                    bump(params.get("norm.bias").value(), 0.25f * k);
                    ema.update();
                    float[] now = params.get("fc1.weight").value().toFloatArray();
                    for (int i = 0; i < now.length; i++) {
                        expected[i] -= (1 - Ema.decay(k)) * (expected[i] - now[i]);
                    }
                }
                float[] shadow = shadow(ema, "fc1.weight");
                for (int i = 0; i < shadow.length; i++) {
                    assertThat((double) shadow[i]).isCloseTo(expected[i], within(1e-6));
                }
                assertThat(shadow(ema, "norm.bias")).as("frozen: copied")
                        .containsExactly(params.get("norm.bias").value().toFloatArray());
                assertThat(ema.updates()).isEqualTo(4);
            }
        }
    }

    @Test
    void firstUpdateTakesTheWeightsAsTheyAre() {
        try (TinyMlp model = TinyMlp.random(1)) {
            Trainable.prepare(model);
            try (Ema ema = new Ema(model)) {
                bump(model.namedParameters().get("fc2.weight").value(), 3f);
                ema.update();
                assertThat(shadow(ema, "fc2.weight"))
                        .containsExactly(model.namedParameters().get("fc2.weight").value().toFloatArray());
            }
        }
    }

    @Test
    void copyToGivesAnotherModelTheAverageAndKeepsItsGradientFlags() {
        try (TinyMlp model = TinyMlp.random(1); TinyMlp other = TinyMlp.random(2)) {
            Trainable.prepare(model);
            Trainable.prepare(other, name -> name.startsWith("fc1."));
            try (Ema ema = new Ema(model)) {
                bump(model.namedParameters().get("fc2.bias").value(), 1f);
                ema.update();
                ema.update();
                ema.copyTo(other);
                other.namedParameters().forEach((name, p) ->
                        assertThat(p.value().toFloatArray()).as(name).containsExactly(shadow(ema, name)));
                assertThat(other.namedParameters().get("fc1.weight").value().hasGradient()).isTrue();
                assertThat(other.namedParameters().get("fc2.weight").value().hasGradient()).isFalse();
            }
        }
    }

    @Test
    void stateRoundTripAndStrictLoad() {
        try (TinyMlp a = TinyMlp.random(1); TinyMlp b = TinyMlp.random(2)) {
            Trainable.prepare(a);
            try (Ema first = new Ema(a); Ema second = new Ema(b)) {
                bump(a.namedParameters().get("fc1.bias").value(), 0.5f);
                first.update();
                first.update();
                Checkpointable.State saved = first.saveState();
                assertThat(saved.tensors()).containsOnlyKeys(a.namedParameters().keySet());
                assertThat(saved.metadata()).containsEntry("ema_updates", "2");
                second.loadState(saved, "ema.safetensors");
                assertThat(second.updates()).isEqualTo(2);
                assertThat(second.saveState().tensors()).isEqualTo(saved.tensors());

                Map<String, HostTensor> fewer = new LinkedHashMap<>(saved.tensors());
                fewer.remove("fc2.bias");
                assertThatThrownBy(() -> second.loadState(new Checkpointable.State(fewer, saved.metadata()), "ema.safetensors"))
                        .isInstanceOf(TitokException.class)
                        .hasMessageStartingWith("ema.safetensors: ")
                        .hasMessageContaining("fc2.bias is missing");
            }
        }
    }

    private static void bump(NDArray value, float amount) {
        try (NoGrad off = NoGrad.enter()) {
            value.addi(amount);
        }
    }

    private static float[] shadow(Ema ema, String name) {
        return ema.saveState().tensors().get(name).toFloats();
    }
}
