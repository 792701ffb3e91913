package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.titok.kernels.FusedKernels;
import dev.titok.tensor.Tensors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tree of named parameters, like {@code torch.nn.Module}: the dotted path of every parameter is exactly
 * the key of the official PyTorch state dict ({@code encoder.transformer.0.attn.in_proj_weight}), so loading a
 * checkpoint is a name-by-name copy ({@link StateDict}).
 *
 * <p>Subclasses declare parameters and children in their constructor, in the official registration order,
 * and implement their forward pass as plain methods on {@link NDArray}s.
 */
public abstract class Module {

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    /** Declares a parameter of this module. */
    protected final Parameter parameter(String name, Init init, long... shape) {
        return register(name, new Parameter(new Shape(shape), init, true));
    }

    /**
     * Declares a buffer: a fixed tensor that belongs to the state dict (PyTorch's {@code register_buffer}) but is
     * not trained ({@link Parameter#trainable()} is false).
     */
    protected final Parameter buffer(String name, Init init, long... shape) {
        return register(name, new Parameter(new Shape(shape), init, false));
    }

    private Parameter register(String name, Parameter p) {
        if (parameters.putIfAbsent(name, p) != null || children.containsKey(name)) {
            throw new IllegalStateException("duplicate name " + name);
        }
        return p;
    }

    /** Declares a child module; its parameters appear under {@code name.}. */
    protected final <M extends Module> M child(String name, M module) {
        if (children.putIfAbsent(name, module) != null || parameters.containsKey(name)) {
            throw new IllegalStateException("duplicate name " + name);
        }
        return module;
    }

    /**
     * Points every module of the tree at {@code kernels} (null: the reference path). Each module converts what it needs
     * from its current parameter values, so later changes to the parameters are not seen until the next call.
     */
    final void bindKernels(FusedKernels kernels) {
        onKernels(kernels);
        children.values().forEach(c -> c.bindKernels(kernels));
    }

    /**
     * Called by {@link Model#useKernels} before the module's children: a module with a fused inference path converts its
     * weights here, or drops them when {@code kernels} is null. Modules without one ignore it.
     */
    protected void onKernels(FusedKernels kernels) {}

    /**
     * Every parameter and buffer of the tree by its full dotted name, in state-dict order (own entries first, then
     * children).
     */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        parameters.forEach((name, p) -> out.put(prefix + name, p));
        children.forEach((name, m) -> m.collect(prefix + name + ".", out));
    }

    /** Number of scalar trainable parameters in the tree; buffers do not count, as in PyTorch's {@code parameters()}. */
    public final long parameterCount() {
        return namedParameters().values().stream().filter(Parameter::trainable).mapToLong(p -> p.shape().size()).sum();
    }

    /**
     * Gives every parameter a fresh value following its {@link Init} rule, drawn from libtorch's generator seeded
     * with {@code seed}. Used for training from scratch and for benchmarks with random weights.
     */
    public final void initialize(NDManager manager, long seed) {
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
        for (Parameter p : namedParameters().values()) {
            p.set(draw(manager, p.init(), p.shape()));
        }
    }

    private static NDArray draw(NDManager manager, Init init, Shape shape) {
        DataType f32 = DataType.FLOAT32;
        if (init instanceof Init.Zeros) {
            return manager.zeros(shape, f32);
        } else if (init instanceof Init.Ones) {
            return manager.ones(shape, f32);
        } else if (init instanceof Init.TruncatedNormal t) {
            try (NDArray n = manager.randomNormal(0, (float) t.std(), shape, f32)) {
                return n.clip(-2, 2);
            }
        } else if (init instanceof Init.XavierUniform) {
            long fanOut = shape.get(0);
            long fanIn = shape.size() / fanOut;
            float bound = (float) Math.sqrt(6.0 / (fanIn + fanOut));
            return manager.randomUniform(-bound, bound, shape, f32);
        } else if (init instanceof Init.ScaledNormal s) {
            return manager.randomNormal(0, (float) s.scale(), shape, f32);
        } else if (init instanceof Init.Uniform u) {
            return manager.randomUniform((float) -u.bound(), (float) u.bound(), shape, f32);
        } else if (init instanceof Init.Constant c) {
            if (c.values().length != shape.size()) {
                throw new IllegalArgumentException(c.values().length + " constant values for shape " + shape);
            }
            return Tensors.of(manager, c.values(), shape);
        }
        throw new IllegalArgumentException("unknown init " + init);
    }
}
