package dev.titok.io;

import dev.titok.TitokException;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.Unpickler;

/**
 * Reader of PyTorch checkpoints ({@code .bin}, {@code .pt}, {@code .pth}) in the zip format that
 * {@code torch.save} writes since PyTorch 1.6.
 *
 * <p>Such a file is a zip holding {@code <archive>/data.pkl} (a pickle of the saved object in which every tensor
 * refers to a storage by a persistent id), {@code <archive>/data/<key>} (each storage's raw bytes),
 * {@code <archive>/byteorder} ({@code little} or {@code big}; absent in older files, which are little-endian) and
 * {@code <archive>/version}. The legacy pre-1.6 format, a bare pickle stream, is not supported.
 *
 * <p>The saved object must be a state dict: a flat {@code {name: tensor}} dict (as {@code torch.save(model.state_dict())}
 * writes), or a dict whose {@code "state_dict"} or {@code "model"} entry is one (checked in that order), as
 * training checkpoints often are. Other entries next to that one are ignored, but they must still unpickle.
 *
 * <p>The pickle is interpreted with an allow-list of globals: {@code collections.OrderedDict}, the typed storage
 * classes ({@code torch.FloatStorage}, {@code torch.HalfStorage}, {@code torch.BFloat16Storage}, ...),
 * {@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_parameter} and {@code _rebuild_parameter_with_state},
 * plus the harmless builtins of the razorvine library. Anything else (a pickled class of the training script, a
 * numpy scalar, a quantized tensor) fails with an error naming it, so only plain data is ever constructed.
 *
 * <p>Storage bytes are copied into direct buffers. torch stores them uncompressed, so they could in principle be
 * mapped, but {@link ZipFile} does not reveal where an entry's bytes start in the file, and parsing the zip64
 * central directory ourselves is not worth it for a copy that is made once at load time. Files over 2 GiB work
 * ({@link ZipFile} reads zip64); each single storage must be under 2 GiB. Direct buffers count against
 * {@code -XX:MaxDirectMemorySize}, which defaults to the heap limit {@code -Xmx}. A tensor that is a
 * non-contiguous view (e.g. a transpose) is gathered into row-major order; several tensors that share a storage
 * read it once.
 */
public final class TorchPickle {

    static final String DATA_PKL = "data.pkl";

    private TorchPickle() {
    }

    /**
     * Reads every tensor of a state dict saved with {@code torch.save}.
     *
     * @return the tensors in pickle order (the state dict's order)
     * @throws TitokException naming the file when it is not a zip checkpoint, is incomplete or truncated, holds
     *                        an unsupported pickle global, or does not hold a state dict
     */
    public static Map<String, HostTensor> read(Path file) {
        try (ZipFile zip = openZip(file)) {
            ZipEntry pickle = findDataPkl(file, zip);
            String archive = pickle.getName().substring(0, pickle.getName().length() - DATA_PKL.length());
            byte[] pickleBytes;
            try (InputStream in = zip.getInputStream(pickle)) {
                pickleBytes = in.readAllBytes();
            }
            CheckpointUnpickler unpickler = new CheckpointUnpickler(file, zip, archive, byteOrder(file, zip, archive));
            return stateDict(file, unpickle(file, unpickler, pickleBytes));
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
            throw notAZip(file);
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new TitokException(file + ": no such file", e);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    /** The error for a file that is not a zip, with a conversion recipe when it is a legacy checkpoint. */
    static TitokException notAZip(Path file) {
        byte[] head;
        try {
            head = FileMagic.head(file, 16);
        } catch (IOException e) {
            return new TitokException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (FileMagic.isPickle(head)) {
            return new TitokException(file + ": this is the legacy (before PyTorch 1.6) torch.save format, a bare pickle; "
                    + "only the zip format of PyTorch >= 1.6 is supported. Convert it once with PyTorch: "
                    + "python -c \"import torch; torch.save(torch.load('" + file + "', map_location='cpu'), 'converted.bin')\"");
        }
        return new TitokException(file + ": not a PyTorch zip checkpoint (expected a zip as written by torch.save "
                + "since PyTorch 1.6; first bytes: " + FileMagic.hex(head) + ")");
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

    private static Map<String, HostTensor> stateDict(Path file, Object root) {
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
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : dict.entrySet()) {
            if (!(entry.getKey() instanceof String name) || !(entry.getValue() instanceof HostTensor tensor)) {
                throw new TitokException(file + ": expected a flat state dict {name: tensor} (at the top level or under "
                        + "'state_dict' or 'model'), but key " + entry.getKey() + " holds " + CheckpointUnpickler.describe(entry.getValue()));
            }
            tensors.put(name, tensor);
        }
        return tensors;
    }

}
