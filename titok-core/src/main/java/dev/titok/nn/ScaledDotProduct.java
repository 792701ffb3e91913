package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import dev.titok.tensor.Ops;

/**
 * Bidirectional multi-head attention without a mask, {@code softmax(q·kᵀ/√d)·v}, shared by the TiTok, BERT and U-ViT
 * blocks. Head j owns features [j·d, (j+1)·d) of the projections in all of them.
 */
public final class ScaledDotProduct {

    private ScaledDotProduct() {}

    /** (B, T, heads·d) → (B, heads, T, d). */
    public static NDArray splitHeads(NDArray x, int heads) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        return x.reshape(b, t, heads, -1).transpose(0, 2, 1, 3);
    }

    /** q, k, v (B, heads, T, d) → the heads' outputs concatenated, (B, T, heads·d). */
    public static NDArray attend(NDArray q, NDArray k, NDArray v) {
        long b = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long t = q.getShape().get(2);
        long d = q.getShape().get(3);
        NDArray scores = Ops.mul(q, 1.0f / (float) Math.sqrt(d)).matMul(k.transpose(0, 1, 3, 2));   // (B, heads, T, T)
        NDArray context = scores.softmax(-1).matMul(v);                                      // (B, heads, T, d)
        return context.transpose(0, 2, 1, 3).reshape(b, t, heads * d);
    }
}
