package dev.titok.train;

import ai.djl.ndarray.NDArray;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Readies a loaded or freshly initialised model for training: trainable parameters get their own writable copy with
 * a gradient attached ({@code requires_grad}), frozen ones are detached from autograd.
 *
 * <p>The copy matters because weights loaded from safetensors may be zero-copy views of a read-only memory map, which
 * an in-place optimizer update must never write to. Run this before building the optimizer and the {@link Ema}.
 */
public final class Trainable {

    private Trainable() {}

    /** Makes every parameter of {@code module} trainable (buffers stay fixed); returns them by state-dict name. */
    public static Map<String, Parameter> prepare(Module module) {
        return prepare(module, name -> true);
    }

    /**
     * Makes the parameters whose state-dict name passes {@code trainable} trainable and freezes the others. Buffers
     * ({@link Parameter#trainable()} false) are always frozen.
     *
     * @return the trainable parameters by name, in state-dict order (what {@link ParamGroups#official} groups)
     * @throws IllegalStateException when a parameter has no value yet (load or initialise the model first)
     */
    public static Map<String, Parameter> prepare(Module module, Predicate<String> trainable) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        try (NoGrad off = NoGrad.enter()) {
            module.namedParameters().forEach((name, p) -> {
                NDArray value = p.value();
                if (p.trainable() && trainable.test(name)) {
                    NDArray own = Owned.copy(value, value.getManager());
                    own.setRequiresGradient(true);
                    p.set(own);
                    out.put(name, p);
                } else if (value.hasGradient()) {
                    value.setRequiresGradient(false);
                }
            });
        }
        return Collections.unmodifiableMap(out);
    }
}
