package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.eval.ReconstructionCheck;
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
        subcommands = {EvalCommand.Recon.class, ConsistencyCommand.class})
final class EvalCommand {

    /** {@code titok eval recon}: reconstruction quality over a whole dataset. */
    @Command(name = "recon", description = {
            "Reconstruction quality of a tokenizer over a dataset: PSNR (8-bit, clamped, per image, averaged), "
                    + "codebook usage and entropy; writes a grid of originals above reconstructions.%n"})
    static final class Recon implements Callable<Integer> {

        @Mixin
        ModelOptions model;

        @Option(names = "--data", required = true, paramLabel = "DATA",
                description = "synthetic, an IDX folder (Fashion-MNIST, MNIST) or an image folder.")
        String data;

        @Option(names = "--split", defaultValue = "test", description = "train or test (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--limit", paramLabel = "N", description = "Measure a seeded sample of N images instead of all.")
        Integer limit;

        @Option(names = "--grid", paramLabel = "FILE", description = "Grid of the first 32 originals and reconstructions (PNG).")
        Path grid;

        @Override
        public Integer call() {
            try (TiTok titok = model.open()) {
                Dataset dataset = TrainingData.open(data, titok.config().imageSize(), split(split), TrainingData.Use.EVAL);
                if (limit != null) {
                    dataset = dataset.subset(limit, 0);
                }
                ReconstructionCheck.Result result;
                try (Progress progress = new Progress("reconstruct", dataset.size(), "img")) {
                    result = ReconstructionCheck.run(titok, dataset, 256, 32, progress::stepTo);
                }
                System.out.printf(Locale.ROOT, "images %d%npsnr_db %.3f%ncodebook_usage %.4f%ncodebook_entropy_bits %.3f%n",
                        result.images(), result.psnr(), result.codebookUsage(), result.codebookEntropy());
                if (grid != null) {
                    writeGrid(grid, result);
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

    /** Rows of originals, each followed by a row of their reconstructions. */
    static void writeGrid(Path file, ReconstructionCheck.Result result) {
        int columns = 8;
        List<BufferedImage> cells = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        int shown = result.originals().size();
        for (int row = 0; row < shown; row += columns) {
            int end = Math.min(shown, row + columns);
            for (int i = row; i < end; i++) {
                cells.add(cell(result.originals().get(i)));
                captions.add("original");
            }
            for (int i = row; i < end; i++) {
                cells.add(cell(result.reconstructions().get(i)));
                captions.add(String.format(Locale.ROOT, "%.1f dB",
                        ReconstructionCheck.psnr(result.originals().get(i), result.reconstructions().get(i))));
            }
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
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
