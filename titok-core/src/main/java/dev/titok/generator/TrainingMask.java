package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.tensor.RandomSource;

/**
 * The masked input of one MaskGIT training step (SPEC §4.5, the official {@code masking_input_tokens}).
 *
 * @param inputIds the clean tokens with masked positions replaced by the mask id, (B, L) int64
 * @param mask     which positions were masked, (B, L) boolean
 */
public record TrainingMask(NDArray inputIds, NDArray mask) {

    /**
     * Masks a batch with the arccos schedule, drawing from {@code random} exactly as the official code does:
     * timesteps {@code t ~ U[0,1)} (B), then {@code ρ ~ U[0,1)} (B, L). Row b masks
     * {@code n = max(1, round_half_even(L · clamp(arccos(t)/(π/2), 1e-6, 1)))} positions: those where the value of the
     * permutation {@code argsort(ρ)} is below n (the permutation value at position i, not the rank of ρ[i]).
     *
     * @param tokens (B, L) integer token ids
     * @param maskId the id that marks a masked position (the codebook size)
     */
    public static TrainingMask arccos(NDArray tokens, long maskId, RandomSource random) {
        Shape shape = tokens.getShape();
        if (shape.dimension() != 2 || !tokens.getDataType().isInteger()) {
            throw new TitokException("tokens of shape " + shape + " and type " + tokens.getDataType()
                    + ": expected (B, L) integer ids");
        }
        long b = shape.get(0);
        long l = shape.get(1);
        NDManager manager = tokens.getManager();
        NDArray t = random.uniform(manager, new Shape(b));                                       // (B)
        // float32 throughout, like torch: acos, division by the float32-rounded π/2, product with L, half-even rounding.
        NDArray ratio = t.acos().div((float) (Math.PI * 0.5)).clip(1e-6f, 1.0f);
        NDArray count = ratio.mul((float) l).round().maximum(1.0f).reshape(b, 1);                // (B, 1)
        NDArray permutation = random.uniform(manager, new Shape(b, l)).argSort(1);               // (B, L)
        NDArray mask = permutation.toType(DataType.FLOAT32, false).lt(count);                    // (B, L)
        NDArray ids = tokens.toType(DataType.INT64, false);
        NDArray maskIds = ids.zerosLike().add(maskId);
        return new TrainingMask(NDArrays.where(mask, maskIds, ids), mask);
    }
}
