package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.LazyWeights;
import dev.titok.kernels.LinearWeights;

/**
 * Bidirectional multi-head self-attention with PyTorch's packed input projection ({@code nn.MultiheadAttention}):
 * rows [0,E) of {@code in_proj_weight} are Q, [E,2E) K, [2E,3E) V; head j owns feature columns [j·d, (j+1)·d).
 * Works batch-first; the official module runs sequence-first, which changes nothing since batches are independent.
 */
public final class MultiheadAttention extends Module {

    private final Parameter inProjWeight;
    private final Parameter inProjBias;
    private final Linear outProj;
    private final int heads;
    private final long width;
    private FusedKernels kernels;
    private LazyWeights<LinearWeights> inProj;

    public MultiheadAttention(long width, int heads) {
        if (width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " is not a multiple of " + heads + " heads");
        }
        this.inProjWeight = parameter("in_proj_weight", new Init.XavierUniform(), 3 * width, width);
        this.inProjBias = parameter("in_proj_bias", Init.ZEROS, 3 * width);
        this.outProj = child("out_proj", new Linear(width, width));
        this.heads = heads;
        this.width = width;
    }

    @Override
    protected void onKernels(FusedKernels kernels) {
        this.kernels = kernels;
        this.inProj = kernels == null ? null
                : kernels.lazily(() -> kernels.linearWeights(inProjWeight.value(), inProjBias.value()));
    }

    /** (B, L, E) → (B, L, E). */
    public NDArray forward(NDArray x) {
        if (kernels != null) {
            return kernels.selfAttention(x, inProj.get(), outProj.fusedWeights(), heads);
        }
        long b = x.getShape().get(0);
        long l = x.getShape().get(1);
        long headDim = width / heads;
        NDArray qkv = ai.djl.nn.core.Linear.linear(x, inProjWeight.value(), inProjBias.value()).singletonOrThrow();
        NDList split = qkv.reshape(b, l, 3, heads, headDim).transpose(2, 0, 3, 1, 4).split(3, 0); // 3 × (1, B, H, L, d)
        NDArray heads = ScaledDotProduct.attend(split.get(0).squeeze(0), split.get(1).squeeze(0), split.get(2).squeeze(0));
        return outProj.forward(heads);                                                            // (B, L, E)
    }
}
