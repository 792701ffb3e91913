package dev.titok.data;

import dev.titok.TitokException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One IDX file (the MNIST format): a big-endian header {@code 00 00 type ndims}, {@code ndims} 32-bit sizes, then the
 * values. Only unsigned bytes (type 0x08) are accepted, which is what MNIST-style images and labels hold. The file
 * may be gzip-compressed, recognised by its magic {@code 1f 8b}, not by its name.
 *
 * @param file   where it was read from, for messages
 * @param dims   the sizes of the dimensions
 * @param bytes  the whole decompressed file; the values start at {@code offset} (kept in place to avoid a copy)
 * @param offset where the values start
 */
record IdxFile(Path file, int[] dims, byte[] bytes, int offset) {

    /** Magic number of an images file: unsigned bytes, 3 dimensions (count, rows, columns). */
    static final int IMAGES_MAGIC = 0x0803;
    /** Magic number of a labels file: unsigned bytes, 1 dimension (count). */
    static final int LABELS_MAGIC = 0x0801;

    private static final int UNSIGNED_BYTE = 0x08;
    private static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Reads and validates a file.
     *
     * @param expectedMagic {@link #IMAGES_MAGIC} or {@link #LABELS_MAGIC}
     * @throws TitokException naming the file when it is missing, not IDX of the expected kind, truncated or too long
     */
    static IdxFile read(Path file, int expectedMagic) {
        String expected = expectedMagic == IMAGES_MAGIC
                ? "an IDX images file (magic 2051 = 00 00 08 03)" : "an IDX labels file (magic 2049 = 00 00 08 01)";
        byte[] bytes = readMaybeGzipped(file, expected);
        if (bytes.length < 4 || bytes[0] != 0 || bytes[1] != 0) {
            throw new TitokException(file + " is not an IDX file: expected " + expected + ", found "
                    + (bytes.length < 4 ? bytes.length + " bytes" : "bytes " + hex(bytes, 4)));
        }
        int magic = readInt(bytes, 0);
        if (magic != expectedMagic) {
            String found = magic == IMAGES_MAGIC ? "an images file (magic 2051)"
                    : magic == LABELS_MAGIC ? "a labels file (magic 2049)"
                    : (bytes[2] & 0xFF) != UNSIGNED_BYTE
                    ? String.format("value type 0x%02x (only unsigned bytes, 0x08, are supported)", bytes[2] & 0xFF)
                    : (bytes[3] & 0xFF) + " dimensions (magic " + magic + ")";
            throw new TitokException(file + ": expected " + expected + ", found " + found);
        }
        int rank = bytes[3] & 0xFF;
        int offset = 4 + 4 * rank;
        if (bytes.length < offset) {
            throw new TitokException(file + " is truncated: expected a header of " + offset + " bytes, found "
                    + bytes.length + " bytes");
        }
        int[] dims = new int[rank];
        long values = 1;
        for (int d = 0; d < rank; d++) {
            long size = Integer.toUnsignedLong(readInt(bytes, 4 + 4 * d));
            if (size == 0 || size > MAX_BYTES) {
                throw new TitokException(file + ": dimension " + d + " has size " + size + ", expected 1 to " + MAX_BYTES);
            }
            dims[d] = (int) size;
            values *= size;
            if (values > MAX_BYTES) {
                throw new TitokException(file + ": the header announces more than " + MAX_BYTES
                        + " values, more than this reader holds in memory");
            }
        }
        long found = bytes.length - offset;
        if (found != values) {
            throw new TitokException(file + (found < values ? " is truncated" : " has trailing data") + ": the header "
                    + Arrays.toString(dims) + " announces " + values + " bytes of values, found " + found);
        }
        return new IdxFile(file, dims, bytes, offset);
    }

    /** Number of entries along the first dimension (images or labels). */
    int count() {
        return dims[0];
    }

    private static byte[] readMaybeGzipped(Path file, String expected) {
        if (Files.isDirectory(file)) {
            throw new TitokException(file + " is a directory: expected " + expected);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            in.mark(2);
            boolean gzip = in.read() == 0x1F && in.read() == 0x8B;
            in.reset();
            if (!gzip) {
                return in.readAllBytes();
            }
            try (InputStream unzipped = new GZIPInputStream(in, 1 << 16)) {
                return unzipped.readAllBytes();
            } catch (EOFException | ZipException e) {
                throw new TitokException(file + " is a truncated or corrupt gzip file: " + e.getMessage()
                        + " (expected " + expected + ", gzip-compressed or plain)", e);
            }
        } catch (NoSuchFileException e) {
            throw new TitokException(file + " does not exist: expected " + expected, e);
        } catch (IOException e) {
            throw new TitokException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int readInt(byte[] bytes, int at) {
        return ((bytes[at] & 0xFF) << 24) | ((bytes[at + 1] & 0xFF) << 16) | ((bytes[at + 2] & 0xFF) << 8) | (bytes[at + 3] & 0xFF);
    }

    private static String hex(byte[] bytes, int count) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes, 0, Math.min(count, bytes.length));
    }
}
