package dev.titok.eval.stats;

import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Gaussian summary of a set of Inception features that a Fréchet distance compares: the mean μ and the
 * covariance Σ, float64. Stored in an .npz as {@code mu} (d,) and {@code sigma} (d, d), the keys of the reference
 * statistics of OpenAI's ADM evaluation suite (e.g. {@code VIRTUAL_imagenet256_labeled.npz}).
 *
 * @param mu    μ, (d,)
 * @param sigma Σ, (d, d) row-major
 */
public record FidStatistics(double[] mu, double[] sigma) {

    /**
     * Checks the shapes.
     *
     * @throws IllegalArgumentException when Σ does not hold d² values
     */
    public FidStatistics {
        if (mu.length == 0 || sigma.length != mu.length * mu.length) {
            throw new IllegalArgumentException("a mean of dimension " + mu.length + " needs a " + mu.length + "×"
                    + mu.length + " covariance, got " + sigma.length + " values");
        }
    }

    /** d. */
    public int dim() {
        return mu.length;
    }

    /**
     * Reads {@code mu} and {@code sigma} from an .npz, float32 or float64; other arrays are not read.
     *
     * @throws TitokException naming the file when an array is missing (listing those present) or mis-shaped
     */
    public static FidStatistics read(Path file) {
        HostTensor mu = Npz.read(file, "mu");
        HostTensor sigma = Npz.read(file, "sigma");
        long[] muShape = mu.shape();
        long[] sigmaShape = sigma.shape();
        boolean shaped = mu.dtype().isFloatingPoint() && sigma.dtype().isFloatingPoint() && muShape.length == 1
                && muShape[0] > 0 && Arrays.equals(sigmaShape, new long[] {muShape[0], muShape[0]});
        if (!shaped) {
            throw new TitokException(file + ": expected float arrays mu (d,) and sigma (d, d), found mu " + mu.dtype() + " "
                    + Arrays.toString(muShape) + " and sigma " + sigma.dtype() + " " + Arrays.toString(sigmaShape));
        }
        return new FidStatistics(mu.toDoubles(), sigma.toDoubles());
    }

    /**
     * Writes {@code mu} and {@code sigma} as float64 to an .npz, atomically.
     *
     * @throws TitokException naming the file when it cannot be written
     */
    public void write(Path file) {
        Map<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put("mu", HostTensor.ofDoubles(new long[] {dim()}, mu));
        arrays.put("sigma", HostTensor.ofDoubles(new long[] {dim(), dim()}, sigma));
        Npz.write(file, arrays);
    }

    /** Equal when μ and Σ are equal element for element. */
    @Override
    public boolean equals(Object other) {
        return other instanceof FidStatistics that && Arrays.equals(mu, that.mu) && Arrays.equals(sigma, that.sigma);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mu) + Arrays.hashCode(sigma);
    }

    @Override
    public String toString() {
        return "FidStatistics[d=" + dim() + "]";
    }
}
