package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Tensors;
import java.util.Arrays;

/**
 * MaskGIT sampling exactly as the official {@code ImageBert.generate} (SPEC §4.7): start with every image token
 * masked, and at each step predict all masked tokens, keep the most confident ones and mask the rest again, until the
 * last step reveals everything.
 *
 * <p>Random draws are taken from the {@link RandomSource} in the official order and shapes, so replaying the draws
 * recorded from PyTorch reproduces its tokens: per step, one (B) uniform draw per forward pass (inside
 * {@link MaskedTokenModel#forward}; conditional first, then unconditional when guided), then (B, L, N) uniforms for
 * the token choice, then (B, L) uniforms for the confidence, also at the last step where they cannot matter.
 */
public final class Sampler {

    /**
     * What one step computed. The arrays are only valid during {@link StepListener#onStep}: copy what you keep.
     *
     * @param index         step s, from 0
     * @param logits        (B, L, N) float32 logits after guidance and softmax-temperature annealing
     * @param sampledIds    (B, L) int64 chosen tokens: the Gumbel-max sample at masked positions, the kept token elsewhere
     * @param sampledLogits (B, L) float32 noise-free logit of the chosen token at masked positions, +∞ elsewhere
     * @param confidence    (B, L) float32 sampledLogits plus temperature-scaled Gumbel noise
     * @param maskLength    the official {@code mask_len}: how many tokens are masked again (at least, with ties)
     * @param masking       (B, L) boolean: confidence at or below the {@code maskLength}-th smallest of its row
     * @param ids           (B, L) int64 state after the step: masked positions hold the mask id N
     */
    public record Step(int index, NDArray logits, NDArray sampledIds, NDArray sampledLogits, NDArray confidence,
                       long maskLength, NDArray masking, NDArray ids) {}

    /** Observes every step of {@link #generate}, for tests and visualisation. */
    @FunctionalInterface
    public interface StepListener {
        void onStep(Step step);
    }

    /** Clamp of both logarithms of the Gumbel noise, as the official {@code log(t, eps=1e-20)}. */
    private static final float GUMBEL_EPS = 1e-20f;

    private Sampler() {}

    /**
     * Samples token ids for a batch of class labels.
     *
     * @param condition (B) integer class ids in [0, NC)
     * @return (B, L) int64 token ids in [0, N), owned by the condition's manager (and the caller's NDScope, if any)
     * @throws TitokException when a class id is out of range
     */
    public static NDArray generate(MaskedTokenModel model, NDArray condition, SamplingConfig config,
                                   RandomSource random) {
        return generate(model, condition, config, random, step -> { });
    }

    /**
     * The array-level call: one token list per class id, sampled in its own memory scope.
     *
     * @param classIds the class of each sample, in [0, NC)
     * @return (B) lists of L token ids in [0, N)
     */
    public static long[][] generate(GeneratorModel model, long[] classIds, SamplingConfig config, RandomSource random,
                                    StepListener listener) {
        int length = model.sequenceLength();
        try (NDScope scope = new NDScope()) {
            long[] flat = generate(model, Tensors.of(model.manager(), classIds), config, random, listener).toLongArray();
            long[][] out = new long[classIds.length][];
            for (int i = 0; i < classIds.length; i++) {
                out[i] = Arrays.copyOfRange(flat, i * length, (i + 1) * length);
            }
            return out;
        }
    }

    /** {@link #generate(MaskedTokenModel, NDArray, SamplingConfig, RandomSource)} reporting every step to a listener. */
    public static NDArray generate(MaskedTokenModel model, NDArray condition, SamplingConfig config,
                                   RandomSource random, StepListener listener) {
        JniUtils.setGradMode(false);
        NDArray classes = checkCondition(model, condition);                             // (B)
        NDManager manager = condition.getManager();
        Shape shape = new Shape(classes.getShape().get(0), model.sequenceLength());
        NDArray ids = null;
        for (int s = 0; s < config.steps(); s++) {
            // Each step's temporaries die with its scope; only the new state escapes, so memory stays flat.
            try (NDScope scope = new NDScope()) {
                NDArray current = ids != null ? ids
                        : manager.full(shape, model.codebookSize(), DataType.INT64);     // (B, L) all [MASK]
                NDArray logits = guidedLogits(model, current, classes, config, s, random);
                Step result = step(current, logits, config, s, random);
                listener.onStep(result);
                NDScope.unregister(result.ids());
                if (ids != null) {
                    ids.close();
                }
                ids = result.ids();
            }
        }
        if (classes != condition) {
            classes.close();
        }
        ids.attach(manager);
        NDScope.register(ids);
        return ids;
    }

    /**
     * The logits step s samples from: the conditional forward pass, combined with the unconditional one when the
     * step is guided ({@code c + (c − u)·cfg} for constant and linear decay, {@code u + (c − u)·cfg} for
     * power-cosine), then divided by the softmax temperature when annealing is on. Consumes one (B) draw per pass.
     *
     * @param ids       (B, L) int64 current state
     * @param condition (B) int64 class ids
     * @return (B, L, N) float32
     */
    public static NDArray guidedLogits(MaskedTokenModel model, NDArray ids, NDArray condition, SamplingConfig config,
                                       int step, RandomSource random) {
        double cfg = config.guidance(step);
        NDArray logits;
        if (cfg != 0) {
            NDArray[] both = model.forwardGuided(ids, condition, random);
            NDArray cond = both[0];                                                     // (B, L, N)
            NDArray uncond = both[1];                                                   // (B, L, N), null class
            NDArray delta = cond.sub(uncond).mul((float) cfg);
            logits = config.guidanceDecay() == GuidanceDecay.POWER_COSINE ? uncond.add(delta) : cond.add(delta);
        } else {
            logits = model.forward(ids, condition, 0.0, random);                        // (B, L, N)
        }
        if (config.softmaxTemperatureAnnealing()) {
            logits = logits.div(config.softmaxTemperature(step));
        }
        return logits;
    }

    /**
     * Step s from its final logits (as {@link #guidedLogits} gives them): Gumbel-max sampling of the masked
     * positions, confidence, and re-masking of the least confident. Draws (B, L, N) then (B, L) uniforms.
     *
     * @param ids    (B, L) int64 state before the step; positions equal to N are masked
     * @param logits (B, L, N) float32
     */
    public static Step step(NDArray ids, NDArray logits, SamplingConfig config, int step, RandomSource random) {
        Shape shape = logits.getShape();                                                // (B, L, N)
        if (shape.dimension() != 3 || !ids.getShape().equals(shape.slice(0, 2))) {
            throw new IllegalArgumentException("logits " + shape + " do not match ids " + ids.getShape()
                    + ": expected (B, L, N) and (B, L)");
        }
        NDManager manager = logits.getManager();
        int length = Math.toIntExact(shape.get(1));
        long maskId = shape.get(2);
        float temperature = config.noiseTemperature(step);
        NDArray isMask = ids.eq(maskId);                                                // (B, L)

        NDArray noise = gumbel(random.uniform(manager, shape));                         // (B, L, N)
        NDArray candidates = logits.add(noise.mul(temperature)).argMax(2);             // (B, L), first max on ties
        NDArray candidateLogits = logits.gather(candidates.expandDims(2), 2).squeeze(2); // (B, L), without noise
        NDArray sampledIds = NDArrays.where(isMask, candidates, ids);
        // Revealed tokens get +inf confidence so they are never masked again.
        NDArray sampledLogits = NDArrays.where(isMask, candidateLogits,
                manager.full(candidateLogits.getShape(), Float.POSITIVE_INFINITY));

        long maskedInRow0 = isMask.get(0).toType(DataType.INT64, false).sum().getLong();
        long maskLength = MaskSchedule.maskLength(length, step, config.steps(), maskedInRow0);
        NDArray confidence = sampledLogits.add(
                gumbel(random.uniform(manager, sampledLogits.getShape())).mul(temperature)); // (B, L)
        NDArray cutOff = confidence.sort(1).get(new NDIndex(":, " + (maskLength - 1) + ":" + maskLength)); // (B, 1)
        NDArray masking = confidence.lte(cutOff);                                       // (B, L), ties all masked
        NDArray next = step == config.steps() - 1 ? sampledIds
                : NDArrays.where(masking, manager.full(sampledIds.getShape(), maskId, DataType.INT64), sampledIds);
        return new Step(step, logits, sampledIds, sampledLogits, confidence, maskLength, masking, next);
    }

    /** Standard Gumbel noise from uniforms: {@code −log(max(−log(max(u, 1e-20)), 1e-20))}, computed in float32. */
    static NDArray gumbel(NDArray uniform) {
        return uniform.maximum(GUMBEL_EPS).log().neg().maximum(GUMBEL_EPS).log().neg();
    }

    /** The condition as (B) int64, with every class id checked against the model's class count. */
    private static NDArray checkCondition(MaskedTokenModel model, NDArray condition) {
        Shape shape = condition.getShape();
        if (shape.dimension() != 1 || shape.get(0) < 1 || !condition.getDataType().isInteger()) {
            throw new TitokException("class labels must be a non-empty 1-D integer array, got " + condition.getDataType()
                    + " " + shape);
        }
        NDArray classes = condition.toType(DataType.INT64, false);
        long[] values = classes.toLongArray();
        int numClasses = model.numClasses();
        if (Arrays.stream(values).anyMatch(c -> c < 0 || c >= numClasses)) {
            throw new TitokException("class labels " + Arrays.toString(values) + " must lie in [0, " + numClasses
                    + ") for this generator");
        }
        return classes;
    }
}
