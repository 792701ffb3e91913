package dev.titok.cli;

import ai.djl.ndarray.NDScope;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.eval.InceptionV3;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GeneratorModels;
import dev.titok.generator.Sampler;
import dev.titok.generator.SamplingConfig;
import dev.titok.kernels.AttentionProbe;
import dev.titok.kernels.Kernels;
import dev.titok.tensor.GemmProbe;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Tensors;
import dev.titok.tensor.Torch;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokFlops;
import dev.titok.tokenizer.TiTokModels;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code titok bench tokenize|detokenize|generate|inception}: throughput with random weights (no download needed);
 * for the tokenizer also the achieved GFLOP/s and its ratio to a plain float32 matrix multiply measured in the same
 * process.
 */
@Command(name = "bench", description = {
        "Measure throughput with random weights (nothing to download).",
        "%ntokenize, detokenize: images/s at each batch size, the achieved GFLOP/s and its ratio to a plain fp32 GEMM "
                + "measured in the same process.",
        "%ngenerate: samples/s of the preset's generator with its sampling settings (guidance included) plus "
                + "detokenization, and the share of time spent in each.",
        "%ninception: images/s of the FID Inception on 256x256 images, in the evaluator's float64 and in float32 "
                + "(no --model needed).",
        "%nattention: ms per call of flash against composed attention at TiTok's sequence lengths, for each "
                + "--kernels set (no --model needed).%n"})
final class BenchCommand implements Callable<Integer> {

    enum Task { tokenize, detokenize, generate, inception, attention }

    @Parameters(index = "0", paramLabel = "TASK", description = "tokenize, detokenize, generate, inception or attention")
    Task task;

    @Option(names = {"--model", "--preset"}, paramLabel = "PRESET|DIR",
            description = "Preset or model folder; only its config is used, with random weights (not for inception).")
    String model;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--seconds", defaultValue = "10", description = "Measuring time per batch size (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--gemm-size", defaultValue = "2048", description = "Side of the reference GEMM (default: ${DEFAULT-VALUE}).")
    int gemmSize;

    @Option(names = "--kernels", split = ",", defaultValue = "fp32", paramLabel = "reference|fp32|bf16",
            description = "Kernel sets to measure one after the other on the same random weights, e.g. "
                    + "reference,fp32,bf16 (default: ${DEFAULT-VALUE}).")
    List<String> kernels;

    @Override
    public Integer call() {
        if (task == Task.inception) {
            return benchInception();
        }
        if (task == Task.attention) {
            return benchAttention();
        }
        if (model == null) {
            throw new TitokException("bench " + task + " needs --model PRESET|DIR");
        }
        if (task == Task.generate) {
            return benchGenerate();
        }
        TiTokConfig config = TiTokModels.config(model);
        if (config.quantizeMode() != QuantizeMode.VQ) {
            throw new TitokException("bench runs vq models (token ids); " + config.name() + " is a vae model");
        }
        TiTokFlops flops = TiTokFlops.of(config);
        long perImage = task == Task.tokenize ? flops.tokenize() : flops.detokenize();
        List<Kernels> sets = kernelSets();
        double gemm = GemmProbe.gflops(gemmSize, 2.0);
        System.out.printf("%s %s, random weights, %d intra-op threads, %.2f GFLOP per image%n",
                config.name(), task, Torch.intraOpThreads(), perImage / 1e9);
        System.out.printf("libtorch fp32 GEMM %dx%d: %.1f GFLOP/s%n", gemmSize, gemmSize, gemm);
        Map<Kernels, Double> kernelGemm = new EnumMap<>(Kernels.class);
        for (Kernels k : sets) {
            kernelGemm.put(k, k == Kernels.REFERENCE ? gemm : GemmProbe.gflops(k, gemmSize, 2.0));
            if (k != Kernels.REFERENCE) {
                System.out.printf("%s kernels' GEMM %dx%d: %.1f GFLOP/s%n", k.label(), gemmSize, gemmSize, kernelGemm.get(k));
            }
        }
        System.out.printf("%9s %6s %10s %10s %10s %8s %8s %10s %10s%n", "kernels", "batch", "images/s", "ms/image",
                "GFLOP/s", "of GEMM", "of own", "peak RSS", "MB/image");
        try (TiTok titok = TiTok.random(config, 0)) {
            for (Kernels k : sets) {
                titok.useKernels(k);
                titok.convertKernelWeights();
                long loaded = ResidentMemory.current().orElse(-1);
                for (int batch : batchSizes) {
                    boolean peakReset = ResidentMemory.resetPeak();
                    double rate = measure(titok, Batches.checkSize(batch));
                    double gflops = rate * perImage / 1e9;
                    System.out.printf("%9s %6d %10.2f %10.1f %10.1f %7.0f%% %7.0f%% %10s %10s%n", k.label(), batch, rate,
                            1000 / rate, gflops, 100 * gflops / gemm, 100 * gflops / kernelGemm.get(k),
                            memory(ResidentMemory.peak(), peakReset), perImage(loaded, batch, peakReset));
                }
            }
        }
        System.out.println("of GEMM: of libtorch's fp32 GEMM; of own: of the GEMM of the same kernels. peak RSS: the "
                + "whole process during that run (weights included); MB/image: (that peak - the resident memory once "
                + "the weights were made and converted) / batch. Memory retained from an earlier kernel set hides part "
                + "of a later one's: measure one set per run for memory.");
        return 0;
    }

    /** The --kernels list, bf16 dropped with a note on a CPU without it. */
    private List<Kernels> kernelSets() {
        List<Kernels> sets = KernelsOption.runnable(kernels);
        if (sets.isEmpty()) {
            throw new TitokException("--kernels leaves nothing to measure on this CPU");
        }
        return sets;
    }

    private static String memory(java.util.OptionalLong bytes, boolean measured) {
        return measured && bytes.isPresent() ? String.format("%.2f GB", bytes.getAsLong() / 1e9) : "n/a";
    }

    private static String perImage(long loaded, int batch, boolean measured) {
        java.util.OptionalLong peak = ResidentMemory.peak();
        return measured && loaded >= 0 && peak.isPresent()
                ? String.format("%.0f", Math.max(0, peak.getAsLong() - loaded) / 1e6 / batch) : "n/a";
    }

    /** Sampling plus detokenization with random weights: after a warm-up sample, at least {@code seconds} per batch size. */
    private int benchGenerate() {
        TiTokConfig tokenizer = TiTokModels.config(model);
        GeneratorConfig generator = GeneratorModels.config(model);
        SamplingConfig sampling = SamplingConfig.of(generator);
        System.out.printf("%s generate, random weights, %d intra-op threads: %d steps, guidance %s %.1f, then detokenize%n",
                model, Torch.intraOpThreads(), sampling.steps(), sampling.guidanceDecay(), sampling.guidanceScale());
        System.out.printf("%9s %6s %10s %10s %12s %12s%n", "kernels", "batch", "samples/s", "s/sample", "generator",
                "detokenizer");
        try (TiTok titok = TiTok.random(tokenizer, 0); GeneratorModel gen = GeneratorModel.random(generator, 0)) {
            RandomSource random = RandomSource.seeded(0);
            for (Kernels k : kernelSets()) {
                titok.useKernels(k);
                gen.useKernels(k);
                titok.convertKernelWeights();
                gen.convertKernelWeights();
                sampleOnce(gen, titok, new long[] {0}, sampling, random); // warm-up: first-call costs are not throughput
                for (int batch : batchSizes) {
                    long[] labels = new SplittableRandom(batch).longs(Batches.checkSize(batch), 0, generator.numClasses()).toArray();
                    long generating = 0;
                    long decoding = 0;
                    int samples = 0;
                    do {
                        long[] times = sampleOnce(gen, titok, labels, sampling, random);
                        generating += times[0];
                        decoding += times[1];
                        samples += batch;
                    } while ((generating + decoding) / 1e9 < seconds);
                    double total = (generating + decoding) / 1e9;
                    System.out.printf("%9s %6d %10.3f %10.2f %11.0f%% %11.0f%%%n", k.label(), batch, samples / total,
                            total / samples, 100.0 * generating / (generating + decoding),
                            100.0 * decoding / (generating + decoding));
                }
            }
        }
        return 0;
    }

    /** The FID Inception on random 256x256 images, float64 then float32, random weights. */
    private int benchInception() {
        System.out.printf("FID Inception, 256x256 images resized to 299, random weights, %d intra-op threads%n",
                Torch.intraOpThreads());
        System.out.printf("%8s %6s %10s %14s%n", "dtype", "batch", "images/s", "50k images (h)");
        for (boolean float64 : new boolean[] {true, false}) {
            try (InceptionV3 inception = InceptionV3.random(0, float64)) {
                for (int batch : batchSizes) {
                    byte[] images = new byte[Batches.checkSize(batch) * 3 * 256 * 256];
                    new SplittableRandom(batch).nextBytes(images);
                    Runnable step = () -> inception.features(images, 256, 256);
                    double rate = batch * rate(step);
                    System.out.printf("%8s %6d %10.2f %14.1f%n", float64 ? "float64" : "float32", batch, rate,
                            50_000 / rate / 3600);
                }
            }
        }
        return 0;
    }

    /**
     * Flash against composed attention at the sequence lengths of TiTok's models (33 and 65 tokens at the generators'
     * guided batch, 321 in the B-64 encoder, and 1024), 12 heads of 64, in each of the --kernels sets but the reference.
     */
    private int benchAttention() {
        int[][] cases = {{64, 33}, {64, 65}, {8, 321}, {2, 1024}};   // batch, tokens
        int heads = 12;
        int headDim = 64;
        System.out.printf("attention, 12 heads of 64, %d intra-op threads: best of %.0f s per case%n",
                Torch.intraOpThreads(), seconds);
        System.out.printf("%9s %6s %7s %12s %12s %12s %12s%n", "kernels", "batch", "tokens", "flash ms", "composed ms",
                "flash GF/s", "composed GF/s");
        for (Kernels k : kernelSets()) {
            if (k == Kernels.REFERENCE) {
                continue;
            }
            for (int[] c : cases) {
                double flash = AttentionProbe.millis(k, true, c[0], heads, c[1], headDim, seconds);
                double composed = AttentionProbe.millis(k, false, c[0], heads, c[1], headDim, seconds);
                double gflop = AttentionProbe.flops(c[0], heads, c[1], headDim) / 1e9;
                System.out.printf("%9s %6d %7d %12.2f %12.2f %12.0f %12.0f%n", k.label(), c[0], c[1], flash, composed,
                        gflop / flash * 1e3, gflop / composed * 1e3);
            }
        }
        return 0;
    }

    /** Calls per second of {@code step} over about {@code seconds}, after one warm-up call. */
    private double rate(Runnable step) {
        step.run();
        long start = System.nanoTime();
        long calls = 0;
        do {
            step.run();
            calls++;
        } while (System.nanoTime() - start < seconds * 1e9);
        return calls / ((System.nanoTime() - start) / 1e9);
    }

    /** One batch: nanoseconds spent sampling tokens and decoding them. */
    private static long[] sampleOnce(GeneratorModel gen, TiTok titok, long[] labels, SamplingConfig sampling, RandomSource random) {
        long start = System.nanoTime();
        long[][] tokens;
        try (NDScope scope = new NDScope()) {
            long[] flat = Sampler.generate(gen, Tensors.of(gen.manager(), labels), sampling, random).toLongArray();
            int k = gen.sequenceLength();
            tokens = new long[labels.length][];
            for (int i = 0; i < labels.length; i++) {
                tokens[i] = Arrays.copyOfRange(flat, i * k, (i + 1) * k);
            }
        }
        long sampled = System.nanoTime();
        titok.detokenize(tokens);
        return new long[] {sampled - start, System.nanoTime() - sampled};
    }

    /** Images per second over about {@code seconds}, after one warm-up batch. */
    private double measure(TiTok titok, int batch) {
        SplittableRandom random = new SplittableRandom(batch);
        Runnable step = task == Task.tokenize ? tokenizeStep(titok, batch, random) : detokenizeStep(titok, batch, random);
        return batch * rate(step);
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
