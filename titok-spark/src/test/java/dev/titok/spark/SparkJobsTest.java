package dev.titok.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.titok.TitokException;
import dev.titok.data.ImageFolder;
import dev.titok.data.Transform;
import dev.titok.eval.ReconstructionEvaluation;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Preprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark jobs in local mode against the single-machine path, with the tiny stage-2 fixture model (32-pixel images):
 * one session for the class, a handful of images in two class folders plus one unlabeled image, a corrupt PNG and a
 * README.
 */
class SparkJobsTest {

    @TempDir
    static Path dir;

    static SparkSession spark;
    static ModelSpec model;
    static TiTok titok;
    static Path images;
    static Path clean;

    @BeforeAll
    static void setUp() throws IOException {
        Path fixture = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures")).resolve("titok_vq_stage2");
        Path photos = Path.of(System.getProperty("titok.images", "../shared/images"));
        assumeThat(Files.isDirectory(fixture) && Files.isDirectory(photos))
                .as("fixtures not found (set -Dtitok.fixtures and -Dtitok.images): skipped").isTrue();
        clean = dir.resolve("clean");
        Files.createDirectories(clean.resolve("cats"));
        Files.createDirectories(clean.resolve("dogs"));
        Files.copy(photos.resolve("ILSVRC2012_val_00008636.png"), clean.resolve("cats/photo1.png"));
        Files.copy(photos.resolve("ILSVRC2012_val_00010240.png"), clean.resolve("dogs/photo2.png"));
        ImageCodec.writePng(clean.resolve("cats/noise1.png"), noise(40, 48, 1));
        ImageCodec.writePng(clean.resolve("dogs/noise2.png"), noise(64, 36, 2));
        ImageCodec.writePng(clean.resolve("dogs/noise3.png"), noise(32, 32, 3));
        // the same images, plus one outside the class folders, a corrupt PNG and a file that is no image
        images = dir.resolve("images");
        for (String name : List.of("cats/photo1.png", "cats/noise1.png", "dogs/photo2.png", "dogs/noise2.png",
                "dogs/noise3.png")) {
            Files.createDirectories(images.resolve(name).getParent());
            Files.copy(clean.resolve(name), images.resolve(name));
        }
        ImageCodec.writePng(images.resolve("top.png"), noise(33, 33, 4));
        byte[] png = Files.readAllBytes(clean.resolve("cats/noise1.png"));
        Files.write(images.resolve("dogs/broken.png"), Arrays.copyOf(png, 60));
        Files.writeString(images.resolve("README.txt"), "not an image\n");

        spark = SparkSession.builder().master("local[2]").appName("SparkJobsTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        model = new ModelSpec(fixture.toString(), null, 1, SparkJobs.taskSlots(spark));
        titok = TiTokModels.open(fixture.toString(), null);
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        if (titok != null) {
            titok.close();
        }
    }

    @Test
    void pretokenizeMatchesTheSingleMachineTokensAndCountsTheCorruptImage() throws IOException {
        String output = dir.resolve("tokens").toString();
        SparkPretokenize.Summary summary = SparkPretokenize.run(spark, model, images.toString(), output, 3, false);

        assertThat(summary.images()).isEqualTo(6);
        assertThat(summary.bad()).isEqualTo(1);
        assertThat(summary.badPaths()).singleElement().asString().contains("broken.png");
        assertThat(Files.readString(Path.of(output, SparkPretokenize.FAILED_FILE))).contains("broken.png");
        Map<String, Row> rows = byFile(spark.read().parquet(output));
        assertThat(rows.keySet()).containsExactlyInAnyOrder("cats/photo1.png", "cats/noise1.png", "dogs/photo2.png",
                "dogs/noise2.png", "dogs/noise3.png", "top.png");
        assertThat(rows.get("top.png").<String>getAs("label")).isNull();
        assertThat(rows.get("dogs/noise2.png").<String>getAs("label")).isEqualTo("dogs");
        assertThat(rows.get("cats/photo1.png").<String>getAs("model")).isEqualTo(model.id());
        for (Map.Entry<String, Row> entry : rows.entrySet()) {
            assertThat(ids(entry.getValue())).as(entry.getKey()).containsExactly(singleMachine(images.resolve(entry.getKey())));
        }

        // an existing output is refused unless overwritten explicitly
        assertThatThrownBy(() -> SparkPretokenize.run(spark, model, images.toString(), output, 2, false))
                .isInstanceOf(TitokException.class).hasMessageContaining("already exists");
        assertThat(SparkPretokenize.run(spark, model, images.toString(), output, 2, true).images()).isEqualTo(6);
        assertThat(spark.read().parquet(output).count()).isEqualTo(6);
    }

    @Test
    void readsAParquetTableOfImageBytesAndAGlob() {
        Dataset<Row> table = spark.read().format("binaryFile").load(clean + "/*/*.png")
                .selectExpr("path", "content", "'x' as label");
        String parquet = dir.resolve("bytes.parquet").toString();
        table.write().parquet(parquet);
        String fromTable = dir.resolve("from-table").toString();
        SparkPretokenize.run(spark, model, parquet, fromTable, 2, false);
        Map<String, Row> rows = byFile(spark.read().parquet(fromTable));
        assertThat(rows).hasSize(5);
        assertThat(rows.get("dogs/noise3.png").<String>getAs("label")).isEqualTo("x");
        assertThat(ids(rows.get("dogs/noise3.png"))).containsExactly(singleMachine(clean.resolve("dogs/noise3.png")));

        String fromGlob = dir.resolve("from-glob").toString();
        assertThat(SparkPretokenize.run(spark, model, clean + "/cats/*.png", fromGlob, 2, false).images()).isEqualTo(2);
    }

    @Test
    void detokenizeWritesThePngsOfTheSingleMachineDecoder() throws IOException {
        String tokens = dir.resolve("tokens-for-pngs").toString();
        SparkPretokenize.run(spark, model, clean.toString(), tokens, 2, false);
        Path out = dir.resolve("pngs");
        assertThat(SparkDetokenize.run(spark, model, tokens, out, 2)).isEqualTo(5);

        long[] ids = singleMachine(clean.resolve("dogs/noise2.png"));
        BufferedImage expected = Postprocess.toImage(titok.detokenize(new long[][] {ids})[0], 0, 32, 32,
                Rounding.ROUND_HALF_EVEN);
        BufferedImage written = ImageCodec.read(out.resolve("dogs/noise2.png"));
        assertThat(pixels(written)).containsExactly(pixels(expected));
        assertThat(out.resolve("cats/photo1.png")).isRegularFile();
        try (var files = Files.walk(out)) {
            assertThat(files.filter(Files::isRegularFile).count()).as("no temporary files left").isEqualTo(5);
        }
    }

    @Test
    void pngNamesStayInsideTheOutputFolder() {
        assertThat(SparkDetokenize.outputName("file:/data/cats/x.y.jpg", "cats")).isEqualTo("cats/x.y.png");
        assertThat(SparkDetokenize.outputName("file:/data/x", null)).isEqualTo("x.png");
        assertThat(SparkDetokenize.outputName("file:/data/x.png", "../up")).isEqualTo(".._up/x.png");
        assertThat(SparkDetokenize.outputName("file:/data/x.png", "..")).isEqualTo("_../x.png");
        assertThat(SparkDetokenize.outputName("file:/data/x.png", "")).isEqualTo("_/x.png");
    }

    @Test
    void stageOneModelsAreRefusedBeforeAnyTask() {
        Path fixture = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures")).resolve("titok_vq_stage1");
        ModelSpec stageOne = new ModelSpec(fixture.toString(), null, 1, 1);
        assertThatThrownBy(() -> SparkEvaluate.run(spark, stageOne, clean.toString(), 1))
                .isInstanceOf(TitokException.class).hasMessageContaining("stage-1");
    }

    @Test
    void evalGivesTheFiguresOfTheReconstructionEvaluation() {
        SparkEvaluate.Result withBadImage = SparkEvaluate.run(spark, model, images.toString(), 2);
        SparkEvaluate.Result distributed = SparkEvaluate.run(spark, model, clean.toString(), 3);
        ReconstructionEvaluation.Result reference = ReconstructionEvaluation.run(titok,
                ImageFolder.open(clean, Transform.eval(32)), 0, done -> {});

        assertThat(withBadImage.images()).isEqualTo(6);
        assertThat(withBadImage.bad()).isEqualTo(1);
        assertThat(distributed.images()).isEqualTo(reference.images());
        assertThat(distributed.psnr()).isCloseTo(reference.psnr(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(distributed.ssim()).isCloseTo(reference.ssim(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(distributed.codebookUsage()).isEqualTo(reference.codebookUsage());
        assertThat(distributed.codebookEntropy()).isCloseTo(reference.codebookEntropy(),
                org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void continuousModelsWriteLatentsAndDecodeThem() {
        Path fixture = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures")).resolve("titok_vae");
        ModelSpec vae = new ModelSpec(fixture.toString(), null, 1, SparkJobs.taskSlots(spark));
        String latents = dir.resolve("latents").toString();
        assertThat(SparkPretokenize.run(spark, vae, clean.toString(), latents, 2, false).images()).isEqualTo(5);
        Row row = byFile(spark.read().parquet(latents)).get("cats/photo1.png");
        float[][] expected;
        try (TiTok single = TiTokModels.open(fixture.toString(), null)) {
            expected = single.latentMeans(new float[][] {
                    Preprocess.evalTransform(ImageCodec.read(clean.resolve("cats/photo1.png")), 32)})[0];
        }
        List<scala.collection.Seq<Float>> tokens = row.getList(row.fieldIndex("latents"));
        assertThat(tokens).hasSize(expected.length);
        for (int t = 0; t < expected.length; t++) {
            List<Float> channels = scala.jdk.javaapi.CollectionConverters.asJava(tokens.get(t));
            for (int c = 0; c < expected[t].length; c++) {
                assertThat(channels.get(c)).as("token %d channel %d", t, c)
                        .isCloseTo(expected[t][c], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
        assertThat(SparkDetokenize.run(spark, vae, latents, dir.resolve("vae-pngs"), 2)).isEqualTo(5);
        assertThat(dir.resolve("vae-pngs/dogs/noise3.png")).isRegularFile();
    }

    /** The rows of a tokens table by their path below the images folder. */
    private static Map<String, Row> byFile(Dataset<Row> table) {
        Map<String, Row> rows = new HashMap<>();
        for (Row row : table.collectAsList()) {
            Path file = Path.of(URI.create(row.<String>getAs("path")));
            Path root = file.startsWith(images) ? images : clean;
            rows.put(root.relativize(file).toString(), row);
        }
        return rows;
    }

    private static long[] ids(Row row) {
        return row.<Integer>getList(row.fieldIndex("tokens")).stream().mapToLong(Integer::longValue).toArray();
    }

    /** What {@code titok tokenize} computes for one file. */
    private static long[] singleMachine(Path file) {
        return titok.tokenize(new float[][] {Preprocess.evalTransform(ImageCodec.read(file), 32)})[0];
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static BufferedImage noise(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                // smooth gradients with a little noise: closer to a photo than white noise
                int r = (x * 255 / width + random.nextInt(16)) & 0xff;
                int g = (y * 255 / height + random.nextInt(16)) & 0xff;
                int b = ((x + y) * 127 / (width + height) + random.nextInt(16)) & 0xff;
                image.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return image;
    }
}
