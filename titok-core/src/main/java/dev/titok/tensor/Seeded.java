package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.random.RandomGenerator;

/**
 * Draws on the Java side, so results depend only on the seed, not on libtorch's global generator, the thread or the
 * number of intra-op threads.
 *
 * <p>The stream is exactly that of {@code new SplittableRandom(seed)} (SplitMix64: {@code nextDouble} and
 * {@code nextGaussian} are the JDK's defaults over {@code nextLong}), but with its one word of state visible, so that
 * a training checkpoint can save the position with {@link #state()} and a resumed run continue it with
 * {@link #restore(long)}. {@code SplittableRandom} itself hides that word.
 */
public final class Seeded implements RandomSource {

    private final SplitMix64 random;

    Seeded(long seed) {
        this.random = new SplitMix64(seed);
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
        return Tensors.of(manager, values, shape);
    }

    @Override
    public NDArray normal(NDManager manager, Shape shape) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensors.of(manager, values, shape);
    }

    /**
     * The position in the stream: {@code RandomSource.seeded(state())} draws exactly what this source draws next.
     * A fresh source's state is its seed.
     */
    public long state() {
        return random.state;
    }

    /** Moves this source to a position saved with {@link #state()}. */
    public void restore(long state) {
        random.state = state;
    }

    /** {@code SplittableRandom}'s generator for a root seed: state advances by the golden gamma, output is mix64. */
    private static final class SplitMix64 implements RandomGenerator {

        private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        @Override
        public long nextLong() {
            state += GOLDEN_GAMMA;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }
    }
}
