package dev.titok.spark;

import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The reverse of {@link SparkPretokenize}: a Parquet table with {@code tokens} (or {@code latents}) and {@code path}
 * (and optionally {@code label}) becomes one PNG per row, {@code OUT/LABEL/NAME.png} ({@code OUT/NAME.png} without a
 * label), NAME being the source file's name without its extension. Rows whose label and name agree overwrite each
 * other (the source folders should not repeat a file name within a class).
 *
 * <p>Each PNG is written to a temporary file beside its final name and moved into place ({@link ImageCodec#writePng}),
 * so a failed or retried task never leaves a partial image, and a retry rewrites the same bytes to the same names.
 * The output folder is written with {@code java.nio} and must be a local or shared (NFS) path visible at the same
 * place on every executor.
 */
public final class SparkDetokenize {

    private SparkDetokenize() {}

    /**
     * Decodes every row of {@code tokens} into a PNG under {@code outDir}.
     *
     * @param partitions tasks to split the rows into; 0 for the default parallelism
     * @return the number of PNG files written
     * @throws TitokException when the table has neither {@code tokens} nor {@code latents}, or the model is a stage-1
     *                        model (no pixel decoder)
     */
    public static long run(SparkSession spark, ModelSpec model, String tokens, Path outDir, int partitions) {
        model.requirePixelOutput();
        Dataset<Row> table = spark.read().parquet(tokens);
        List<String> columns = Arrays.asList(table.columns());
        boolean vq = columns.contains("tokens");
        if (!vq && !columns.contains("latents") || !columns.contains("path")) {
            throw new TitokException(tokens + ": expected columns path and tokens (or latents), found " + columns);
        }
        Dataset<Row> rows = table.selectExpr("path",
                columns.contains("label") ? "label" : "cast(null as string) as label", vq ? "tokens" : "latents");
        String target = outDir.toAbsolutePath().toString();
        return SparkJobs.repartition(spark, rows, partitions).javaRDD()
                .mapPartitions(partition -> decode(partition, model, vq, Path.of(target)))
                .reduce(Long::sum);
    }

    private static Iterator<Long> decode(Iterator<Row> partition, ModelSpec model, boolean vq, Path outDir) {
        TiTok titok = model.open();
        int size = titok.config().imageSize();
        long written = 0;
        try (NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);   // per thread in libtorch, see SparkPretokenize
            List<Row> batch = new ArrayList<>();
            while (partition.hasNext()) {
                batch.add(partition.next());
                if (batch.size() == titok.maxBatch() || !partition.hasNext()) {
                    float[][] images = vq ? titok.detokenize(batch.stream().map(SparkDetokenize::ids).toArray(long[][]::new))
                            : titok.decodeLatents(batch.stream().map(SparkDetokenize::latents).toArray(float[][][]::new));
                    for (int i = 0; i < images.length; i++) {
                        ImageCodec.writePng(outDir.resolve(outputName(batch.get(i).getString(0), batch.get(i).getString(1))),
                                Postprocess.toImage(images[i], 0, size, size, Rounding.ROUND_HALF_EVEN));
                    }
                    written += images.length;
                    batch.clear();
                }
            }
        }
        return Collections.singletonList(written).iterator();
    }

    private static long[] ids(Row row) {
        List<Integer> list = row.getList(2);
        return list.stream().mapToLong(Integer::longValue).toArray();
    }

    private static float[][] latents(Row row) {
        // the inner arrays come back as Scala sequences
        List<scala.collection.Seq<Float>> tokens = row.getList(2);
        float[][] out = new float[tokens.size()][];
        for (int t = 0; t < out.length; t++) {
            List<Float> channels = scala.jdk.javaapi.CollectionConverters.asJava(tokens.get(t));
            out[t] = new float[channels.size()];
            for (int c = 0; c < out[t].length; c++) {
                out[t][c] = channels.get(c);
            }
        }
        return out;
    }

    /**
     * {@code LABEL/NAME.png} or {@code NAME.png}: NAME is the last segment of the source path without extension. A label
     * from a Parquet table may hold anything, so it becomes one folder name inside the output ({@code /} and {@code \}
     * replaced, {@code .} and {@code ..} prefixed) and never a way out of it.
     */
    static String outputName(String sourcePath, String label) {
        String name = sourcePath.substring(sourcePath.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        name = (dot > 0 ? name.substring(0, dot) : name) + ".png";
        if (label == null) {
            return name;
        }
        String folder = label.replace('/', '_').replace('\\', '_');
        return (folder.isEmpty() || folder.equals(".") || folder.equals("..") ? "_" + folder : folder) + "/" + name;
    }
}
