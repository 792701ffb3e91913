package dev.titok.eval;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.kernels.Kernels;
import dev.titok.tokenizer.TiTok;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * How far the fast kernels move a vq tokenizer's output from the reference path on real images: the share of
 * token ids that stay the same, the share of images whose ids all stay the same, and how close each kernel set's
 * reconstruction (of its own tokens) is to the reference reconstruction and to the original.
 */
public final class KernelAgreement {

    /** The figures of one kernel set; {@code psnrVsReference} is infinite when the pixels are identical. */
    public record Row(Kernels kernels, long tokens, long equalTokens, int images, int identicalImages,
                      double psnrVsReference, double psnrVsOriginal) {
        public double tokenAgreement() {
            return (double) equalTokens / tokens;
        }

        public double identicalImageShare() {
            return (double) identicalImages / images;
        }
    }

    private KernelAgreement() {}

    /**
     * Runs every image of {@code data} through {@code titok} on {@link Kernels#REFERENCE} and on each of
     * {@code fast}, switching kernels batch by batch (so the bf16 weights are converted once per batch). The model
     * is left on the reference kernels.
     */
    public static List<Row> measure(TiTok titok, Dataset data, List<Kernels> fast, int batchSize, IntConsumer progress) {
        if (titok.config().quantizeMode() != QuantizeMode.VQ) {
            throw new TitokException(titok.config().name() + " is a vae model: kernel agreement compares token ids");
        }
        if (data.imageSize() != titok.config().imageSize()) {
            throw new TitokException(data + " has " + data.imageSize() + "-pixel images but " + titok.config().name()
                    + " takes " + titok.config().imageSize());
        }
        List<Kernels> all = new ArrayList<>();
        all.add(Kernels.REFERENCE);
        all.addAll(fast);
        int n = all.size();
        long[] equalTokens = new long[n];
        int[] identical = new int[n];
        double[] sqVsReference = new double[n];
        double[] sqVsOriginal = new double[n];
        long tokens = 0;
        long values = 0;
        int images = 0;
        int per = 3 * data.imageSize() * data.imageSize();
        try (Loader loader = Loader.builder(data, batchSize).shuffle(false).dropLast(false).epochs(1).build()) {
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                float[][] originals = new float[batch.size()][];
                for (int i = 0; i < originals.length; i++) {
                    originals[i] = Arrays.copyOfRange(batch.pixels(), i * per, (i + 1) * per);
                }
                long[][] referenceTokens = null;
                float[][] referencePixels = null;
                for (int k = 0; k < n; k++) {
                    titok.useKernels(all.get(k));
                    long[][] ids = titok.tokenize(originals);
                    float[][] pixels = titok.detokenize(ids);
                    if (k == 0) {
                        referenceTokens = ids;
                        referencePixels = pixels;
                    }
                    for (int i = 0; i < ids.length; i++) {
                        int same = 0;
                        for (int j = 0; j < ids[i].length; j++) {
                            same += ids[i][j] == referenceTokens[i][j] ? 1 : 0;
                        }
                        equalTokens[k] += same;
                        identical[k] += same == ids[i].length ? 1 : 0;
                        sqVsReference[k] += squaredError(pixels[i], referencePixels[i]);
                        sqVsOriginal[k] += squaredError(pixels[i], originals[i]);
                    }
                }
                for (long[] row : referenceTokens) {
                    tokens += row.length;
                }
                values += (long) originals.length * per;
                images += originals.length;
                progress.accept(images);
            }
        } finally {
            titok.useKernels(Kernels.REFERENCE);
        }
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            rows.add(new Row(all.get(k), tokens, equalTokens[k], images, identical[k], psnr(sqVsReference[k] / values),
                    psnr(sqVsOriginal[k] / values)));
        }
        return rows;
    }

    private static double squaredError(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    /** PSNR of pixels in [0, 1] from the mean squared error over all values. */
    private static double psnr(double mse) {
        return mse == 0 ? Double.POSITIVE_INFINITY : -10 * Math.log10(mse);
    }
}
