package dev.titok.spark;

import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.eval.ReconstructionEvaluation;
import dev.titok.eval.Ssim;
import dev.titok.image.ImageCodec;
import dev.titok.image.Preprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reconstruction figures of a table of images ({@link ImageTable}) computed on a cluster, with the protocol of
 * {@link ReconstructionEvaluation} (and so the same values): each image is prepared as for tokenization, encoded and
 * decoded; the reconstruction is clamped and rounded half-even to 8 bits; PSNR ({@link ReconstructionEvaluation#psnr})
 * and SSIM ({@link Ssim}) are taken per image against the prepared original; vq models also count every token id.
 * Each partition returns its sums and its code histogram, which the driver adds up; means, codebook usage and entropy
 * come from the totals. rFID and the Inception Score are not computed here (use {@code titok eval recon}).
 */
public final class SparkEvaluate {

    private SparkEvaluate() {}

    /**
     * The figures.
     *
     * @param images          images measured
     * @param psnr            mean PSNR in dB
     * @param ssim            mean SSIM
     * @param codebookUsage   share of codes used (NaN for vae models)
     * @param codebookEntropy entropy of the code histogram in bits (NaN for vae models)
     * @param bad             images skipped because they could not be decoded
     * @param badPaths        {@code path<TAB>reason} of the first bad images of each task
     */
    public record Result(long images, double psnr, double ssim, double codebookUsage, double codebookEntropy, long bad,
                         List<String> badPaths) {}

    /** One partition's sums (and the running total on the driver). */
    private record Sums(long images, double psnr, double ssim, long[] histogram) implements Serializable {
        Sums plus(Sums other) {
            long[] merged = histogram.clone();
            for (int i = 0; i < merged.length; i++) {
                merged[i] += other.histogram[i];
            }
            return new Sums(images + other.images, psnr + other.psnr, ssim + other.ssim, merged);
        }
    }

    /**
     * Measures every image of {@code input}.
     *
     * @param partitions tasks to split the images into; 0 for the default parallelism
     * @throws TitokException when no image could be measured, or the model is a stage-1 model (no pixel decoder)
     */
    public static Result run(SparkSession spark, ModelSpec model, String input, int partitions) {
        model.requirePixelOutput();
        var config = TiTokModels.config(model.model());
        boolean vq = config.quantizeMode() == QuantizeMode.VQ;
        int codes = vq ? config.codebookSize() : 0;
        ImageTable.Images images = ImageTable.read(spark, input);
        BadImages bad = new BadImages(spark.sparkContext());
        boolean skipNonImages = images.skipNonImages();
        Sums total = SparkJobs.repartition(spark, images.table(), partitions).javaRDD()
                .mapPartitions(partition -> measure(partition, model, vq, codes, skipNonImages, bad))
                .reduce(Sums::plus);
        if (total.images() == 0) {
            throw new TitokException(input + ": no image could be measured (" + bad.count() + " bad)");
        }
        return new Result(total.images(), total.psnr() / total.images(), total.ssim() / total.images(),
                vq ? ReconstructionEvaluation.usage(total.histogram()) : Double.NaN,
                vq ? ReconstructionEvaluation.entropy(total.histogram()) : Double.NaN, bad.count(), bad.examples());
    }

    private static Iterator<Sums> measure(Iterator<Row> partition, ModelSpec model, boolean vq, int codes,
                                          boolean skipNonImages, BadImages bad) {
        TiTok titok = model.open();
        int size = titok.config().imageSize();
        Sums sums = new Sums(0, 0, 0, new long[codes]);
        try (NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);   // per thread in libtorch, see SparkPretokenize
            List<float[]> batch = new ArrayList<>();
            int kept = 0;
            while (partition.hasNext()) {
                Row row = partition.next();
                String path = row.getString(0);
                byte[] content = row.getAs(1);
                if (!skipNonImages || ImageCodec.looksLikeImage(content)) {
                    try {
                        batch.add(Preprocess.evalTransform(ImageCodec.readBytes(content, path), size));
                    } catch (RuntimeException e) {
                        bad.add(path, e, kept++);
                    }
                }
                if (batch.size() == titok.maxBatch() || !partition.hasNext() && !batch.isEmpty()) {
                    sums = sums.plus(measureBatch(titok, vq, size, batch.toArray(float[][]::new), codes));
                    batch.clear();
                }
            }
        }
        return Collections.singletonList(sums).iterator();
    }

    /** The sums of one batch, as {@link ReconstructionEvaluation} measures each image. */
    private static Sums measureBatch(TiTok titok, boolean vq, int size, float[][] images, int codes) {
        long[] histogram = new long[codes];
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
        double psnr = 0;
        double ssim = 0;
        for (int i = 0; i < images.length; i++) {
            float[] reconstruction = new float[decoded[i].length];
            for (int p = 0; p < reconstruction.length; p++) {
                reconstruction[p] = Rounding.ROUND_HALF_EVEN.toLevel(decoded[i][p]) / 255f;
            }
            psnr += ReconstructionEvaluation.psnr(images[i], reconstruction);
            ssim += Ssim.ssim(images[i], reconstruction, size, size);
        }
        return new Sums(images.length, psnr, ssim, histogram);
    }
}
