package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Writes a file under a temporary name in the target's directory and renames it into place, so that a
 * failed or interrupted write never leaves a half-written file under the real name.
 */
public final class AtomicFiles {

    /** Writes the whole content to an open channel. */
    @FunctionalInterface
    interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code content} to {@code target}, replacing any existing file.
     *
     * @param what a short description for the error message, e.g. "safetensors file"
     * @throws TitokException naming the target when anything fails; the temporary file is removed then
     */
    static void write(Path target, String what, Content content) {
        Path absolute = target.toAbsolutePath();
        Path temp = temporarySibling(absolute);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(channel);
                channel.force(true);
            }
            moveIntoPlace(temp, absolute);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp, e);
            throw new TitokException(target + ": could not write the " + what + ": " + describe(e), e);
        }
    }

    /**
     * A new hidden name next to {@code target} for the temporary file of a write that is renamed into place when
     * complete; to be created with {@code CREATE_NEW}, which (unlike {@code Files.createTempFile}, whose files are
     * mode 0600) honours the umask.
     */
    static Path temporarySibling(Path target) {
        Path absolute = target.toAbsolutePath();
        return absolute.resolveSibling(
                "." + absolute.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
    }

    /** Writes {@code text} as UTF-8 to {@code target} the same way. */
    public static void writeText(Path target, String what, String text) {
        write(target, what, channel -> writeFully(channel, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    /** Deletes a file, or a directory and everything in it; nothing for null or a missing path. */
    public static void deleteTree(Path path) throws IOException {
        if (path == null || !Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Writes all remaining bytes of the buffer; a channel may take fewer per call. */
    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Renames a complete temporary file to its target, atomically where the file system can. */
    static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a temporary file after a failure, recording a failure to delete on the original one. */
    static void deleteQuietly(Path temp, Exception failure) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** A one-line description of an I/O failure for a message. */
    static String describe(Exception e) {
        if (e instanceof NoSuchFileException missing) {
            return "no such file or directory: " + missing.getFile();
        }
        if (e instanceof FileSystemException fs && fs.getReason() == null) {
            // e.g. DirectoryNotEmptyException, whose message is only the path
            return e.getClass().getSimpleName() + ": " + fs.getFile();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
