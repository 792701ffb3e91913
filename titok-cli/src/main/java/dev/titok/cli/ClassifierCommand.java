package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.eval.Classifier;
import dev.titok.eval.ClassifierTraining;
import dev.titok.train.TrainingData;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code titok classifier}: the small classifier that judges generated images. */
@Command(name = "classifier", description = {
        "Train the project's small image classifier on a labelled dataset and save it: the judge of class consistency "
                + "(titok eval consistency) where no ImageNet classifier applies.",
        "%nTrains on the training split with random flips, reports the accuracy on the test split and writes "
                + "classifier.safetensors + classifier.json to --out.%n"})
final class ClassifierCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "synthetic, an IDX folder (Fashion-MNIST, MNIST) or a class-folder dataset.")
    String data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the trained classifier.")
    Path out;

    @Option(names = "--image-size", defaultValue = "32", description = "Image side (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--epochs", defaultValue = "5", description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--train-images", paramLabel = "N", description = "Train on a seeded sample of N images (default: all).")
    Integer trainImages;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights, order and flips (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        Dataset train = TrainingData.open(data, imageSize, TrainingData.Split.TRAIN, TrainingData.Use.TRAIN);
        if (trainImages != null) {
            train = train.subset(trainImages, seed);
        }
        Dataset test = TrainingData.open(data, imageSize, TrainingData.Split.TEST, TrainingData.Use.EVAL);
        if (train.numClasses() < 2) {
            throw new TitokException(data + " is not labelled with at least two classes: a classifier needs labels");
        }
        ClassifierTraining.Settings settings = ClassifierTraining.Settings.DEFAULT.withEpochs(epochs).withSeed(seed);
        try (Classifier model = Classifier.random(train.numClasses(), imageSize, seed)) {
            ClassifierTraining.Result result;
            long steps = (long) (train.size() / settings.batchSize()) * epochs;
            try (Progress progress = new Progress("classifier", steps, "step")) {
                result = ClassifierTraining.train(model, train, test, settings, p -> {
                    progress.stepTo(p.step());
                    progress.message(String.format(Locale.ROOT, " epoch %d loss %.3f", p.epoch() + 1, p.loss()));
                });
            }
            model.save(out);
            System.out.printf(Locale.ROOT, "test_accuracy %.4f%n", result.testAccuracy());
            System.err.println("saved the classifier to " + out);
        }
        return 0;
    }
}
