package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.eval.SampleImages;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.Sampler;
import dev.titok.generator.SamplingConfig;
import dev.titok.image.Rounding;
import dev.titok.io.NpzImageWriter;
import dev.titok.tensor.RandomSource;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok sample}: the sample batch for gFID, in OpenAI ADM's {@code .npz} format. */
@Command(name = "sample", description = {
        "Generate N images per class into an ADM sample batch (.npz holding arr_0, N x H x W x 3 uint8), the input of "
                + "titok eval gen and of OpenAI's ADM evaluator.",
        "%nAs the official sampling script: the class list 0..C-1 repeated --count-per-class times, in batches, one "
                + "random stream seeded with --seed; decoded images are clamped to [0, 1] and TRUNCATED to 8 bits. "
                + "Sampling settings come from the generator config unless overridden.%n"})
final class SampleCommand implements Callable<Integer> {

    @Mixin
    GeneratorPairOptions models;

    @Option(names = "--count-per-class", defaultValue = "50", description = "Samples per class (default: ${DEFAULT-VALUE}).")
    int countPerClass;

    @Option(names = "--out", required = true, paramLabel = "FILE.npz", description = "The sample batch to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of all sampling noise (default: ${DEFAULT-VALUE}, as the official script's rank 0).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "125", description = "Samples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    SamplingOptions samplingOptions;

    @Override
    public Integer call() {
        if (countPerClass < 1) {
            throw new TitokException("--count-per-class must be at least 1, got " + countPerClass);
        }
        Batches.checkSize(batchSize);
        if (Files.isDirectory(out)) {
            throw new TitokException("--out " + out + " is a folder: give the .npz file to write");
        }
        GeneratorConfig genConfig = models.checkedGeneratorConfig();
        SamplingConfig sampling = samplingOptions.resolve(genConfig);
        int classes = genConfig.numClasses();
        long total = (long) classes * countPerClass;
        try (GeneratorModel model = models.openGenerator(); TiTok titok = models.openTokenizer()) {
            int side = titok.config().imageSize();
            RandomSource random = RandomSource.seeded(seed);
            try (NpzImageWriter writer = NpzImageWriter.create(out, total, side, side);
                 Progress progress = new Progress("sample", total, "img")) {
                for (long start = 0; start < total; start += batchSize) {
                    int n = (int) Math.min(batchSize, total - start);
                    long[] labels = new long[n];
                    for (int i = 0; i < n; i++) {
                        labels[i] = (start + i) % classes;
                    }
                    float[][] images = titok.detokenize(Sampler.generate(model, labels, sampling, random, step -> { }));
                    byte[] chw = new byte[n * 3 * side * side];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < images[i].length; j++) {
                            chw[i * images[i].length + j] = (byte) Rounding.TRUNCATE.toLevel(images[i][j]);
                        }
                    }
                    byte[] hwc = SampleImages.toHwc(chw, n, side, side);
                    for (int i = 0; i < n; i++) {
                        writer.append(hwc, i * 3 * side * side);
                    }
                    progress.step(n);
                }
            }
        }
        System.err.printf("wrote %d samples (%d classes x %d) to %s%n", total, classes, countPerClass, out);
        return 0;
    }
}
