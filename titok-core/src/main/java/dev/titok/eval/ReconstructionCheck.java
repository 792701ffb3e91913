package dev.titok.eval;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * How well a tokenizer reconstructs a dataset: PSNR and codebook health over every image, plus the first few
 * originals and reconstructions for a picture.
 *
 * <p>PSNR is per image on reconstructions clamped to [0, 1] and rounded half-even to 8 bits, as saved images would be, then
 * averaged: {@code 10·log10(1 / mse)} with both images in [0, 1], capped at 100 dB for a perfect match. Codebook usage
 * is the share of codes used at least once over all tokens of the dataset; the entropy is that of the code
 * histogram, in bits (log2 K at most, for perfectly even use).
 */
public final class ReconstructionCheck {

    /** PSNR of an exact reconstruction. */
    static final double MAX_PSNR = 100;

    /**
     * The measurements.
     *
     * @param images          images measured
     * @param psnr            mean PSNR in dB
     * @param codebookUsage   share of codes used (vq; NaN for vae)
     * @param codebookEntropy entropy of the code histogram in bits (vq; NaN for vae)
     * @param originals       the first examples' pixels, (3, S, S) each
     * @param reconstructions their reconstructions, clamped to [0, 1]
     */
    public record Result(int images, double psnr, double codebookUsage, double codebookEntropy,
                         List<float[]> originals, List<float[]> reconstructions) {}

    private ReconstructionCheck() {}

    /**
     * Reconstructs every image of {@code data} (in order, batches of {@code batchSize}) with {@code titok}.
     *
     * @param keep     how many of the first originals and reconstructions to return
     * @param progress told the number of images done after every batch
     */
    public static Result run(TiTok titok, Dataset data, int batchSize, int keep, IntConsumer progress) {
        if (data.imageSize() != titok.config().imageSize()) {
            throw new TitokException(data + " has " + data.imageSize() + "-pixel images but " + titok.config().name()
                    + " takes " + titok.config().imageSize());
        }
        boolean vq = titok.config().quantizeMode() == QuantizeMode.VQ;
        long[] histogram = new long[vq ? titok.config().codebookSize() : 0];
        int pixels = 3 * data.imageSize() * data.imageSize();
        double psnrSum = 0;
        int done = 0;
        List<float[]> originals = new ArrayList<>();
        List<float[]> reconstructions = new ArrayList<>();
        try (Loader loader = Loader.builder(data, batchSize).shuffle(false).dropLast(false).epochs(1).build()) {
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                float[][] images = new float[batch.size()][];
                for (int i = 0; i < images.length; i++) {
                    images[i] = Arrays.copyOfRange(batch.pixels(), i * pixels, (i + 1) * pixels);
                }
                float[][] decoded;
                if (vq) {
                    long[][] tokens = titok.tokenize(images);
                    for (long[] row : tokens) {
                        for (long id : row) {
                            histogram[(int) id]++;
                        }
                    }
                    decoded = titok.detokenize(tokens);
                } else {
                    decoded = titok.reconstruct(images);
                }
                for (int i = 0; i < images.length; i++) {
                    float[] reconstruction = quantize8(decoded[i]);
                    psnrSum += psnr(images[i], reconstruction);
                    if (originals.size() < keep) {
                        originals.add(images[i]);
                        reconstructions.add(reconstruction);
                    }
                }
                done += images.length;
                progress.accept(done);
            }
        }
        if (done == 0) {
            throw new TitokException(data + " holds no images to reconstruct");
        }
        return new Result(done, psnrSum / done, vq ? usage(histogram) : Double.NaN, vq ? entropy(histogram) : Double.NaN,
                originals, reconstructions);
    }

    /** {@code 10·log10(1 / mse)} of two images in [0, 1]; {@value #MAX_PSNR} when they are equal. */
    public static double psnr(float[] reference, float[] image) {
        double sum = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = reference[i] - image[i];
            sum += d * d;
        }
        double mse = sum / reference.length;
        return mse == 0 ? MAX_PSNR : Math.min(MAX_PSNR, 10 * Math.log10(1 / mse));
    }

    /** Clamped to [0, 1] and rounded half-even to 8 bits (the reconstruction evaluation's rule), back in [0, 1]. */
    static float[] quantize8(float[] pixels) {
        float[] out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            out[i] = Rounding.ROUND_HALF_EVEN.toLevel(pixels[i]) / 255f;
        }
        return out;
    }

    static double usage(long[] histogram) {
        return (double) Arrays.stream(histogram).filter(c -> c > 0).count() / histogram.length;
    }

    static double entropy(long[] histogram) {
        double total = Arrays.stream(histogram).sum();
        double h = 0;
        for (long c : histogram) {
            if (c > 0) {
                double p = c / total;
                h -= p * Math.log(p) / Math.log(2);
            }
        }
        return h;
    }
}
