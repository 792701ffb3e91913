package dev.titok.image;

import java.awt.image.BufferedImage;

/**
 * Bridges {@link BufferedImage} and the packed {@code 0xRRGGBB} int arrays (row-major) that the pixel code works on.
 *
 * <p>Going through the raster's data elements instead of {@code getRGB} avoids a per-pixel colour-model call and is
 * correct for sub-images too (their buffer has offsets and a wider scan line).
 */
final class RgbPixels {

    private RgbPixels() {
    }

    /** The pixels of {@code image} as packed RGB; images of other types are first converted like {@link ImageCodec#toRgb}. */
    static int[] of(BufferedImage image) {
        BufferedImage rgb = ImageCodec.toRgb(image);
        return (int[]) rgb.getRaster().getDataElements(0, 0, rgb.getWidth(), rgb.getHeight(), null);
    }

    /** A new TYPE_INT_RGB image holding {@code pixels} (row-major, {@code width * height} entries). */
    static BufferedImage image(int width, int height, int[] pixels) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.getRaster().setDataElements(0, 0, width, height, pixels);
        return image;
    }

    static int red(int pixel) {
        return (pixel >> 16) & 0xFF;
    }

    static int green(int pixel) {
        return (pixel >> 8) & 0xFF;
    }

    static int blue(int pixel) {
        return pixel & 0xFF;
    }

    static int pack(int red, int green, int blue) {
        return (red << 16) | (green << 8) | blue;
    }
}
