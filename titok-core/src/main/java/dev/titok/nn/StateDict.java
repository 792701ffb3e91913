package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.io.DType;
import dev.titok.io.HostTensor;
import dev.titok.tensor.Tensors;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies a checkpoint into a {@link Module} by name, strictly like PyTorch's {@code load_state_dict(strict=True)}:
 * every missing, unexpected and mis-shaped key is listed in one error.
 */
public final class StateDict {

    private static final int LISTED = 8;

    private StateDict() {}

    /**
     * Loads {@code tensors} into {@code module}. F32 tensors in direct (e.g. memory-mapped) buffers are used without a
     * copy; F16/BF16 are widened to F32 in Java, because DJL's PyTorch engine cannot hold BF16 tensors.
     *
     * @param ignored keys that may be present and are skipped (e.g. a stray {@code position_ids} buffer)
     * @param source  the weights file, for messages
     */
    public static void load(Module module, Map<String, HostTensor> tensors, NDManager manager, String source,
                            Set<String> ignored) {
        Map<String, Parameter> params = module.namedParameters();
        check(params, tensors, source, ignored);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray value = toNDArray(manager, tensors.get(e.getKey()));
            value.setName(e.getKey());
            e.getValue().set(value);
        }
    }

    /** The module's current values as host tensors (copies), by state-dict name, for saving. */
    public static Map<String, HostTensor> export(Module module) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        module.namedParameters().forEach((name, p) ->
                out.put(name, HostTensor.ofFloats(p.shape().getShape(), p.value().toFloatArray())));
        return out;
    }

    private static void check(Map<String, Parameter> params, Map<String, HostTensor> tensors, String source,
                              Set<String> ignored) {
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        List<String> badType = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            HostTensor t = tensors.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape().getShape())) {
                misShaped.add(e.getKey() + " " + new Shape(t.shape()) + " (expected " + e.getValue().shape() + ")");
            } else if (!isFloat(t.dtype())) {
                badType.add(e.getKey() + " " + t.dtype());
            }
        }
        List<String> unexpected = tensors.keySet().stream()
                .filter(k -> !params.containsKey(k) && !ignored.contains(k)).toList();
        if (missing.isEmpty() && misShaped.isEmpty() && unexpected.isEmpty() && badType.isEmpty()) {
            return;
        }
        StringBuilder msg = new StringBuilder(source).append(": weights do not match the model config:");
        append(msg, "missing", missing);
        append(msg, "unexpected", unexpected);
        append(msg, "wrong shape", misShaped);
        append(msg, "not a float type", badType);
        throw new TitokException(msg.toString());
    }

    private static void append(StringBuilder msg, String what, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        msg.append(' ').append(keys.size()).append(' ').append(what).append(" [")
                .append(String.join(", ", keys.subList(0, Math.min(LISTED, keys.size()))))
                .append(keys.size() > LISTED ? ", ..." : "").append("];");
    }

    private static boolean isFloat(DType dtype) {
        return dtype == DType.F32 || dtype == DType.F16 || dtype == DType.BF16 || dtype == DType.F64;
    }

    private static NDArray toNDArray(NDManager manager, HostTensor t) {
        Shape shape = new Shape(t.shape());
        // Zero-copy for memory-mapped F32 weights: the parameter's NDArray keeps the mapping alive for as long as it
        // lives, and inference only makes short-lived views of parameters. Training copies them (Trainable.prepare).
        if (t.dtype() == DType.F32 && t.data().isDirect()) {
            return manager.create(t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN), shape, DataType.FLOAT32);
        }
        return Tensors.of(manager, t.toFloats(), shape);
    }
}
