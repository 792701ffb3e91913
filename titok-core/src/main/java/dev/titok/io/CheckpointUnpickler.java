package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * The unpickler behind {@link TorchPickle}: it knows only the globals a state dict needs, reads each storage from
 * the zip once, and rebuilds tensors as {@link HostTensor}s.
 *
 * <p>razorvine's own handling is replaced for the opcodes where it would be unsafe or lose information: globals
 * are resolved against an allow-list instead of becoming opaque objects, and dicts keep their order.
 */
final class CheckpointUnpickler extends Unpickler {

    private static final Map<String, DType> STORAGE_TYPES = Map.of(
            "FloatStorage", DType.F32,
            "HalfStorage", DType.F16,
            "BFloat16Storage", DType.BF16,
            "DoubleStorage", DType.F64,
            "LongStorage", DType.I64,
            "IntStorage", DType.I32,
            "ShortStorage", DType.I16,
            "CharStorage", DType.I8,
            "ByteStorage", DType.U8,
            "BoolStorage", DType.BOOL);

    /** A typed storage class such as {@code torch.FloatStorage}, as it appears in a persistent id. */
    private record StorageType(DType dtype) {
    }

    /** One storage read from {@code <archive>/data/<key>}, little-endian. */
    private record Storage(String path, DType dtype, long numel, ByteBuffer data) {
    }

    private final Path file;
    private final ZipFile zip;
    private final String archive;
    private final ByteOrder byteOrder;
    private final Map<String, Object> globals = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();

    CheckpointUnpickler(Path file, ZipFile zip, String archive, ByteOrder byteOrder) {
        this.file = file;
        this.zip = zip;
        this.archive = archive;
        this.byteOrder = byteOrder;
        STORAGE_TYPES.forEach((name, dtype) -> globals.put("torch." + name, new StorageType(dtype)));
        globals.put("collections.OrderedDict", (IObjectConstructor) args -> new LinkedHashMap<>());
        globals.put("torch._utils._rebuild_tensor_v2", (IObjectConstructor) this::rebuildTensor);
        globals.put("torch._utils._rebuild_parameter", (IObjectConstructor) this::rebuildParameter);
        globals.put("torch._utils._rebuild_parameter_with_state", (IObjectConstructor) this::rebuildParameter);
    }

    @Override
    protected Object dispatch(short opcode) throws IOException {
        switch (opcode) {
            case Opcodes.GLOBAL -> stack.add(resolve(PickleUtils.readline(input), PickleUtils.readline(input)));
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                stack.add(resolve(String.valueOf(stack.pop()), String.valueOf(name)));
            }
            // razorvine builds dicts as HashMaps, which would lose the state dict's order
            case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<>());
            case Opcodes.DICT -> {
                Map<Object, Object> dict = new LinkedHashMap<>();
                putPairs(dict, stack.pop_all_since_marker());
                stack.add(dict);
            }
            case Opcodes.SETITEMS -> {
                List<Object> pairs = stack.pop_all_since_marker();
                putPairs(asDict(stack.peek()), pairs);
            }
            case Opcodes.BUILD -> build();
            case Opcodes.INST, Opcodes.OBJ -> throw new TitokException(file + ": unsupported pickle opcode "
                    + (char) opcode + " (a protocol 0/1 class instance) in " + TorchPickle.DATA_PKL);
            default -> {
                return super.dispatch(opcode);
            }
        }
        return NO_RETURN_VALUE;
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] id) || id.length != 5 || !"storage".equals(id[0])
                || !(id[1] instanceof StorageType type) || !(id[2] instanceof String key)
                || !(id[4] instanceof Number numel)) {
            String text = pid instanceof Object[] tuple ? Arrays.deepToString(tuple) : String.valueOf(pid);
            throw new TitokException(file + ": unsupported persistent id " + text
                    + " in " + TorchPickle.DATA_PKL + "; expected ('storage', storage type, key, location, numel)");
        }
        Storage storage = storages.get(key);
        if (storage == null) {
            storage = readStorage(key, type.dtype(), numel.longValue());
            storages.put(key, storage);
        }
        return storage;
    }

    private Object resolve(String module, String name) {
        String qualified = module + "." + name;
        Object known = globals.get(qualified);
        if (known == null) {
            // razorvine's own table only holds plain data types: set, bytearray, datetime, _codecs.encode, ...
            known = objectConstructors.get(qualified);
        }
        if (known == null) {
            throw new TitokException(file + ": unsupported pickle global '" + qualified + "' in " + TorchPickle.DATA_PKL
                    + "; only state dicts of plain tensors can be read (save model.state_dict(), or convert to safetensors)");
        }
        return known;
    }

    private void build() {
        stack.pop();
        Object target = stack.peek();
        // torch sets the module version table `_metadata` on a state dict; the tensors do not depend on it
        if (!(target instanceof Map)) {
            throw new TitokException(file + ": unsupported pickle BUILD of " + describe(target) + " in " + TorchPickle.DATA_PKL);
        }
    }

    private Map<Object, Object> asDict(Object value) {
        if (!(value instanceof Map)) {
            throw new TitokException(file + ": malformed " + TorchPickle.DATA_PKL + ": SETITEMS on " + describe(value));
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> dict = (Map<Object, Object>) value;
        return dict;
    }

    private static void putPairs(Map<Object, Object> dict, List<Object> pairs) {
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            dict.put(pairs.get(i), pairs.get(i + 1));
        }
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private Object rebuildTensor(Object[] args) {
        if (args.length < 4 || !(args[0] instanceof Storage storage) || !(args[1] instanceof Number offsetNumber)) {
            throw malformedCall("_rebuild_tensor_v2", args);
        }
        long offset = offsetNumber.longValue();
        long[] size = nonNegativeLongs(args[2]);
        long[] stride = nonNegativeLongs(args[3]);
        if (size == null || stride == null || size.length != stride.length || offset < 0) {
            throw malformedCall("_rebuild_tensor_v2", args);
        }
        long extent = Strided.extent(offset, size, stride);
        if (extent > storage.numel()) {
            throw new TitokException(String.format(
                    "%s: a tensor of shape %s, stride %s and storage offset %,d needs %,d elements of storage '%s', which holds only %,d",
                    file, Arrays.toString(size), Arrays.toString(stride), offset, extent, storage.path(), storage.numel()));
        }
        ByteBuffer data = Strided.gather(storage.data(), storage.dtype().byteSize(), offset, size, stride);
        return new HostTensor(storage.dtype(), size, data);
    }

    /** {@code _rebuild_parameter(data, requires_grad, backward_hooks[, state])}: a Parameter is just its tensor here. */
    private Object rebuildParameter(Object[] args) {
        if (args.length < 1 || !(args[0] instanceof HostTensor tensor)) {
            throw malformedCall("_rebuild_parameter", args);
        }
        return tensor;
    }

    private TitokException malformedCall(String function, Object[] args) {
        return new TitokException(file + ": malformed " + TorchPickle.DATA_PKL + ": unexpected arguments to torch._utils."
                + function + ": " + Arrays.deepToString(args));
    }

    private static long[] nonNegativeLongs(Object value) {
        if (!(value instanceof Object[] items)) {
            return null;
        }
        long[] values = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            if (!(items[i] instanceof Number number) || number.longValue() < 0) {
                return null;
            }
            values[i] = number.longValue();
        }
        return values;
    }

    private Storage readStorage(String key, DType dtype, long numel) {
        String path = archive + "data/" + key;
        ZipEntry entry = zip.getEntry(path);
        if (entry == null) {
            throw new TitokException(file + ": storage entry '" + path + "' is missing from the zip (incomplete checkpoint)");
        }
        long expected = Math.multiplyExact(numel, (long) dtype.byteSize());
        if (expected > Integer.MAX_VALUE) {
            throw new TitokException(String.format(
                    "%s: storage '%s' holds %,d bytes; each storage must be under 2 GiB to be read in Java", file, path, expected));
        }
        ByteBuffer data = readEntry(entry, (int) expected);
        if (data.position() != expected || entry.getSize() > expected) {
            throw new TitokException(String.format(
                    "%s: %s storage '%s' holds %,d bytes, but its %,d %s elements need %,d",
                    file, data.position() < expected ? "truncated:" : "oversized:", path,
                    Math.max(data.position(), entry.getSize()), numel, dtype, expected));
        }
        data.flip();
        return new Storage(path, dtype, numel, toLittleEndian(data, dtype.byteSize()));
    }

    /** Reads up to {@code capacity} bytes of the entry; the buffer's position tells how many there were. */
    private ByteBuffer readEntry(ZipEntry entry, int capacity) {
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

    private ByteBuffer toLittleEndian(ByteBuffer data, int elementSize) {
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

    /** What a Python value is, with its article, for error messages: "an int (3)", "a dict with keys [a, b]". */
    static String describe(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Map<?, ?> map) {
            return "a dict with keys " + map.keySet().stream().limit(5).map(String::valueOf)
                    .collect(Collectors.joining(", ", "[", map.size() > 5 ? ", ...]" : "]"));
        }
        if (value instanceof Object[]) {
            return "a tuple";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof String text) {
            return "a str ('" + text + "')";
        }
        if (value instanceof Boolean || value instanceof Double) {
            return (value instanceof Boolean ? "a bool (" : "a float (") + value + ")";
        }
        if (value instanceof Number) {
            return "an int (" + value + ")";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
