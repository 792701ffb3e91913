package dev.titok.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class LoaderTest {

    /**
     * A dataset whose image records what made it: pixel 0 is the index, pixel 1 the first augmentation draw, so that
     * a batch shows both the order and the augmentation generators. Index {@code failAt} fails like a corrupt file.
     */
    private record Probe(int size, int failAt) implements Dataset {
        static final TitokException FAILURE = new TitokException("broken.png is truncated or corrupt");

        Probe(int size) {
            this(size, -1);
        }

        @Override
        public int imageSize() {
            return 2;
        }

        @Override
        public Example get(int index, RandomGenerator augmentationRandom) {
            if (index == failAt) {
                throw FAILURE;
            }
            float[] pixels = new float[12];
            pixels[0] = index;
            pixels[1] = augmentationRandom.nextInt(1_000_000);
            return new Example(pixels, index % 3);
        }

        @Override
        public int numClasses() {
            return 3;
        }

        @Override
        public List<String> classNames() {
            return List.of();
        }
    }

    @Test
    void theShuffleIsTheSameOnEveryMachine() {
        // SplitMix64 is spelled out in the code, so this order must never change (checked against a Python
        // transcription of the same key derivation, generator and Fisher-Yates shuffle)
        assertThat(Loader.order(42, 0, 10)).containsExactly(0, 3, 8, 2, 9, 5, 4, 1, 7, 6);
        assertThat(new SplitMix64(0).nextLong()).isEqualTo(0xE220A8397B1DCDAFL); // the reference implementation's first output
    }

    @Test
    void batchesDoNotDependOnTheNumberOfThreads() {
        List<String> one = take(Loader.builder(new Probe(103), 10).seed(5).threads(1).prefetch(1), 25);
        List<String> three = take(Loader.builder(new Probe(103), 10).seed(5).threads(3).prefetch(6), 25);
        List<String> otherSeed = take(Loader.builder(new Probe(103), 10).seed(6).threads(2), 25);

        assertThat(three).isEqualTo(one);
        assertThat(otherSeed).isNotEqualTo(one);
    }

    @Test
    void eachEpochIsANewPermutationAndAugmentationsChangeWithTheEpoch() {
        try (Loader loader = Loader.builder(new Probe(20), 5).seed(1).threads(2).build()) {
            List<Integer> first = indicesOfEpoch(loader);
            List<Integer> second = indicesOfEpoch(loader);

            assertThat(first).containsExactlyInAnyOrderElementsOf(range(20));
            assertThat(second).containsExactlyInAnyOrderElementsOf(range(20)).isNotEqualTo(first);
            assertThat(loader.position()).isEqualTo(new Loader.Position(2, 0));
        }
        Probe probe = new Probe(4);
        try (Loader loader = Loader.builder(probe, 4).shuffle(false).build()) {
            Loader.Batch epoch0 = loader.next();
            Loader.Batch epoch1 = loader.next();
            assertThat(epoch0.indices()).containsExactly(0, 1, 2, 3);
            assertThat(epoch1.indices()).containsExactly(0, 1, 2, 3);
            assertThat(epoch1.pixels()[1]).isNotEqualTo(epoch0.pixels()[1]);
            assertThat(epoch0.labels()).containsExactly(0, 1, 2, 0);
        }
    }

    @Test
    void dropLastAndEpochLimitsShapeTheSequence() {
        try (Loader loader = Loader.builder(new Probe(23), 10).dropLast(false).shuffle(false).epochs(2).build()) {
            List<Integer> sizes = new ArrayList<>();
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                sizes.add(batch.size());
                assertThat(batch.pixels()).hasSize(batch.size() * 12);
            }
            assertThat(loader.batchesPerEpoch()).isEqualTo(3);
            assertThat(sizes).containsExactly(10, 10, 3, 10, 10, 3);
            assertThatThrownBy(loader::next).isInstanceOf(NoSuchElementException.class);
        }
        try (Loader loader = Loader.builder(new Probe(23), 10).build()) {
            assertThat(loader.batchesPerEpoch()).isEqualTo(2);
        }
        assertThatThrownBy(() -> Loader.builder(new Probe(9), 10).build())
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("holds 9 examples: expected at least one batch of 10");
    }

    @Test
    void resumingAtASavedPositionGivesTheSameFollowingBatches() {
        Loader.Builder options = Loader.builder(new Probe(37), 4).seed(11).threads(2);
        Loader.Position saved;
        List<String> expected;
        try (Loader loader = options.build()) {
            take(loader, 13);
            saved = loader.position();
            expected = take(loader, 15);
        }
        assertThat(saved).isEqualTo(new Loader.Position(1, 4));

        try (Loader resumed = Loader.builder(new Probe(37), 4).seed(11).threads(3).startAt(saved).build()) {
            assertThat(resumed.position()).isEqualTo(saved);
            assertThat(take(resumed, 15)).isEqualTo(expected);
        }
        assertThatThrownBy(() -> Loader.builder(new Probe(37), 4).startAt(new Loader.Position(0, 9)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWorkerFailureReachesTheCallerAsTheOriginalException() {
        try (Loader loader = Loader.builder(new Probe(12, 5), 4).shuffle(false).threads(2).build()) {
            assertThat(loader.next().indices()).containsExactly(0, 1, 2, 3);

            assertThatThrownBy(loader::next).isSameAs(Probe.FAILURE);

            assertThat(loader.position()).isEqualTo(new Loader.Position(0, 2));
            assertThat(loader.next().indices()).containsExactly(8, 9, 10, 11);
        }
    }

    @Test
    void aClosedLoaderRefusesToContinue() {
        Loader loader = Loader.builder(new Probe(100), 10).build();
        loader.next();
        loader.close();

        assertThatThrownBy(loader::next).isInstanceOf(IllegalStateException.class);
    }

    private static List<String> take(Loader.Builder options, int count) {
        try (Loader loader = options.build()) {
            return take(loader, count);
        }
    }

    /** The next batches, each written out with its position, indices, pixels and labels for comparison. */
    private static List<String> take(Loader loader, int count) {
        List<String> batches = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Loader.Batch batch = loader.next();
            batches.add(batch.position() + " " + Arrays.toString(batch.indices()) + " "
                    + Arrays.toString(batch.pixels()) + " " + Arrays.toString(batch.labels()));
        }
        return batches;
    }

    private static List<Integer> indicesOfEpoch(Loader loader) {
        List<Integer> indices = new ArrayList<>();
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            Arrays.stream(loader.next().indices()).forEach(indices::add);
        }
        return indices;
    }

    private static List<Integer> range(int n) {
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(i);
        }
        return values;
    }
}
