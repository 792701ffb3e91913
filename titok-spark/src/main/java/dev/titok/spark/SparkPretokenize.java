package dev.titok.spark;

import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.image.ImageCodec;
import dev.titok.image.Preprocess;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Tokenizes a table of images ({@link ImageTable}) on a Spark cluster and writes Parquet with the columns
 * {@code path string, label string, tokens array<int>} (vq models) or {@code latents array<array<float>>} (vae models:
 * the posterior means, [token][channel]), and {@code model string}. Each image is prepared exactly as
 * {@code titok tokenize} prepares it (shorter side resized with Pillow-identical bicubic, centre crop), so the tokens
 * equal the single-machine ones.
 *
 * <p>How the work is done:
 * <ul>
 *   <li>the weights are loaded once per executor JVM ({@link ModelSpec#open}): tasks carry the model's path and id, a
 *       static cache keyed by the id holds the loaded tokenizer;</li>
 *   <li>each partition runs on its task thread with gradients off, in one {@link NDScope} (whatever native memory a
 *       partition leaves is freed when it ends), feeding the tokenizer {@link TiTok#maxBatch()} images per forward
 *       pass;</li>
 *   <li>libtorch intra-op threads × concurrent tasks per executor = the executor's processors: by default each task
 *       thread gets {@code processors / task slots} threads ({@link ModelSpec#threads}); pass
 *       {@code threadsPerTask} when the processors count hyper-threads, so that the product is the physical cores;</li>
 *   <li>rows go to Spark's Parquet writer, whose commit protocol writes each task attempt to a temporary place and
 *       commits exactly one attempt per partition: a retried or speculative task neither duplicates nor loses rows,
 *       and tasks write no side files. The input is repartitioned deterministically (Spark sorts before a round-robin
 *       repartition), so a recomputed partition holds the same images;</li>
 *   <li>an image that cannot be decoded is skipped and counted ({@link BadImages}); the driver writes the first paths
 *       with their reasons to {@code OUTPUT/_failed.txt} after the commit (readers of the table ignore names that start
 *       with {@code _}).</li>
 * </ul>
 * An existing output is an error unless {@code overwrite} is set, which replaces it whole.
 */
public final class SparkPretokenize {

    /** Name of the list of bad images written into the output folder when there are any. */
    public static final String FAILED_FILE = "_failed.txt";

    private SparkPretokenize() {}

    /**
     * What a run did.
     *
     * @param images    images tokenized (rows written)
     * @param bad       images skipped because they could not be decoded
     * @param badPaths  {@code path<TAB>reason} of the first bad images of each task
     */
    public record Summary(long images, long bad, List<String> badPaths) {}

    /**
     * Tokenizes every image of {@code input} into the Parquet table {@code output}.
     *
     * @param partitions tasks to split the images into; 0 for the cluster's default parallelism
     * @param overwrite  replace an existing output instead of failing
     * @throws TitokException when the output exists (without {@code overwrite}) or the input or model is unusable
     */
    public static Summary run(SparkSession spark, ModelSpec model, String input, String output, int partitions,
                              boolean overwrite) {
        Path out = ImageTable.qualified(spark, output);
        FileSystem fs = fileSystem(spark, out);
        if (!overwrite && exists(fs, out)) {
            throw new TitokException(output + " already exists: choose another output or pass --overwrite to replace it");
        }
        boolean vq = TiTokModels.config(model.model()).quantizeMode() == QuantizeMode.VQ;
        ImageTable.Images images = ImageTable.read(spark, input);
        BadImages bad = new BadImages(spark.sparkContext());
        boolean skipNonImages = images.skipNonImages();
        JavaRDD<Row> rows = SparkJobs.repartition(spark, images.table(), partitions).javaRDD()
                .mapPartitions(partition -> tokenize(partition, model, vq, skipNonImages, bad));
        StructType schema = new StructType()
                .add("path", DataTypes.StringType, false)
                .add("label", DataTypes.StringType, true)
                .add(vq ? "tokens" : "latents", vq
                        ? DataTypes.createArrayType(DataTypes.IntegerType, false)
                        : DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false), false), false)
                .add("model", DataTypes.StringType, false);
        spark.createDataFrame(rows, schema).write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
                .parquet(out.toString());
        Summary summary = new Summary(spark.read().parquet(out.toString()).count(), bad.count(), bad.examples());
        if (!summary.badPaths().isEmpty()) {
            writeFailed(fs, new Path(out, FAILED_FILE), summary.badPaths());
        }
        return summary;
    }

    /** One partition: decode and prepare the images, tokenize them in batches of {@link TiTok#maxBatch()}. */
    private static Iterator<Row> tokenize(Iterator<Row> partition, ModelSpec model, boolean vq, boolean skipNonImages,
                                         BadImages bad) {
        TiTok titok = model.open();
        int size = titok.config().imageSize();
        int batchSize = titok.maxBatch();
        List<Row> out = new ArrayList<>();
        // Eager rather than a lazy iterator: the scope must close when the partition's forward passes are done.
        try (NDScope scope = new NDScope()) {
            // grad mode is per thread in libtorch, and task threads come from a pool shared with Spark's own work
            JniUtils.setGradMode(false);
            List<Row> pending = new ArrayList<>();
            List<float[]> pixels = new ArrayList<>();
            int kept = 0;
            while (partition.hasNext()) {
                Row row = partition.next();
                String path = row.getString(0);
                byte[] content = row.getAs(1);
                if (skipNonImages && !ImageCodec.looksLikeImage(content)) {
                    continue;
                }
                try {
                    pixels.add(Preprocess.evalTransform(ImageCodec.readBytes(content, path), size));
                    pending.add(row);
                } catch (RuntimeException e) {
                    bad.add(path, e, kept++);
                }
                if (pixels.size() == batchSize) {
                    emit(titok, vq, model.id(), pending, pixels, out);
                }
            }
            if (!pixels.isEmpty()) {
                emit(titok, vq, model.id(), pending, pixels, out);
            }
        }
        return out.iterator();
    }

    /** Tokenizes the pending images and adds their rows to {@code out}; clears the pending lists. */
    private static void emit(TiTok titok, boolean vq, String modelId, List<Row> pending, List<float[]> pixels,
                             List<Row> out) {
        float[][] batch = pixels.toArray(float[][]::new);
        if (vq) {
            long[][] tokens = titok.tokenize(batch);
            for (int i = 0; i < batch.length; i++) {
                int[] ids = new int[tokens[i].length];
                for (int t = 0; t < ids.length; t++) {
                    ids[t] = Math.toIntExact(tokens[i][t]);
                }
                out.add(RowFactory.create(pending.get(i).getString(0), pending.get(i).getString(2), ids, modelId));
            }
        } else {
            float[][][] latents = titok.latentMeans(batch);
            for (int i = 0; i < batch.length; i++) {
                out.add(RowFactory.create(pending.get(i).getString(0), pending.get(i).getString(2), latents[i], modelId));
            }
        }
        pending.clear();
        pixels.clear();
    }

    private static void writeFailed(FileSystem fs, Path file, List<String> lines) {
        try (OutputStream stream = fs.create(file, true)) {
            stream.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new TitokException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static FileSystem fileSystem(SparkSession spark, Path path) {
        try {
            return path.getFileSystem(spark.sparkContext().hadoopConfiguration());
        } catch (IOException e) {
            throw new TitokException(path + ": " + e.getMessage(), e);
        }
    }

    private static boolean exists(FileSystem fs, Path path) {
        try {
            return fs.exists(path);
        } catch (IOException e) {
            throw new TitokException(path + ": " + e.getMessage(), e);
        }
    }
}
