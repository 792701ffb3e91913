package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import dev.titok.nn.StateDict;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A module's weights as checkpoint state, under the official state-dict names, so the saved file is a model file
 * that {@code TiTok.load} or {@code GeneratorModel.load} take as it is.
 */
public final class ModuleWeights implements Checkpointable {

    private final Module module;

    /** @param module a module whose parameters have values (loaded or initialised) */
    public ModuleWeights(Module module) {
        this.module = module;
    }

    @Override
    public State saveState() {
        return new State(StateDict.export(module), Map.of());
    }

    /**
     * Loads strictly ({@link StateDict#load}) into the manager that holds the current weights, then gives every
     * parameter its own writable copy; parameters that required gradients (see {@link Trainable}) still do.
     */
    @Override
    public void loadState(State saved, String source) {
        Map<String, Parameter> params = module.namedParameters();
        Set<String> trainable = new HashSet<>();
        params.forEach((name, p) -> {
            if (p.value().hasGradient()) {
                trainable.add(name);
            }
        });
        NDManager manager = params.isEmpty() ? null : params.values().iterator().next().value().getManager();
        StateDict.load(module, saved.tensors(), manager, source, Set.of());
        try (NoGrad off = NoGrad.enter()) {
            params.forEach((name, p) -> {
                NDArray own = Owned.copy(p.value(), manager); // the loaded value may map the file read-only
                own.setRequiresGradient(trainable.contains(name));
                p.set(own);
            });
        }
    }
}
