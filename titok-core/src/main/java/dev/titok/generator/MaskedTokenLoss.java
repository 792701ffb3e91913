package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.titok.tensor.Ops;

/**
 * The generator's training loss (SPEC §4.6, the official {@code MLMLoss}): per-position cross-entropy with label
 * smoothing over the N image tokens, at every position, weighted 1 where the input was masked and
 * {@code unmaskedWeight} elsewhere (unmasked positions learn to copy their visible token).
 *
 * @param labelSmoothing ε: the target distribution is (1 − ε) on the true token plus ε/N everywhere (0.1 officially)
 * @param unmaskedWeight weight of positions that were not masked (0.1 officially)
 */
public record MaskedTokenLoss(double labelSmoothing, double unmaskedWeight) {

    /** The official settings: label smoothing 0.1, unmasked-token weight 0.1. */
    public static final MaskedTokenLoss OFFICIAL = new MaskedTokenLoss(0.1, 0.1);

    /** The loss and, for logging, the share of masked positions predicted right (averaged over rows). */
    public record Result(NDArray loss, NDArray correctTokens) {}

    /**
     * @param logits  (B, L, N) float32
     * @param targets (B, L) int64 clean tokens
     * @param masked  (B, L) boolean, true where the input was the mask token
     */
    public Result compute(NDArray logits, NDArray targets, NDArray masked) {
        long n = logits.getShape().get(2);
        NDArray logProbs = logits.logSoftmax(2);                                                   // (B, L, N)
        NDArray trueLogProb = logProbs.gather(targets.toType(DataType.INT64, false).expandDims(2), 2).squeeze(2); // (B, L)
        NDArray meanLogProb = Ops.div(logProbs.sum(new int[] {2}), (float) n);                                 // (B, L)
        // Scalars stay float (a Java double would make a float64 tensor) and go through Ops under autograd.
        float eps = (float) labelSmoothing;
        float unmasked = (float) unmaskedWeight;
        NDArray perPosition = Ops.mul(trueLogProb, -(1 - eps)).sub(Ops.mul(meanLogProb, eps));                 // (B, L)

        NDArray maskWeight = masked.toType(DataType.FLOAT32, false);                               // 1 masked, 0 not
        NDArray weights = maskWeight.mul(1 - unmasked).add(unmasked);
        NDArray loss = perPosition.mul(weights).sum().div(weights.sum().add(1e-8f));

        NDArray correct = logits.argMax(2).eq(targets.toType(DataType.INT64, false)).toType(DataType.FLOAT32, false);
        NDArray correctTokens = correct.mul(maskWeight).sum(new int[] {1})
                .div(maskWeight.sum(new int[] {1}).add(1e-8f)).mean();
        return new Result(loss, correctTokens);
    }
}
