package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.nn.Conv2d.Padding;
import dev.titok.nn.Conv2d;
import dev.titok.nn.Init;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Trace;

/**
 * The ViT encoder of TiTok (SPEC §1.4): image patches and K learnable latent tokens go through one transformer;
 * only the latent tokens come out, projected to the token size.
 */
public final class TiTokEncoder extends Module {

    private final Parameter classEmbedding;
    private final Parameter positionalEmbedding;
    private final Parameter latentPositionalEmbedding;
    private final Conv2d patchEmbed;
    private final LayerNorm lnPre;
    private final Transformer transformer;
    private final LayerNorm lnPost;
    private final Conv2d convOut;
    private final int width;
    private final int numLatentTokens;
    private final int outputChannels;
    private final boolean legacy;

    public TiTokEncoder(TiTokConfig config) {
        TransformerSize size = config.encoder();
        this.width = size.width();
        this.numLatentTokens = config.numLatentTokens();
        this.outputChannels = config.encoderOutputChannels();
        this.legacy = config.legacy();
        long patches = (long) config.encoderGrid() * config.encoderGrid();
        Init embed = new Init.ScaledNormal(Math.pow(width, -0.5));
        this.classEmbedding = parameter("class_embedding", embed, 1, width);
        this.positionalEmbedding = parameter("positional_embedding", embed, patches + 1, width);
        this.latentPositionalEmbedding = parameter("latent_token_positional_embedding", embed, numLatentTokens, width);
        int p = config.encoderPatchSize();
        this.patchEmbed = child("patch_embed", new Conv2d(3, width, p, p, Padding.NONE, true));
        this.lnPre = child("ln_pre", new LayerNorm(width, config.layerNormEps()));
        this.transformer = child("transformer", new Transformer(size, config.layerNormEps()));
        this.lnPost = child("ln_post", new LayerNorm(width, config.layerNormEps()));
        this.convOut = child("conv_out", new Conv2d(width, outputChannels, 1, 1, Padding.NONE, true));
    }

    /**
     * (B, 3, H, W) pixels in [0, 1] and the (K, width) latent tokens → (B, C_out, 1, K) latent features.
     */
    public NDArray forward(NDArray pixels, NDArray latentTokens, Trace trace) {
        long b = pixels.getShape().get(0);
        NDArray patches = patchEmbed.forward(pixels);                                   // (B, width, G, G)
        trace.record("encoder.patch_embed", patches);
        patches = patches.reshape(b, width, -1).transpose(0, 2, 1);                     // (B, S, width)
        NDArray cls = classEmbedding.value().expandDims(0).broadcast(b, 1, width);      // (B, 1, width)
        NDArray x = NDArrays.concat(new ai.djl.ndarray.NDList(cls, patches), 1).add(positionalEmbedding.value());
        NDArray latents = latentTokens.add(latentPositionalEmbedding.value())
                .expandDims(0).broadcast(b, numLatentTokens, width);                     // (B, K, width)
        x = lnPre.forward(NDArrays.concat(new ai.djl.ndarray.NDList(x, latents), 1));   // (B, 1+S+K, width)
        trace.record("encoder.ln_pre", x);
        x = transformer.forward(x, "encoder", trace);
        long length = x.getShape().get(1);
        x = lnPost.forward(x.get(new NDIndex(":, {}:", length - numLatentTokens)));    // (B, K, width)
        trace.record("encoder.ln_post", x);
        NDArray map = legacy
                ? x.reshape(b, width, numLatentTokens, 1)                                // raw re-read, see SPEC §1.4
                : x.transpose(0, 2, 1).reshape(b, width, numLatentTokens, 1);
        NDArray z = convOut.forward(map);                                                // (B, C_out, K, 1)
        trace.record("encoder.conv_out", z);
        return z.reshape(b, outputChannels, 1, numLatentTokens);
    }
}
