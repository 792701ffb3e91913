package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The seeded source keeps {@code SplittableRandom}'s stream and can save and restore its position. */
class SeededStateTest {

    @Test
    void drawsWhatSplittableRandomDraws() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeded seeded = RandomSource.seeded(42);
            SplittableRandom reference = new SplittableRandom(42);
            float[] uniform = seeded.uniform(m, new Shape(100)).toFloatArray();
            float[] normal = seeded.normal(m, new Shape(100)).toFloatArray();
            for (float u : uniform) {
                assertThat(u).isEqualTo((float) reference.nextDouble());
            }
            for (float n : normal) {
                assertThat(n).isEqualTo((float) reference.nextGaussian());
            }
        }
    }

    @Test
    void restoredPositionContinuesTheStream() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeded a = RandomSource.seeded(7);
            a.normal(m, new Shape(37));
            a.uniform(m, new Shape(5));
            long position = a.state();
            float[] next = a.normal(m, new Shape(50)).toFloatArray();

            Seeded b = RandomSource.seeded(123);
            b.restore(position);
            assertThat(b.normal(m, new Shape(50)).toFloatArray()).containsExactly(next);
            assertThat(RandomSource.seeded(position).normal(m, new Shape(50)).toFloatArray()).containsExactly(next);
            assertThat(RandomSource.seeded(9).state()).as("a fresh source's state is its seed").isEqualTo(9);
        }
    }
}
