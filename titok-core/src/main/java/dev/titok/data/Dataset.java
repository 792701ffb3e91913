package dev.titok.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * An indexable collection of square RGB images with optional class labels, the input of {@link Loader}.
 *
 * <p>Implementations are immutable and {@link #get} is thread-safe: the loader calls it from several threads at once.
 * Any randomness of an example (augmentation) comes from the generator passed in, never from a field, so that the
 * loader can make every example depend only on its seed, epoch and index, whatever the thread timing.
 */
public interface Dataset {

    /** The number of examples. */
    int size();

    /** The side S of every image: {@link #get} returns (3, S, S) pixels. */
    int imageSize();

    /**
     * Example {@code index}, decoded and transformed.
     *
     * @param augmentationRandom the source of every random choice of the transform (crop offset, flip)
     * @throws IndexOutOfBoundsException when {@code index} is not in [0, size())
     * @throws dev.titok.TitokException when the stored image cannot be read (naming its file)
     */
    Example get(int index, RandomGenerator augmentationRandom);

    /** The number of classes: labels are in [0, numClasses()); 0 for an unlabeled dataset. */
    int numClasses();

    /** The name of each class id when known ({@code numClasses()} names), otherwise an empty list. */
    List<String> classNames();

    /**
     * A view of {@code count} examples drawn without replacement by a seeded shuffle and kept in index order, so that
     * the class mix of the whole is kept whatever the storage order (class folders, label = index mod 10); the whole
     * dataset when {@code count >= size()}.
     */
    default Dataset subset(int count, long seed) {
        if (count >= size()) {
            return this;
        }
        if (count < 1) {
            throw new IllegalArgumentException("a subset needs at least one example, got " + count);
        }
        Dataset all = this;
        int[] chosen = Arrays.copyOf(Loader.order(seed, 0, size()), count);
        Arrays.sort(chosen);
        return new Dataset() {
            @Override
            public int size() {
                return count;
            }

            @Override
            public int imageSize() {
                return all.imageSize();
            }

            @Override
            public Example get(int index, RandomGenerator augmentationRandom) {
                Objects.checkIndex(index, count);
                return all.get(chosen[index], augmentationRandom);
            }

            @Override
            public int numClasses() {
                return all.numClasses();
            }

            @Override
            public List<String> classNames() {
                return all.classNames();
            }

            @Override
            public String toString() {
                return count + " of " + all;
            }
        };
    }
}
