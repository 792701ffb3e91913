package dev.titok.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The image formats that {@link ImageCodec} decodes, recognised by their leading bytes (never by file name).
 */
enum ImageFormat {
    PNG("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}),
    JPEG("jpeg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}),
    GIF("gif", "GIF8".getBytes(StandardCharsets.US_ASCII)),
    BMP("bmp", "BM".getBytes(StandardCharsets.US_ASCII));

    /** The list of accepted formats, as error messages state it. */
    static final String EXPECTED = "PNG, JPEG, BMP or GIF data";

    private final String imageIoName;
    private final byte[] magic;

    ImageFormat(String imageIoName, byte[] magic) {
        this.imageIoName = imageIoName;
        this.magic = magic;
    }

    /** The format name under which ImageIO registers readers for this format. */
    String imageIoName() {
        return imageIoName;
    }

    /** The format whose signature starts {@code data}, if any. */
    static Optional<ImageFormat> detect(byte[] data) {
        for (ImageFormat format : values()) {
            if (data.length >= format.magic.length
                    && Arrays.equals(data, 0, format.magic.length, format.magic, 0, format.magic.length)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /**
     * The first bytes in hex plus a guess at what the data is, for "not an image" messages:
     * {@code 50 4B 03 04 (zip)}. A user who passed the wrong file then sees at once what they passed.
     */
    static String describeLeadingBytes(byte[] data) {
        String hex = HexFormat.ofDelimiter(" ").withUpperCase().formatHex(data, 0, Math.min(4, data.length));
        String kind = guessKind(data);
        return kind.isEmpty() ? hex : hex + " (" + kind + ")";
    }

    private static String guessKind(byte[] data) {
        if (startsWith(data, 0, "PK\u0003\u0004")) {
            return "zip";
        }
        if (startsWith(data, 0, "\u001F\u008B")) {
            return "gzip";
        }
        if (startsWith(data, 0, "%PDF")) {
            return "PDF";
        }
        if (startsWith(data, 0, "RIFF") && startsWith(data, 8, "WEBP")) {
            return "WebP, not supported";
        }
        if (startsWith(data, 0, "II*\u0000") || startsWith(data, 0, "MM\u0000*")) {
            return "TIFF, not supported";
        }
        if (startsWith(data, 4, "ftyp")) {
            return "ISO media such as HEIC, AVIF or MP4, not supported";
        }
        return looksLikeText(data) ? "text" : "";
    }

    /** Byte-wise comparison with a string of chars 0..255 (Latin-1), so that binary signatures read naturally. */
    private static boolean startsWith(byte[] data, int offset, String signature) {
        byte[] expected = signature.getBytes(StandardCharsets.ISO_8859_1);
        return data.length >= offset + expected.length
                && Arrays.equals(data, offset, offset + expected.length, expected, 0, expected.length);
    }

    /** True when the first bytes are printable ASCII or white space (UTF-8 text starts like that in practice). */
    private static boolean looksLikeText(byte[] data) {
        int n = Math.min(64, data.length);
        for (int i = 0; i < n; i++) {
            int b = data[i] & 0xFF;
            boolean printable = b >= 0x20 && b < 0x7F;
            boolean whitespace = b == '\n' || b == '\r' || b == '\t';
            if (!printable && !whitespace) {
                return false;
            }
        }
        return n > 0;
    }
}
