package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code torch.optim.AdamW} with amsgrad off, step for step as PyTorch's single-tensor implementation
 * ({@code _single_tensor_adam} with decoupled weight decay), over parameter groups with their own weight decay.
 *
 * <p>For each parameter that has a gradient, with {@code t} its own step count after incrementing:
 * <pre>
 *   p ← p·(1 − lr·wd)                                  (skipped when wd = 0)
 *   m ← lerp(m, g, 1 − β1)
 *   v ← v·β2 + (1 − β2)·g·g
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * </pre>
 * Scalars are computed in double and rounded to float32 where libtorch would, and every tensor operation has the
 * operand order of the PyTorch kernels ({@code addcmul}: (value·g)·g; {@code addcdiv}: (value·m)/denom).
 *
 * <p>A parameter that no backward pass has reached yet is skipped, as PyTorch skips {@code p.grad is None}. Updates
 * are in place, with grad mode off, inside their own {@link NDScope}: native memory stays flat over any number of
 * steps. Parameters must own writable memory: run {@link Trainable#prepare} first.
 *
 * <p>Usage per optimizer step: backward pass(es), {@link GradClip#clip}, {@link #step(double)} with the schedule's lr,
 * {@link #zeroGrad()}. For gradient accumulation see {@link GradAccumulation}.
 */
public final class AdamW implements Checkpointable, AutoCloseable {

    /** PyTorch's default eps; the official configs' {@code epsilon} key is ignored by their code (SPEC §5.1). */
    public static final double DEFAULT_EPS = 1e-8;

    private static final String EXP_AVG = "exp_avg.";
    private static final String EXP_AVG_SQ = "exp_avg_sq.";
    private static final String STEP = "step.";

    private final List<ParamGroup> groups;
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<String, Moments> state = new LinkedHashMap<>();

    /** Per-parameter state, as PyTorch's {@code state[p]}: step count, first and second moment. */
    private static final class Moments {
        long step;
        NDArray expAvg;
        NDArray expAvgSq;
    }

    /**
     * @param groups parameter groups, each parameter in one group only (e.g. {@link ParamGroups#official})
     * @param beta1  first-moment decay (0.9 in every official config)
     * @param beta2  second-moment decay (0.99 stage 1, 0.999 stage 2, 0.96 generator)
     * @param eps    added to the bias-corrected sqrt of the second moment ({@link #DEFAULT_EPS})
     */
    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0)) {
            throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        }
        for (ParamGroup group : groups) {
            group.params().forEach((name, p) -> {
                if (params.putIfAbsent(name, p) != null) {
                    throw new IllegalArgumentException("parameter " + name + " appears in more than one group");
                }
            });
        }
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** The groups in order. */
    public List<ParamGroup> groups() {
        return groups;
    }

    /** Every optimized parameter by name, group by group (what {@link GradClip#clip} takes). */
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /**
     * One update the way the official loop makes it: clip the gradients to a global L2 norm of {@code maxGradNorm}
     * (skipped when it is 0 or less), step with {@code lr}, zero the gradients.
     *
     * @return the gradient norm before clipping, 0 when not clipped
     */
    public double clipStepAndZero(double lr, double maxGradNorm) {
        double norm = maxGradNorm > 0 ? GradClip.clip(parameters().values(), maxGradNorm) : 0.0;
        step(lr);
        zeroGrad();
        return norm;
    }

    /**
     * One update of every parameter that has a gradient.
     *
     * @param lr the learning rate of this step, e.g. {@code schedule.lr(stepsTaken)}
     */
    public void step(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            for (ParamGroup group : groups) {
                group.params().forEach((name, p) -> {
                    NDArray grad = Gradients.of(p.value());
                    if (grad != null) {
                        update(name, p.value(), grad, lr, group.weightDecay());
                    }
                });
            }
        }
    }

    private void update(String name, NDArray param, NDArray grad, double lr, double weightDecay) {
        Moments s = state.computeIfAbsent(name, k -> zeros(param));
        s.step++;
        if (weightDecay != 0) {
            param.muli((float) (1 - lr * weightDecay));
        }
        lerp(s, grad, 1 - beta1);
        s.expAvgSq.muli((float) beta2).addi(grad.mul((float) (1 - beta2)).muli(grad));
        double biasCorrection1 = 1 - Math.pow(beta1, s.step);
        double biasCorrection2 = 1 - Math.pow(beta2, s.step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.sqrt(biasCorrection2); // torch: bias_correction2 ** 0.5
        NDArray denom = s.expAvgSq.sqrt().divi((float) biasCorrection2Sqrt).addi((float) eps);
        param.addi(s.expAvg.mul((float) -stepSize).divi(denom));
    }

    /**
     * {@code m.lerp_(g, w)} as libtorch computes it: {@code m + w·(g − m)} for |w| &lt; 0.5, else
     * {@code g − (g − m)·(1 − w)}, which is more accurate near w = 1 (then a new array replaces the old moment).
     */
    private void lerp(Moments s, NDArray g, double weight) {
        float w = (float) weight;
        if (Math.abs(w) < 0.5f) {
            s.expAvg.addi(g.sub(s.expAvg).muli(w));
        } else {
            NDArray result = g.sub(g.sub(s.expAvg).muli(1 - w));
            s.expAvg.close();
            s.expAvg = Owned.keep(result, manager);
        }
    }

    private Moments zeros(NDArray param) {
        Moments s = new Moments();
        s.expAvg = Owned.keep(param.zerosLike(), manager);
        s.expAvgSq = Owned.keep(param.zerosLike(), manager);
        return s;
    }

    /**
     * Zeroes the accumulated gradients of all parameters, in place. (PyTorch 2's {@code zero_grad()} sets them to
     * None instead; the two differ only for a parameter that a later backward pass does not reach, which then gets
     * a zero-gradient update here rather than none. DJL offers no way to unset a gradient.)
     */
    public void zeroGrad() {
        params.values().forEach(p -> Gradients.zero(p.value()));
    }

    /** Tensors {@code exp_avg.NAME}, {@code exp_avg_sq.NAME} (F32) and {@code step.NAME} (I64 scalar) per parameter. */
    @Override
    public State saveState() {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        state.forEach((name, s) -> {
            long[] shape = s.expAvg.getShape().getShape();
            tensors.put(EXP_AVG + name, HostTensor.ofFloats(shape, s.expAvg.toFloatArray()));
            tensors.put(EXP_AVG_SQ + name, HostTensor.ofFloats(shape, s.expAvgSq.toFloatArray()));
            tensors.put(STEP + name, HostTensor.ofLongs(new long[0], new long[] {s.step}));
        });
        return new State(tensors, Map.of());
    }

    @Override
    public void loadState(State saved, String source) {
        Map<String, HostTensor> tensors = saved.tensors();
        List<String> problems = new ArrayList<>();
        Set<String> withState = new LinkedHashSet<>();
        for (String key : tensors.keySet()) {
            String name = parameterOf(key);
            if (name == null || !params.containsKey(name)) {
                problems.add(key + " is not state of a parameter of this optimizer");
            } else {
                withState.add(name);
            }
        }
        for (String name : withState) {
            long[] shape = params.get(name).shape().getShape();
            check(tensors.get(EXP_AVG + name), EXP_AVG + name, shape, problems);
            check(tensors.get(EXP_AVG_SQ + name), EXP_AVG_SQ + name, shape, problems);
            check(tensors.get(STEP + name), STEP + name, new long[0], problems);
        }
        if (!problems.isEmpty()) {
            throw new TitokException(source + ": optimizer state does not match the trainable parameters ("
                    + problems.size() + " problems): " + String.join("; ", problems.subList(0, Math.min(4, problems.size())))
                    + (problems.size() > 4 ? "; ..." : ""));
        }
        clearState();
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            for (String name : withState) {
                NDArray like = params.get(name).value();
                Moments s = new Moments();
                s.step = tensors.get(STEP + name).toLongs()[0];
                s.expAvg = Owned.fromHost(tensors.get(EXP_AVG + name), like, manager);
                s.expAvgSq = Owned.fromHost(tensors.get(EXP_AVG_SQ + name), like, manager);
                state.put(name, s);
            }
        }
    }

    /** The parameter name in a state key, or null for a key of another kind. */
    private static String parameterOf(String key) {
        for (String prefix : List.of(EXP_AVG, EXP_AVG_SQ, STEP)) {
            if (key.startsWith(prefix)) {
                return key.substring(prefix.length());
            }
        }
        return null;
    }

    private static void check(HostTensor t, String key, long[] shape, List<String> problems) {
        if (t == null) {
            problems.add(key + " is missing");
        } else if (!Arrays.equals(t.shape(), shape)) {
            problems.add(key + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        } else if (t.dtype().isFloatingPoint() != (shape.length > 0)) { // moments are floats, step counts integers
            problems.add(key + " has type " + t.dtype());
        }
    }

    private void clearState() {
        state.values().forEach(s -> {
            s.expAvg.close();
            s.expAvgSq.close();
        });
        state.clear();
    }

    /** Frees the moments; the parameters belong to their model. */
    @Override
    public void close() {
        manager.close();
        state.clear();
    }
}
