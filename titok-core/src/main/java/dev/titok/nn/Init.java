package dev.titok.nn;

/**
 * How a parameter is initialised when a model is trained from scratch (SPEC §1.9). Loading a checkpoint
 * overwrites every value, so these only matter for training and for benchmarks with random weights.
 */
public sealed interface Init {

    /** All zeros (biases, LayerNorm beta). */
    record Zeros() implements Init {}

    /** All ones (LayerNorm / GroupNorm gamma). */
    record Ones() implements Init {}

    /** Normal(0, std) truncated at ±2 absolute, i.e. effectively untruncated for small std (Linear and Conv weights). */
    record TruncatedNormal(double std) implements Init {}

    /** Xavier-uniform over a (fanOut, fanIn) matrix: PyTorch's default for the packed attention in_proj_weight. */
    record XavierUniform() implements Init {}

    /** {@code scale · N(0, 1)}: learned embeddings (class/positional/latent tokens, mask token). */
    record ScaledNormal(double scale) implements Init {}

    /** Uniform(-bound, bound): codebooks use bound 1/N. */
    record Uniform(double bound) implements Init {}

    Init ZEROS = new Zeros();
    Init ONES = new Ones();
    Init LINEAR = new TruncatedNormal(0.02);
}
