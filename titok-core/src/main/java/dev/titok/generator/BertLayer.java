package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.LazyWeights;
import dev.titok.kernels.LinearWeights;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Linear;
import dev.titok.nn.Module;
import dev.titok.nn.ScaledDotProduct;
import dev.titok.tensor.Ops;

/**
 * One post-LayerNorm HuggingFace {@code BertLayer} (SPEC §4.3) under its official names:
 * {@code a = LN(x + dense(attn(x)))}, {@code x' = LN(a + output.dense(GELU(intermediate.dense(a))))}, with separate
 * query/key/value projections (with bias) and exact (erf) GELU. In training mode dropout acts, in HF's order, on the
 * attention probabilities and on the outputs of both dense projections before their residual sums.
 */
final class BertLayer extends Module {

    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final DenseNorm attentionOutput;
    private final Linear intermediate;
    private final DenseNorm output;
    private final int heads;
    private FusedKernels kernels;
    /** query, key and value stacked into one [q | k | v] projection for the fused attention. */
    private LazyWeights<LinearWeights> qkv;

    BertLayer(GeneratorConfig config, double eps) {
        int hidden = config.hiddenSize();
        Attention attention = child("attention", new Attention(hidden, eps));
        this.query = attention.self.query;
        this.key = attention.self.key;
        this.value = attention.self.value;
        this.attentionOutput = attention.output;
        this.intermediate = child("intermediate", new Dense(hidden, config.intermediateSize())).dense;
        this.output = child("output", new DenseNorm(config.intermediateSize(), hidden, eps));
        this.heads = config.numAttentionHeads();
    }

    @Override
    protected void onKernels(FusedKernels kernels) {
        this.kernels = kernels;
        this.qkv = kernels == null ? null : kernels.lazily(() -> stackedQkv(kernels));
    }

    private LinearWeights stackedQkv(FusedKernels kernels) {
        try (NDManager scratch = query.weight().getManager().newSubManager()) {
            NDArray w = NDArrays.concat(new NDList(query.weight(), key.weight(), value.weight()), 0);   // (3H, H)
            NDArray b = NDArrays.concat(new NDList(query.bias(), key.bias(), value.bias()), 0);       // (3H)
            w.attach(scratch);
            b.attach(scratch);
            return kernels.linearWeights(w, b);
        }
    }

    /** (B, T, H) → (B, T, H). */
    NDArray forward(NDArray x, GeneratorModel.Dropout dropout) {
        if (kernels != null && !dropout.active()) {
            return Ops.scoped(() -> {
                NDArray a = attentionOutput.norm(kernels.selfAttention(x, qkv.get(), attentionOutput.dense.fusedWeights(), heads), x);
                return output.norm(kernels.mlp(a, intermediate.fusedWeights(), output.dense.fusedWeights()), a);
            });
        }
        return Ops.scoped(() -> {
            NDArray q = ScaledDotProduct.splitHeads(query.forward(x), heads);                // (B, heads, T, d)
            NDArray k = ScaledDotProduct.splitHeads(key.forward(x), heads);
            NDArray v = ScaledDotProduct.splitHeads(value.forward(x), heads);
            NDArray a = attentionOutput.forward(attend(q, k, v, dropout), x, dropout);        // (B, T, H)
            return output.forward(Activation.gelu(intermediate.forward(a)), a, dropout);
        });
    }

    /**
     * {@link ScaledDotProduct#attend}, with the attention probabilities dropped in training mode. The shared kernel
     * does not expose the probabilities, so that case spells out its steps (the same operations in the same order).
     */
    private static NDArray attend(NDArray q, NDArray k, NDArray v, GeneratorModel.Dropout dropout) {
        if (!dropout.dropsAttention()) {
            return ScaledDotProduct.attend(q, k, v);
        }
        long b = q.getShape().get(0);
        long t = q.getShape().get(2);
        long d = q.getShape().get(3);
        NDArray scores = Ops.mul(q, 1.0f / (float) Math.sqrt(d)).matMul(k.transpose(0, 1, 3, 2));   // (B, heads, T, T)
        NDArray context = dropout.attention(scores.softmax(-1)).matMul(v);                   // (B, heads, T, d)
        return context.transpose(0, 2, 1, 3).reshape(b, t, -1);
    }

    /** {@code attention.self.{query,key,value}} and {@code attention.output}. */
    private static final class Attention extends Module {
        final SelfAttention self;
        final DenseNorm output;

        Attention(int hidden, double eps) {
            this.self = child("self", new SelfAttention(hidden));
            this.output = child("output", new DenseNorm(hidden, hidden, eps));
        }
    }

    /** The three projections, registered in HF's order. */
    private static final class SelfAttention extends Module {
        final Linear query;
        final Linear key;
        final Linear value;

        SelfAttention(int hidden) {
            this.query = child("query", new Linear(hidden, hidden));
            this.key = child("key", new Linear(hidden, hidden));
            this.value = child("value", new Linear(hidden, hidden));
        }
    }

    /** A lone {@code dense} Linear ({@code intermediate}). */
    private static final class Dense extends Module {
        final Linear dense;

        Dense(int in, int out) {
            this.dense = child("dense", new Linear(in, out));
        }
    }

    /** {@code LN(residual + dropout(dense(x)))}: HF's {@code BertSelfOutput} and {@code BertOutput}. */
    private static final class DenseNorm extends Module {
        final Linear dense;
        private final LayerNorm layerNorm;

        DenseNorm(int in, int out, double eps) {
            this.dense = child("dense", new Linear(in, out));
            this.layerNorm = child("LayerNorm", new LayerNorm(out, eps));
        }

        NDArray forward(NDArray x, NDArray residual, GeneratorModel.Dropout dropout) {
            return norm(dropout.hidden(dense.forward(x)), residual);
        }

        /** {@code LN(residual + y)} for an already projected {@code y}. */
        NDArray norm(NDArray y, NDArray residual) {
            return layerNorm.forward(y.add(residual));
        }
    }
}
