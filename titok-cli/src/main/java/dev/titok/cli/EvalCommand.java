package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.eval.FeatureSpace;
import dev.titok.eval.ReconstructionEvaluation;
import dev.titok.image.ImageGrid;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import dev.titok.train.TrainingData;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok eval}: measurements of trained models. */
@Command(name = "eval", description = "Measure tokenizers and generators.",
        subcommands = {EvalCommand.Recon.class, GenEvalCommand.class, ConsistencyCommand.class, ProbeCommand.class,
                KernelsEvalCommand.class})
final class EvalCommand {

    /** {@code titok eval recon}: reconstruction quality over a whole dataset. */
    @Command(name = "recon", description = {
            "Reconstruction quality of a tokenizer over a dataset, with the official evaluator's protocol: rFID and "
                    + "Inception Score (with --inception, or offline --classifier), PSNR and SSIM on 8-bit images, codebook "
                    + "usage and entropy, per-class figures when the data has labels.",
            "%nReconstructions are clamped to [0, 1] and rounded to 8 bits; originals are truncated to 8 bits (exact for "
                    + "decoded images). rFID compares the features of originals and reconstructions (one-pass float64 "
                    + "covariances, SciPy's sqrtm path); IS uses one split over all reconstructions. --state saves the "
                    + "sums every few thousand images so an interrupted run continues where it stopped.%n"})
    static final class Recon implements Callable<Integer> {

        @Mixin
        ModelOptions model;

        @Mixin
        FeatureOptions featureOptions;

        @Option(names = "--data", required = true, paramLabel = "DATA",
                description = "synthetic, an IDX folder (Fashion-MNIST, MNIST) or an image folder.")
        String data;

        @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--limit", paramLabel = "N", description = "Measure a seeded sample of N images instead of all.")
        Integer limit;

        @Option(names = "--batch-size", defaultValue = "256", description = "Images per batch (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--grid", paramLabel = "FILE", description = "Grid of the first 32 originals and reconstructions (PNG).")
        Path grid;

        @Option(names = "--worst", paramLabel = "FILE", description = "Grid of the 32 reconstructions with the lowest PSNR (PNG).")
        Path worst;

        @Option(names = "--report", paramLabel = "FILE", description = "Write every figure, the protocol and the per-class table as JSON.")
        Path report;

        @Option(names = "--csv", paramLabel = "FILE", description = "Write the per-class table (and an 'all' row) as CSV.")
        Path csv;

        @Option(names = "--state", paramLabel = "FILE",
                description = "Save the running sums here every --save-every images and resume from them if the file exists.")
        Path state;

        @Option(names = "--save-every", defaultValue = "5000", paramLabel = "N",
                description = "Images between two saves of --state (default: ${DEFAULT-VALUE}).")
        int saveEvery;

        @Override
        public Integer call() {
            Batches.checkSize(batchSize);
            try (TiTok titok = model.open(); FeatureSpace space = featureOptions.open(false)) {
                Dataset dataset = TrainingData.open(data, titok.config().imageSize(), split(split), TrainingData.Use.EVAL);
                if (limit != null) {
                    dataset = dataset.subset(limit, 0);
                }
                ReconstructionEvaluation.Settings settings = new ReconstructionEvaluation.Settings(batchSize, 32,
                        worst == null ? 0 : 32, space, state, saveEvery);
                ReconstructionEvaluation.Result result;
                try (Progress progress = new Progress("evaluate", dataset.size(), "img")) {
                    result = ReconstructionEvaluation.run(titok, dataset, settings, progress::stepTo);
                }
                ReconstructionReport.print(result, System.out);
                if (report != null) {
                    ReconstructionReport.writeJson(report, result, model.model, data, split, limit);
                }
                if (csv != null) {
                    ReconstructionReport.writeCsv(csv, result);
                }
                if (grid != null) {
                    writeGrid(grid, result.first(), "original");
                }
                if (worst != null) {
                    writeGrid(worst, result.worst(), "worst");
                }
            }
            return 0;
        }
    }

    static TrainingData.Split split(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "train" -> TrainingData.Split.TRAIN;
            case "test" -> TrainingData.Split.TEST;
            default -> throw new TitokException("--split is '" + name + "': expected train or test");
        };
    }

    /** Rows of originals, each followed by a row of their reconstructions captioned with their PSNR. */
    static void writeGrid(Path file, List<ReconstructionEvaluation.Shown> shown, String caption) {
        int columns = 8;
        List<BufferedImage> cells = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (int row = 0; row < shown.size(); row += columns) {
            int end = Math.min(shown.size(), row + columns);
            for (int i = row; i < end; i++) {
                cells.add(cell(shown.get(i).original()));
                captions.add(caption.equals("worst") ? "#" + shown.get(i).index() : caption);
            }
            for (int i = row; i < end; i++) {
                cells.add(cell(shown.get(i).reconstruction()));
                captions.add(String.format(Locale.ROOT, "%.1f dB", shown.get(i).psnr()));
            }
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new TitokException(file + ": cannot create its folder: " + e.getMessage());
        }
        ImageGrid.write(file, cells, captions, columns);
    }

    static BufferedImage cell(float[] chw) {
        int side = (int) Math.round(Math.sqrt(chw.length / 3.0));
        return ImageGrid.enlarge(Postprocess.toImage(chw, 0, side, side, Rounding.ROUND_HALF_EVEN), 96);
    }
}
