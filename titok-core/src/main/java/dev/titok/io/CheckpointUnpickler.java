package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * The unpickler behind {@link TorchPickle}: it knows only the globals a state dict needs and turns each tensor
 * into a {@link TensorView} of a {@link Storage}. It does no I/O: in the legacy format the storages' bytes follow
 * the pickle, so tensors can only be gathered once the whole pickle has been read, and the zip format is then
 * handled alike.
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

    /**
     * A storage as its persistent id declares it.
     *
     * @param name where its bytes are: the zip entry {@code <archive>/data/<key>}, or the key in a legacy file
     */
    record Storage(String name, DType dtype, long numel) {
    }

    /**
     * What a persistent id stands for: a whole storage or, in legacy files from PyTorch versions
     * that had storage views, a slice of one (the {@code view_metadata} of the id).
     */
    private record StorageSlice(Storage root, long offset, long numel) {
    }

    /** A rebuilt tensor: elements of {@code storage} from {@code offset} (in elements) with the given size and stride. */
    record TensorView(Storage storage, long offset, long[] size, long[] stride) {
    }

    private final Path file;
    private final String source;
    private final String storagePrefix;
    private final boolean legacy;
    private final Map<String, Object> globals = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();

    private CheckpointUnpickler(Path file, String source, String storagePrefix, boolean legacy) {
        this.file = file;
        this.source = source;
        this.storagePrefix = storagePrefix;
        this.legacy = legacy;
        STORAGE_TYPES.forEach((name, dtype) -> globals.put("torch." + name, new StorageType(dtype)));
        globals.put("collections.OrderedDict", (IObjectConstructor) args -> new LinkedHashMap<>());
        globals.put("torch._utils._rebuild_tensor_v2", (IObjectConstructor) args -> rebuildTensor("_rebuild_tensor_v2", args));
        // written by the PyTorch releases before _rebuild_tensor_v2, which added requires_grad and backward hooks
        globals.put("torch._utils._rebuild_tensor", (IObjectConstructor) args -> rebuildTensor("_rebuild_tensor", args));
        globals.put("torch._utils._rebuild_parameter", (IObjectConstructor) this::rebuildParameter);
        globals.put("torch._utils._rebuild_parameter_with_state", (IObjectConstructor) this::rebuildParameter);
    }

    /** For {@code <archive>/data.pkl} of a zip checkpoint, whose storages are the entries {@code <archive>/data/<key>}. */
    static CheckpointUnpickler zip(Path file, String archive) {
        return new CheckpointUnpickler(file, TorchPickle.DATA_PKL, archive + "data/", false);
    }

    /**
     * For one of the pickles of a legacy checkpoint, whose persistent ids end with {@code view_metadata}.
     *
     * @param source which pickle it is, for error messages
     */
    static CheckpointUnpickler legacy(Path file, String source) {
        return new CheckpointUnpickler(file, source, "", true);
    }

    /** What is being unpickled, for error messages. */
    String source() {
        return source;
    }

    /** Every storage the persistent ids named, by key. */
    Map<String, Storage> storages() {
        return storages;
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
                    + (char) opcode + " (a protocol 0/1 class instance) in " + source);
            default -> {
                return super.dispatch(opcode);
            }
        }
        return NO_RETURN_VALUE;
    }

    /**
     * {@code ('storage', storage type, key, location, numel)}, followed in the legacy format by
     * {@code view_metadata}: None, or {@code (view key, offset, numel)} for a slice of the storage.
     */
    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] id) || id.length != (legacy ? 6 : 5) || !"storage".equals(id[0])
                || !(id[1] instanceof StorageType type) || !(id[2] instanceof String key)
                || !(id[4] instanceof Number numel) || numel.longValue() < 0) {
            throw unsupportedPersistentId(pid);
        }
        Storage storage = storages.computeIfAbsent(key, k -> new Storage(storagePrefix + k, type.dtype(), numel.longValue()));
        if (!legacy || id[5] == null) {
            return new StorageSlice(storage, 0, storage.numel());
        }
        if (!(id[5] instanceof Object[] view) || view.length != 3 || !(view[1] instanceof Number offset)
                || !(view[2] instanceof Number length) || offset.longValue() < 0 || length.longValue() < 0) {
            throw unsupportedPersistentId(pid);
        }
        if (offset.longValue() + length.longValue() > storage.numel()) {
            throw new TitokException(String.format("%s: a storage view of %,d elements at offset %,d in %s lies outside "
                    + "storage '%s', which holds %,d", file, length.longValue(), offset.longValue(), source, storage.name(), storage.numel()));
        }
        return new StorageSlice(storage, offset.longValue(), length.longValue());
    }

    private TitokException unsupportedPersistentId(Object pid) {
        String text = pid instanceof Object[] tuple ? Arrays.deepToString(tuple) : String.valueOf(pid);
        return new TitokException(file + ": unsupported persistent id " + text + " in " + source + "; expected "
                + (legacy ? "('storage', storage type, key, location, numel, view_metadata)" : "('storage', storage type, key, location, numel)"));
    }

    private Object resolve(String module, String name) {
        String qualified = module + "." + name;
        Object known = globals.get(qualified);
        if (known == null) {
            // razorvine's own table only holds plain data types: set, bytearray, datetime, _codecs.encode, ...
            known = objectConstructors.get(qualified);
        }
        if (known == null) {
            throw new TitokException(file + ": unsupported pickle global '" + qualified + "' in " + source
                    + "; only state dicts of plain tensors can be read (save model.state_dict(), or convert to safetensors)");
        }
        return known;
    }

    private void build() {
        stack.pop();
        Object target = stack.peek();
        // torch sets the module version table `_metadata` on a state dict; the tensors do not depend on it
        if (!(target instanceof Map)) {
            throw new TitokException(file + ": unsupported pickle BUILD of " + describe(target) + " in " + source);
        }
    }

    private Map<Object, Object> asDict(Object value) {
        if (!(value instanceof Map)) {
            throw new TitokException(file + ": malformed " + source + ": SETITEMS on " + describe(value));
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

    /**
     * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}
     * and the older {@code _rebuild_tensor(storage, storage_offset, size, stride)}.
     */
    private Object rebuildTensor(String function, Object[] args) {
        if (args.length < 4 || !(args[0] instanceof StorageSlice slice) || !(args[1] instanceof Number offsetNumber)) {
            throw malformedCall(function, args);
        }
        long offset = offsetNumber.longValue();
        long[] size = nonNegativeLongs(args[2]);
        long[] stride = nonNegativeLongs(args[3]);
        if (size == null || stride == null || size.length != stride.length || offset < 0) {
            throw malformedCall(function, args);
        }
        long extent = Strided.extent(offset, size, stride);
        if (extent > slice.numel()) {
            throw new TitokException(String.format(
                    "%s: a tensor of shape %s, stride %s and storage offset %,d needs %,d elements of storage '%s', which holds only %,d",
                    file, Arrays.toString(size), Arrays.toString(stride), offset, extent, slice.root().name(), slice.numel()));
        }
        return new TensorView(slice.root(), slice.offset() + offset, size, stride);
    }

    /** {@code _rebuild_parameter(data, requires_grad, backward_hooks[, state])}: a Parameter is just its tensor here. */
    private Object rebuildParameter(Object[] args) {
        if (args.length < 1 || !(args[0] instanceof TensorView tensor)) {
            throw malformedCall("_rebuild_parameter", args);
        }
        return tensor;
    }

    private TitokException malformedCall(String function, Object[] args) {
        return new TitokException(file + ": malformed " + source + ": unexpected arguments to torch._utils."
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

    /** What a Python value is, with its article, for error messages: "an int (3)", "a dict with keys [a, b]". */
    static String describe(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Map<?, ?> map) {
            return "a dict with keys " + map.keySet().stream().limit(5).map(String::valueOf)
                    .collect(Collectors.joining(", ", "[", map.size() > 5 ? ", ...]" : "]"));
        }
        if (value instanceof TensorView) {
            return "a tensor";
        }
        if (value instanceof StorageSlice) {
            return "a storage";
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
