package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The discriminator side of GAN training: sequencing with the generator's collector, learning, checkpointing. */
class AdversaryTest {

    private static Adversary.Settings tiny(long start) {
        return new Adversary.Settings(32, 3e-3, 1e-4, 0, 100, 0.9, 0.999, 1e-4, 1.0, start, 0.01,
                GanLoss.OFFICIAL_LECAM_WEIGHT, 7);
    }

    @Test
    void discriminatorLossFallsOnAnEasySeparation() {
        try (Adversary adversary = new Adversary(tiny(0)); NDManager m = NDManager.newBaseManager()) {
            Seeded random = RandomSource.seeded(3);
            double first = 0;
            double last = 0;
            for (long step = 0; step < 12; step++) {
                try (NDScope scope = new NDScope()) {
                    NDArray real = random.uniform(m, new Shape(2, 3, 16, 16)).mul(0.2f).add(0.8f); // bright
                    NDArray fake = random.uniform(m, new Shape(2, 3, 16, 16)).mul(0.2f);          // dark
                    Map<String, Double> metrics = adversary.discriminatorStep(real, fake, step);
                    last = metrics.get("d_loss");
                    if (step == 0) {
                        first = last;
                        assertThat(metrics).containsKeys("d_hinge", "d_lecam", "d_lr", "d_grad_norm", "logits_real");
                    }
                }
            }
            assertThat(last).isLessThan(0.5 * first);
            assertThat(adversary.ganLoss().emaReal()).isGreaterThan(adversary.ganLoss().emaFake());
        }
    }

    @Test
    void generatorTermReachesTheFakesOnlyAndStartsAtTheStartStep() {
        try (Adversary adversary = new Adversary(tiny(5)); NDManager m = NDManager.newBaseManager()) {
            NDArray fake = RandomSource.seeded(1).uniform(m, new Shape(2, 3, 16, 16));
            fake.setRequiresGradient(true);
            try (NDScope scope = new NDScope()) {
                assertThat(adversary.generatorLoss(fake, 4).getFloat()).isZero();
                assertThat(adversary.discriminatorStep(fake, fake, 4)).isEmpty();
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = adversary.generatorLoss(fake, 5);
                    assertThat(loss.getFloat()).isNotZero();
                    collector.backward(loss);
                }
                assertThat(Gradients.of(fake).abs().sum().getFloat()).isPositive();
                adversary.discriminator().namedParameters().forEach((name, p) -> {
                    NDArray grad = Gradients.of(p.value());
                    assertThat(grad == null || grad.abs().sum().getFloat() == 0).as(name).isTrue();
                    assertThat(p.value().hasGradient()).as(name).isEqualTo(p.trainable());
                });
            }
        }
    }

    @Test
    void resumedAdversaryContinuesIdentically() {
        try (Adversary a = new Adversary(tiny(0)); Adversary b = new Adversary(tiny(0).withStart(0));
             NDManager m = NDManager.newBaseManager()) {
            NDArray real = RandomSource.seeded(5).uniform(m, new Shape(2, 3, 16, 16));
            NDArray fake = RandomSource.seeded(6).uniform(m, new Shape(2, 3, 16, 16));
            for (long step = 0; step < 2; step++) {
                try (NDScope scope = new NDScope()) {
                    a.discriminatorStep(real, fake, step);
                }
            }
            b.loadState(a.saveState(), "test");
            for (long step = 2; step < 3; step++) {
                try (NDScope scope = new NDScope()) {
                    assertThat(b.discriminatorStep(real, fake, step)).isEqualTo(a.discriminatorStep(real, fake, step));
                }
            }
            assertThat(b.saveState().tensors()).isEqualTo(a.saveState().tensors());
        }
    }
}
