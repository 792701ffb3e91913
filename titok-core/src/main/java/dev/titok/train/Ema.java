package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exponential moving average of a model's weights, as the official {@code EMAModel} (SPEC §5.1): decay capped at
 * {@value #MAX_DECAY}, no power warm-up. Its weights are what the official final checkpoint contains.
 *
 * <p>Call {@link #update()} after every optimizer step. Shadows are kept for every parameter under its state-dict
 * name; trainable ones ({@code requires_grad}) move towards the model, frozen ones are copied.
 */
public final class Ema implements Checkpointable, AutoCloseable {

    /** The official cap, hard-coded there rather than read from the config. */
    public static final double MAX_DECAY = 0.999;

    private static final String UPDATES = "ema_updates";

    private final Module module;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<String, NDArray> shadow = new LinkedHashMap<>();
    private long updates;

    /** Starts the average at the module's current weights (PyTorch: {@code p.clone().detach()}). */
    public Ema(Module module) {
        this.module = module;
        try (NoGrad off = NoGrad.enter()) {
            module.namedParameters().forEach((name, p) -> shadow.put(name, Owned.copy(p.value(), manager)));
        }
    }

    /**
     * The decay of update number {@code k} (counting from 1): 0 for k ≤ 1, else
     * {@code min((1 + (k − 1)) / (10 + (k − 1)), 0.999)}, so 2/11, 3/12, …
     */
    public static double decay(long k) {
        long step = Math.max(0, k - 1);
        if (step <= 0) {
            return 0.0;
        }
        return Math.min((1.0 + step) / (10.0 + step), MAX_DECAY);
    }

    /** Updates taken so far. */
    public long updates() {
        return updates;
    }

    /** {@code shadow ← shadow − (1 − d)·(shadow − param)} for trainable parameters; frozen ones are copied. */
    public void update() {
        updates++;
        float oneMinusDecay = (float) (1 - decay(updates));
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            module.namedParameters().forEach((name, p) -> {
                NDArray s = shadow.get(name);
                NDArray param = p.value();
                if (param.hasGradient()) {
                    s.subi(s.sub(param).muli(oneMinusDecay));
                } else {
                    s.set(new NDIndex("..."), param); // copy_ in place
                }
            });
        }
    }

    /**
     * Gives {@code target}'s parameters the averaged weights (e.g. a second model for evaluation, or the trained model
     * before export), matched by name. Each gets a fresh copy, so read-only mapped weights are never written to; a
     * parameter that required gradients still does.
     *
     * @throws TitokException when the names or shapes differ from the averaged module's
     */
    public void copyTo(Module target) {
        Map<String, Parameter> params = target.namedParameters();
        if (!params.keySet().equals(shadow.keySet())) {
            throw new TitokException("cannot copy EMA weights: the target has " + params.size()
                    + " parameters, the averaged model " + shadow.size() + ", and their names differ");
        }
        try (NoGrad off = NoGrad.enter()) {
            params.forEach((name, p) -> {
                NDArray s = shadow.get(name);
                if (!s.getShape().equals(p.shape())) {
                    throw new TitokException("cannot copy EMA weights: " + name + " has shape " + p.shape()
                            + " in the target but " + s.getShape() + " in the average");
                }
                NDArray old = p.value();
                NDArray copy = Owned.copy(s, old.getManager());
                copy.setRequiresGradient(old.hasGradient());
                p.set(copy);
            });
        }
    }

    /** The averaged weights under the official names (a loadable model file) and the update count as metadata. */
    @Override
    public State saveState() {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        shadow.forEach((name, s) -> tensors.put(name, HostTensor.ofFloats(s.getShape().getShape(), s.toFloatArray())));
        return new State(tensors, Map.of(UPDATES, Long.toString(updates)));
    }

    @Override
    public void loadState(State saved, String source) {
        String count = saved.metadata().get(UPDATES);
        if (count == null || !count.matches("\\d{1,18}")) {
            throw new TitokException(source + ": no valid '" + UPDATES + "' count in the EMA file's metadata");
        }
        check(saved.tensors(), source);
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            Map<String, NDArray> loaded = new LinkedHashMap<>();
            shadow.forEach((name, s) -> loaded.put(name, Owned.fromHost(saved.tensors().get(name), s, manager)));
            shadow.values().forEach(NDArray::close);
            shadow.putAll(loaded);
        }
        updates = Long.parseLong(count);
    }

    /** Strict like model loading: the same names, the same shapes, float types. */
    private void check(Map<String, HostTensor> tensors, String source) {
        List<String> problems = new ArrayList<>();
        shadow.forEach((name, s) -> {
            HostTensor t = tensors.get(name);
            if (t == null) {
                problems.add(name + " is missing");
            } else if (!Arrays.equals(t.shape(), s.getShape().getShape())) {
                problems.add(name + " has shape " + Arrays.toString(t.shape()) + ", expected " + s.getShape());
            } else if (!t.dtype().isFloatingPoint()) {
                problems.add(name + " has type " + t.dtype());
            }
        });
        tensors.keySet().stream().filter(k -> !shadow.containsKey(k)).forEach(k -> problems.add(k + " is unexpected"));
        if (!problems.isEmpty()) {
            throw new TitokException(source + ": EMA weights do not match the model (" + problems.size() + " problems): "
                    + String.join("; ", problems.subList(0, Math.min(4, problems.size())))
                    + (problems.size() > 4 ? "; ..." : ""));
        }
    }

    @Override
    public void close() {
        manager.close();
        shadow.clear();
    }
}
