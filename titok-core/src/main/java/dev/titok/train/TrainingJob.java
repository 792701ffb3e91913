package dev.titok.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * One kind of training (teacher, stage 1, stage 2, single-stage, generator) as the {@link TrainingLoop} drives it:
 * the loop owns the schedule of steps, logging, previews, checkpoints, resume and interruption; the job owns its
 * models, optimizers, data and losses.
 */
public interface TrainingJob {

    /** Everything a checkpoint must hold to continue bit-identically (models, EMA, optimizers, random sources). */
    TrainingState state();

    /**
     * One optimizer step (with its gradient accumulation, clipping, EMA update); {@code step} counts steps already
     * taken, so the first call gets 0. Returns the metrics to log (losses, lr, grad norm, codebook usage, ...).
     */
    Map<String, Double> step(long step);

    /** Writes a picture of the current state (reconstructions beside originals, or samples per class) into {@code dir}. */
    void preview(long step, Path dir);

    /** Where the data stream is, for the checkpoint (opaque JSON). */
    String dataPosition();

    /** Continues the data stream from a {@link #dataPosition()} saved earlier. */
    void restoreDataPosition(String json);
}
