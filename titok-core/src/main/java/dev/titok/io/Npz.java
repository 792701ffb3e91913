package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reader and writer of NumPy {@code .npz} archives: a zip file with one {@code .npy} file per array, named after the
 * array ({@code np.savez(path, mu=..., sigma=...)} stores {@code mu.npy} and {@code sigma.npy}; positional arrays
 * are {@code arr_0}, {@code arr_1}, …). Both {@code np.savez} (stored entries) and {@code np.savez_compressed}
 * (deflated entries) are read; arrays are written stored, as {@code np.savez} does.
 *
 * <p>This reads whole arrays into the heap, so each must be under 2 GiB; the image arrays of sample batches are read
 * and written in pieces by {@link NpzImageReader} and {@link NpzImageWriter}. The supported element types are those
 * of {@link Npy}.
 */
public final class Npz {

    private static final String SUFFIX = ".npy";

    private Npz() {}

    /**
     * Reads every array, keyed by name (without {@code .npy}) in archive order.
     *
     * @throws TitokException naming the file when it is missing, not a zip file, truncated, or holds an array this
     *                        reader does not support
     */
    public static Map<String, HostTensor> read(Path file) {
        try (ZipFile zip = open(file)) {
            Map<String, HostTensor> arrays = new LinkedHashMap<>();
            for (ZipEntry entry : Collections.list(zip.entries())) {
                if (entry.getName().endsWith(SUFFIX)) {
                    arrays.put(key(entry), readEntry(file, zip, entry));
                }
            }
            return arrays;
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the .npz file: " + e.getMessage(), e);
        }
    }

    /**
     * Array {@code key} of arrays read from {@code file} (a saved state, say).
     *
     * @throws TitokException naming the file and the arrays it holds when there is no such array
     */
    public static HostTensor get(Path file, Map<String, HostTensor> arrays, String key) {
        HostTensor tensor = arrays.get(key);
        if (tensor == null) {
            throw new TitokException(file + ": no array '" + key + "'; it holds " + String.join(", ", arrays.keySet())
                    + " (not a file written by this program?)");
        }
        return tensor;
    }

    /**
     * The names of the arrays, in archive order, without reading any of them.
     *
     * @throws TitokException naming the file when it is missing or not a zip file
     */
    public static List<String> keys(Path file) {
        try (ZipFile zip = open(file)) {
            return Collections.list(zip.entries()).stream().filter(e -> e.getName().endsWith(SUFFIX)).map(Npz::key).toList();
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the .npz file: " + e.getMessage(), e);
        }
    }

    /**
     * Reads one array; the others are not read, so a small array can be taken from an archive that also holds a
     * huge one (e.g. {@code mu} from an ADM reference batch).
     *
     * @throws TitokException naming the file and the keys present when there is no array {@code key}, or as
     *                        {@link #read(Path)}
     */
    public static HostTensor read(Path file, String key) {
        try (ZipFile zip = open(file)) {
            return readEntry(file, zip, entry(file, zip, key));
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the .npz file: " + e.getMessage(), e);
        }
    }

    /**
     * Writes arrays as {@code np.savez(file, **arrays)} does (uncompressed, map order), under a temporary name that
     * is then renamed to {@code file}.
     *
     * @throws IllegalArgumentException for BF16, which NumPy has no type for
     * @throws TitokException           naming the file when it cannot be written
     */
    public static void write(Path file, Map<String, HostTensor> arrays) {
        List<byte[]> headers = new ArrayList<>();
        for (HostTensor tensor : arrays.values()) {
            headers.add(Npy.header(tensor.dtype(), tensor.shape()));
        }
        AtomicFiles.write(file, ".npz file", channel -> {
            StoredZipWriter zip = new StoredZipWriter(channel);
            int index = 0;
            for (Map.Entry<String, HostTensor> array : arrays.entrySet()) {
                byte[] header = headers.get(index++);
                ByteBuffer data = array.getValue().data();
                zip.beginEntry(array.getKey() + SUFFIX, header.length + (long) data.remaining());
                zip.write(ByteBuffer.wrap(header));
                zip.write(data);
                zip.endEntry();
            }
            zip.finish();
        });
    }

    /**
     * Opens an .npz as a zip file, telling a file that is not a zip at all from a damaged one.
     *
     * @throws TitokException naming the file
     */
    static ZipFile open(Path file) {
        byte[] head;
        try {
            head = FileMagic.head(file, 4);
        } catch (NoSuchFileException e) {
            throw new TitokException(file + ": no such file", e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (!FileMagic.isZip(head)) {
            throw new TitokException(file + ": not an .npz file: a zip archive starts with 50 4b 03 04, this file with "
                    + (head.length == 0 ? "nothing (it is empty)" : FileMagic.hex(head)));
        }
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new TitokException(file + ": truncated or damaged .npz file: " + e.getMessage()
                    + " (the zip directory at the end of the file is missing or unreadable)", e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * The entry of array {@code key}.
     *
     * @throws TitokException naming the keys present when it is missing
     */
    static ZipEntry entry(Path file, ZipFile zip, String key) {
        ZipEntry entry = zip.getEntry(key + SUFFIX);
        if (entry == null) {
            List<String> keys = Collections.list(zip.entries()).stream()
                    .filter(e -> e.getName().endsWith(SUFFIX))
                    .map(Npz::key)
                    .toList();
            throw new TitokException(file + ": no array '" + key + "' in the .npz; it holds " + (keys.isEmpty()
                    ? "no arrays" : String.join(", ", keys)));
        }
        return entry;
    }

    /** How an entry is named in messages: {@code file:key}. */
    static String source(Path file, ZipEntry entry) {
        return file + ":" + key(entry);
    }

    private static String key(ZipEntry entry) {
        String name = entry.getName();
        return name.substring(0, name.length() - SUFFIX.length());
    }

    private static HostTensor readEntry(Path file, ZipFile zip, ZipEntry entry) throws IOException {
        String source = source(file, entry);
        long size = entry.getSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new TitokException(String.format("%s: the array holds %,d bytes, too many to read at once; "
                    + "read image arrays with NpzImageReader", source, size));
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(entry)) {
            bytes = in.readNBytes((int) size);
        } catch (ZipException e) {
            throw new TitokException(source + ": damaged .npz entry: " + e.getMessage(), e);
        }
        if (bytes.length != size) {
            throw new TitokException(String.format("%s: truncated: the zip directory gives %,d bytes, the entry holds %,d",
                    source, size, bytes.length));
        }
        return Npy.fromBytes(source, bytes);
    }

    /**
     * Checks that an array has the expected type and shape; a negative expected dimension matches any.
     *
     * @param what names the array in the message, e.g. {@code "stats.npz:mu"}
     * @throws TitokException naming what was expected and found
     */
    public static void require(String what, HostTensor tensor, DType dtype, long... shape) {
        long[] actual = tensor.shape();
        boolean matches = tensor.dtype() == dtype && actual.length == shape.length;
        for (int i = 0; matches && i < shape.length; i++) {
            matches = shape[i] < 0 || shape[i] == actual[i];
        }
        if (!matches) {
            String expected = Arrays.stream(shape).mapToObj(d -> d < 0 ? "*" : Long.toString(d))
                    .reduce((a, b) -> a + ", " + b).map(s -> "[" + s + "]").orElse("[]");
            throw new TitokException(what + ": expected a " + dtype + " array of shape " + expected + ", found "
                    + tensor.dtype() + " " + Arrays.toString(actual));
        }
    }
}
