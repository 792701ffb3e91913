package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Every random draw of inference and training goes through one of these, in the same order and shapes as the
 * official code, so that a {@link Replay} fed with the draws recorded from PyTorch reproduces its outputs exactly.
 */
public interface RandomSource {

    /** Uniform [0, 1) floats of the given shape ({@code torch.rand}, {@code uniform_(0, 1)}). */
    NDArray uniform(NDManager manager, Shape shape);

    /** Standard normal floats of the given shape ({@code torch.randn}). */
    NDArray normal(NDManager manager, Shape shape);

    /**
     * A reproducible source: the same seed gives the same draws on every machine and thread. Its position can be
     * saved and restored ({@link Seeded#state()}), so training resumes with the same draws.
     */
    static Seeded seeded(long seed) {
        return new Seeded(seed);
    }
}
