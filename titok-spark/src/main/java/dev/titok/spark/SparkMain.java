package dev.titok.spark;

import dev.titok.TitokException;
import dev.titok.kernels.Kernels;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code titok spark-*} commands: the main class of {@code titok-spark.jar}, which the {@code ./titok} launcher
 * runs for them (with Spark's jars from {@code titok-spark/target/spark-lib} for the embedded {@code local[*]} mode) and
 * which a cluster runs through {@code spark-submit --class dev.titok.spark.SparkMain titok-spark.jar spark-... }.
 */
@Command(name = "titok", mixinStandardHelpOptions = true, subcommands = {
        SparkMain.Pretokenize.class, SparkMain.Detokenize.class, SparkMain.Evaluate.class},
        description = "TiTok jobs on Apache Spark.")
public final class SparkMain implements Runnable {

    /** Runs a command line, e.g. {@code spark-pretokenize --model DIR --input DIR --output DIR}, and exits. */
    public static void main(String[] args) {
        CommandLine line = new CommandLine(new SparkMain());
        // a usage problem or a TitokException is the user's to fix: one line, no stack trace
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof TitokException) {
                cmd.getErr().println("titok: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        System.exit(line.execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is missing: spark-pretokenize, "
                + "spark-detokenize or spark-eval");
    }

    /** The options every job takes. */
    static final class Common {
        @Option(names = "--model", required = true, paramLabel = "DIR|PRESET",
                description = "Model folder (config.json + weights), a config.json file, or a preset name; "
                        + "must be readable at this path on every executor.")
        String model;

        @Option(names = "--weights", paramLabel = "FILE", description = "Weights file; needed with a preset or a config file.")
        String weights;

        @Option(names = "--master", paramLabel = "URL",
                description = "Spark master (default: the one spark-submit sets, else local[*]).")
        String master;

        @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
                description = "Tasks to split the work into (default: the cluster's default parallelism).")
        int partitions;

        @Option(names = "--threads-per-task", defaultValue = "0", paramLabel = "N",
                description = "libtorch intra-op threads per task (default: executor processors / concurrent tasks; "
                        + "set it so that threads x executor cores = physical cores when processors count hyper-threads).")
        int threadsPerTask;

        @Option(names = "--kernels", defaultValue = "fp32", paramLabel = "reference|fp32|bf16",
                description = "Inference kernels of the tokenizer in every task: fp32 (fused oneDNN kernels), bf16 (the "
                        + "same in bfloat16; needs AVX512-BF16 or AMX on every executor) or reference (default: "
                        + "${DEFAULT-VALUE}).")
        String kernels;

        ModelSpec spec(SparkSession spark) {
            Kernels chosen;
            try {
                chosen = Kernels.parse(kernels);
            } catch (IllegalArgumentException e) {
                throw new TitokException("--kernels: " + e.getMessage());
            }
            return new ModelSpec(model, weights, threadsPerTask, SparkJobs.taskSlots(spark), chosen);
        }
    }

    @Command(name = "spark-pretokenize", mixinStandardHelpOptions = true,
            description = "Tokenize images (a folder, a glob, or a Parquet table of path/content[/label]) into a Parquet "
                    + "table: path, label, tokens (or latents), model.")
    static final class Pretokenize implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = "--input", required = true, paramLabel = "DIR|GLOB|PARQUET",
                description = "A folder (recursive; labels from first-level sub-folders), a glob, or a Parquet table "
                        + "with columns path, content[, label].")
        String input;

        @Option(names = "--output", required = true, paramLabel = "DIR", description = "The Parquet table to write.")
        String output;

        @Option(names = "--overwrite", description = "Replace an existing output (default: refuse).")
        boolean overwrite;

        @Override
        public Integer call() throws Exception {
            try (SparkSession spark = SparkJobs.session("titok spark-pretokenize", common.master)) {
                long start = System.nanoTime();
                SparkPretokenize.Summary summary = SparkPretokenize.run(spark, common.spec(spark), input, output,
                        common.partitions, overwrite);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "%d images tokenized into %s in %.1f s (%.2f images/s)%n",
                        summary.images(), output, seconds, summary.images() / seconds);
                reportBad(summary.bad(), summary.badPaths(), output + "/" + SparkPretokenize.FAILED_FILE);
            }
            return 0;
        }
    }

    @Command(name = "spark-detokenize", mixinStandardHelpOptions = true,
            description = "Decode a Parquet table of tokens (or latents) into PNG files named after the source paths.")
    static final class Detokenize implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = "--input", required = true, paramLabel = "PARQUET", description = "Output of spark-pretokenize.")
        String input;

        @Option(names = "--out-dir", required = true, paramLabel = "DIR",
                description = "Folder for the PNG files (LABEL/NAME.png); a local or shared path.")
        Path outDir;

        @Override
        public Integer call() throws Exception {
            try (SparkSession spark = SparkJobs.session("titok spark-detokenize", common.master)) {
                long written = SparkDetokenize.run(spark, common.spec(spark), input, outDir, common.partitions);
                System.out.println(written + " PNG files written to " + outDir);
            }
            return 0;
        }
    }

    @Command(name = "spark-eval", mixinStandardHelpOptions = true,
            description = "PSNR, SSIM and codebook usage/entropy of reconstructions of images (a folder, a glob or a "
                    + "Parquet table), with the protocol of titok eval recon.")
    static final class Evaluate implements Callable<Integer> {
        @Mixin
        Common common;

        @Option(names = "--input", required = true, paramLabel = "DIR|GLOB|PARQUET",
                description = "A folder (recursive), a glob, or a Parquet table with columns path, content[, label].")
        String input;

        @Override
        public Integer call() throws Exception {
            try (SparkSession spark = SparkJobs.session("titok spark-eval", common.master)) {
                SparkEvaluate.Result r = SparkEvaluate.run(spark, common.spec(spark), input, common.partitions);
                System.out.printf(Locale.ROOT, "images           %d%npsnr             %.4f dB%nssim             %.5f%n",
                        r.images(), r.psnr(), r.ssim());
                if (!Double.isNaN(r.codebookUsage())) {
                    System.out.printf(Locale.ROOT, "codebook usage   %.4f%ncodebook entropy %.4f bits%n",
                            r.codebookUsage(), r.codebookEntropy());
                }
                reportBad(r.bad(), r.badPaths(), null);
            }
            return 0;
        }
    }

    /** Prints the count of bad images and the first few paths with their reasons. */
    private static void reportBad(long count, List<String> paths, String listFile) {
        if (count == 0) {
            return;
        }
        System.err.println(count + " images could not be decoded and were skipped"
                + (listFile == null ? "" : " (first ones listed in " + listFile + ")") + ":");
        paths.stream().limit(10).forEach(p -> System.err.println("  " + p));
    }
}
