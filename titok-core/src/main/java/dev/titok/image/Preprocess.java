package dev.titok.image;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The image transforms of the official training and evaluation code, bit-exact with torchvision on PIL images.
 *
 * <p>Evaluation ({@link #evalTransform}): {@code Resize(size)} (shorter side to {@code size}, Pillow bicubic) →
 * {@code CenterCrop(size)} → {@code ToTensor}. Tokenizer training ({@link #trainTransform}): {@code Resize(size)} →
 * {@code RandomCrop(size)} → {@code RandomHorizontalFlip()} → {@code ToTensor}. Pretokenization uses the ADM crop
 * ({@link #admCenterCrop}).
 *
 * <p>Images of any type are accepted and converted to 8-bit RGB like {@link ImageCodec#toRgb}; results are new
 * TYPE_INT_RGB images (inputs are never modified). Tensors are float arrays in CHW order (channel planes R, G, B),
 * values {@code v / 255f} in [0, 1], which the model code wraps into NDArrays. All methods are thread-safe.
 */
public final class Preprocess {

    private Preprocess() {
    }

    /**
     * torchvision's {@code Resize(size)} with an int size: the shorter side becomes {@code size}, the longer side
     * {@code int(size * long / short)} (truncated), resampled with Pillow's antialiased bicubic filter. An image that
     * already has that size is returned as a copy, as Pillow does.
     */
    public static BufferedImage resizeShorterSide(BufferedImage image, int size) {
        requirePositive(size, "size");
        int width = image.getWidth();
        int height = image.getHeight();
        int shorter = Math.min(width, height);
        int longer = (int) ((double) ((long) size * Math.max(width, height)) / shorter);
        return width <= height ? resize(image, size, longer) : resize(image, longer, size);
    }

    /** Pillow's {@code image.resize((width, height), Image.BICUBIC)} on 8-bit RGB, bit for bit. */
    public static BufferedImage resize(BufferedImage image, int width, int height) {
        return resize(image, width, height, PilResize.Filter.BICUBIC);
    }

    /**
     * torchvision's {@code CenterCrop(size)}: the crop starts at {@code round((H - size) / 2)} and
     * {@code round((W - size) / 2)} with round-half-to-even; a side shorter than {@code size} is first padded with
     * black, {@code (size - side) / 2} before and the rest after, as torchvision does.
     */
    public static BufferedImage centerCrop(BufferedImage image, int size) {
        requirePositive(size, "size");
        BufferedImage padded = padTo(image, size);
        int top = (int) Math.rint((padded.getHeight() - size) / 2.0);
        int left = (int) Math.rint((padded.getWidth() - size) / 2.0);
        return crop(padded, left, top, size, size);
    }

    /**
     * torchvision's {@code RandomCrop(size)} (no padding): a {@code size x size} window at a uniformly drawn position.
     * Draws the top offset, then the left offset, each with {@code random.nextInt(bound)}.
     *
     * @throws IllegalArgumentException when a side of the image is shorter than {@code size} (torchvision raises too)
     */
    public static BufferedImage randomCrop(BufferedImage image, int size, RandomGenerator random) {
        requirePositive(size, "size");
        if (image.getWidth() < size || image.getHeight() < size) {
            throw new IllegalArgumentException("crop size " + size + " is larger than the "
                    + image.getWidth() + "x" + image.getHeight() + " image");
        }
        int top = random.nextInt(image.getHeight() - size + 1);
        int left = random.nextInt(image.getWidth() - size + 1);
        return crop(image, left, top, size, size);
    }

    /** The mirror image (left and right swapped). */
    public static BufferedImage horizontalFlip(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] pixels = RgbPixels.of(image);
        int[] flipped = new int[pixels.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                flipped[y * width + x] = pixels[y * width + width - 1 - x];
            }
        }
        return RgbPixels.image(width, height, flipped);
    }

    /**
     * The pretokenization crop of the official code (ADM's {@code center_crop_arr}): while the shorter side is at least
     * {@code 2 * size}, halve both sides ({@code side // 2}) with Pillow's BOX filter; then scale both sides by
     * {@code size / shorter} with Pillow bicubic, rounding each to the nearest integer (half to even, Python's
     * {@code round}); finally crop the centre at {@code (H - size) // 2}, {@code (W - size) // 2}.
     */
    public static BufferedImage admCenterCrop(BufferedImage image, int size) {
        requirePositive(size, "size");
        BufferedImage current = image;
        while (Math.min(current.getWidth(), current.getHeight()) >= 2 * size) {
            current = resize(current, current.getWidth() / 2, current.getHeight() / 2, PilResize.Filter.BOX);
        }
        double scale = (double) size / Math.min(current.getWidth(), current.getHeight());
        int width = (int) Math.rint(current.getWidth() * scale);
        int height = (int) Math.rint(current.getHeight() * scale);
        BufferedImage scaled = resize(current, width, height, PilResize.Filter.BICUBIC);
        return crop(scaled, (width - size) / 2, (height - size) / 2, size, size);
    }

    /**
     * torchvision's {@code ToTensor}: 8-bit RGB to floats {@code v / 255f} (float32 division, as torch on CPU),
     * CHW order, length {@code 3 * height * width}.
     */
    public static float[] toTensor(BufferedImage image) {
        float[] tensor = new float[3 * image.getWidth() * image.getHeight()];
        toTensor(image, tensor, 0);
        return tensor;
    }

    /**
     * {@link #toTensor(BufferedImage)} into {@code destination} starting at {@code offset}, for filling a batch in place.
     *
     * @throws IllegalArgumentException when the destination has fewer than {@code 3 * height * width} floats after offset
     */
    public static void toTensor(BufferedImage image, float[] destination, int offset) {
        int plane = image.getWidth() * image.getHeight();
        if (offset < 0 || destination.length - offset < 3 * plane) {
            throw new IllegalArgumentException("destination of " + destination.length + " floats has no room for "
                    + 3 * plane + " floats at offset " + offset);
        }
        int[] pixels = RgbPixels.of(image);
        for (int i = 0; i < plane; i++) {
            int pixel = pixels[i];
            destination[offset + i] = RgbPixels.red(pixel) / 255f;
            destination[offset + plane + i] = RgbPixels.green(pixel) / 255f;
            destination[offset + 2 * plane + i] = RgbPixels.blue(pixel) / 255f;
        }
    }

    /**
     * A batch tensor (B, 3, H, W) of images that all have the same size.
     *
     * @throws IllegalArgumentException when the list is empty or the sizes differ
     */
    public static float[] toTensor(List<BufferedImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to batch");
        }
        int width = images.get(0).getWidth();
        int height = images.get(0).getHeight();
        int imageFloats = 3 * width * height;
        float[] batch = new float[images.size() * imageFloats];
        for (int b = 0; b < images.size(); b++) {
            BufferedImage image = images.get(b);
            if (image.getWidth() != width || image.getHeight() != height) {
                throw new IllegalArgumentException("image " + b + " is " + image.getWidth() + "x" + image.getHeight()
                        + ", expected " + width + "x" + height + " like image 0");
            }
            toTensor(image, batch, b * imageFloats);
        }
        return batch;
    }

    /** The evaluation transform: {@link #resizeShorterSide} → {@link #centerCrop} → {@link #toTensor}, (3, size, size). */
    public static float[] evalTransform(BufferedImage image, int size) {
        return toTensor(centerCrop(resizeShorterSide(image, size), size));
    }

    /**
     * The tokenizer training transform: {@link #resizeShorterSide} → {@link #randomCrop} → flip with probability 1/2
     * → {@link #toTensor}. Draws, in this order: crop top, crop left, then {@code random.nextDouble() < 0.5} to flip.
     * (The generator recipe crops the centre instead: compose {@link #centerCrop} and {@link #horizontalFlip}.)
     */
    public static float[] trainTransform(BufferedImage image, int size, RandomGenerator random) {
        BufferedImage cropped = randomCrop(resizeShorterSide(image, size), size, random);
        return toTensor(random.nextDouble() < 0.5 ? horizontalFlip(cropped) : cropped);
    }

    private static BufferedImage resize(BufferedImage image, int width, int height, PilResize.Filter filter) {
        requirePositive(width, "width");
        requirePositive(height, "height");
        int[] pixels = PilResize.resize(RgbPixels.of(image), image.getWidth(), image.getHeight(), width, height, filter);
        return RgbPixels.image(width, height, pixels);
    }

    /** torchvision's padding before a centre crop: black borders, the smaller half before, the larger half after. */
    private static BufferedImage padTo(BufferedImage image, int size) {
        int width = image.getWidth();
        int height = image.getHeight();
        if (width >= size && height >= size) {
            return image;
        }
        int left = Math.max(size - width, 0) / 2;
        int top = Math.max(size - height, 0) / 2;
        int paddedWidth = Math.max(width, size);
        int paddedHeight = Math.max(height, size);
        int[] pixels = RgbPixels.of(image);
        int[] padded = new int[paddedWidth * paddedHeight]; // zero: black
        for (int y = 0; y < height; y++) {
            System.arraycopy(pixels, y * width, padded, (y + top) * paddedWidth + left, width);
        }
        return RgbPixels.image(paddedWidth, paddedHeight, padded);
    }

    private static BufferedImage crop(BufferedImage image, int left, int top, int width, int height) {
        int[] pixels = RgbPixels.of(image);
        int[] cropped = new int[width * height];
        for (int y = 0; y < height; y++) {
            System.arraycopy(pixels, (y + top) * image.getWidth() + left, cropped, y * width, width);
        }
        return RgbPixels.image(width, height, cropped);
    }

    private static void requirePositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
