package dev.titok.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.tensor.Tensors;
import dev.titok.train.AdamW;
import dev.titok.train.LrSchedule;
import dev.titok.train.ParamGroups;
import dev.titok.train.Trainable;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Trains a {@link Classifier} on a labelled {@link Dataset} with cross-entropy and {@link AdamW} under a cosine
 * schedule, then measures its accuracy on a test set. Small enough to finish in minutes on a CPU, so there is no
 * checkpoint or resume: a run is repeated from its seed.
 *
 * <p>Deterministic: the weights come from {@link Classifier#random} with the seed, the batches (order and
 * augmentation) from a {@link Loader} with the same seed, and nothing else draws random numbers. The result is
 * bit-identical for the same seed when libtorch runs one intra-op thread; with more, its CPU backward kernels may sum
 * in a different order from run to run, and the accuracy varies in the last digits.
 */
public final class ClassifierTraining {

    /** AdamW's first-moment decay, PyTorch's default. */
    private static final double BETA1 = 0.9;
    /** AdamW's second-moment decay, PyTorch's default. */
    private static final double BETA2 = 0.999;
    /** The warm-up is this share of all steps, at most {@link #MAX_WARMUP} steps. */
    private static final double WARMUP_SHARE = 0.05;
    private static final long MAX_WARMUP = 200;

    private ClassifierTraining() {}

    /**
     * The recipe of a training run.
     *
     * @param epochs       passes over the training set
     * @param batchSize    images per optimizer step (the incomplete last batch of an epoch is dropped)
     * @param learningRate the peak of the cosine schedule, reached after a short linear warm-up, decaying to 0
     * @param weightDecay  decoupled weight decay of the weight matrices and kernels (biases get none)
     * @param maxGradNorm  global gradient-norm clipping, 0 for none
     * @param seed         the seed of the weights, the shuffles and the augmentation
     */
    public record Settings(int epochs, int batchSize, double learningRate, double weightDecay, double maxGradNorm,
                           long seed) {

        /**
         * 5 epochs of 128 images at peak lr 2e-3, weight decay 0.05, clipping at norm 5, seed 0: over 90% of the
         * Fashion-MNIST test set in a few minutes on two cores.
         */
        public static final Settings DEFAULT = new Settings(5, 128, 2e-3, 0.05, 5.0, 0);

        public Settings {
            if (epochs <= 0 || batchSize <= 0) {
                throw new IllegalArgumentException("epochs and batch size must be positive, got " + epochs + " and "
                        + batchSize);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate) || !(weightDecay >= 0) || !(maxGradNorm >= 0)) {
                throw new IllegalArgumentException("expected learning rate > 0, weight decay >= 0 and max grad norm >= 0,"
                        + " got " + learningRate + ", " + weightDecay + ", " + maxGradNorm);
            }
        }

        public Settings withEpochs(int epochs) {
            return new Settings(epochs, batchSize, learningRate, weightDecay, maxGradNorm, seed);
        }

        public Settings withSeed(long seed) {
            return new Settings(epochs, batchSize, learningRate, weightDecay, maxGradNorm, seed);
        }
    }

    /**
     * Where a run stands after an optimizer step, for a progress bar.
     *
     * @param epoch         the epoch of this step, from 0
     * @param epochs        the number of epochs of the run
     * @param step          optimizer steps taken, this one included (1 after the first)
     * @param totalSteps    optimizer steps of the whole run
     * @param loss          the cross-entropy of this step's batch
     * @param batchAccuracy the share of this step's batch classified right (before the update)
     * @param lr            the learning rate of this step
     */
    public record Progress(int epoch, int epochs, long step, long totalSteps, double loss, double batchAccuracy,
                           double lr) {}

    /**
     * What a run achieved.
     *
     * @param testAccuracy the share of the test set classified right after the last step
     * @param epochs       the epochs trained
     * @param steps        the optimizer steps taken
     * @param lastLoss     the cross-entropy of the last batch
     */
    public record Result(double testAccuracy, int epochs, long steps, double lastLoss) {}

    /**
     * Trains {@code model} on {@code train} and measures it on {@code test}; the model keeps the trained weights and
     * remembers the class names of {@code train} and the test accuracy, which {@link Classifier#save} writes.
     *
     * <p>Opens the JVM's one {@link GradientCollector} for each step: do not call it while another training loop runs.
     *
     * @param model    typically {@link Classifier#random} with {@code settings.seed()}
     * @param progress called after every optimizer step, on the calling thread
     * @throws TitokException when a dataset is unlabeled, or its image size or number of classes differs from the
     *                        model's, or an image cannot be read (naming its file)
     */
    public static Result train(Classifier model, Dataset train, Dataset test, Settings settings,
                               Consumer<Progress> progress) {
        Objects.requireNonNull(progress, "progress");
        requireFits(model, train, "training set");
        requireFits(model, test, "test set");
        int size = model.imageSize();
        long steps = 0;
        double lastLoss = Double.NaN;
        try (AdamW optimizer = new AdamW(ParamGroups.official(Trainable.prepare(model), settings.weightDecay()),
                BETA1, BETA2, AdamW.DEFAULT_EPS);
             Loader loader = Loader.builder(train, settings.batchSize()).seed(settings.seed())
                     .epochs(settings.epochs()).threads(1).build()) {
            long totalSteps = (long) loader.batchesPerEpoch() * settings.epochs();
            long warmup = Math.min(MAX_WARMUP, (long) (WARMUP_SHARE * totalSteps));
            LrSchedule schedule = LrSchedule.cosine(settings.learningRate(), 0.0, warmup, totalSteps);
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                int b = batch.size();
                float loss;
                float accuracy;
                try (NDScope scope = new NDScope();
                     GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray x = Tensors.of(model.manager(), batch.pixels(), new Shape(b, 3, size, size)); // (B, 3, S, S)
                    NDArray labels = Tensors.of(model.manager(), batch.labels(), new Shape(b))
                            .toType(DataType.INT64, false);                                           // (B)
                    NDArray logits = model.logits(x);                                                  // (B, N)
                    NDArray ce = crossEntropy(logits, labels);
                    collector.backward(ce);
                    loss = ce.getFloat();
                    accuracy = correct(logits, labels) / (float) b;
                }
                double lr = schedule.lr(steps);
                optimizer.clipStepAndZero(lr, settings.maxGradNorm());
                steps++;
                lastLoss = loss;
                progress.accept(new Progress(batch.position().epoch(), settings.epochs(), steps, totalSteps, loss,
                        accuracy, lr));
            }
        }
        double testAccuracy = accuracy(model, test);
        model.describe(train.classNames(), testAccuracy);
        return new Result(testAccuracy, settings.epochs(), steps, lastLoss);
    }

    /**
     * The share of {@code data} that {@code model} classifies right, visiting every example once in index order (any
     * augmentation of the dataset is applied with a fixed seed).
     *
     * @throws TitokException when the dataset is unlabeled or does not fit the model
     */
    public static double accuracy(Classifier model, Dataset data) {
        requireFits(model, data, "dataset");
        int per = 3 * model.imageSize() * model.imageSize();
        long right = 0;
        try (Loader loader = Loader.builder(data, Classifier.MAX_BATCH).shuffle(false).dropLast(false).epochs(1)
                .threads(1).build()) {
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                float[][] images = new float[batch.size()][];
                for (int i = 0; i < images.length; i++) {
                    images[i] = Arrays.copyOfRange(batch.pixels(), i * per, (i + 1) * per);
                }
                int[] predicted = model.predict(images);
                for (int i = 0; i < predicted.length; i++) {
                    if (predicted[i] == batch.labels()[i]) {
                        right++;
                    }
                }
            }
        }
        return (double) right / data.size();
    }

    /**
     * Mean cross-entropy of logits (B, N) against class ids (B) (INT64): {@code −mean(log_softmax(logits)[label])}.
     * Differentiable.
     */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbs = logits.logSoftmax(1);                                 // (B, N)
        return logProbs.gather(labels.expandDims(1), 1).mean().neg();           // ()
    }

    /** The number of rows of {@code logits} (B, N) whose largest entry is at the label. */
    private static float correct(NDArray logits, NDArray labels) {
        return logits.argMax(1).eq(labels).sum().toType(DataType.FLOAT32, false).getFloat();
    }

    private static void requireFits(Classifier model, Dataset data, String role) {
        if (data.numClasses() == 0) {
            throw new TitokException("the " + role + " " + data + " has no labels: a classifier learns from labelled"
                    + " images");
        }
        if (data.numClasses() != model.numClasses() || data.imageSize() != model.imageSize()) {
            throw new TitokException("the " + role + " " + data + " has " + data.numClasses() + " classes of "
                    + data.imageSize() + "-pixel images: the classifier takes " + model.numClasses() + " classes of "
                    + model.imageSize() + "-pixel images");
        }
    }
}
