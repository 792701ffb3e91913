package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Draws on the Java side from a {@link SplittableRandom}, so results depend only on the seed, not on libtorch's
 * global generator, the thread or the number of intra-op threads.
 */
final class Seeded implements RandomSource {

    private final SplittableRandom random;

    Seeded(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public NDArray uniform(NDManager manager, Shape shape) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
            if (values[i] == 1.0f) { // rounding of a double just below 1 must not leave [0, 1)
                values[i] = Math.nextDown(1.0f);
            }
        }
        return manager.create(values, shape);
    }

    @Override
    public NDArray normal(NDManager manager, Shape shape) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }
}
