package dev.titok.io;

import dev.titok.TitokException;
import dev.titok.io.CheckpointUnpickler.Storage;
import dev.titok.io.CheckpointUnpickler.TensorView;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reader of the legacy {@code torch.save} format, which PyTorch wrote before 1.6 and still writes with
 * {@code _use_new_zipfile_serialization=False}. The file is five pickles one after the other:
 * <ol>
 * <li>the magic number {@code 0x1950a86a20f9469cfc6c};
 * <li>the format's protocol version, 1001;
 * <li>{@code sys_info}, a dict telling whether the writing machine was little-endian, and its C type sizes;
 * <li>the saved object, in which every storage is the persistent id
 *     {@code ('storage', storage type, key, location, numel, view_metadata)};
 * <li>the list of storage keys (sorted as strings);
 * </ol>
 * then, for each key in that order, the storage's element count as an 8-byte integer and its elements.
 *
 * <p>The elements are little-endian whatever the writing machine, since PyTorch converts them on big-endian ones.
 * Current releases write the count little-endian as well, but old ones wrote it in the machine's own order, so a
 * count that only matches when read big-endian is accepted when {@code sys_info} says the writer was big-endian. The object is
 * interpreted by {@link CheckpointUnpickler} exactly as in the zip format; its {@code view_metadata}, None since
 * PyTorch dropped storage views, makes a tensor a view into a slice of its storage.
 *
 * <p>The file is read in one pass: the storages of tensors outside the state dict are skipped, and the count of
 * each storage is checked against its persistent id, as {@code torch.load} does. Bytes after the last storage
 * are ignored, as {@code torch.load} ignores them. The even older tar-based format of early PyTorch
 * releases is not read.
 */
final class LegacyTorchSave {

    private static final BigInteger MAGIC_NUMBER = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final int PROTOCOL_VERSION = 1001;

    private static final int CHUNK = 1 << 16;

    private LegacyTorchSave() {
    }

    /** @see TorchPickle#read */
    static Map<String, HostTensor> read(Path file) {
        try (Counting in = new Counting(new BufferedInputStream(Files.newInputStream(file), CHUNK))) {
            checkMagic(file, in);
            Object version = load(file, in, "the protocol version");
            if (!(version instanceof Number number) || number.longValue() != PROTOCOL_VERSION) {
                throw new TitokException(file + ": unsupported legacy torch.save protocol version: found "
                        + CheckpointUnpickler.describe(version) + ", expected " + PROTOCOL_VERSION);
            }
            Object sysInfo = load(file, in, "sys_info");
            if (!(sysInfo instanceof Map<?, ?> info)) {
                throw new TitokException(file + ": expected the sys_info dict as the third pickle of a legacy torch.save "
                        + "checkpoint, found " + CheckpointUnpickler.describe(sysInfo));
            }
            boolean littleEndian = !Boolean.FALSE.equals(info.get("little_endian"));
            CheckpointUnpickler objectUnpickler = CheckpointUnpickler.legacy(file, "the pickled object");
            Map<String, TensorView> views = TorchPickle.stateDict(file, load(file, in, objectUnpickler));
            List<String> keys = storageKeys(file, load(file, in, "the storage key list"));
            Set<Storage> used = views.values().stream().map(TensorView::storage).collect(Collectors.toSet());
            Map<Storage, ByteBuffer> storages = readStorages(file, in, keys, objectUnpickler.storages(), used, littleEndian);
            return TorchPickle.gather(views, storages);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the PyTorch checkpoint: " + e.getMessage(), e);
        }
    }

    /** A pickle that is not torch.save's magic number means the file is some other pickle, not a checkpoint. */
    private static void checkMagic(Path file, Counting in) {
        CheckpointUnpickler unpickler = CheckpointUnpickler.legacy(file, "the magic number");
        Object magic;
        try {
            magic = unpickler.load(in);
        } catch (IOException | RuntimeException e) {
            throw in.atEnd() ? truncated(file, in, unpickler, 0, e) : notLegacy(file, "its first pickle is not a plain value");
        }
        if (!MAGIC_NUMBER.equals(magic)) {
            throw notLegacy(file, "its first pickle holds " + CheckpointUnpickler.describe(magic));
        }
    }

    private static TitokException notLegacy(Path file, String why) {
        return new TitokException(file + ": not a PyTorch checkpoint: a pickle, but not the legacy torch.save format, "
                + "which starts with the magic number 0x" + MAGIC_NUMBER.toString(16) + " (" + why + ")");
    }

    private static Object load(Path file, Counting in, String what) {
        return load(file, in, CheckpointUnpickler.legacy(file, what));
    }

    private static Object load(Path file, Counting in, CheckpointUnpickler unpickler) {
        long start = in.count();
        try {
            return unpickler.load(in);
        } catch (IOException | RuntimeException e) {
            // a complete pickle stops at its STOP opcode, so reaching the end of the file means it was cut short
            if (in.atEnd()) {
                throw truncated(file, in, unpickler, start, e);
            }
            if (e instanceof TitokException known) {
                throw known;
            }
            // razorvine reports a malformed pickle as PickleException, IOException, ClassCastException and the like
            throw new TitokException(String.format("%s: malformed %s (the pickle starting at byte %,d): %s",
                    file, unpickler.source(), start, e), e);
        }
    }

    private static TitokException truncated(Path file, Counting in, CheckpointUnpickler unpickler, long start, Exception e) {
        return new TitokException(String.format("%s: truncated: the file ends after %,d bytes, inside %s (the pickle "
                + "starting at byte %,d)", file, in.count(), unpickler.source(), start), e);
    }

    private static List<String> storageKeys(Path file, Object value) {
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).collect(Collectors.toList());
        }
        throw new TitokException(file + ": expected the list of storage keys after the pickled object, found "
                + CheckpointUnpickler.describe(value));
    }

    /**
     * Reads the storages that follow the pickles, keeping those in {@code used}.
     *
     * @param declared every storage the pickled object declares, by key
     */
    private static Map<Storage, ByteBuffer> readStorages(Path file, Counting in, List<String> keys, Map<String, Storage> declared,
                                                         Set<Storage> used, boolean littleEndian) throws IOException {
        Map<Storage, ByteBuffer> storages = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            Storage storage = declared.get(keys.get(i));
            if (storage == null) {
                // without its type, the storage's length in bytes is unknown, so nothing after it could be found
                throw new TitokException(file + ": the storage key list names '" + keys.get(i)
                        + "', which the pickled object never uses");
            }
            String which = String.format("storage '%s' (%d of %d)", storage.name(), i + 1, keys.size());
            checkCount(file, in, storage, which, littleEndian);
            long bytes = TorchPickle.storageBytes(file, storage);
            try {
                if (used.contains(storage)) {
                    storages.put(storage, readFully(in, (int) bytes));
                } else {
                    in.skipNBytes(bytes);
                }
            } catch (EOFException e) {
                throw new TitokException(String.format("%s: truncated: %s needs %,d bytes, but the file ends after %,d",
                        file, which, bytes, in.count()), e);
            }
        }
        for (Storage storage : used) {
            if (!storages.containsKey(storage)) {
                throw new TitokException(file + ": storage '" + storage.name() + "' of the state dict is missing from the "
                        + "storage key list (incomplete checkpoint)");
            }
        }
        return storages;
    }

    private static void checkCount(Path file, Counting in, Storage storage, String which, boolean littleEndian) throws IOException {
        byte[] bytes = in.readNBytes(Long.BYTES);
        if (bytes.length < Long.BYTES) {
            throw new TitokException(String.format("%s: truncated: the file ends after %,d bytes, before %s",
                    file, in.count(), which));
        }
        ByteBuffer count = ByteBuffer.wrap(bytes);
        long little = count.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (little == storage.numel() || (!littleEndian && count.order(ByteOrder.BIG_ENDIAN).getLong(0) == storage.numel())) {
            return;
        }
        throw new TitokException(String.format("%s: %s holds %,d elements in the file, but the pickled object declares "
                + "%,d %s elements (corrupt checkpoint)", file, which, little, storage.numel(), storage.dtype()));
    }

    private static ByteBuffer readFully(InputStream in, int bytes) throws IOException {
        ByteBuffer data = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[] chunk = new byte[Math.min(bytes, CHUNK)];
        while (data.hasRemaining()) {
            int read = in.read(chunk, 0, Math.min(chunk.length, data.remaining()));
            if (read < 0) {
                throw new EOFException();
            }
            data.put(chunk, 0, read);
        }
        return data.flip();
    }

    /**
     * Counts the bytes taken from the file, for error messages and to tell a truncated pickle from a malformed
     * one: razorvine reports both with the same exceptions.
     */
    private static final class Counting extends FilterInputStream {
        private long count;
        private boolean atEnd;

        Counting(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        boolean atEnd() {
            return atEnd;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                atEnd = true;
            } else {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read = super.read(buffer, offset, length);
            if (read < 0) {
                atEnd = true;
            } else {
                count += read;
            }
            return read;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
