package dev.titok.cli;

import dev.titok.image.ImageCodec;
import dev.titok.image.ImageGrid;
import dev.titok.image.Postprocess;
import dev.titok.image.Preprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok reconstruct}: image → tokens → image, written beside the original. */
@Command(name = "reconstruct", description = {
        "Tokenize and decode images, written beside the originals.",
        "%nWrites NAME.png (the reconstruction) and NAME.compare.png (original | reconstruction). Continuous (vae) models "
                + "decode the posterior mean.",
        "%nTensor mode (--input/--output) writes 'tokens' (vq) and 'decoded', the raw unclamped forward output.%n"})
final class ReconstructCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ImagesOrTensor inputs;

    @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = "out",
            description = "Folder for the PNG files (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--batch-size", defaultValue = "8", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws IOException {
        try (TiTok titok = model.open()) {
            if (inputs.tensor != null) {
                TensorMode.reconstruct(titok, inputs.tensor, batchSize);
                return 0;
            }
            List<Path> files = ImageInputs.collect(inputs.images);
            Files.createDirectories(outDir);
            int size = titok.config().imageSize();
            String tokens = titok.config().numLatentTokens() + " tokens";
            try (Progress progress = new Progress("reconstruct", files.size(), "img")) {
                for (List<Path> batch : Batches.of(files, Batches.checkSize(batchSize))) {
                    List<BufferedImage> originals = batch.stream()
                            .map(f -> Preprocess.centerCrop(Preprocess.resizeShorterSide(ImageCodec.read(f), size), size))
                            .toList();
                    float[][] pixels = originals.stream().map(Preprocess::toTensor).toArray(float[][]::new);
                    float[][] decoded = titok.reconstruct(pixels);
                    for (int i = 0; i < batch.size(); i++) {
                        BufferedImage recon = Postprocess.toImage(decoded[i], 0, size, size, Rounding.ROUND_HALF_EVEN);
                        String stem = stem(batch.get(i));
                        ImageCodec.writePng(outDir.resolve(stem + ".png"), recon);
                        ImageGrid.write(outDir.resolve(stem + ".compare.png"),
                                List.of(ImageGrid.enlarge(originals.get(i), 192), ImageGrid.enlarge(recon, 192)), List.of("original", tokens), 2);
                    }
                    progress.step(batch.size());
                }
            }
            System.err.println("wrote " + files.size() + " reconstructions to " + outDir);
        }
        return 0;
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
