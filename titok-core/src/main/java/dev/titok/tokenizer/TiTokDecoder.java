package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.nn.Conv2d.Padding;
import dev.titok.nn.Conv2d;
import dev.titok.nn.Init;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Linear;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Trace;

/**
 * The ViT decoder of TiTok (SPEC §1.7): one mask token per grid cell attends to the K quantized tokens; each cell's
 * output becomes either 1024 logits over the MaskGIT-VQGAN proxy codes (legacy head) or a P×P RGB patch.
 */
public final class TiTokDecoder extends Module {

    private final Parameter classEmbedding;
    private final Parameter positionalEmbedding;
    private final Parameter maskToken;
    private final Parameter latentPositionalEmbedding;
    private final Linear decoderEmbed;
    private final LayerNorm lnPre;
    private final Transformer transformer;
    private final LayerNorm lnPost;
    private final Head head;
    private final int width;
    private final int grid;
    private final int numLatentTokens;

    public TiTokDecoder(TiTokConfig config) {
        TransformerSize size = config.decoder();
        this.width = size.width();
        this.grid = config.decoderGrid();
        this.numLatentTokens = config.numLatentTokens();
        Init embed = new Init.ScaledNormal(Math.pow(width, -0.5));
        this.classEmbedding = parameter("class_embedding", embed, 1, width);
        this.positionalEmbedding = parameter("positional_embedding", embed, (long) grid * grid + 1, width);
        this.maskToken = parameter("mask_token", embed, 1, 1, width);
        this.latentPositionalEmbedding = parameter("latent_token_positional_embedding", embed, numLatentTokens, width);
        this.decoderEmbed = child("decoder_embed", new Linear(config.tokenSize(), width));
        this.lnPre = child("ln_pre", new LayerNorm(width, config.layerNormEps()));
        this.transformer = child("transformer", new Transformer(size, config.layerNormEps()));
        this.lnPost = child("ln_post", new LayerNorm(width, config.layerNormEps()));
        this.head = new Head(this, config);
    }

    /** (B, C, 1, K) quantized tokens → legacy: (B, 1024, G, G) logits; otherwise (B, 3, H, W) RGB (unclamped). */
    public NDArray forward(NDArray z, Trace trace) {
        long b = z.getShape().get(0);
        long c = z.getShape().get(1);
        if (z.getShape().get(2) != 1 || z.getShape().get(3) != numLatentTokens) {
            throw new IllegalArgumentException("decoder expects (B, C, 1, " + numLatentTokens + "), got " + z.getShape());
        }
        NDArray latents = decoderEmbed.forward(z.reshape(b, c, numLatentTokens).transpose(0, 2, 1)); // (B, K, width)
        trace.record("decoder.decoder_embed", latents);
        long cells = (long) grid * grid;
        NDArray masks = maskToken.value().broadcast(b, cells, width);                                // (B, S, width)
        NDArray cls = classEmbedding.value().expandDims(0).broadcast(b, 1, width);
        NDArray queries = NDArrays.concat(new NDList(cls, masks), 1).add(positionalEmbedding.value());  // (B, 1+S, width)
        latents = latents.add(latentPositionalEmbedding.value());
        NDArray x = lnPre.forward(NDArrays.concat(new NDList(queries, latents), 1));                // (B, 1+S+K, width)
        trace.record("decoder.ln_pre", x);
        x = transformer.forward(x, "decoder", trace);
        x = lnPost.forward(x.get(new NDIndex(":, 1:{}", 1 + cells)));                               // (B, S, width)
        trace.record("decoder.ln_post", x);
        NDArray map = x.transpose(0, 2, 1).reshape(b, width, grid, grid);                           // (B, width, G, G)
        return head.forward(map, trace);
    }

    /** The output head: {@code ffn.*} and, for the RGB head, {@code conv_out}. */
    private static final class Head {
        private final Conv2d first;
        private final Conv2d second;   // legacy only
        private final Conv2d convOut;  // RGB head only
        private final int patch;

        Head(TiTokDecoder owner, TiTokConfig config) {
            long width = config.decoder().width();
            Ffn ffn = owner.child("ffn", new Ffn());
            this.patch = config.decoderPatchSize();
            if (config.legacy()) {
                this.first = ffn.add("0", new Conv2d(width, 2 * width, 1, 1, Padding.NONE, true));
                this.second = ffn.add("2", new Conv2d(2 * width, TiTokConfig.PROXY_CODES, 1, 1, Padding.NONE, true));
                this.convOut = null;
            } else {
                this.first = ffn.add("0", new Conv2d(width, (long) patch * patch * 3, 1, 1, Padding.NONE, true));
                this.second = null;
                this.convOut = owner.child("conv_out", new Conv2d(3, 3, 3, 1, Padding.SYMMETRIC, true));
            }
        }

        NDArray forward(NDArray map, Trace trace) {
            if (second != null) {
                NDArray logits = second.forward(first.forward(map).tanh());
                trace.record("decoder.ffn", logits);
                return logits;
            }
            NDArray pixels = depthToSpace(first.forward(map));
            trace.record("decoder.ffn", pixels);
            return convOut.forward(pixels);
        }

        /** 'b (p1 p2 c) h w -> b c (h p1) (w p2)'. */
        private NDArray depthToSpace(NDArray x) {
            long b = x.getShape().get(0);
            long g = x.getShape().get(2);
            return x.reshape(b, patch, patch, 3, g, g)     // (B, p1, p2, c, h, w)
                    .transpose(0, 3, 4, 1, 5, 2)            // (B, c, h, p1, w, p2)
                    .reshape(b, 3, g * patch, g * patch);
        }
    }

    /** Holder of {@code ffn.0} / {@code ffn.2} (index 1 is the parameter-free Tanh or rearrangement). */
    private static final class Ffn extends Module {
        Conv2d add(String index, Conv2d conv) {
            return child(index, conv);
        }
    }
}
