package dev.titok.vqgan;

import ai.djl.ndarray.NDArray;
import dev.titok.nn.Embedding;
import dev.titok.nn.Init;
import dev.titok.nn.Module;

/**
 * The MaskGIT-VQGAN codebook (SPEC §3.6): plain Euclidean nearest entry, no normalisation. Inside TiTok stage-2
 * models it is {@code pixel_quantize}, where the decoder's proxy-code probabilities mix its rows.
 */
public final class PixelQuantizer extends Module {

    private final Embedding embedding;

    public PixelQuantizer(int codes, int dim) {
        this.embedding = child("embedding", new Embedding(codes, dim, new Init.Uniform(1.0 / codes)));
    }

    /** (B, z, h, w) features → (B, h·w) code ids in row-major grid order. */
    public NDArray encode(NDArray hidden) {
        long b = hidden.getShape().get(0);
        long z = hidden.getShape().get(1);
        NDArray flat = hidden.transpose(0, 2, 3, 1).reshape(-1, z);                       // (B·h·w, z)
        NDArray codes = embedding.weight();
        NDArray distances = flat.square().sum(new int[] {1}, true)
                .add(codes.square().sum(new int[] {1}))
                .sub(flat.matMul(codes.transpose()).mul(2));
        return distances.argMin(1).reshape(b, -1);
    }

    /** (B, h, w) code ids → (B, z, h, w) codebook rows. */
    public NDArray lookup(NDArray codes) {
        return embedding.lookup(codes).transpose(0, 3, 1, 2);
    }

    /** Soft mixture of codebook rows: probabilities (B, N, h, w) → (B, z, h, w) ({@code einsum('nchw,cd->ndhw')}). */
    public NDArray mix(NDArray probabilities) {
        return probabilities.transpose(0, 2, 3, 1).matMul(embedding.weight()).transpose(0, 3, 1, 2);
    }
}
