package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.titok.tensor.Ops;
import dev.titok.tensor.RandomSource;

/**
 * The diagonal Gaussian over continuous tokens of the VAE variant (SPEC §1.6): the encoder's 2C channels are the
 * mean and the log-variance (clamped to [-30, 20]).
 */
public final class GaussianPosterior {

    private final NDArray mean;
    private final NDArray logVariance;

    /** @param z encoder output (B, 2C, 1, K) */
    public GaussianPosterior(NDArray z) {
        NDList parts = z.toType(DataType.FLOAT32, false).split(2, 1);
        this.mean = parts.get(0);
        this.logVariance = parts.get(1).clip(-30.0, 20.0);
    }

    /** (B, C, 1, K). */
    public NDArray mean() {
        return mean;
    }

    public NDArray logVariance() {
        return logVariance;
    }

    public NDArray std() {
        return Ops.mul(logVariance, 0.5f).exp();
    }

    /** The mean: deterministic tokens. */
    public NDArray mode() {
        return mean;
    }

    /** mean + std·ε with ε ~ N(0, 1) of shape (B, C, 1, K), as the official {@code encode} does even at inference. */
    public NDArray sample(RandomSource random) {
        NDArray noise = random.normal(mean.getManager(), mean.getShape());
        return mean.add(std().mul(noise));
    }

    /** KL divergence to N(0, I) summed over channels (and the dummy height): (B, K). */
    public NDArray kl() {
        NDArray terms = mean.square().add(logVariance.exp()).sub(1.0).sub(logVariance);
        return Ops.mul(terms.sum(new int[] {1, 2}), 0.5f);
    }
}
