package dev.titok.image;

import dev.titok.TitokException;

/**
 * Detects truncated JPEG data before decoding.
 *
 * <p>ImageIO's JPEG decoder (libjpeg) pads a cut-off stream with grey and only issues a warning, so a half-downloaded
 * photo would decode "successfully". Pillow refuses such files ("image file is truncated"). A complete JPEG has an
 * end-of-image marker (FF D9) after its first scan; inside entropy-coded data every FF byte is followed by 00 or a
 * restart marker, so an FF D9 there can only be the real end. The first scan is found by {@link JpegHeader}, which
 * skips the segments before it by their lengths, since EXIF thumbnails in APP1 carry FF D9 of their own.
 */
final class JpegCheck {

    private static final int MARKER_PREFIX = 0xFF;
    private static final int END_OF_IMAGE = 0xD9;

    private JpegCheck() {
    }

    /**
     * @param jpeg   data that starts with the JPEG signature FF D8 FF
     * @param header the markers of {@code jpeg}
     * @param name   how error messages call the data
     * @throws TitokException when the data ends before its first scan or has no end-of-image marker after it
     */
    static void requireComplete(byte[] jpeg, JpegHeader header, String name) {
        int scan = header.scanOffset();
        if (scan < 0 || !containsEndOfImage(jpeg, scan + 2)) {
            throw new TitokException(name + " is truncated: expected JPEG data that ends with an end-of-image marker"
                    + " (FF D9) after the image data, found " + jpeg.length + " bytes without one");
        }
    }

    private static boolean containsEndOfImage(byte[] jpeg, int from) {
        for (int i = from; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == MARKER_PREFIX && (jpeg[i + 1] & 0xFF) == END_OF_IMAGE) {
                return true;
            }
        }
        return false;
    }
}
