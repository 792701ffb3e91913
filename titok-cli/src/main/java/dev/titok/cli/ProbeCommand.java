package dev.titok.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.eval.LinearProbe;
import dev.titok.io.AtomicFiles;
import dev.titok.tokenizer.EncoderFeatures;
import dev.titok.tokenizer.TiTok;
import dev.titok.train.TrainingData;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok eval probe}: linear probing of a tokenizer's frozen encoder (paper §4.1). */
@Command(name = "probe", description = {
        "Linear probe of a tokenizer's frozen encoder (paper section 4.1): encoder features of the training and test "
                + "splits, a BatchNorm without affine parameters and a linear classifier trained on the training "
                + "features with MAE's linear-probing recipe (LARS with trust coefficient 0.001, 90 epochs, warm-up then "
                + "cosine, no weight decay); prints the top-1 accuracy on the test split.",
        "%nScaled to small data: batch 1024 instead of 16,384 and base lr 1.6 instead of 0.1, which keeps MAE's peak "
                + "lr 6.4 (LARS steps are relative to the weights' norm, so the peak and the step count carry over, "
                + "not the batch rule). The features are computed once, with the evaluation transform: unlike MAE, the "
                + "probe sees no random crops or flips.%n"})
final class ProbeCommand implements Callable<Integer> {

    /** Images per loader batch of the feature pass; the model splits them into its own forward passes. */
    private static final int EXTRACT_BATCH = 256;

    @Mixin
    ModelOptions model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "synthetic, an IDX folder (Fashion-MNIST, MNIST) or a class-folder dataset (labelled).")
    String data;

    @Option(names = "--features", defaultValue = "encoder", paramLabel = "encoder|z",
            description = "encoder: the latent tokens after the encoder's final LayerNorm (width values each); z: the "
                    + "tokens the quantizer receives (token_size values; the posterior mean for vae models) "
                    + "(default: ${DEFAULT-VALUE}).")
    String features;

    @Option(names = "--pool", defaultValue = "mean", paramLabel = "mean|concat",
            description = "mean over the K tokens, or concat (K times longer) (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--epochs", defaultValue = "90", description = "Passes over the training features (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--warmup-epochs", paramLabel = "N",
            description = "Epochs of linear warm-up (default: a ninth of --epochs, MAE's 10 of 90).")
    Integer warmupEpochs;

    @Option(names = "--batch", defaultValue = "1024", description = "Features per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--base-lr", defaultValue = "1.6",
            description = "Peak learning rate per 256 of batch (default: ${DEFAULT-VALUE}).")
    double baseLr;

    @Option(names = "--train-images", paramLabel = "N", description = "Train on a seeded sample of N images (default: all).")
    Integer trainImages;

    @Option(names = "--test-images", paramLabel = "N", description = "Test on a seeded sample of N images (default: all).")
    Integer testImages;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the samples, weights and shuffles (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--report", paramLabel = "FILE", description = "Also write the settings and results as JSON.")
    Path report;

    @Override
    public Integer call() {
        EncoderFeatures which = switch (features.toLowerCase(Locale.ROOT)) {
            case "encoder" -> EncoderFeatures.ENCODER;
            case "z" -> EncoderFeatures.Z;
            default -> throw new TitokException("--features is '" + features + "': expected encoder or z");
        };
        EncoderFeatures.Pooling pooling = switch (pool.toLowerCase(Locale.ROOT)) {
            case "mean" -> EncoderFeatures.Pooling.MEAN;
            case "concat" -> EncoderFeatures.Pooling.CONCAT;
            default -> throw new TitokException("--pool is '" + pool + "': expected mean or concat");
        };
        if (trainImages != null && trainImages < 2 || testImages != null && testImages < 1) {
            throw new TitokException("--train-images must be at least 2 and --test-images at least 1, got "
                    + trainImages + " and " + testImages);
        }
        LinearProbe.Settings settings = new LinearProbe.Settings(epochs,
                warmupEpochs != null ? warmupEpochs : epochs / 9, batch, baseLr, 0.0, seed);
        try (TiTok titok = model.open()) {
            int size = titok.config().imageSize();
            // both splits with the evaluation transform: features are computed once, so random flips would be frozen
            Dataset trainSet = sample(TrainingData.open(data, size, TrainingData.Split.TRAIN, TrainingData.Use.EVAL),
                    trainImages);
            Dataset testSet = sample(TrainingData.open(data, size, TrainingData.Split.TEST, TrainingData.Use.EVAL),
                    testImages);
            long start = System.nanoTime();
            LinearProbe.Features train = extract(titok, trainSet, which, pooling, "features (train)");
            LinearProbe.Features test = extract(titok, testSet, which, pooling, "features (test)");
            double extractSeconds = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            LinearProbe.Result result;
            int used = Math.min(settings.batchSize(), train.size());
            try (Progress progress = new Progress("probe", (long) (train.size() / used) * epochs, "step")) {
                result = LinearProbe.train(train, test, settings, p -> {
                    progress.stepTo(p.step());
                    progress.message(String.format(Locale.ROOT, " epoch %d loss %.3f lr %.3g", p.epoch() + 1, p.loss(),
                            p.lr()));
                });
            }
            double trainSeconds = (System.nanoTime() - start) / 1e9;
            String name = which.name().toLowerCase(Locale.ROOT);
            String poolName = pooling.name().toLowerCase(Locale.ROOT);
            System.out.printf(Locale.ROOT, "features %s%npool %s%ndimension %d%ntrain_images %d%ntest_images %d%n"
                            + "epochs %d%nbatch %d%npeak_lr %s%ntrain_top1 %.4f%ntop1 %.4f%n",
                    name, poolName, train.dimension(), train.size(), test.size(), epochs, result.batchSize(),
                    result.peakLr(), result.trainAccuracy(), result.testAccuracy());
            System.err.printf(Locale.ROOT, "features in %.1f s, probe trained in %.1f s%n", extractSeconds, trainSeconds);
            if (report != null) {
                ObjectNode json = new ObjectMapper().createObjectNode()
                        .put("model", model.model).put("data", data).put("features", name).put("pool", poolName)
                        .put("dimension", train.dimension()).put("train_images", train.size())
                        .put("test_images", test.size()).put("epochs", epochs)
                        .put("warmup_epochs", settings.warmupEpochs()).put("batch", result.batchSize())
                        .put("base_lr", baseLr).put("peak_lr", result.peakLr()).put("seed", seed)
                        .put("steps", result.steps()).put("last_loss", result.lastLoss())
                        .put("train_top1", result.trainAccuracy()).put("top1", result.testAccuracy())
                        .put("feature_seconds", extractSeconds).put("probe_seconds", trainSeconds);
                try {
                    AtomicFiles.writeText(report, "probe report",
                            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
                } catch (JsonProcessingException e) {
                    throw new TitokException(report + ": cannot write the probe report: " + e.getOriginalMessage(), e);
                }
            }
        }
        return 0;
    }

    private Dataset sample(Dataset dataset, Integer count) {
        return count == null ? dataset : dataset.subset(count, seed);
    }

    private static LinearProbe.Features extract(TiTok titok, Dataset dataset, EncoderFeatures which,
                                                EncoderFeatures.Pooling pooling, String task) {
        try (Progress progress = new Progress(task, dataset.size(), "img")) {
            return LinearProbe.extract(titok, dataset, which, pooling, EXTRACT_BATCH, progress::stepTo);
        }
    }
}
