package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.titok.nn.Embedding;
import dev.titok.nn.Init;
import dev.titok.nn.Module;
import dev.titok.tensor.Ops;

/**
 * Nearest-codebook-entry quantization of the K latent tokens (SPEC §1.5), always in float32. With
 * {@code use_l2_norm} both the tokens and the (stored unnormalised) codebook rows are L2-normalised, which makes
 * the nearest entry the one of highest cosine similarity.
 */
public final class VectorQuantizer extends Module {

    private final Embedding embedding;
    private final boolean l2Norm;
    private final float commitmentCost;

    public VectorQuantizer(int codebookSize, int tokenSize, boolean l2Norm, double commitmentCost) {
        this.embedding = child("embedding", new Embedding(codebookSize, tokenSize, new Init.Uniform(1.0 / codebookSize)));
        this.l2Norm = l2Norm;
        this.commitmentCost = (float) commitmentCost;
    }

    /** The result of {@link #forward}: straight-through tokens, their ids and the three losses. */
    public record Quantized(NDArray zQuantized, NDArray tokens, NDArray quantizerLoss, NDArray commitmentLoss,
                            NDArray codebookLoss) {}

    /** z (B, C, 1, K) → straight-through z_q (B, C, 1, K), ids (B, 1, K) int64, losses. */
    public Quantized forward(NDArray z) {
        long b = z.getShape().get(0);
        long c = z.getShape().get(1);
        long k = z.getShape().get(3);
        NDArray channelsLast = z.toType(DataType.FLOAT32, false).transpose(0, 2, 3, 1);   // (B, 1, K, C)
        NDArray flat = channelsLast.reshape(-1, c);                                         // (B·K, C)
        NDArray ids = nearest(l2Norm ? Ops.l2Normalize(flat, 1) : flat);                    // (B·K)
        NDArray zq = codebookEntry(ids).reshape(channelsLast.getShape());                   // (B, 1, K, C)
        NDArray zn = l2Norm ? Ops.l2Normalize(channelsLast, -1) : channelsLast;
        // Gradients are stopped on one side of each loss during training (autograd mode); numerically both are MSEs.
        NDArray commitment = Ops.mul(zq.stopGradient().sub(zn).square().mean(), commitmentCost);
        NDArray codebook = zq.sub(zn.stopGradient()).square().mean();
        NDArray straightThrough = zn.add(zq.sub(zn).stopGradient());                        // z + (zq − z), bit-exact with PyTorch
        return new Quantized(straightThrough.transpose(0, 3, 1, 2), ids.reshape(b, 1, k),
                commitment.add(codebook), commitment, codebook);
    }

    /** Codebook rows of the given ids (any shape) → (..., C), normalised when {@code use_l2_norm}. */
    public NDArray codebookEntry(NDArray ids) {
        NDArray rows = embedding.lookup(ids);
        return l2Norm ? Ops.l2Normalize(rows, -1) : rows;
    }

    public long codebookSize() {
        return embedding.weight().getShape().get(0);
    }

    /** argmin_n ‖z − e_n‖² with the expanded formula of the reference, first minimum on ties. */
    private NDArray nearest(NDArray flat) {
        NDArray codes = l2Norm ? Ops.l2Normalize(embedding.weight(), 1) : embedding.weight();  // (N, C)
        NDArray distances = flat.square().sum(new int[] {1}, true)
                .add(codes.square().sum(new int[] {1}))
                .sub(flat.matMul(codes.transpose()).mul(2));                                    // (B·K, N)
        return distances.argMin(1);
    }
}
