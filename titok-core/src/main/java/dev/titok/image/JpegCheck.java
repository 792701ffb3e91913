package dev.titok.image;

import dev.titok.TitokException;

/**
 * Detects truncated JPEG data before decoding.
 *
 * <p>ImageIO's JPEG decoder (libjpeg) pads a cut-off stream with grey and only issues a warning, so a half-downloaded
 * photo would decode "successfully". Pillow refuses such files ("image file is truncated"). A complete JPEG has an
 * end-of-image marker (FF D9) after its first scan; inside entropy-coded data every FF byte is followed by 00 or a
 * restart marker, so an FF D9 there can only be the real end. Markers before the scan are skipped by their lengths,
 * since EXIF thumbnails in APP1 carry FF D9 of their own.
 */
final class JpegCheck {

    private static final int MARKER_PREFIX = 0xFF;
    private static final int START_OF_SCAN = 0xDA;
    private static final int END_OF_IMAGE = 0xD9;

    private JpegCheck() {
    }

    /**
     * @param jpeg data that starts with the JPEG signature FF D8 FF
     * @param name how error messages call the data
     * @throws TitokException when the data ends before its first scan or has no end-of-image marker after it
     */
    static void requireComplete(byte[] jpeg, String name) {
        int scan = firstScanMarker(jpeg);
        if (scan < 0 || !containsEndOfImage(jpeg, scan + 2)) {
            throw new TitokException(name + " is truncated: expected JPEG data that ends with an end-of-image marker"
                    + " (FF D9) after the image data, found " + jpeg.length + " bytes without one");
        }
    }

    /** Offset of the first start-of-scan marker, or -1 when the data ends (or the image ends) before it. */
    private static int firstScanMarker(byte[] jpeg) {
        int i = 2; // after the start-of-image marker
        while (i + 1 < jpeg.length) {
            if ((jpeg[i] & 0xFF) != MARKER_PREFIX) {
                i++; // stray bytes between segments: libjpeg skips them with a warning, so do we
                continue;
            }
            int marker = jpeg[i + 1] & 0xFF;
            if (marker == MARKER_PREFIX) {
                i++; // fill byte before a marker
            } else if (marker == START_OF_SCAN) {
                return i;
            } else if (marker == END_OF_IMAGE) {
                return -1;
            } else if (isStandalone(marker)) {
                i += 2;
            } else if (i + 3 < jpeg.length) {
                i += 2 + (((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF));
            } else {
                return -1;
            }
        }
        return -1;
    }

    /** Markers without a length field: TEM, RST0..RST7, SOI; and FF 00, which libjpeg skips as stray bytes. */
    private static boolean isStandalone(int marker) {
        return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8) || marker == 0x00;
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
