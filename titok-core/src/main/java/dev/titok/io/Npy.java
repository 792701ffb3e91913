package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * Reader and writer of NumPy {@code .npy} files, for exchanging single tensors with Python.
 *
 * <p>A file is the magic {@code \x93NUMPY}, a version byte pair, a header length (2 bytes in version 1.0,
 * 4 bytes in 2.0 and 3.0), a Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}
 * padded with spaces and a newline, then the raw data. Supported: little-endian {@code <f4 <f8 <f2 <i8 <i4 <i2}
 * and the single-byte {@code |i1 |u1 |b1}, in C (row-major) order. Arrays are read into the heap, so each file
 * must be under 2 GiB.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGNMENT = 64;
    private static final long MAX_HEADER_BYTES = 1 << 20;
    private static final Map<String, DType> DESCRS = Map.of(
            "<f4", DType.F32, "<f8", DType.F64, "<f2", DType.F16,
            "<i8", DType.I64, "<i4", DType.I32, "<i2", DType.I16,
            "|i1", DType.I8, "|u1", DType.U8, "|b1", DType.BOOL);
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN_ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    // Python 2 NumPy wrote long dimensions as e.g. 3L
    private static final Pattern DIMENSION = Pattern.compile("\\s*(\\d{1,18})L?\\s*");

    private Npy() {
    }

    /**
     * Reads an array.
     *
     * @throws TitokException naming the file when it is not a supported .npy file, or truncated
     */
    public static HostTensor read(Path file) {
        return fromBytes(file.toString(), readAll(file));
    }

    /**
     * Writes an array, under a temporary name that is then renamed to {@code file}. The header is version 1.0,
     * laid out exactly as {@code numpy.save} lays it out, so the file is byte-identical to NumPy's.
     *
     * @throws IllegalArgumentException for BF16, which NumPy has no type for, or more dimensions than a header holds
     * @throws TitokException           naming the file when it cannot be written
     */
    public static void write(Path file, HostTensor tensor) {
        byte[] header = header(tensor.dtype(), tensor.shape());
        AtomicFiles.write(file, ".npy file", channel -> {
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
            AtomicFiles.writeFully(channel, tensor.data());
        });
    }

    /**
     * Parses a whole .npy file held in memory (e.g. an entry of an .npz).
     *
     * @param source names the file in error messages
     * @throws TitokException when the bytes are not a supported .npy file, or truncated
     */
    static HostTensor fromBytes(String source, byte[] bytes) {
        int headerEnd = (int) headerEnd(source, bytes, bytes.length);
        Header header = parseHeader(source, bytes, headerEnd);
        ByteBuffer data = ByteBuffer.wrap(bytes, headerEnd, bytes.length - headerEnd).slice().order(ByteOrder.LITTLE_ENDIAN);
        header.checkData(source, data.remaining());
        return new HostTensor(header.dtype(), header.shape(), data);
    }

    /**
     * Reads the header at the start of a .npy stream and leaves the stream at the first data byte, so that large
     * arrays can be read piece by piece.
     *
     * @param size the length of the whole .npy file, for the truncation checks
     * @throws TitokException when the stream does not start with a supported .npy header
     * @throws IOException    when reading fails
     */
    static Header readHeader(String source, InputStream in, long size) throws IOException {
        // the magic, the version and the longest length field; a valid header text is longer than the 2 bytes
        // this may take from it
        byte[] preamble = in.readNBytes(MAGIC.length + 2 + 4);
        long headerEnd = headerEnd(source, preamble, size);
        byte[] header = Arrays.copyOf(preamble, (int) Math.max(headerEnd, preamble.length));
        int wanted = header.length - preamble.length;
        if (in.readNBytes(header, preamble.length, wanted) < wanted) {
            throw truncatedHeader(source, size);
        }
        return parseHeader(source, header, (int) headerEnd);
    }

    /**
     * The header of a .npy file.
     *
     * @param descr      the NumPy type string, e.g. {@code <f8}
     * @param dtype      the element type
     * @param shape      the dimensions
     * @param dataOffset where the data starts in the file
     */
    record Header(String descr, DType dtype, long[] shape, int dataOffset) {

        /** Bytes of data the shape needs. */
        long dataBytes(String source) {
            try {
                return HostTensor.byteSize(dtype, shape);
            } catch (ArithmeticException e) {
                throw new TitokException(source + ": the .npy shape " + Arrays.toString(shape) + " is too large");
            }
        }

        /** Checks that the file holds exactly the data the shape needs after the header. */
        void checkData(String source, long available) {
            long expected = dataBytes(source);
            if (available != expected) {
                throw new TitokException(String.format("%s: %s: a %s array of shape %s needs %,d bytes of data, the file holds %,d",
                        source, available < expected ? "truncated" : "trailing bytes", descr,
                        Arrays.toString(shape), expected, available));
            }
        }
    }

    /**
     * Checks the magic and the version in the first bytes of a file and returns where the header text ends.
     *
     * @param bytes at least the first 12 bytes of the file, when it has that many
     * @param size  the length of the whole file
     */
    private static long headerEnd(String source, byte[] bytes, long size) {
        if (bytes.length < MAGIC.length + 2 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new TitokException(source + ": not a .npy file (expected the magic \\x93NUMPY, found "
                    + FileMagic.hex(Arrays.copyOf(bytes, Math.min(bytes.length, 8))) + ")");
        }
        int major = bytes[6];
        int minor = bytes[7];
        if (major < 1 || major > 3 || minor != 0) {
            throw new TitokException(source + ": unsupported .npy version " + major + "." + minor + "; expected 1.0, 2.0 or 3.0");
        }
        int headerStart = headerStart(major);
        if (bytes.length < headerStart) {
            throw truncatedHeader(source, size);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? Short.toUnsignedInt(buffer.getShort(8)) : Integer.toUnsignedLong(buffer.getInt(8));
        if (headerStart + headerLength > size) {
            throw truncatedHeader(source, size);
        }
        if (headerLength > MAX_HEADER_BYTES) {
            // NumPy itself refuses headers over 10,000 bytes unless told otherwise
            throw new TitokException(String.format("%s: the .npy header claims %,d bytes; that is not a NumPy header",
                    source, headerLength));
        }
        return headerStart + headerLength;
    }

    /** Bytes before the header text: the magic, the version, and a 2-byte (1.0) or 4-byte length. */
    private static int headerStart(int major) {
        return MAGIC.length + 2 + (major == 1 ? 2 : 4);
    }

    private static TitokException truncatedHeader(String source, long size) {
        return new TitokException(source + ": truncated: the .npy header does not fit in the file's " + size + " bytes");
    }

    /** Parses the dict of a header whose magic and length {@link #headerEnd} has checked. */
    private static Header parseHeader(String source, byte[] bytes, int headerEnd) {
        int major = bytes[6];
        int headerStart = headerStart(major);
        Charset charset = major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        String header = new String(bytes, headerStart, headerEnd - headerStart, charset);
        Matcher descr = DESCR.matcher(header);
        Matcher fortranOrder = FORTRAN_ORDER.matcher(header);
        Matcher shapeText = SHAPE.matcher(header);
        if (!header.startsWith("{") || !descr.find() || !fortranOrder.find() || !shapeText.find()) {
            throw new TitokException(source + ": malformed .npy header " + header.trim()
                    + "; expected {'descr': ..., 'fortran_order': ..., 'shape': (...)}");
        }
        DType dtype = dtype(source, descr.group(1));
        if (fortranOrder.group(1).equals("True")) {
            throw new TitokException(source + ": Fortran-order (column-major) arrays are not supported; "
                    + "save it with np.save(path, np.ascontiguousarray(a))");
        }
        Header parsed = new Header(descr.group(1), dtype, shape(source, shapeText.group(1)), headerEnd);
        // a shape whose size overflows is refused before any data is read
        parsed.dataBytes(source);
        return parsed;
    }

    private static DType dtype(String source, String descr) {
        DType dtype = DESCRS.get(descr);
        if (dtype == null) {
            String hint = descr.startsWith(">") ? " (big-endian: convert with a.astype(a.dtype.newbyteorder('<')))" : "";
            throw new TitokException(source + ": unsupported .npy dtype '" + descr + "'" + hint + "; expected one of "
                    + DESCRS.keySet().stream().sorted().collect(Collectors.joining(" ")));
        }
        return dtype;
    }

    private static long[] shape(String source, String tuple) {
        String trimmed = tuple.trim();
        if (trimmed.isEmpty()) {
            return new long[0];
        }
        String[] parts = (trimmed.endsWith(",") ? trimmed.substring(0, trimmed.length() - 1) : trimmed).split(",");
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Matcher dimension = DIMENSION.matcher(parts[i]);
            if (!dimension.matches()) {
                throw new TitokException(source + ": malformed .npy shape (" + tuple + "); expected non-negative integers");
            }
            shape[i] = Long.parseLong(dimension.group(1));
        }
        return shape;
    }

    private static String descr(DType dtype) {
        return DESCRS.entrySet().stream().filter(e -> e.getValue() == dtype).map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("NumPy has no " + dtype + " type; convert the tensor to F32 first"));
    }

    /**
     * The header {@code numpy.save} writes for an array of this type and shape.
     *
     * @throws IllegalArgumentException for BF16, which NumPy has no type for
     */
    static byte[] header(DType dtype, long[] shape) {
        return header(descr(dtype), shape);
    }

    /** Magic, version, length and the dict, padded like numpy.save so the data starts 64-byte aligned. */
    private static byte[] header(String descr, long[] shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + pythonTuple(shape) + ", }";
        String text = padded(dict, MAGIC.length + 2 + 2);
        // NumPy arrays have at most 64 dimensions, which always fit a version 1.0 header
        if (text.length() > 0xffff) {
            throw new IllegalArgumentException("a shape of " + shape.length + " dimensions does not fit a .npy header");
        }
        return ByteBuffer.allocate(MAGIC.length + 2 + 2 + text.length()).order(ByteOrder.LITTLE_ENDIAN)
                .put(MAGIC).put((byte) 1).put((byte) 0)
                .putShort((short) text.length())
                .put(text.getBytes(StandardCharsets.ISO_8859_1))
                .array();
    }

    private static String padded(String dict, int preamble) {
        // numpy always pads, by a whole block when the header is already aligned
        int padding = ALIGNMENT - (preamble + dict.length() + 1) % ALIGNMENT;
        return dict + " ".repeat(padding) + "\n";
    }

    private static String pythonTuple(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        return LongStream.of(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "(", ")"));
    }

    private static byte[] readAll(Path file) {
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 8) {
                throw new TitokException(String.format("%s: the file holds %,d bytes; .npy files must be under 2 GiB",
                        file, Files.size(file)));
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TitokException(file + ": no such file", e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
