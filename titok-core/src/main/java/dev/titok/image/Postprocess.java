package dev.titok.image;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns model outputs (float CHW tensors, nominally in [0, 1], not clamped by the decoders) into 8-bit RGB images.
 */
public final class Postprocess {

    private Postprocess() {
    }

    /**
     * One image from a CHW float array.
     *
     * @param chw      channel planes R, G, B, each {@code height * width} floats, row-major
     * @param offset   index of the first float of this image in {@code chw}
     * @param rounding {@link Rounding#ROUND_HALF_EVEN} for evaluation, {@link Rounding#TRUNCATE} as the sampling script
     * @return a new TYPE_INT_RGB image
     * @throws IllegalArgumentException when {@code chw} holds fewer than {@code 3 * height * width} floats after offset
     */
    public static BufferedImage toImage(float[] chw, int offset, int height, int width, Rounding rounding) {
        int plane = height * width;
        if (height <= 0 || width <= 0 || offset < 0 || chw.length - offset < 3 * plane) {
            throw new IllegalArgumentException("cannot read a 3x" + height + "x" + width + " image at offset " + offset
                    + " from " + chw.length + " floats");
        }
        int[] pixels = new int[plane];
        for (int i = 0; i < plane; i++) {
            pixels[i] = RgbPixels.pack(
                    rounding.toLevel(chw[offset + i]),
                    rounding.toLevel(chw[offset + plane + i]),
                    rounding.toLevel(chw[offset + 2 * plane + i]));
        }
        return RgbPixels.image(width, height, pixels);
    }

    /**
     * All images of a (B, 3, H, W) batch.
     *
     * @throws IllegalArgumentException when {@code batch} is not {@code count * 3 * height * width} floats long
     */
    public static List<BufferedImage> toImages(float[] batch, int count, int height, int width, Rounding rounding) {
        int imageFloats = 3 * height * width;
        if ((long) count * imageFloats != batch.length) {
            throw new IllegalArgumentException("a batch of " + count + " images 3x" + height + "x" + width + " needs "
                    + (long) count * imageFloats + " floats, got " + batch.length);
        }
        List<BufferedImage> images = new ArrayList<>(count);
        for (int b = 0; b < count; b++) {
            images.add(toImage(batch, b * imageFloats, height, width, rounding));
        }
        return images;
    }
}
