package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.data.Dataset;
import dev.titok.tokenizer.TiTok;
import dev.titok.train.Pretokenize;
import dev.titok.train.TrainingData;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok pretokenize}: token files with class ids for generator training. */
@Command(name = "pretokenize", description = {
        "Tokenize a dataset once for generator training: every image and its mirror image, with its class id.",
        "%nImages are centre-cropped as the official pretokenization script does; the output is one JSON line per view "
                + "({\"class_id\": c, \"tokens\": [...]}), written under a temporary name and moved into place when complete.%n"})
final class PretokenizeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "synthetic, an IDX folder (Fashion-MNIST, MNIST) or an image folder (one sub-folder per class, or flat).")
    String data;

    @Option(names = "--split", defaultValue = "train", description = "train or test (IDX and synthetic data; default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Token file to write (.jsonl).")
    Path out;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--loader-threads", defaultValue = "2", description = "Image decoding threads (default: ${DEFAULT-VALUE}).")
    int loaderThreads;

    @Override
    public Integer call() {
        TrainingData.Split part = EvalCommand.split(split);
        try (TiTok titok = model.open()) {
            if (titok.config().quantizeMode() != QuantizeMode.VQ) {
                throw new TitokException(titok.config().name() + " is a continuous (vae) tokenizer: pretokenization needs token ids");
            }
            Dataset dataset = TrainingData.open(data, titok.config().imageSize(), part, TrainingData.Use.PRETOKENIZE);
            int lines;
            try (Progress progress = new Progress("pretokenize", dataset.size(), "img")) {
                lines = Pretokenize.run(dataset, Pretokenize.Encoder.of(titok), out, batchSize, loaderThreads,
                        (done, total) -> progress.stepTo(done));
            }
            System.err.println("wrote " + lines + " token lists (" + dataset.size() + " images and their mirror images) to " + out);
        }
        return 0;
    }
}
