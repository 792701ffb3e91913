package dev.titok.data;

import java.util.List;
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
}
