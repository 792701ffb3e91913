package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import dev.titok.config.TransformerSize;
import dev.titok.nn.Module;
import dev.titok.nn.ResidualAttentionBlock;
import dev.titok.tensor.Trace;

/** The stack of {@code transformer.i} blocks shared by the encoder and the decoder. */
final class Transformer extends Module {

    private final ResidualAttentionBlock[] blocks;

    Transformer(TransformerSize size, double eps) {
        blocks = new ResidualAttentionBlock[size.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = child(Integer.toString(i), new ResidualAttentionBlock(size.width(), size.heads(), size.mlpRatio(), eps));
        }
    }

    /** (B, L, width) → (B, L, width). */
    NDArray forward(NDArray x, String owner, Trace trace) {
        NDArray h = x;
        for (int i = 0; i < blocks.length; i++) {
            h = blocks[i].forward(h);
            trace.record(owner + ".transformer." + i, h);
        }
        return h;
    }
}
