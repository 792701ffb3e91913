package dev.titok.eval;

import dev.titok.eval.stats.Frechet;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * How well a tokenizer reconstructs a dataset, with the official evaluator's protocol (SPEC §6.1): every image is
 * encoded and decoded, the reconstruction is clamped to [0, 1] and rounded half-even to 8 bits, the original is
 * truncated to 8 bits (exact for the k/255 values images decode to); then
 * <ul>
 *   <li>rFID between the originals' and the reconstructions' features, and the Inception Score of the reconstructions
 *       (one split over all images), in a {@link FeatureSpace} (Inception, or a dataset classifier offline);</li>
 *   <li>PSNR, {@code 10·log10(1/mse)} per image on [0, 1] values, capped at 100 dB, averaged;</li>
 *   <li>SSIM per image ({@link Ssim}), averaged;</li>
 *   <li>codebook usage (share of codes used over all tokens) and entropy ({@code −Σ p log2(p + 1e-8)} of the code
 *       histogram, in bits, as the evaluator computes it), vq models only;</li>
 *   <li>PSNR and SSIM per class when the data has labels;</li>
 *   <li>the first and the worst (lowest PSNR) reconstructions, for pictures.</li>
 * </ul>
 * A long evaluation saves its accumulators every few batches ({@link Settings#state}) and continues from them after an
 * interruption: the data order is fixed, so the resumed result equals an uninterrupted one.
 */
public final class ReconstructionEvaluation {

    /** PSNR of an exact reconstruction. */
    static final double MAX_PSNR = 100;

    /**
     * How to evaluate.
     *
     * @param batchSize       images per loader batch (the tokenizer splits them further)
     * @param keepFirst       how many of the first reconstructions to return for a picture
     * @param keepWorst       how many of the worst reconstructions to return
     * @param features        the FID/IS feature space, or null for PSNR, SSIM and codebook figures only
     * @param state           file to save the accumulators to and resume from, or null
     * @param saveEveryImages how often the state is saved, in images
     */
    public record Settings(int batchSize, int keepFirst, int keepWorst, FeatureSpace features, Path state,
                           int saveEveryImages) {
        public Settings {
            if (batchSize < 1 || keepFirst < 0 || keepWorst < 0 || saveEveryImages < 1) {
                throw new IllegalArgumentException("batch " + batchSize + ", keep " + keepFirst + "/" + keepWorst
                        + ", save every " + saveEveryImages);
            }
        }

        /** PSNR, SSIM and codebook figures in batches of 256, no feature space, no state. */
        public static Settings basic(int keepFirst) {
            return new Settings(256, keepFirst, 0, null, null, 10_000);
        }

        public Settings withFeatures(FeatureSpace space) {
            return new Settings(batchSize, keepFirst, keepWorst, space, state, saveEveryImages);
        }

        public Settings withState(Path file, int everyImages) {
            return new Settings(batchSize, keepFirst, keepWorst, features, file, everyImages);
        }

        public Settings withWorst(int count) {
            return new Settings(batchSize, keepFirst, count, features, state, saveEveryImages);
        }
    }

    /** One image and its reconstruction (clamped and 8-bit), with its place in the data and its PSNR. */
    public record Shown(int index, int label, float[] original, float[] reconstruction, double psnr) {}

    /** The figures of one class. */
    public record ClassResult(int label, String name, int images, double psnr, double ssim) {}

    /**
     * The measurements.
     *
     * @param images          images measured
     * @param psnr            mean PSNR in dB
     * @param ssim            mean SSIM
     * @param codebookUsage   share of codes used (vq; NaN for vae)
     * @param codebookEntropy entropy of the code histogram in bits (vq; NaN for vae)
     * @param fid             rFID and its terms, null without a feature space
     * @param inceptionScore  Inception Score of the reconstructions (one split), NaN without a feature space
     * @param featureSpace    what FID and IS were measured in, null without one
     * @param perClass        per-class figures, empty for unlabeled data
     * @param first           the first {@code keepFirst} images
     * @param worst           the {@code keepWorst} images with the lowest PSNR, worst first
     */
    public record Result(int images, double psnr, double ssim, double codebookUsage, double codebookEntropy,
                         Frechet.Result fid, double inceptionScore, String featureSpace, List<ClassResult> perClass,
                         List<Shown> first, List<Shown> worst) {}

    private ReconstructionEvaluation() {}

    /** PSNR, SSIM and codebook figures only, keeping the first {@code keep} reconstructions. */
    public static Result run(TiTok titok, Dataset data, int keep, IntConsumer progress) {
        return run(titok, data, Settings.basic(keep), progress);
    }

    /**
     * Reconstructs every image of {@code data} in order.
     *
     * @param progress told the number of images done (including those of a resumed state) after every batch
     * @throws TitokException when the data does not suit the model, is empty, or the state belongs to another run
     */
    public static Result run(TiTok titok, Dataset data, Settings settings, IntConsumer progress) {
        int side = titok.config().imageSize();
        if (data.imageSize() != side) {
            throw new TitokException(data + " has " + data.imageSize() + "-pixel images but " + titok.config().name()
                    + " takes " + side);
        }
        if (data.size() == 0) {
            throw new TitokException(data + " holds no images to reconstruct");
        }
        boolean vq = titok.config().quantizeMode() == QuantizeMode.VQ;
        FeatureSpace space = settings.features();
        EvaluationState state = EvaluationState.resumeOrStart(settings.state(), data.size(), settings.batchSize(),
                vq ? titok.config().codebookSize() : 0, Math.max(data.numClasses(), 1),
                space == null ? 0 : space.dimensions(), space == null ? 0 : space.classes());
        progress.accept(state.images);
        int sinceSave = 0;
        int batches = (data.size() + settings.batchSize() - 1) / settings.batchSize();
        if (state.batches < batches) {
            sinceSave = measure(titok, data, settings, state, vq, progress);
        }
        if (settings.state() != null && sinceSave > 0) {
            state.save(settings.state());
        }
        return result(state, data.classNames(), space, vq);
    }

    /** Runs the batches the state does not cover yet; returns the images measured since the last save. */
    private static int measure(TiTok titok, Dataset data, Settings settings, EvaluationState state, boolean vq,
                               IntConsumer progress) {
        FeatureSpace space = settings.features();
        int side = data.imageSize();
        int pixels = 3 * side * side;
        int sinceSave = 0;
        try (Loader loader = Loader.builder(data, settings.batchSize()).shuffle(false).dropLast(false).epochs(1)
                .startAt(new Loader.Position(0, state.batches)).build()) {
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
                            state.histogram[(int) id]++;
                        }
                    }
                    decoded = titok.detokenize(tokens);
                } else {
                    decoded = titok.reconstruct(images);
                }
                byte[] real = new byte[images.length * pixels];
                byte[] fake = new byte[images.length * pixels];
                for (int i = 0; i < images.length; i++) {
                    float[] reconstruction = to8Bit(decoded[i], Rounding.ROUND_HALF_EVEN, fake, i * pixels);
                    to8Bit(images[i], Rounding.TRUNCATE, real, i * pixels);
                    double psnr = psnr(images[i], reconstruction);
                    double ssim = Ssim.ssim(images[i], reconstruction, side, side);
                    int label = Math.max(batch.labels()[i], 0);
                    state.add(label, psnr, ssim);
                    Shown shown = new Shown(batch.indices()[i], batch.labels()[i], images[i], reconstruction, psnr);
                    if (state.first.size() < settings.keepFirst()) {
                        state.first.add(shown);
                    }
                    state.offerWorst(shown, settings.keepWorst());
                }
                if (space != null) {
                    FeatureSpace.Features realFeatures = space.features(real, side, side);
                    FeatureSpace.Features fakeFeatures = space.features(fake, side, side);
                    state.real.add(realFeatures.pool(), realFeatures.count());
                    state.fake.add(fakeFeatures.pool(), fakeFeatures.count());
                    state.inceptionScore.add(fakeFeatures.logits(), fakeFeatures.count());
                }
                state.batches++;
                sinceSave += images.length;
                if (settings.state() != null && sinceSave >= settings.saveEveryImages() && loader.hasNext()) {
                    state.save(settings.state());
                    sinceSave = 0;
                }
                progress.accept(state.images);
            }
        }
        return sinceSave;
    }

    private static Result result(EvaluationState state, List<String> classNames, FeatureSpace space, boolean vq) {
        List<ClassResult> perClass = new ArrayList<>();
        if (!classNames.isEmpty()) {
            for (int c = 0; c < state.classImages.length; c++) {
                int n = (int) state.classImages[c];
                perClass.add(new ClassResult(c, c < classNames.size() ? classNames.get(c) : Integer.toString(c), n,
                        n == 0 ? Double.NaN : state.classPsnr[c] / n, n == 0 ? Double.NaN : state.classSsim[c] / n));
            }
        }
        Frechet.Result fid = null;
        double inceptionScore = Double.NaN;
        if (space != null) {
            fid = Frechet.rfid(state.real, state.fake);
            inceptionScore = state.inceptionScore.score();
        }
        List<Shown> worst = new ArrayList<>(state.worst);
        worst.sort(Comparator.comparingDouble(Shown::psnr));
        return new Result(state.images, state.psnrSum / state.images, state.ssimSum / state.images,
                vq ? usage(state.histogram) : Double.NaN, vq ? entropy(state.histogram) : Double.NaN,
                fid, inceptionScore, space == null ? null : space.description(), perClass, state.first, worst);
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

    /**
     * Converts to 8 bits with {@code rounding} (after clamping to [0, 1]), writing the levels into {@code out} at
     * {@code offset}; returns the levels back in [0, 1], as a saved image would be read.
     */
    static float[] to8Bit(float[] pixels, Rounding rounding, byte[] out, int offset) {
        float[] back = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            int level = rounding.toLevel(pixels[i]);
            out[offset + i] = (byte) level;
            back[i] = level / 255f;
        }
        return back;
    }

    /** The share of codes that occur at least once in {@code histogram} (counts per code id). */
    public static double usage(long[] histogram) {
        return (double) Arrays.stream(histogram).filter(c -> c > 0).count() / histogram.length;
    }

    /** {@code −Σ p log2(p + 1e-8)}, the evaluator's formula (the epsilon changes the value in the 8th digit at most). */
    public static double entropy(long[] histogram) {
        double total = Arrays.stream(histogram).sum();
        double h = 0;
        for (long c : histogram) {
            double p = c / total;
            h -= p * Math.log(p + 1e-8) / Math.log(2);
        }
        return h;
    }
}
