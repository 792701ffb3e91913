package dev.titok.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * What libjpeg learns from a JPEG's markers before the first scan, as far as the pixels depend on it: where the scan
 * starts, the kind of frame, its component ids, and whether a JFIF (APP0) or an Adobe (APP14) marker was seen.
 *
 * <p>The markers are walked as libjpeg walks them: stray bytes between segments and fill bytes before a marker are
 * skipped, and segments are skipped by their lengths, so the markers of an EXIF thumbnail inside APP1 are never taken
 * for the image's own.
 */
final class JpegHeader {

    /** How libjpeg interprets the samples of an 8-bit DCT JPEG; it guesses this from the markers (see {@link #colourSpace}). */
    enum ColourSpace {
        GREY, YCBCR, RGB, CMYK, YCCK
    }

    private static final int MARKER_PREFIX = 0xFF;
    private static final int START_OF_SCAN = 0xDA;
    private static final int END_OF_IMAGE = 0xD9;
    private static final int APP0 = 0xE0;
    private static final int APP14 = 0xEE;

    /** libjpeg recognises a JFIF marker only in an APP0 of at least 14 data bytes, an Adobe marker in an APP14 of 12. */
    private static final int JFIF_MIN_DATA = 14;
    private static final int ADOBE_MIN_DATA = 12;
    private static final int ADOBE_TRANSFORM_OFFSET = 11;
    private static final byte[] JFIF_ID = "JFIF\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ADOBE_ID = "Adobe".getBytes(StandardCharsets.US_ASCII);

    /** Adobe's transform flag: 0 means the samples are stored as they are (RGB or CMYK), 1 YCbCr, 2 YCCK. */
    private static final int ADOBE_UNTRANSFORMED = 0;
    private static final int NO_ADOBE_MARKER = -1;

    private final int scanOffset;
    private final int frameMarker;
    private final int precision;
    private final int[] componentIds;
    private final boolean jfif;
    private final int adobeTransform;

    private JpegHeader(int scanOffset, int frameMarker, int precision, int[] componentIds, boolean jfif,
            int adobeTransform) {
        this.scanOffset = scanOffset;
        this.frameMarker = frameMarker;
        this.precision = precision;
        this.componentIds = componentIds;
        this.jfif = jfif;
        this.adobeTransform = adobeTransform;
    }

    /** Reads the markers of {@code jpeg} (data that starts with FF D8 FF) up to its first start-of-scan marker. */
    static JpegHeader read(byte[] jpeg) {
        int frameMarker = 0;
        int precision = 0;
        int[] componentIds = new int[0];
        boolean jfif = false;
        int adobeTransform = NO_ADOBE_MARKER;
        int i = 2; // after the start-of-image marker
        while (i + 1 < jpeg.length) {
            if (u8(jpeg, i) != MARKER_PREFIX) {
                i++; // stray bytes between segments: libjpeg skips them with a warning, so do we
                continue;
            }
            int marker = u8(jpeg, i + 1);
            if (marker == MARKER_PREFIX) {
                i++; // fill byte before a marker
            } else if (marker == START_OF_SCAN) {
                return new JpegHeader(i, frameMarker, precision, componentIds, jfif, adobeTransform);
            } else if (marker == END_OF_IMAGE) {
                break;
            } else if (isStandalone(marker)) {
                i += 2;
            } else if (i + 3 < jpeg.length) {
                int length = (u8(jpeg, i + 2) << 8) | u8(jpeg, i + 3);
                int data = i + 4;
                int dataLength = Math.min(length - 2, jpeg.length - data);
                if (isStartOfFrame(marker) && frameMarker == 0) {
                    frameMarker = marker;
                    precision = dataLength > 0 ? u8(jpeg, data) : 0;
                    componentIds = componentIds(jpeg, data, dataLength);
                } else if (marker == APP0 && dataLength >= JFIF_MIN_DATA && startsWith(jpeg, data, JFIF_ID)) {
                    jfif = true;
                } else if (marker == APP14 && dataLength >= ADOBE_MIN_DATA && startsWith(jpeg, data, ADOBE_ID)) {
                    adobeTransform = u8(jpeg, data + ADOBE_TRANSFORM_OFFSET); // a later Adobe marker wins, as in libjpeg
                }
                i += 2 + length;
            } else {
                break;
            }
        }
        return new JpegHeader(-1, frameMarker, precision, componentIds, jfif, adobeTransform);
    }

    /** Offset of the first start-of-scan marker, or -1 when the data (or the image) ends before it. */
    int scanOffset() {
        return scanOffset;
    }

    /**
     * The colour space libjpeg-turbo assumes for the samples (jdapimin.c, {@code default_decompress_parms}), which is
     * what Pillow gets since it leaves libjpeg's guess alone:
     * <ul>
     *   <li>1 component: grey;</li>
     *   <li>3 components: YCbCr with a JFIF marker; otherwise RGB when an Adobe marker says transform 0, YCbCr for any
     *       other transform; without either marker RGB only for the component ids 'R', 'G', 'B', else YCbCr;</li>
     *   <li>4 components: YCCK when an Adobe marker says any transform but 0, otherwise (no marker too) CMYK.</li>
     * </ul>
     *
     * @return empty for what this path leaves to the image reader: other component counts, and frames other than
     *         8-bit sequential or progressive DCT (lossless, hierarchical, 12-bit), which Pillow cannot open either
     */
    Optional<ColourSpace> colourSpace() {
        if (!isDecodableFrame(frameMarker) || precision != 8) {
            return Optional.empty();
        }
        switch (componentIds.length) {
            case 1:
                return Optional.of(ColourSpace.GREY);
            case 3:
                if (jfif) {
                    return Optional.of(ColourSpace.YCBCR);
                }
                if (adobeTransform != NO_ADOBE_MARKER) {
                    return Optional.of(adobeTransform == ADOBE_UNTRANSFORMED ? ColourSpace.RGB : ColourSpace.YCBCR);
                }
                return Optional.of(Arrays.equals(componentIds, new int[] {'R', 'G', 'B'})
                        ? ColourSpace.RGB : ColourSpace.YCBCR);
            case 4:
                return Optional.of(adobeTransform == NO_ADOBE_MARKER || adobeTransform == ADOBE_UNTRANSFORMED
                        ? ColourSpace.CMYK : ColourSpace.YCCK);
            default:
                return Optional.empty();
        }
    }

    /** The ids of the frame's components; the count byte sits after precision (1), height (2) and width (2). */
    private static int[] componentIds(byte[] jpeg, int data, int dataLength) {
        if (dataLength < 6) {
            return new int[0];
        }
        int count = u8(jpeg, data + 5);
        int available = Math.min(count, (dataLength - 6) / 3);
        int[] ids = new int[available];
        for (int c = 0; c < available; c++) {
            ids[c] = u8(jpeg, data + 6 + 3 * c);
        }
        return ids;
    }

    /** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    /** Baseline, extended and progressive DCT, Huffman (SOF0..SOF2) or arithmetic (SOF9, SOF10) coded. */
    private static boolean isDecodableFrame(int marker) {
        return marker == 0xC0 || marker == 0xC1 || marker == 0xC2 || marker == 0xC9 || marker == 0xCA;
    }

    /** Markers without a length field: TEM, RST0..RST7, SOI; and FF 00, which libjpeg skips as stray bytes. */
    private static boolean isStandalone(int marker) {
        return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8) || marker == 0x00;
    }

    private static boolean startsWith(byte[] data, int offset, byte[] prefix) {
        return data.length >= offset + prefix.length
                && Arrays.equals(data, offset, offset + prefix.length, prefix, 0, prefix.length);
    }

    private static int u8(byte[] data, int offset) {
        return data[offset] & 0xFF;
    }
}
