package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
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
        byte[] bytes = readAll(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < MAGIC.length + 2 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new TitokException(file + ": not a .npy file (expected the magic \\x93NUMPY, found "
                    + FileMagic.hex(Arrays.copyOf(bytes, Math.min(bytes.length, 8))) + ")");
        }
        int major = bytes[6];
        int minor = bytes[7];
        if (major < 1 || major > 3 || minor != 0) {
            throw new TitokException(file + ": unsupported .npy version " + major + "." + minor + "; expected 1.0, 2.0 or 3.0");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        int headerStart = MAGIC.length + 2 + lengthBytes;
        long headerLength = bytes.length < headerStart ? -1
                : major == 1 ? Short.toUnsignedInt(buffer.getShort(8)) : Integer.toUnsignedLong(buffer.getInt(8));
        if (headerLength < 0 || headerStart + headerLength > bytes.length) {
            throw new TitokException(file + ": truncated: the .npy header does not fit in the file's " + bytes.length + " bytes");
        }
        Charset charset = major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        String header = new String(bytes, headerStart, (int) headerLength, charset);
        int dataStart = headerStart + (int) headerLength;
        return parse(file, header, buffer.position(dataStart));
    }

    /**
     * Writes an array, under a temporary name that is then renamed to {@code file}. The header is version 1.0,
     * laid out exactly as {@code numpy.save} lays it out, so the file is byte-identical to NumPy's.
     *
     * @throws IllegalArgumentException for BF16, which NumPy has no type for, or more dimensions than a header holds
     * @throws TitokException           naming the file when it cannot be written
     */
    public static void write(Path file, HostTensor tensor) {
        byte[] header = header(descr(tensor.dtype()), tensor.shape());
        AtomicFiles.write(file, ".npy file", channel -> {
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
            AtomicFiles.writeFully(channel, tensor.data());
        });
    }

    private static HostTensor parse(Path file, String header, ByteBuffer data) {
        Matcher descr = DESCR.matcher(header);
        Matcher fortranOrder = FORTRAN_ORDER.matcher(header);
        Matcher shapeText = SHAPE.matcher(header);
        if (!header.startsWith("{") || !descr.find() || !fortranOrder.find() || !shapeText.find()) {
            throw new TitokException(file + ": malformed .npy header " + header.trim()
                    + "; expected {'descr': ..., 'fortran_order': ..., 'shape': (...)}");
        }
        DType dtype = dtype(file, descr.group(1));
        if (fortranOrder.group(1).equals("True")) {
            throw new TitokException(file + ": Fortran-order (column-major) arrays are not supported; "
                    + "save it with np.save(path, np.ascontiguousarray(a))");
        }
        long[] shape = shape(file, shapeText.group(1));
        long expected = byteSize(file, dtype, shape);
        if (data.remaining() != expected) {
            throw new TitokException(String.format("%s: %s: a %s array of shape %s needs %,d bytes of data, the file holds %,d",
                    file, data.remaining() < expected ? "truncated" : "trailing bytes", descr.group(1),
                    Arrays.toString(shape), expected, data.remaining()));
        }
        return new HostTensor(dtype, shape, data);
    }

    private static long byteSize(Path file, DType dtype, long[] shape) {
        try {
            return HostTensor.byteSize(dtype, shape);
        } catch (ArithmeticException e) {
            throw new TitokException(file + ": the .npy shape " + Arrays.toString(shape) + " is too large");
        }
    }

    private static DType dtype(Path file, String descr) {
        DType dtype = DESCRS.get(descr);
        if (dtype == null) {
            String hint = descr.startsWith(">") ? " (big-endian: convert with a.astype(a.dtype.newbyteorder('<')))" : "";
            throw new TitokException(file + ": unsupported .npy dtype '" + descr + "'" + hint + "; expected one of "
                    + DESCRS.keySet().stream().sorted().collect(Collectors.joining(" ")));
        }
        return dtype;
    }

    private static long[] shape(Path file, String tuple) {
        String trimmed = tuple.trim();
        if (trimmed.isEmpty()) {
            return new long[0];
        }
        String[] parts = (trimmed.endsWith(",") ? trimmed.substring(0, trimmed.length() - 1) : trimmed).split(",");
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Matcher dimension = DIMENSION.matcher(parts[i]);
            if (!dimension.matches()) {
                throw new TitokException(file + ": malformed .npy shape (" + tuple + "); expected non-negative integers");
            }
            shape[i] = Long.parseLong(dimension.group(1));
        }
        return shape;
    }

    private static String descr(DType dtype) {
        return DESCRS.entrySet().stream().filter(e -> e.getValue() == dtype).map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("NumPy has no " + dtype + " type; convert the tensor to F32 first"));
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
