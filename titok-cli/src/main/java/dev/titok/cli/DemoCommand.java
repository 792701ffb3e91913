package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.eval.ReconstructionEvaluation;
import dev.titok.io.AtomicFiles;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GeneratorModels;
import dev.titok.generator.Sampler;
import dev.titok.generator.SamplingConfig;
import dev.titok.image.ImageGrid;
import dev.titok.tensor.RandomSource;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import dev.titok.train.MetricsLog;
import dev.titok.train.Pretokenize;
import dev.titok.train.Trainer;
import dev.titok.train.TrainingConfig;
import dev.titok.train.TrainingData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code titok demo}: train a small tokenizer and generator end to end and show what they do. */
@Command(name = "demo", description = {
        "Train a small TiTok tokenizer and a small MaskGIT generator on the built-in synthetic shapes (or --data), "
                + "then write reconstructions beside originals, samples per class, loss curves and report.html.",
        "%nAbout 8 minutes on 2 free cores with the defaults. Running it again continues or reuses what is already in the "
                + "output folder; --fresh starts over.%n"})
final class DemoCommand implements Callable<Integer> {

    private static final int SAMPLES_PER_CLASS = 8;

    @Option(names = "--data", defaultValue = "synthetic", paramLabel = "DATA",
            description = "synthetic (built in), an IDX folder (Fashion-MNIST, MNIST) or an image folder (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--tokenizer-steps", paramLabel = "N", description = "Tokenizer training steps (default 600, batch 32).")
    Long tokenizerSteps;

    @Option(names = "--generator-steps", paramLabel = "N", description = "Generator training steps (default 700, batch 64).")
    Long generatorSteps;

    @Option(names = "--train-images", defaultValue = "6000", paramLabel = "N",
            description = "Training images tokenized for the generator (default: ${DEFAULT-VALUE}).")
    int trainImages;

    @Option(names = "--eval-images", defaultValue = "1000", paramLabel = "N",
            description = "Held-out images for the reconstruction numbers (default: ${DEFAULT-VALUE}).")
    int evalImages;

    @Option(names = "--fresh", description = "Delete the output folder's previous demo first.")
    boolean fresh;

    @Override
    public Integer call() throws IOException {
        if (fresh) {
            deleteDemo(out);
        }
        Files.createDirectories(out);
        Dataset train = TrainingData.open(data, 32, TrainingData.Split.TRAIN, TrainingData.Use.EVAL);
        if (train.size() == 0) {
            throw new TitokException("dataset " + data + " holds no images");
        }
        int classes = Math.max(1, train.numClasses());
        List<String> dataKeys = dataKeys();

        long start = System.nanoTime();
        Path tokenizerRun = out.resolve("tokenizer");
        List<String> tokOverrides = new ArrayList<>(dataKeys);
        if (tokenizerSteps != null) {
            tokOverrides.add("training.max_train_steps=" + tokenizerSteps);
        }
        TrainingConfig tokenizerConfig = builtIn("tokenizer.yaml", tokOverrides);
        Trainer.Outcome tokenizer = TrainCommand.run(new Trainer(Trainer.Kind.SINGLE, tokenizerConfig), tokenizerRun,
                true, "tokenizer", null);
        if (tokenizer.loop().stopped()) {
            TrainCommand.report(tokenizer, tokenizerRun);
            return 1;
        }
        double tokenizerMinutes = minutesSince(start);

        long phase = System.nanoTime();
        ReconstructionEvaluation.Result check;
        Path tokens = out.resolve("tokens.jsonl");
        try (TiTok titok = TiTokModels.open(tokenizer.model().toString(), null)) {
            Dataset test = TrainingData.open(data, 32, TrainingData.Split.TEST, TrainingData.Use.EVAL).subset(evalImages, 0);
            try (Progress progress = new Progress("reconstruct", test.size(), "img")) {
                check = ReconstructionEvaluation.run(titok, test, 16, progress::stepTo);
            }
            EvalCommand.writeGrid(out.resolve("reconstructions.png"), check.first(), "original");
            if (!Files.exists(tokens)) {
                Dataset subset = TrainingData.open(data, 32, TrainingData.Split.TRAIN, TrainingData.Use.PRETOKENIZE)
                        .subset(trainImages, 0);
                try (Progress progress = new Progress("pretokenize", subset.size(), "img")) {
                    Pretokenize.run(subset, Pretokenize.Encoder.of(titok), tokens, 256, 1, (done, total) -> progress.stepTo(done));
                }
            }
        }
        double evalMinutes = minutesSince(phase);

        phase = System.nanoTime();
        Path generatorRun = out.resolve("generator");
        List<String> genOverrides = new ArrayList<>(dataKeys);
        genOverrides.addAll(List.of("dataset.params.train_shards_path_or_url=" + tokens,
                "experiment.tokenizer_checkpoint=" + tokenizer.model(),
                "model.generator.condition_num_classes=" + classes));
        if (generatorSteps != null) {
            genOverrides.add("training.max_train_steps=" + generatorSteps);
        }
        Trainer.Outcome generator = TrainCommand.run(new Trainer(Trainer.Kind.GENERATOR, builtIn("generator.yaml", genOverrides)),
                generatorRun, true, "generator", null);
        if (generator.loop().stopped()) {
            TrainCommand.report(generator, generatorRun);
            return 1;
        }
        List<String> names = train.classNames().isEmpty() ? List.of("images") : train.classNames();
        writeSamples(out.resolve("samples.png"), tokenizer.model(), generator.model(), classes, names);
        double generatorMinutes = minutesSince(phase);

        DemoReport report = new DemoReport(data, tokenizerConfig, tokenizer, generator, check, tokenizerMinutes,
                evalMinutes, generatorMinutes, lastMetrics(tokenizerRun), lastMetrics(generatorRun));
        Path html = report.write(out);
        System.err.printf("demo done in %.1f min: %s%n", minutesSince(start), html);
        System.err.printf("tokenizer: PSNR %.2f dB on %d held-out images, codebook usage %.0f%%%n", check.psnr(),
                check.images(), 100 * check.codebookUsage());
        return 0;
    }

    /** How the training configs name the chosen data. */
    private List<String> dataKeys() {
        if (data.equals("synthetic")) {
            return List.of("dataset.params.name=synthetic");
        }
        Path folder = Path.of(data);
        return List.of("dataset.params.name=" + (TrainingData.isIdx(folder) ? "fashion-mnist" : "folder"),
                "dataset.params.path=" + folder.toAbsolutePath());
    }

    static TrainingConfig builtIn(String name, List<String> overrides) {
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo/" + name)) {
            if (in == null) {
                throw new IllegalStateException("built-in config demo/" + name + " is missing from the jar");
            }
            return TrainingConfig.fromYaml(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in demo/" + name,
                    overrides);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One row per class, sampled with the generator config's own settings. */
    private static void writeSamples(Path file, Path tokenizerModel, Path generatorModel, int classes, List<String> names) {
        List<BufferedImage> cells = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        try (TiTok titok = TiTokModels.open(tokenizerModel.toString(), null);
             GeneratorModel generator = GeneratorModels.open(generatorModel.toString(), null)) {
            SamplingConfig sampling = SamplingConfig.of(generator.config());
            RandomSource random = RandomSource.seeded(0);
            try (Progress progress = new Progress("sample", classes, "class")) {
                for (int c = 0; c < classes; c++) {
                    long[] labels = new long[SAMPLES_PER_CLASS];
                    Arrays.fill(labels, c);
                    long[][] tokens = Sampler.generate(generator, labels, sampling, random, step -> { });
                    for (float[] pixels : titok.detokenize(tokens)) {
                        cells.add(EvalCommand.cell(pixels));
                        captions.add(names.get(Math.min(c, names.size() - 1)));
                    }
                    progress.step(1);
                }
            }
        }
        ImageGrid.write(file, cells, captions, SAMPLES_PER_CLASS);
    }

    private static Map<String, Double> lastMetrics(Path run) {
        List<MetricsLog.Entry> entries = MetricsLog.read(run.resolve("metrics.jsonl"));
        return entries.isEmpty() ? Map.of() : entries.get(entries.size() - 1).values();
    }

    private static double minutesSince(long nanos) {
        return (System.nanoTime() - nanos) / 60e9;
    }

    /** Removes what a previous demo wrote (only the demo's own files and folders). */
    private static void deleteDemo(Path out) throws IOException {
        for (String name : List.of("tokenizer", "generator", "tokens.jsonl", "reconstructions.png", "samples.png",
                "report.html")) {
            AtomicFiles.deleteTree(out.resolve(name));
        }
    }
}
