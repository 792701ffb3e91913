package dev.titok.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TorchScript module loaded into libtorch, whose methods are called by name with tensors and plain values.
 *
 * <p>Every {@link IValue} a call makes is closed before it returns: an unclosed result keeps its tensor alive, and
 * then every call allocates fresh native memory (and pays its page faults). A result may be a tensor DJL cannot
 * describe (bfloat16, or oneDNN's blocked layout): it can be held, passed back to a method and closed, and nothing
 * else; {@link FusedKernels} keeps such tensors out of the rest of the code.
 */
final class ScriptModule {

    private final PtSymbolBlock block;
    private final LongAdder calls = new LongAdder();

    private ScriptModule(PtSymbolBlock block) {
        this.block = block;
    }

    /** Loads the archive {@link TorchScriptArchive} writes for {@code className} and {@code classBody}. */
    static ScriptModule load(NDManager manager, String className, String classBody) {
        byte[] archive = TorchScriptArchive.write(className, classBody);
        try {
            return new ScriptModule(JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive), true, false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code method}; arguments may be NDArrays, Longs or Integers (TorchScript {@code int}), Doubles
     * ({@code float}), Booleans, Strings and {@code long[]} ({@code List[int]}). The tensor result belongs to
     * {@code manager}.
     */
    NDArray call(NDManager manager, String method, Object... args) {
        calls.increment();
        IValue[] inputs = new IValue[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                inputs[i] = toIValue(args[i]);
            }
            try (IValue result = IValueUtils.runMethod(block, method, inputs)) {
                return result.toTensor((PtNDManager) manager);
            }
        } finally {
            for (IValue v : inputs) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    /** How many tensor-returning calls this module has run. */
    long calls() {
        return calls.sum();
    }

    /** Runs a method that takes no argument and returns a {@code bool}. */
    boolean callBoolean(String method) {
        try (IValue result = IValueUtils.runMethod(block, method)) {
            return result.toBoolean();
        }
    }

    private static IValue toIValue(Object arg) {
        if (arg instanceof NDArray a) {
            return IValue.from((PtNDArray) a);
        } else if (arg instanceof Long || arg instanceof Integer) {
            return IValue.from(((Number) arg).longValue());
        } else if (arg instanceof Double d) {
            return IValue.from(d);
        } else if (arg instanceof Boolean b) {
            return IValue.from(b);
        } else if (arg instanceof String s) {
            return IValue.from(s);
        } else if (arg instanceof long[] list) {
            return IValue.listFrom(list);
        }
        throw new IllegalArgumentException("no TorchScript value for " + (arg == null ? "null" : arg.getClass()));
    }
}
