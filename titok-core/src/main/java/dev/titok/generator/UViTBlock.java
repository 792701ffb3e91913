package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import dev.titok.kernels.FusedKernels;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Linear;
import dev.titok.nn.Module;
import dev.titok.nn.ScaledDotProduct;
import dev.titok.tensor.Ops;

/**
 * A pre-LayerNorm U-ViT block (SPEC §4.4): {@code x += proj(attn(norm1(x))); x += fc2(GELU(fc1(norm2(x))))}, with a
 * bias-free packed {@code qkv} and no dropout. Out-blocks first fuse the long skip: {@code x = skip_linear([x, skip])}.
 */
final class UViTBlock extends Module {

    /** nn.LayerNorm's default epsilon. */
    static final double LAYER_NORM_EPS = 1e-5;

    private final LayerNorm norm1;
    private final Attention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;
    private final Linear skipLinear;

    /** @param skip whether this is an out-block, which takes the output of its mirrored in-block */
    UViTBlock(GeneratorConfig config, boolean skip) {
        int hidden = config.hiddenSize();
        this.norm1 = child("norm1", new LayerNorm(hidden, LAYER_NORM_EPS));
        this.attn = child("attn", new Attention(hidden, config.numAttentionHeads()));
        this.norm2 = child("norm2", new LayerNorm(hidden, LAYER_NORM_EPS));
        this.mlp = child("mlp", new Mlp(hidden, mlpHidden(config)));
        this.skipLinear = skip ? child("skip_linear", new Linear(2L * hidden, hidden)) : null;
    }

    /**
     * The official block is given {@code mlp_ratio = intermediate / hidden} and builds {@code int(hidden · ratio)}
     * features; the same double arithmetic reproduces that (including any rounding down).
     */
    private static long mlpHidden(GeneratorConfig config) {
        double ratio = (double) config.intermediateSize() / config.hiddenSize();
        return (long) (config.hiddenSize() * ratio);
    }

    /** (B, T, H) and, for out-blocks, the skip (B, T, H) → (B, T, H). */
    NDArray forward(NDArray x, NDArray skip) {
        return Ops.scoped(() -> {
            NDArray h = skipLinear == null ? x : skipLinear.forward(NDArrays.concat(new NDList(x, skip), -1));
            h = h.add(attn.forward(norm1.forward(h)));
            return h.add(mlp.forward(norm2.forward(h)));
        });
    }

    /** {@code attn.qkv} (no bias; features laid out [q | k | v], heads contiguous inside each) and {@code attn.proj}. */
    private static final class Attention extends Module {
        private final Linear qkv;
        private final Linear proj;
        private final int heads;
        private FusedKernels kernels;

        Attention(int hidden, int heads) {
            this.qkv = child("qkv", new Linear(hidden, 3L * hidden, false));
            this.proj = child("proj", new Linear(hidden, hidden));
            this.heads = heads;
        }

        @Override
        protected void onKernels(FusedKernels kernels) {
            this.kernels = kernels;
        }

        /** (B, T, H) → (B, T, H). */
        NDArray forward(NDArray x) {
            if (kernels != null) {
                return kernels.selfAttention(x, qkv.fusedWeights(), proj.fusedWeights(), heads);
            }
            long b = x.getShape().get(0);
            long t = x.getShape().get(1);
            NDList split = qkv.forward(x).reshape(b, t, 3, heads, -1).transpose(2, 0, 3, 1, 4).split(3, 0); // 3 × (1, B, heads, T, d)
            NDArray out = ScaledDotProduct.attend(split.get(0).squeeze(0), split.get(1).squeeze(0), split.get(2).squeeze(0));
            return proj.forward(out);
        }
    }

    /** {@code mlp.fc1}, exact GELU, {@code mlp.fc2}. */
    private static final class Mlp extends Module {
        private final Linear fc1;
        private final Linear fc2;
        private FusedKernels kernels;

        Mlp(int hidden, long inner) {
            this.fc1 = child("fc1", new Linear(hidden, inner));
            this.fc2 = child("fc2", new Linear(inner, hidden));
        }

        @Override
        protected void onKernels(FusedKernels kernels) {
            this.kernels = kernels;
        }

        NDArray forward(NDArray x) {
            if (kernels != null) {
                return kernels.mlp(x, fc1.fusedWeights(), fc2.fusedWeights());
            }
            return fc2.forward(Activation.gelu(fc1.forward(x)));
        }
    }
}
