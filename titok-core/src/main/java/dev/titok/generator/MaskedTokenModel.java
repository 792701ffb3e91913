package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import dev.titok.tensor.RandomSource;

/**
 * A class-conditional bidirectional transformer over image tokens (SPEC §4): given token ids where some positions hold
 * the mask id, it predicts logits over the image-token vocabulary at every position. {@code ImageBert} and
 * {@code UViTBert} implement it; the MaskGIT sampler only needs this.
 */
public interface MaskedTokenModel {

    /** N: the image-token vocabulary (the tokenizer's codebook size); the mask id is N. */
    int codebookSize();

    /** NC: number of classes; class c is fed as id N + 1 + c, the null class as N + NC + 1. */
    int numClasses();

    /** L: tokens per image. */
    int sequenceLength();

    /**
     * Logits for every image position.
     *
     * @param ids          (B, L) int64 token ids in [0, N] (N = mask)
     * @param condition    (B) int64 class ids in [0, NC)
     * @param condDropProb probability of replacing a row's class by the null class; the B uniform draws for it are
     *                     taken from {@code random} on every call, even for 0 and 1, as the official forward does
     * @return (B, L, N) float32 logits
     */
    NDArray forward(NDArray ids, NDArray condition, double condDropProb, RandomSource random);

    /**
     * The conditional and the unconditional (null-class) logits of one guided sampling step: what the official code
     * gets from {@code forward(ids, c, 0.0)} then {@code forward(ids, c, 1.0)}, drawing both calls' (B) uniforms in
     * that order. Implementations may run both in one pass of 2B rows.
     *
     * @return {(B, L, N) conditional, (B, L, N) unconditional}
     */
    default NDArray[] forwardGuided(NDArray ids, NDArray condition, RandomSource random) {
        return new NDArray[] {forward(ids, condition, 0.0, random), forward(ids, condition, 1.0, random)};
    }
}
