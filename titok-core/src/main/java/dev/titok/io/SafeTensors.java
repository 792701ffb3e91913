package dev.titok.io;

import dev.titok.TitokException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reader and writer of the Hugging Face safetensors format: an 8-byte little-endian header length N, N bytes of
 * JSON {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}, then the raw
 * little-endian tensor data, offsets relative to the start of that data.
 *
 * <p>{@link #open} validates the whole header up front, so a corrupt or truncated file fails at once with one
 * message naming the file and the problem. Tensors are memory-mapped one by one on {@link #get}: the file may
 * be larger than 2 GiB, but each single tensor must be smaller (the limit of a Java buffer). A mapping stays
 * valid after {@link #close()} and lives until its buffer is garbage-collected.
 *
 * <p>Instances are safe to share between threads.
 */
public final class SafeTensors implements AutoCloseable {

    /** Longest header accepted, the limit of the official reader; anything longer is a corrupt or foreign file. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final int LENGTH_BYTES = Long.BYTES;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final SafeTensorsHeader header;

    private SafeTensors(Path file, FileChannel channel, long dataStart, SafeTensorsHeader header) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    /**
     * Opens a safetensors file and validates its header.
     *
     * @throws TitokException when the file cannot be read or is not a well-formed safetensors file; the
     *                        message names the file, what was expected and what was found
     */
    public static SafeTensors open(Path file) {
        FileChannel channel = openChannel(file);
        try {
            long size = channel.size();
            long headerLength = readHeaderLength(file, channel, size);
            byte[] json = new byte[(int) headerLength];
            readFully(channel, ByteBuffer.wrap(json), LENGTH_BYTES);
            long dataStart = LENGTH_BYTES + headerLength;
            SafeTensorsHeader header = SafeTensorsHeader.parse(file.toString(), json, size - dataStart);
            return new SafeTensors(file, channel, dataStart, header);
        } catch (IOException e) {
            closeAfterFailure(channel, e);
            throw new TitokException(file + ": cannot read the safetensors file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAfterFailure(channel, e);
            throw e;
        }
    }

    /**
     * Writes tensors to a safetensors file, in map order and back to back, under a temporary name in the same
     * directory that is then renamed to {@code file}; a failed write leaves no file behind.
     *
     * @param metadata string pairs stored as {@code __metadata__}; omitted from the header when empty
     * @throws IllegalArgumentException when a tensor is named {@code __metadata__}
     * @throws TitokException           naming {@code file} when it cannot be written
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        if (tensors.containsKey(SafeTensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("'" + SafeTensorsHeader.METADATA_KEY + "' is reserved and cannot name a tensor");
        }
        byte[] json = SafeTensorsHeader.serialize(tensors, metadata);
        AtomicFiles.write(file, "safetensors file", channel -> {
            ByteBuffer length = ByteBuffer.allocate(LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length);
            AtomicFiles.writeFully(channel, length);
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(json));
            for (HostTensor tensor : tensors.values()) {
                AtomicFiles.writeFully(channel, tensor.data());
            }
        });
    }

    /** The file this reader was opened on. */
    public Path file() {
        return file;
    }

    /** Tensor names in file order. */
    public Set<String> names() {
        return header.entries().keySet();
    }

    /** The {@code __metadata__} string pairs in file order, empty when the file has none. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Every tensor's shape, in file order, without mapping any data. */
    public Map<String, long[]> shapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        header.entries().forEach((name, entry) -> shapes.put(name, entry.shape().clone()));
        return Collections.unmodifiableMap(shapes);
    }

    /**
     * Maps one tensor.
     *
     * @throws TitokException        when there is no such tensor, or it is 2 GiB or larger
     * @throws IllegalStateException after {@link #close()}
     */
    public HostTensor get(String name) {
        SafeTensorsHeader.Entry entry = header.entries().get(name);
        if (entry == null) {
            throw new TitokException(file + ": no tensor named '" + name + "' among its " + names().size() + " tensors"
                    + examples());
        }
        return new HostTensor(entry.dtype(), entry.shape(), map(entry));
    }

    /** Maps every tensor, in file order. */
    public Map<String, HostTensor> tensors() {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (String name : names()) {
            tensors.put(name, get(name));
        }
        return tensors;
    }

    /** Closes the file; tensors already returned stay readable. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new TitokException(file + ": cannot close: " + e.getMessage(), e);
        }
    }

    private ByteBuffer map(SafeTensorsHeader.Entry entry) {
        if (entry.length() > Integer.MAX_VALUE) {
            throw new TitokException(String.format(
                    "%s: tensor '%s' holds %,d bytes; a single tensor must be under 2 GiB (%,d bytes) to be mapped in Java",
                    file, entry.name(), entry.length(), Integer.MAX_VALUE));
        }
        if (!channel.isOpen()) {
            throw new IllegalStateException(file + " is closed");
        }
        if (entry.length() == 0) {
            return ByteBuffer.allocate(0);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + entry.begin(), entry.length());
        } catch (IOException e) {
            throw new TitokException(file + ": cannot map tensor '" + entry.name() + "': " + e.getMessage(), e);
        }
    }

    private String examples() {
        return names().isEmpty() ? "" : names().stream().limit(3).map(n -> "'" + n + "'")
                .collect(Collectors.joining(", ", " (e.g. ", ")"));
    }

    private static FileChannel openChannel(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new TitokException(file + ": no such file", e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    private static long readHeaderLength(Path file, FileChannel channel, long size) throws IOException {
        if (size < LENGTH_BYTES) {
            throw new TitokException(String.format(
                    "%s: not a safetensors file: it holds %d bytes, but a safetensors file starts with an 8-byte header length",
                    file, size));
        }
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, buffer, 0);
        long length = buffer.getLong(0);
        if (length < 0 || length > MAX_HEADER_BYTES) {
            throw new TitokException(String.format(
                    "%s: the header length field says %s bytes, more than the %,d-byte limit (not a safetensors file, or a corrupt one)",
                    file, Long.toUnsignedString(length), MAX_HEADER_BYTES));
        }
        if (length > size - LENGTH_BYTES) {
            throw new TitokException(String.format(
                    "%s: truncated: the header should take %,d bytes after the 8-byte length, but the file holds only %,d",
                    file, length, size - LENGTH_BYTES));
        }
        return length;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new EOFException("unexpected end of file at byte " + at);
            }
            at += read;
        }
    }

    private static void closeAfterFailure(FileChannel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        return "SafeTensors[" + file + ", " + names().size() + " tensors]";
    }
}
