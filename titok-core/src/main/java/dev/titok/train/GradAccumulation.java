package dev.titok.train;

import ai.djl.ndarray.NDArray;
import dev.titok.tensor.Ops;

/**
 * Gradient accumulation over {@code n} micro-batches per optimizer step, as Accelerate does it for the official
 * training: each micro-batch's loss is divided by {@code n} before its backward pass, so the gradients that libtorch
 * sums up equal those of one batch {@code n} times larger; the optimizer steps (and the EMA updates, and the step
 * count advances) only after the last micro-batch of each group.
 *
 * <pre>{@code
 * GradAccumulation acc = new GradAccumulation(n);
 * for (long micro = 0; ; micro++) {
 *     try (GradientCollector c = Engine.getInstance().newGradientCollector(); NDScope s = new NDScope()) {
 *         c.backward(acc.scale(loss(batch(micro))));
 *     }
 *     if (acc.endsStep(micro)) {
 *         GradClip.clip(optimizer.parameters().values(), 1.0);
 *         optimizer.step(schedule.lr(step++));
 *         optimizer.zeroGrad();
 *         ema.update();
 *     }
 * }
 * }</pre>
 */
public final class GradAccumulation {

    private final int microBatches;

    /** @param microBatches backward passes per optimizer step; 1 for none */
    public GradAccumulation(int microBatches) {
        if (microBatches < 1) {
            throw new IllegalArgumentException("micro-batches per step must be >= 1, got " + microBatches);
        }
        this.microBatches = microBatches;
    }

    public int microBatches() {
        return microBatches;
    }

    /** The loss to run backward on: {@code loss / n} (the loss itself for n = 1, as Accelerate leaves it). */
    public NDArray scale(NDArray loss) {
        return microBatches == 1 ? loss : Ops.div(loss, (float) microBatches);
    }

    /** Whether micro-batch number {@code microBatch} (counting from 0) is the last of its optimizer step. */
    public boolean endsStep(long microBatch) {
        return (microBatch + 1) % microBatches == 0;
    }
}
