package dev.titok.data;

import java.util.random.RandomGenerator;

/**
 * The SplitMix64 generator (Steele, Lea and Flood, 2014), written out here instead of borrowed from the JDK so that
 * shuffles and augmentations depend on nothing but the seed: not on the JDK version, the machine or the thread.
 *
 * <p>The methods the data package draws with ({@code nextLong}, {@code nextInt}, {@code nextInt(bound)},
 * {@code nextDouble}, {@code nextFloat}, {@code nextBoolean} and the ranged {@code nextDouble}) are defined here;
 * other methods use {@link RandomGenerator}'s defaults on top of {@link #nextLong()}.
 */
final class SplitMix64 implements RandomGenerator {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    /** A generator keyed by several numbers, e.g. (seed, epoch, index): different keys give unrelated streams. */
    static SplitMix64 keyed(long... parts) {
        long key = 0;
        for (long part : parts) {
            key = mix(key ^ mix(part + GOLDEN_GAMMA));
        }
        return new SplitMix64(key);
    }

    @Override
    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    @Override
    public int nextInt() {
        return (int) (nextLong() >>> 32);
    }

    /** Uniform in [0, bound) without modulo bias (the rejection loop of {@code java.util.Random}). */
    @Override
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        int r = next31();
        int m = bound - 1;
        if ((bound & m) == 0) {
            return (int) ((bound * (long) r) >> 31);
        }
        for (int u = r; u - (r = u % bound) + m < 0; u = next31()) {
            // rejected: u fell into the incomplete last block of [0, 2^31)
        }
        return r;
    }

    @Override
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    @Override
    public double nextDouble(double origin, double bound) {
        if (!(origin < bound)) {
            throw new IllegalArgumentException("origin " + origin + " must be below bound " + bound);
        }
        double r = origin + (bound - origin) * nextDouble();
        return r < bound ? r : Math.nextDown(bound);
    }

    @Override
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    @Override
    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    private int next31() {
        return (int) (nextLong() >>> 33);
    }

    /** The SplitMix64 output function (Stafford's Mix13): a bijection that scatters every input bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
