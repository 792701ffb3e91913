package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.titok.kernels.FusedKernels;
import dev.titok.tensor.Ops;

/**
 * The pre-LayerNorm transformer block of the TiTok encoder and decoder (SPEC §1.3):
 * {@code x += attn(ln_1(x)); x += c_proj(gelu(c_fc(ln_2(x))))} with exact (erf) GELU.
 */
public final class ResidualAttentionBlock extends Module {

    private final LayerNorm ln1;
    private final MultiheadAttention attn;
    private final LayerNorm ln2;
    private final Linear cFc;
    private final Linear cProj;
    private FusedKernels kernels;

    public ResidualAttentionBlock(long width, int heads, double mlpRatio, double eps) {
        long hidden = (long) (width * mlpRatio);
        this.ln1 = child("ln_1", new LayerNorm(width, eps));
        this.attn = child("attn", new MultiheadAttention(width, heads));
        this.ln2 = child("ln_2", new LayerNorm(width, eps));
        Mlp mlp = child("mlp", new Mlp(width, hidden));
        this.cFc = mlp.cFc;
        this.cProj = mlp.cProj;
    }

    @Override
    protected void onKernels(FusedKernels kernels) {
        this.kernels = kernels;
    }

    /** (B, L, E) → (B, L, E). */
    public NDArray forward(NDArray x) {
        return Ops.scoped(() -> {
            NDArray h = x.add(attn.forward(ln1.forward(x)));
            return h.add(mlp(ln2.forward(h)));
        });
    }

    private NDArray mlp(NDArray x) {
        if (kernels != null) {
            return kernels.mlp(x, cFc.fusedWeights(), cProj.fusedWeights());
        }
        return cProj.forward(Activation.gelu(cFc.forward(x)));
    }

    /** Holds the two MLP layers under the official names {@code mlp.c_fc} and {@code mlp.c_proj}. */
    private static final class Mlp extends Module {
        final Linear cFc;
        final Linear cProj;

        Mlp(long width, long hidden) {
            this.cFc = child("c_fc", new Linear(width, hidden));
            this.cProj = child("c_proj", new Linear(hidden, width));
        }
    }
}
