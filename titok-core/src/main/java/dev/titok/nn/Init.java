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

    /**
     * Uniform(-bound, bound): codebooks use bound 1/N. PyTorch's default Conv2d/Linear initialisation (kaiming-uniform
     * with a = √5 for the weight, and the bias rule) is this with bound 1/√fan_in for both weight and bias.
     */
    record Uniform(double bound) implements Init {

        /** PyTorch's default for a layer's weight and bias, fan_in = input channels × kernel area. */
        public static Uniform torchDefault(long fanIn) {
            return new Uniform(1.0 / Math.sqrt(fanIn));
        }
    }

    /** Fixed values in row-major order, for buffers such as a blur kernel. */
    record Constant(float[] values) implements Init {

        public Constant {
            values = values.clone();
        }

        @Override
        public float[] values() {
            return values.clone();
        }
    }

    Init ZEROS = new Zeros();
    Init ONES = new Ones();
    Init LINEAR = new TruncatedNormal(0.02);
}
