package dev.titok.cli;

import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.tensor.GemmProbe;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokFlops;
import dev.titok.tokenizer.TiTokModels;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code titok bench tokenize|detokenize}: throughput with random weights (no download needed), achieved GFLOP/s,
 * and its ratio to a plain float32 matrix multiply measured in the same process.
 */
@Command(name = "bench", description = {
        "Measure tokenize or detokenize throughput with random weights: images/s at each batch size,",
        "achieved GFLOP/s and its ratio to a plain fp32 GEMM measured in the same process."})
final class BenchCommand implements Callable<Integer> {

    enum Task { tokenize, detokenize }

    @Parameters(index = "0", paramLabel = "TASK", description = "tokenize or detokenize")
    Task task;

    @Option(names = "--model", required = true, paramLabel = "PRESET|DIR",
            description = "Preset or model folder; only its config is used, with random weights.")
    String model;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--seconds", defaultValue = "10", description = "Measuring time per batch size (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--gemm-size", defaultValue = "2048", description = "Side of the reference GEMM (default: ${DEFAULT-VALUE}).")
    int gemmSize;

    @Override
    public Integer call() {
        TiTokConfig config = TiTokModels.config(model);
        if (config.quantizeMode() != QuantizeMode.VQ) {
            throw new TitokException("bench runs vq models (token ids); " + config.name() + " is a vae model");
        }
        TiTokFlops flops = TiTokFlops.of(config);
        long perImage = task == Task.tokenize ? flops.tokenize() : flops.detokenize();
        double gemm = GemmProbe.gflops(gemmSize, 2.0);
        System.out.printf("%s %s, random weights, fp32, %d intra-op threads, %.2f GFLOP per image%n",
                config.name(), task, JniUtils.getNumThreads(), perImage / 1e9);
        System.out.printf("reference fp32 GEMM %dx%d: %.1f GFLOP/s%n", gemmSize, gemmSize, gemm);
        System.out.printf("%6s %10s %10s %10s %8s%n", "batch", "images/s", "ms/image", "GFLOP/s", "of GEMM");
        try (TiTok titok = TiTok.random(config, 0)) {
            for (int batch : batchSizes) {
                double rate = measure(titok, Batches.checkSize(batch));
                double gflops = rate * perImage / 1e9;
                System.out.printf("%6d %10.2f %10.1f %10.1f %7.0f%%%n", batch, rate, 1000 / rate, gflops, 100 * gflops / gemm);
            }
        }
        return 0;
    }

    /** Images per second over about {@code seconds}, after one warm-up batch. */
    private double measure(TiTok titok, int batch) {
        SplittableRandom random = new SplittableRandom(batch);
        Runnable step = task == Task.tokenize ? tokenizeStep(titok, batch, random) : detokenizeStep(titok, batch, random);
        step.run();
        long start = System.nanoTime();
        long images = 0;
        do {
            step.run();
            images += batch;
        } while (System.nanoTime() - start < seconds * 1e9);
        return images / ((System.nanoTime() - start) / 1e9);
    }

    private static Runnable tokenizeStep(TiTok titok, int batch, SplittableRandom random) {
        int size = titok.config().imageSize();
        float[][] images = new float[batch][3 * size * size];
        for (float[] image : images) {
            for (int i = 0; i < image.length; i++) {
                image[i] = (float) random.nextDouble();
            }
        }
        return () -> titok.tokenize(images);
    }

    private static Runnable detokenizeStep(TiTok titok, int batch, SplittableRandom random) {
        long[][] tokens = new long[batch][titok.config().numLatentTokens()];
        for (long[] row : tokens) {
            for (int i = 0; i < row.length; i++) {
                row[i] = random.nextInt(titok.config().codebookSize());
            }
        }
        return () -> titok.detokenize(tokens);
    }
}
