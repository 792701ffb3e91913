package dev.titok.data;

import dev.titok.TitokException;
import dev.titok.image.Preprocess;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A grey-scale image set in the IDX format of MNIST and Fashion-MNIST: an images file (magic 2051) and optionally a
 * labels file (magic 2049), each gzip-compressed or plain.
 *
 * <p>The files are decoded once into memory (60,000 images of 28x28 are 47 MB); examples are made on demand: the grey
 * value is repeated into R, G and B and the image brought to the requested side by {@link Fit#PAD} (black borders,
 * pixels unchanged) or {@link Fit#RESIZE} (Pillow bicubic). Instances are immutable; the {@code with...} methods return
 * variants that share the decoded data.
 */
public final class IdxDataset implements Dataset {

    /** The classes of Fashion-MNIST, by label. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** The largest padding per side that {@link #withSize(int)} chooses over resizing. */
    private static final int MAX_DEFAULT_PADDING = 4;

    /** How a stored image is brought to the requested side. */
    public enum Fit {
        /**
         * Black borders around the unchanged image, {@code (S - side) / 2} before and the rest after (28 → 32: 2 pixels
         * on each side). Needs S at least the stored side.
         */
        PAD,
        /** Pillow's bicubic resize to S x S (as {@code Image.resize((S, S), BICUBIC)}). */
        RESIZE
    }

    /** The standard file sets of the MNIST-style distributions. */
    public enum Split {
        /** {@code train-images-idx3-ubyte[.gz]} and {@code train-labels-idx1-ubyte[.gz]}. */
        TRAIN("train"),
        /** {@code t10k-images-idx3-ubyte[.gz]} and {@code t10k-labels-idx1-ubyte[.gz]}. */
        TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private final IdxFile images;
    private final IdxFile labels;
    private final int size;
    private final Fit fit;
    private final List<String> classNames;
    private final int numClasses;
    private final boolean randomFlip;

    private IdxDataset(IdxFile images, IdxFile labels, int size, Fit fit, List<String> classNames, boolean randomFlip) {
        this.images = images;
        this.labels = labels;
        this.size = size;
        this.fit = fit;
        this.classNames = classNames;
        this.randomFlip = randomFlip;
        this.numClasses = labels == null ? 0 : classNames.isEmpty() ? maxLabel(labels) + 1 : classNames.size();
    }

    /**
     * An unlabeled dataset from an images file, at the stored side (the longer one, should the images not be square).
     *
     * @throws TitokException naming the file when it is missing, not an IDX images file or truncated
     */
    public static IdxDataset open(Path images) {
        IdxFile pixels = readImages(images);
        return new IdxDataset(pixels, null, storedSide(pixels), Fit.PAD, List.of(), false);
    }

    /**
     * A labelled dataset at the stored side, without class names (the label count is the largest label plus one).
     *
     * @throws TitokException naming the file when either is missing, not IDX of its kind or truncated, or when the
     *                        two files count different numbers of examples
     */
    public static IdxDataset open(Path images, Path labels) {
        IdxFile pixels = readImages(images);
        IdxFile classes = IdxFile.read(labels, IdxFile.LABELS_MAGIC);
        if (classes.dims().length != 1) {
            throw new TitokException(labels + ": expected one dimension (the label count), found "
                    + classes.dims().length);
        }
        if (classes.count() != pixels.count()) {
            throw new TitokException(labels + " holds " + classes.count() + " labels but " + images + " holds "
                    + pixels.count() + " images: expected one label per image");
        }
        return new IdxDataset(pixels, classes, storedSide(pixels), Fit.PAD, List.of(), false);
    }

    /**
     * Fashion-MNIST from the folder of its standard files (gzip-compressed or not), with its class names.
     *
     * @throws TitokException when the files are missing or invalid
     */
    public static IdxDataset fashionMnist(Path folder, Split split) {
        return open(standardFile(folder, split.prefix + "-images-idx3-ubyte"),
                standardFile(folder, split.prefix + "-labels-idx1-ubyte")).withClassNames(FASHION_MNIST_CLASSES);
    }

    /**
     * This dataset at side {@code size}: padded when that adds at most 4 pixels per side (28 → 32 keeps every pixel
     * exact), resized otherwise.
     */
    public IdxDataset withSize(int size) {
        boolean smallPadding = size >= storedSide(images)
                && size - Math.min(images.dims()[1], images.dims()[2]) <= 2 * MAX_DEFAULT_PADDING;
        return withSize(size, smallPadding ? Fit.PAD : Fit.RESIZE);
    }

    /**
     * This dataset at side {@code size}, brought there by {@code fit}.
     *
     * @throws IllegalArgumentException when {@code fit} is {@link Fit#PAD} and {@code size} is below the stored side
     */
    public IdxDataset withSize(int size, Fit fit) {
        if (size <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        int rows = images.dims()[1];
        int cols = images.dims()[2];
        if (fit == Fit.PAD && (size < rows || size < cols)) {
            throw new IllegalArgumentException("cannot pad the " + cols + "x" + rows + " images of " + images.file()
                    + " to " + size + "x" + size + ": choose Fit.RESIZE to shrink them");
        }
        return new IdxDataset(images, labels, size, Objects.requireNonNull(fit, "fit"), classNames, randomFlip);
    }

    /**
     * This dataset with class names, one per label value.
     *
     * @throws TitokException when a label is not below {@code names.size()}
     */
    public IdxDataset withClassNames(List<String> names) {
        List<String> copy = List.copyOf(names);
        if (labels == null) {
            throw new IllegalStateException(images.file() + " has no labels file, so it has no classes to name");
        }
        int max = maxLabel(labels);
        if (max >= copy.size()) {
            throw new TitokException(labels.file() + " holds label " + max + ", expected labels below the "
                    + copy.size() + " class names given");
        }
        return new IdxDataset(images, labels, size, fit, copy, randomFlip);
    }

    /**
     * This dataset with (true) or without (false) a horizontal flip with probability 1/2 drawn for each example as
     * {@code nextDouble() < 0.5}: good for clothes, wrong for digits. Off by default.
     */
    public IdxDataset withRandomFlip(boolean flip) {
        return new IdxDataset(images, labels, size, fit, classNames, flip);
    }

    @Override
    public int size() {
        return images.count();
    }

    @Override
    public int imageSize() {
        return size;
    }

    @Override
    public Example get(int index, RandomGenerator augmentationRandom) {
        Objects.checkIndex(index, images.count());
        int rows = images.dims()[1];
        int cols = images.dims()[2];
        int start = images.offset() + index * rows * cols;
        float[] pixels = fit == Fit.RESIZE && (rows != size || cols != size)
                ? resized(images.bytes(), start, rows, cols)
                : padded(images.bytes(), start, rows, cols);
        if (randomFlip && augmentationRandom.nextDouble() < 0.5) {
            flipRows(pixels);
        }
        return new Example(pixels, labels == null ? Example.UNLABELED : label(index));
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    /** The label of example {@code index} ({@link Example#UNLABELED} without a labels file), without decoding it. */
    public int label(int index) {
        Objects.checkIndex(index, images.count());
        return labels == null ? Example.UNLABELED : labels.bytes()[labels.offset() + index] & 0xFF;
    }

    /** How stored images are brought to {@link #imageSize()}. */
    public Fit fit() {
        return fit;
    }

    @Override
    public String toString() {
        return "IdxDataset(" + images.file() + ", " + images.count() + " images of " + images.dims()[1] + "x"
                + images.dims()[2] + " -> " + size + " by " + fit + (randomFlip ? ", random flip" : "") + ")";
    }

    private static IdxFile readImages(Path file) {
        IdxFile images = IdxFile.read(file, IdxFile.IMAGES_MAGIC);
        if (images.dims().length != 3) {
            throw new TitokException(file + ": expected three dimensions (count, rows, columns), found "
                    + images.dims().length);
        }
        return images;
    }

    /** The side of the square that holds a stored image: its longer side (images are padded to a square). */
    private static int storedSide(IdxFile images) {
        return Math.max(images.dims()[1], images.dims()[2]);
    }

    /** {@code name.gz} if present, else {@code name}; a missing file is reported by the reader under the .gz name. */
    private static Path standardFile(Path folder, String name) {
        Path plain = folder.resolve(name);
        Path gzipped = folder.resolve(name + ".gz");
        return Files.exists(gzipped) || !Files.exists(plain) ? gzipped : plain;
    }

    private static int maxLabel(IdxFile labels) {
        int max = 0;
        byte[] bytes = labels.bytes();
        for (int i = labels.offset(); i < bytes.length; i++) {
            max = Math.max(max, bytes[i] & 0xFF);
        }
        return max;
    }

    /** Grey to RGB planes, centred on a black S x S canvas. */
    private float[] padded(byte[] grey, int start, int rows, int cols) {
        int plane = size * size;
        float[] pixels = new float[3 * plane];
        int top = (size - rows) / 2;
        int left = (size - cols) / 2;
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                float v = (grey[start + y * cols + x] & 0xFF) / 255f;
                int at = (top + y) * size + left + x;
                pixels[at] = v;
                pixels[plane + at] = v;
                pixels[2 * plane + at] = v;
            }
        }
        return pixels;
    }

    /** Grey repeated into RGB, then Pillow's bicubic resize to S x S, as the official pipeline would see it. */
    private float[] resized(byte[] grey, int start, int rows, int cols) {
        int[] rgb = new int[rows * cols];
        for (int i = 0; i < rgb.length; i++) {
            int v = grey[start + i] & 0xFF;
            rgb[i] = (v << 16) | (v << 8) | v;
        }
        BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        image.getRaster().setDataElements(0, 0, cols, rows, rgb);
        return Preprocess.toTensor(Preprocess.resize(image, size, size));
    }

    /** Mirrors each row of the three planes in place. */
    private void flipRows(float[] pixels) {
        for (int row = 0; row < 3 * size; row++) {
            for (int left = row * size, right = left + size - 1; left < right; left++, right--) {
                float swap = pixels[left];
                pixels[left] = pixels[right];
                pixels[right] = swap;
            }
        }
    }
}
