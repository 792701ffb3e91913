package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Hinge and LeCam values against hand computation, including the order of the EMA update (SPEC §5.3). */
class GanLossTest {

    @Test
    void hingeLosses() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray real = m.create(new float[] {2f, 0.5f, -1f, 0f});  // relu(1 − x): 0, 0.5, 2, 1 → mean 0.875
            NDArray fake = m.create(new float[] {-3f, -0.5f, 1f, 0f}); // relu(1 + x): 0, 0.5, 2, 1 → mean 0.875
            assertThat(GanLoss.hinge(real, fake).getFloat()).isCloseTo(0.875f, within(1e-7f));
            assertThat(GanLoss.generator(fake).getFloat()).isCloseTo(0.625f, within(1e-7f)); // −mean = 2.5/4
        }
    }

    @Test
    void leCamUsesThePreviousEmasThenUpdatesThem() {
        GanLoss loss = new GanLoss(0.001);
        try (NDManager m = NDManager.newBaseManager()) {
            // step 1: EMAs 0; mean real 0.6, mean fake −0.4 → relu(0.6 − 0)² + relu(0 + 0.4)² = 0.36 + 0.16
            GanLoss.DiscriminatorLoss first = loss.discriminator(m.create(new float[] {0.2f, 1.0f}),
                    m.create(new float[] {-0.8f, 0.0f}));
            assertThat(first.lecam().getFloat()).isCloseTo(0.001f * 0.52f, within(1e-9f));
            assertThat(first.hinge().getFloat()).isCloseTo(0.5f * (0.4f + 0.6f), within(1e-7f));
            assertThat(first.total().getFloat()).isCloseTo(0.5f + 0.00052f, within(1e-7f));
            float emaReal = 0.6f * (float) (1 - 0.999);
            float emaFake = -0.4f * (float) (1 - 0.999);
            assertThat(loss.emaReal()).isCloseTo(emaReal, within(1e-9f));
            assertThat(loss.emaFake()).isCloseTo(emaFake, within(1e-9f));

            // step 2 sees the EMAs of step 1: mean real −0.5, mean fake 0.3
            GanLoss.DiscriminatorLoss second = loss.discriminator(m.create(new float[] {-0.5f}), m.create(new float[] {0.3f}));
            double expected = Math.pow(Math.max(0, -0.5 - emaFake), 2) + Math.pow(Math.max(0, emaReal - 0.3), 2);
            assertThat(second.lecam().getFloat()).isCloseTo((float) (0.001 * expected), within(1e-9f));
            assertThat(loss.emaReal()).isCloseTo(emaReal * 0.999f - 0.5f * 0.001f, within(1e-8f));
            assertThat(loss.emaFake()).isCloseTo(emaFake * 0.999f + 0.3f * 0.001f, within(1e-8f));
        }
    }

    @Test
    void emasSurviveACheckpoint() {
        GanLoss loss = new GanLoss(0.001);
        try (NDManager m = NDManager.newBaseManager()) {
            loss.discriminator(m.create(new float[] {0.7f}), m.create(new float[] {-0.2f}));
        }
        GanLoss restored = new GanLoss(0.001);
        restored.loadState(loss.saveState(), "test");
        assertThat(restored.emaReal()).isEqualTo(loss.emaReal());
        assertThat(restored.emaFake()).isEqualTo(loss.emaFake());
        assertThat(loss.saveState().tensors()).containsOnlyKeys("ema_real_logits_mean", "ema_fake_logits_mean");
    }
}
