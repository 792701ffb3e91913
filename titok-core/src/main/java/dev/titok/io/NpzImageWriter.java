package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a sample batch in the format of OpenAI's ADM evaluation suite: an .npz holding one uint8 array
 * {@code arr_0} of shape (N, H, W, 3), as {@code np.savez(path, images)} writes it, appended one image at a time so
 * that 50,000 images of 256×256 (9.8 GB) never sit in memory.
 *
 * <p>The file is written under a temporary name next to the target and renamed when {@link #close()} finds all N
 * images written; a failure, or closing early, deletes it, so the target never holds a partial batch. Not
 * thread-safe.
 */
public final class NpzImageWriter implements AutoCloseable {

    /** The array name {@code np.savez} gives its first positional argument, which the ADM evaluator reads. */
    public static final String KEY = "arr_0";

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final StoredZipWriter zip;
    private final long count;
    private final int imageBytes;
    private long written;
    private boolean closed;

    private NpzImageWriter(Path target, Path temp, FileChannel channel, long count, int imageBytes) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.zip = new StoredZipWriter(channel);
        this.count = count;
        this.imageBytes = imageBytes;
    }

    /**
     * Starts a batch of {@code count} RGB images of {@code height}×{@code width}.
     *
     * @throws IllegalArgumentException for a negative count or a non-positive size
     * @throws TitokException           naming the file when it cannot be created
     */
    public static NpzImageWriter create(Path file, long count, int height, int width) {
        if (count < 0 || height < 1 || width < 1 || (long) height * width * 3 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot write " + count + " images of " + height + "×" + width);
        }
        int imageBytes = height * width * 3;
        long[] shape = {count, height, width, 3};
        byte[] header = Npy.header(DType.U8, shape);
        Path temp = AtomicFiles.temporarySibling(file);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            NpzImageWriter writer = new NpzImageWriter(file, temp, channel, count, imageBytes);
            writer.zip.beginEntry(KEY + ".npy", header.length + Math.multiplyExact(count, (long) imageBytes));
            writer.zip.write(ByteBuffer.wrap(header));
            return writer;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            AtomicFiles.deleteQuietly(temp, e);
            throw new TitokException(file + ": could not create the sample batch: " + AtomicFiles.describe(e), e);
        }
    }

    /** Images written so far. */
    public long written() {
        return written;
    }

    /**
     * Appends the next image.
     *
     * @param pixels {@code H·W·3} bytes from {@code offset}, rows of RGB pixels (HWC, as {@code arr_0[i]})
     * @throws IllegalArgumentException when {@code pixels} holds fewer than {@code H·W·3} bytes from {@code offset}
     * @throws IllegalStateException    when all N images are written already, or the writer is closed
     * @throws TitokException           when writing fails; the temporary file is deleted and the writer closed
     */
    public void append(byte[] pixels, int offset) {
        if (offset < 0 || pixels.length - offset < imageBytes) {
            throw new IllegalArgumentException("an image is " + imageBytes + " bytes; got " + pixels.length
                    + " bytes from offset " + offset);
        }
        if (closed) {
            throw new IllegalStateException(target + ": the sample batch writer is closed");
        }
        if (written == count) {
            throw new IllegalStateException(target + ": all " + count + " images are written already");
        }
        try {
            zip.write(ByteBuffer.wrap(pixels, offset, imageBytes));
            written++;
        } catch (IOException | RuntimeException e) {
            abort(e);
            throw new TitokException(target + ": could not write image " + written + ": " + AtomicFiles.describe(e), e);
        }
    }

    /**
     * Completes the archive and renames it to the target when all N images are written; otherwise deletes it.
     *
     * @throws TitokException when fewer than N images were written (nothing is left behind), or completing fails
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (written != count) {
            TitokException incomplete = new TitokException(String.format(
                    "%s: only %,d of %,d images were written; the sample batch was discarded", target, written, count));
            abort(incomplete);
            throw incomplete;
        }
        try {
            zip.endEntry();
            zip.finish();
            channel.force(true);
            channel.close();
            closed = true;
            AtomicFiles.moveIntoPlace(temp, target.toAbsolutePath());
        } catch (IOException | RuntimeException e) {
            abort(e);
            throw new TitokException(target + ": could not complete the sample batch: " + AtomicFiles.describe(e), e);
        }
    }

    private void abort(Exception failure) {
        closed = true;
        closeQuietly(channel, failure);
        AtomicFiles.deleteQuietly(temp, failure);
    }

    private static void closeQuietly(FileChannel channel, Exception failure) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
