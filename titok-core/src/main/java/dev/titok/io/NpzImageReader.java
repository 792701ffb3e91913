package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads the images of a sample batch (an .npz with a uint8 array of shape (N, H, W, 3), by default {@code arr_0},
 * as written by {@code np.savez} or {@link NpzImageWriter}) in batches, streaming through the archive so that a
 * 9.8 GB batch never sits in memory. Stored entries are read straight from the file; compressed ones
 * ({@code np.savez_compressed}) are inflated on the way. Not thread-safe.
 */
public final class NpzImageReader implements AutoCloseable {

    private final String source;
    private final ZipFile zip;
    private final InputStream in;
    private final long count;
    private final int height;
    private final int width;
    private final int imageBytes;
    private long read;

    private NpzImageReader(String source, ZipFile zip, InputStream in, long[] shape) {
        this.source = source;
        this.zip = zip;
        this.in = in;
        this.count = shape[0];
        this.height = (int) shape[1];
        this.width = (int) shape[2];
        this.imageBytes = height * width * 3;
    }

    /** Opens the array {@code arr_0}; see {@link #open(Path, String)}. */
    public static NpzImageReader open(Path file) {
        return open(file, NpzImageWriter.KEY);
    }

    /**
     * Opens an image array and checks its header.
     *
     * @throws TitokException naming the file when it is not an .npz, has no such array (the message lists those
     *                        present), the array is not uint8 of shape (N, H, W, 3), or the file is truncated
     */
    public static NpzImageReader open(Path file, String key) {
        ZipFile zip = Npz.open(file);
        try {
            ZipEntry entry = Npz.entry(file, zip, key);
            String source = Npz.source(file, entry);
            InputStream in = zip.getInputStream(entry);
            Npy.Header header = Npy.readHeader(source, in, entry.getSize());
            long[] shape = header.shape();
            if (header.dtype() != DType.U8 || shape.length != 4 || shape[3] != 3
                    || (double) shape[1] * shape[2] * 3 > Integer.MAX_VALUE) {
                throw new TitokException(source + ": expected uint8 images of shape (N, H, W, 3), found a '"
                        + header.descr() + "' array of shape " + Arrays.toString(shape));
            }
            header.checkData(source, entry.getSize() - header.dataOffset());
            return new NpzImageReader(source, zip, in, shape);
        } catch (IOException | RuntimeException e) {
            try {
                zip.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof TitokException titok) {
                throw titok;
            }
            throw new TitokException(file + ": cannot read the .npz file: " + e.getMessage(), e);
        }
    }

    /** N, the number of images. */
    public long count() {
        return count;
    }

    /** H. */
    public int height() {
        return height;
    }

    /** W. */
    public int width() {
        return width;
    }

    /** Bytes per image, {@code H·W·3}. */
    public int imageBytes() {
        return imageBytes;
    }

    /** Images read so far. */
    public long position() {
        return read;
    }

    /**
     * Reads the next images, as many as fit in {@code buffer} and remain, each {@code H·W·3} bytes (HWC).
     *
     * @return the number of images read, 0 once all N have been read
     * @throws IllegalArgumentException when the buffer cannot hold one image
     * @throws TitokException           when the file ends early or the entry is damaged
     */
    public int read(byte[] buffer) {
        if (buffer.length < imageBytes) {
            throw new IllegalArgumentException("the buffer holds " + buffer.length + " bytes, an image is " + imageBytes);
        }
        int images = (int) Math.min(buffer.length / imageBytes, count - read);
        int bytes = images * imageBytes;
        try {
            int got = in.readNBytes(buffer, 0, bytes);
            if (got != bytes) {
                throw new TitokException(String.format("%s: truncated: image %,d of %,d ends after %,d of its %,d bytes",
                        source, read + got / imageBytes, count, got % imageBytes, imageBytes));
            }
        } catch (ZipException e) {
            throw new TitokException(source + ": damaged .npz entry at image " + read + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new TitokException(source + ": cannot read image " + read + ": " + e.getMessage(), e);
        }
        read += images;
        return images;
    }

    /** Closes the file. */
    @Override
    public void close() {
        try {
            zip.close();
        } catch (IOException e) {
            throw new TitokException(source + ": cannot close the .npz file: " + e.getMessage(), e);
        }
    }
}
