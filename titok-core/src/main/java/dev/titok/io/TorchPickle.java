package dev.titok.io;

import dev.titok.TitokException;
import dev.titok.io.CheckpointUnpickler.Storage;
import dev.titok.io.CheckpointUnpickler.TensorView;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.Unpickler;

/**
 * Reader of PyTorch checkpoints ({@code .bin}, {@code .pt}, {@code .pth}) in both formats of {@code torch.save},
 * recognised by their first bytes: the zip format of PyTorch 1.6 and later, and the legacy format before it,
 * which old releases such as pytorch-fid's Inception weights use (see {@link LegacyTorchSave}).
 *
 * <p>A zip checkpoint holds {@code <archive>/data.pkl} (a pickle of the saved object in which every tensor
 * refers to a storage by a persistent id), {@code <archive>/data/<key>} (each storage's raw bytes),
 * {@code <archive>/byteorder} ({@code little} or {@code big}; absent in older files, which are little-endian) and
 * {@code <archive>/version}.
 *
 * <p>The saved object must be a state dict: a flat {@code {name: tensor}} dict (as {@code torch.save(model.state_dict())}
 * writes), or a dict whose {@code "state_dict"} or {@code "model"} entry is one (checked in that order), as
 * training checkpoints often are. Other entries next to that one are ignored, but they must still unpickle; the
 * storages of their tensors (an optimizer's state, say) are not read.
 *
 * <p>The pickle is interpreted with an allow-list of globals: {@code collections.OrderedDict}, the typed storage
 * classes ({@code torch.FloatStorage}, {@code torch.HalfStorage}, {@code torch.BFloat16Storage}, ...),
 * {@code torch._utils._rebuild_tensor_v2}, the older {@code _rebuild_tensor}, {@code _rebuild_parameter} and
 * {@code _rebuild_parameter_with_state}, plus the harmless builtins of the razorvine library. Anything else (a
 * pickled class of the training script, a whole pickled {@code nn.Module}, a numpy scalar, a quantized tensor)
 * fails with an error naming it, so only plain data is ever constructed.
 *
 * <p>Storage bytes are copied into direct buffers, in both formats. torch stores them uncompressed, so zip
 * entries could in principle be mapped, but {@link ZipFile} does not reveal where an entry's bytes start in the
 * file, and parsing the zip64 central directory ourselves is not worth it for a copy that is made once at load
 * time. Files over 2 GiB work ({@link ZipFile} reads zip64); each single storage must be under 2 GiB. Direct
 * buffers count against {@code -XX:MaxDirectMemorySize}, which defaults to the heap limit {@code -Xmx}. A tensor
 * that is a non-contiguous view (e.g. a transpose) is gathered into row-major order; several tensors that share a
 * storage read it once.
 */
public final class TorchPickle {

    static final String DATA_PKL = "data.pkl";

    private TorchPickle() {
    }

    /**
     * Reads every tensor of a state dict saved with {@code torch.save}, in either format.
     *
     * @return the tensors in pickle order (the state dict's order)
     * @throws TitokException naming the file when it is not a PyTorch checkpoint, is incomplete or truncated,
     *                        holds an unsupported pickle global, or does not hold a state dict
     */
    public static Map<String, HostTensor> read(Path file) {
        byte[] head;
        try {
            head = FileMagic.head(file, 16);
        } catch (NoSuchFileException e) {
            throw new TitokException(file + ": no such file", e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (FileMagic.isZip(head)) {
            return readZip(file);
        }
        if (FileMagic.isPickle(head)) {
            return LegacyTorchSave.read(file);
        }
        throw new TitokException(file + ": not a PyTorch checkpoint (expected a zip as torch.save writes since PyTorch 1.6, "
                + "or a pickle as its legacy format begins; first bytes: "
                + (head.length == 0 ? "none, the file is empty" : FileMagic.hex(head)) + ")");
    }

    private static Map<String, HostTensor> readZip(Path file) {
        try (ZipFile zip = openZip(file)) {
            ZipEntry pickle = findDataPkl(file, zip);
            String archive = pickle.getName().substring(0, pickle.getName().length() - DATA_PKL.length());
            byte[] pickleBytes;
            try (InputStream in = zip.getInputStream(pickle)) {
                pickleBytes = in.readAllBytes();
            }
            ByteOrder byteOrder = byteOrder(file, zip, archive);
            Map<String, TensorView> views = stateDict(file, unpickle(file, CheckpointUnpickler.zip(file, archive), pickleBytes));
            Map<Storage, ByteBuffer> storages = new HashMap<>();
            for (TensorView view : views.values()) {
                storages.computeIfAbsent(view.storage(), storage -> readStorage(file, zip, storage, byteOrder));
            }
            return gather(views, storages);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the PyTorch checkpoint: " + e.getMessage(), e);
        }
    }

    private static Object unpickle(Path file, Unpickler unpickler, byte[] pickle) {
        try {
            return unpickler.load(new ByteArrayInputStream(pickle));
        } catch (TitokException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // razorvine reports a malformed pickle as PickleException, IOException, ClassCastException and the like
            throw new TitokException(file + ": malformed " + DATA_PKL + ": " + e, e);
        }
    }

    private static ZipFile openZip(Path file) {
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            // it starts with a zip header, so the central directory at its end is missing or damaged
            throw new TitokException(file + ": truncated or corrupt zip checkpoint: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    private static ZipEntry findDataPkl(Path file, ZipFile zip) {
        List<String> names = zip.stream().map(ZipEntry::getName).collect(Collectors.toList());
        for (String name : names) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals(DATA_PKL)) {
                return zip.getEntry(name);
            }
        }
        String found = names.stream().limit(10).collect(Collectors.joining(", "));
        throw new TitokException(file + ": not a PyTorch checkpoint: the zip has no <archive>/" + DATA_PKL
                + " entry (found: " + (found.isEmpty() ? "no entries" : found) + (names.size() > 10 ? ", ..." : "") + ")");
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, String archive) throws IOException {
        ZipEntry entry = zip.getEntry(archive + "byteorder");
        if (entry == null) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        String text;
        try (InputStream in = zip.getInputStream(entry)) {
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
        switch (text) {
            case "little":
                return ByteOrder.LITTLE_ENDIAN;
            case "big":
                return ByteOrder.BIG_ENDIAN;
            default:
                throw new TitokException(file + ": " + archive + "byteorder says '" + text + "'; expected 'little' or 'big'");
        }
    }

    /** The {@code {name: tensor}} dict of the unpickled object, found as the class comment describes. */
    static Map<String, TensorView> stateDict(Path file, Object root) {
        if (!(root instanceof Map<?, ?> top)) {
            throw new TitokException(file + ": expected a state dict {name: tensor} at the top level, found " + CheckpointUnpickler.describe(root));
        }
        Map<?, ?> dict = top;
        for (String key : List.of("state_dict", "model")) {
            if (top.get(key) instanceof Map<?, ?> nested) {
                dict = nested;
                break;
            }
        }
        Map<String, TensorView> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : dict.entrySet()) {
            if (!(entry.getKey() instanceof String name) || !(entry.getValue() instanceof TensorView tensor)) {
                throw new TitokException(file + ": expected a flat state dict {name: tensor} (at the top level or under "
                        + "'state_dict' or 'model'), but key " + entry.getKey() + " holds " + CheckpointUnpickler.describe(entry.getValue()));
            }
            tensors.put(name, tensor);
        }
        return tensors;
    }

    /**
     * Each view's elements in row-major order.
     *
     * @param storages the bytes of every storage a view uses, little-endian, positioned at 0
     */
    static Map<String, HostTensor> gather(Map<String, TensorView> views, Map<Storage, ByteBuffer> storages) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        views.forEach((name, view) -> {
            DType dtype = view.storage().dtype();
            ByteBuffer data = Strided.gather(storages.get(view.storage()), dtype.byteSize(), view.offset(), view.size(), view.stride());
            tensors.put(name, new HostTensor(dtype, view.size(), data));
        });
        return tensors;
    }

    /** The storage's zip entry, checked against the size its persistent id declares, in little-endian order. */
    private static ByteBuffer readStorage(Path file, ZipFile zip, Storage storage, ByteOrder byteOrder) {
        String path = storage.name();
        ZipEntry entry = zip.getEntry(path);
        if (entry == null) {
            throw new TitokException(file + ": storage entry '" + path + "' is missing from the zip (incomplete checkpoint)");
        }
        long expected = storageBytes(file, storage);
        ByteBuffer data = readEntry(file, zip, entry, (int) expected);
        if (data.position() != expected || entry.getSize() > expected) {
            throw new TitokException(String.format(
                    "%s: %s storage '%s' holds %,d bytes, but its %,d %s elements need %,d",
                    file, data.position() < expected ? "truncated:" : "oversized:", path,
                    Math.max(data.position(), entry.getSize()), storage.numel(), storage.dtype(), expected));
        }
        data.flip();
        return toLittleEndian(data, storage.dtype().byteSize(), byteOrder);
    }

    /** The storage's size in bytes, which must fit a Java buffer. */
    static long storageBytes(Path file, Storage storage) {
        long bytes = Math.multiplyExact(storage.numel(), (long) storage.dtype().byteSize());
        if (bytes > Integer.MAX_VALUE) {
            throw new TitokException(String.format(
                    "%s: storage '%s' holds %,d bytes; each storage must be under 2 GiB to be read in Java", file, storage.name(), bytes));
        }
        return bytes;
    }

    /** Reads up to {@code capacity} bytes of the entry; the buffer's position tells how many there were. */
    private static ByteBuffer readEntry(Path file, ZipFile zip, ZipEntry entry, int capacity) {
        ByteBuffer data = ByteBuffer.allocateDirect(capacity);
        try (ReadableByteChannel in = Channels.newChannel(zip.getInputStream(entry))) {
            while (data.hasRemaining() && in.read(data) >= 0) {
                // read until full or end of entry
            }
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read storage '" + entry.getName() + "': " + e.getMessage(), e);
        }
        return data;
    }

    private static ByteBuffer toLittleEndian(ByteBuffer data, int elementSize, ByteOrder byteOrder) {
        if (byteOrder == ByteOrder.LITTLE_ENDIAN || elementSize == 1) {
            return data.order(ByteOrder.LITTLE_ENDIAN);
        }
        for (int at = 0; at < data.limit(); at += elementSize) {
            for (int i = 0, j = elementSize - 1; i < j; i++, j--) {
                byte swap = data.get(at + i);
                data.put(at + i, data.get(at + j));
                data.put(at + j, swap);
            }
        }
        return data.order(ByteOrder.LITTLE_ENDIAN);
    }
}
