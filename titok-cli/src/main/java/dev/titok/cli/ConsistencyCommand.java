package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.eval.Classifier;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.Sampler;
import dev.titok.generator.SamplingConfig;
import dev.titok.image.ImageGrid;
import dev.titok.tensor.RandomSource;
import dev.titok.tokenizer.TiTok;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok eval consistency}: how often generated images show the class they were asked for. */
@Command(name = "consistency", description = {
        "Class consistency of a generator: sample N images per class, decode them with the tokenizer and count how often "
                + "a classifier trained by this project (titok classifier) assigns them to the requested class.",
        "%nSampling uses the generator config's settings (steps, temperature, guidance). Prints the overall and "
                + "per-class rates; --grid draws the first 10 samples of each class in a row, captioned with the "
                + "classifier's verdict (\"judged X\" when it disagrees).%n"})
final class ConsistencyCommand implements Callable<Integer> {

    @Mixin
    GeneratorPairOptions models;

    @Option(names = "--classifier", required = true, paramLabel = "DIR", description = "Classifier folder (titok classifier).")
    Path classifier;

    @Option(names = "--per-class", defaultValue = "100", description = "Samples per class (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampling noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "100", description = "Samples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grid", paramLabel = "FILE", description = "Grid of the first 10 samples of each class (PNG).")
    Path grid;

    @Override
    public Integer call() {
        if (perClass < 1) {
            throw new TitokException("--per-class must be at least 1, got " + perClass);
        }
        Batches.checkSize(batchSize);
        models.checkedGeneratorConfig();
        try (TiTok titok = models.openTokenizer();
             GeneratorModel model = models.openGenerator();
             Classifier judge = Classifier.load(classifier)) {
            int classes = model.numClasses();
            if (judge.numClasses() != classes || judge.imageSize() != titok.config().imageSize()) {
                throw new TitokException("classifier " + classifier + " (" + judge.numClasses() + " classes, "
                        + judge.imageSize() + " px) does not fit generator " + models.generator + " (" + classes
                        + " classes) and tokenizer " + models.tokenizer + " (" + titok.config().imageSize() + " px)");
            }
            SamplingConfig sampling = SamplingConfig.of(model.config());
            RandomSource random = RandomSource.seeded(seed);
            int[] hits = new int[classes];
            List<BufferedImage> cells = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            List<String> names = judge.classNames();
            try (Progress progress = new Progress("sample", (long) classes * perClass, "img")) {
                for (int c = 0; c < classes; c++) {
                    for (int start = 0; start < perClass; start += batchSize) {
                        int n = Math.min(batchSize, perClass - start);
                        long[] labels = new long[n];
                        Arrays.fill(labels, c);
                        float[][] images = titok.detokenize(Sampler.generate(model, labels, sampling, random, step -> { }));
                        int[] predicted = judge.predict(images);
                        for (int i = 0; i < n; i++) {
                            if (predicted[i] == c) {
                                hits[c]++;
                            }
                            if (start + i < 10) {
                                cells.add(EvalCommand.cell(images[i]));
                                captions.add((predicted[i] == c ? "" : "judged ") + name(names, predicted[i]));
                            }
                        }
                        progress.step(n);
                    }
                }
            }
            int total = Arrays.stream(hits).sum();
            System.out.printf(Locale.ROOT, "class_consistency %.4f (%d of %d)%n", (double) total / (classes * perClass),
                    total, classes * perClass);
            for (int c = 0; c < classes; c++) {
                System.out.printf(Locale.ROOT, "  %-14s %.2f%n", name(names, c), (double) hits[c] / perClass);
            }
            if (grid != null) {
                ImageGrid.write(grid, cells, captions, Math.min(10, perClass));
            }
        }
        return 0;
    }

    private static String name(List<String> names, int c) {
        return c < names.size() ? names.get(c) : "class " + c;
    }
}
