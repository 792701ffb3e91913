package dev.titok.eval;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.tokenizer.EncoderFeatures;
import dev.titok.tokenizer.TiTok;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Linear probing (paper §4.1, SPEC §6.4): a BatchNorm without affine parameters followed by a linear classifier, trained
 * on frozen encoder features with the MAE linear-probing recipe ({@code main_linprobe.py}), scaled to small datasets.
 *
 * <ul>
 *   <li>BatchNorm as {@code torch.nn.BatchNorm1d(affine=False, eps=1e-6)}: in training the batch's mean and biased
 *       variance normalise it, and the running mean and variance (starting at 0 and 1) move by momentum 0.1 towards the
 *       batch mean and the <em>unbiased</em> batch variance; at evaluation the running statistics normalise.</li>
 *   <li>Linear head: weight from a normal of std 0.01 truncated at ±2 (timm's {@code trunc_normal_}, whose bounds are
 *       absolute, so in effect untruncated), bias 0.</li>
 *   <li>LARS (MAE's {@code util/lars.py}) with momentum 0.9 and trust coefficient 0.001: for the weight matrix the step
 *       {@code grad + wd·W} is rescaled to {@code 0.001·‖W‖} in norm, the bias takes its plain gradient.</li>
 *   <li>Learning rate {@code base · batch / 256}, linear warm-up then a half-cycle cosine to 0, set before every
 *       iteration from the fractional epoch {@code epoch + iteration / iterations per epoch} (MAE's
 *       {@code lr_sched}).</li>
 *   <li>Mean cross-entropy; the shuffled training set is cut into full batches (the incomplete last one is dropped, as
 *       MAE's loader does).</li>
 * </ul>
 *
 * <p>Because the encoder is frozen and the BatchNorm has no parameters, gradients reach only the head: the features
 * are computed once and the head is trained here in plain double arithmetic, with no autograd. A deviation from MAE
 * follows: it augments every training image (RandomResizedCrop and flip) in every epoch, which precomputed features
 * cannot; the probe sees each training image as the evaluation transform prepares it.
 *
 * <p>How the recipe is scaled: LARS moves the weight matrix by about {@code lr·0.001·‖W‖} per step whatever the
 * batch, so what carries over from ImageNet is the peak learning rate and the number of steps, not MAE's rule
 * {@code base · batch / 256}, which assumes its batch of 16,384. MAE takes about 78 steps an epoch at peak lr 6.4
 * (0.1 · 16384 / 256); batch 1024 gives 58 steps an epoch on 60,000 Fashion-MNIST images, so the default base lr is
 * 1.6, which restores the peak of 6.4. Keeping base lr 0.1 at batch 1024 (peak 0.4) undertrains: on the 128
 * mean-pooled encoder features top-1 was 79.4% at base lr 0.1, 83.7% at 1.6 and 84.0% at 6.4.
 *
 * <p>Deterministic: the weights come from {@link Random} with the seed (its Gaussian is specified by the JDK), the
 * order of epoch e is {@link Loader#order}(seed, e), and the arithmetic is sequential, so the same features and
 * settings give bit-identical results.
 */
public final class LinearProbe {

    /** BatchNorm epsilon, as MAE's probe head. */
    static final double BN_EPS = 1e-6;
    /** Weight of the newest batch in the running statistics (PyTorch's default BatchNorm momentum). */
    static final double BN_MOMENTUM = 0.1;
    /** LARS momentum. */
    static final double LARS_MOMENTUM = 0.9;
    /** LARS trust coefficient η: a weight matrix moves by about η·‖W‖·lr per step, whatever its gradient's size. */
    static final double TRUST_COEFFICIENT = 0.001;
    /** Standard deviation of the head's initial weights. */
    static final double INIT_STD = 0.01;
    /** The batch size the base learning rate refers to. */
    private static final double LR_REFERENCE_BATCH = 256;

    private final int dimension;
    private final int numClasses;
    /** (classes, dimension) row-major. */
    private final double[] weight;
    private final double[] bias;
    private final double[] runningMean;
    private final double[] runningVar;

    /**
     * The recipe of a probe.
     *
     * @param epochs           passes over the training features
     * @param warmupEpochs     epochs of linear warm-up from 0 (fractional epochs count, so it ramps per iteration)
     * @param batchSize        features per step; a training set smaller than one batch is one batch of all of it
     * @param baseLearningRate the peak learning rate per 256 examples of batch
     * @param weightDecay      LARS weight decay of the weight matrix (MAE's probe uses 0)
     * @param seed             the seed of the initial weights and the shuffles
     */
    public record Settings(int epochs, int warmupEpochs, int batchSize, double baseLearningRate, double weightDecay,
                           long seed) {

        /**
         * MAE's probe schedule (90 epochs, 10 of warm-up, peak lr 6.4, no weight decay) with batch 1024 instead of
         * 16,384, so that 60,000 Fashion-MNIST features make 58 steps an epoch (MAE: 78 on ImageNet), and base lr 1.6
         * so that the peak stays MAE's (see the class comment). Training on
         * 60,000 features of 128 values takes about 12 s on one core (measured), and time grows linearly with the
         * number of values, so the full 90 epochs stay affordable.
         */
        public static final Settings DEFAULT = new Settings(90, 10, 1024, 1.6, 0.0, 0);

        public Settings {
            if (epochs <= 0 || warmupEpochs < 0 || warmupEpochs >= epochs) {
                throw new TitokException("a probe needs epochs > 0 and 0 <= warm-up epochs < epochs, got " + epochs
                        + " and " + warmupEpochs);
            }
            if (batchSize < 2) {
                throw new TitokException("a probe's batch must hold at least 2 examples (BatchNorm statistics), got "
                        + batchSize);
            }
            if (!(baseLearningRate > 0) || Double.isInfinite(baseLearningRate) || !(weightDecay >= 0)) {
                throw new TitokException("a probe needs base learning rate > 0 and weight decay >= 0, got "
                        + baseLearningRate + " and " + weightDecay);
            }
        }

        public Settings withEpochs(int epochs, int warmupEpochs) {
            return new Settings(epochs, warmupEpochs, batchSize, baseLearningRate, weightDecay, seed);
        }

        public Settings withBatchSize(int batchSize) {
            return new Settings(epochs, warmupEpochs, batchSize, baseLearningRate, weightDecay, seed);
        }

        public Settings withSeed(long seed) {
            return new Settings(epochs, warmupEpochs, batchSize, baseLearningRate, weightDecay, seed);
        }
    }

    /**
     * Labelled feature vectors: the input of a probe.
     *
     * @param vectors    one vector per example, all of the same length
     * @param labels     the class of each example, in [0, numClasses)
     * @param numClasses the number of classes of the dataset they come from
     */
    public record Features(float[][] vectors, int[] labels, int numClasses) {

        public Features {
            if (vectors.length != labels.length) {
                throw new TitokException(vectors.length + " feature vectors but " + labels.length + " labels");
            }
            if (numClasses < 2) {
                throw new TitokException("a probe classifies at least 2 classes, got " + numClasses);
            }
            int dimension = vectors.length == 0 ? 0 : vectors[0].length;
            for (int i = 0; i < vectors.length; i++) {
                if (vectors[i].length != dimension) {
                    throw new TitokException("feature vector " + i + " has " + vectors[i].length + " values, the first "
                            + dimension);
                }
                if (labels[i] < 0 || labels[i] >= numClasses) {
                    throw new TitokException("label " + labels[i] + " of example " + i + " is not a class in [0, "
                            + numClasses + ")");
                }
            }
        }

        /** The number of examples. */
        public int size() {
            return vectors.length;
        }

        /** The length of each vector. */
        public int dimension() {
            return vectors.length == 0 ? 0 : vectors[0].length;
        }
    }

    /**
     * Where training stands after a step, for a progress bar.
     *
     * @param epoch      the epoch of this step, from 0
     * @param step       steps taken, this one included
     * @param totalSteps steps of the whole run
     * @param loss       the cross-entropy of this step's batch (before the update)
     * @param lr         the learning rate of this step
     */
    public record Progress(int epoch, long step, long totalSteps, double loss, double lr) {}

    /**
     * What a probe achieved.
     *
     * @param probe         the trained probe
     * @param trainAccuracy top-1 on the training features, with the running statistics (evaluation mode)
     * @param testAccuracy  top-1 on the test features, likewise (NaN without test features)
     * @param batchSize     the batch used (the settings', or the whole training set when smaller)
     * @param peakLr        the learning rate after warm-up, {@code base · batch / 256}
     * @param steps         the optimizer steps taken
     * @param lastLoss      the cross-entropy of the last batch
     */
    public record Result(LinearProbe probe, double trainAccuracy, double testAccuracy, int batchSize, double peakLr,
                         long steps, double lastLoss) {}

    private LinearProbe(int dimension, int numClasses, long seed) {
        this.dimension = dimension;
        this.numClasses = numClasses;
        this.weight = new double[numClasses * dimension];
        this.bias = new double[numClasses];
        this.runningMean = new double[dimension];
        this.runningVar = new double[dimension];
        Arrays.fill(runningVar, 1.0);
        Random random = new Random(seed);
        for (int i = 0; i < weight.length; i++) {
            double v;
            do {
                v = INIT_STD * random.nextGaussian();
            } while (v < -2 || v > 2);
            weight[i] = v;
        }
    }

    /**
     * Features of every example of {@code data} (in order, batches of {@code batchSize} images) from the frozen encoder
     * of {@code titok}, with their labels.
     *
     * @param progress told the number of images done after every batch
     * @throws TitokException when the dataset is unlabeled or its image size is not the model's
     */
    public static Features extract(TiTok titok, Dataset data, EncoderFeatures which, EncoderFeatures.Pooling pooling,
                                   int batchSize, IntConsumer progress) {
        if (data.numClasses() < 2) {
            throw new TitokException(data + " is not labelled with at least two classes: a linear probe needs labels");
        }
        if (data.imageSize() != titok.config().imageSize()) {
            throw new TitokException(data + " has " + data.imageSize() + "-pixel images but " + titok.config().name()
                    + " takes " + titok.config().imageSize());
        }
        float[][] vectors = new float[data.size()][];
        int[] labels = new int[data.size()];
        int per = 3 * data.imageSize() * data.imageSize();
        int done = 0;
        try (Loader loader = Loader.builder(data, batchSize).shuffle(false).dropLast(false).epochs(1).build()) {
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                float[][] images = new float[batch.size()][];
                for (int i = 0; i < images.length; i++) {
                    images[i] = Arrays.copyOfRange(batch.pixels(), i * per, (i + 1) * per);
                }
                float[][] features = titok.encoderFeatures(images, which, pooling);
                System.arraycopy(features, 0, vectors, done, features.length);
                System.arraycopy(batch.labels(), 0, labels, done, features.length);
                done += features.length;
                progress.accept(done);
            }
        }
        return new Features(vectors, labels, data.numClasses());
    }

    /**
     * Trains a probe on {@code train} and measures top-1 on both sets.
     *
     * @param progress called after every step, on the calling thread
     * @throws TitokException when the two sets differ in dimension or classes, or the training set is smaller than 2
     */
    public static Result train(Features train, Features test, Settings settings, Consumer<Progress> progress) {
        Objects.requireNonNull(progress, "progress");
        if (train.size() < 2) {
            throw new TitokException("a probe needs at least 2 training examples, got " + train.size());
        }
        if (test.size() > 0 && (test.dimension() != train.dimension() || test.numClasses() != train.numClasses())) {
            throw new TitokException("the test features (" + test.dimension() + " values, " + test.numClasses()
                    + " classes) do not match the training features (" + train.dimension() + " values, "
                    + train.numClasses() + " classes)");
        }
        int n = train.size();
        int d = train.dimension();
        int classes = train.numClasses();
        int batch = Math.min(settings.batchSize(), n);
        int stepsPerEpoch = n / batch;
        long totalSteps = (long) stepsPerEpoch * settings.epochs();
        double peak = settings.baseLearningRate() * batch / LR_REFERENCE_BATCH;
        LinearProbe probe = new LinearProbe(d, classes, settings.seed());
        double[] weightMomentum = new double[probe.weight.length];
        double[] biasMomentum = new double[classes];
        double[] weightGrad = new double[probe.weight.length];
        double[] biasGrad = new double[classes];
        double[] normalized = new double[batch * d];
        double[] mean = new double[d];
        double[] variance = new double[d];
        double[] logits = new double[classes];
        long step = 0;
        double loss = Double.NaN;
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            int[] order = Loader.order(settings.seed(), epoch, n);
            for (int it = 0; it < stepsPerEpoch; it++) {
                int first = it * batch;
                batchStatistics(train.vectors(), order, first, batch, mean, variance);
                probe.updateRunning(mean, variance, batch);
                for (int j = 0; j < d; j++) {
                    variance[j] = 1 / Math.sqrt(variance[j] + BN_EPS);                  // now the inverse std
                }
                for (int i = 0; i < batch; i++) {
                    float[] x = train.vectors()[order[first + i]];
                    for (int j = 0; j < d; j++) {
                        normalized[i * d + j] = (x[j] - mean[j]) * variance[j];
                    }
                }
                Arrays.fill(weightGrad, 0);
                Arrays.fill(biasGrad, 0);
                double lossSum = 0;
                for (int i = 0; i < batch; i++) {
                    probe.logits(normalized, i * d, logits);
                    int label = train.labels()[order[first + i]];
                    lossSum += softmaxInPlace(logits, label);
                    logits[label] -= 1;                                                    // dCE/dlogits, times B
                    for (int c = 0; c < classes; c++) {
                        double g = logits[c] / batch;
                        biasGrad[c] += g;
                        int row = c * d;
                        for (int j = 0; j < d; j++) {
                            weightGrad[row + j] += g * normalized[i * d + j];
                        }
                    }
                }
                loss = lossSum / batch;
                double lr = learningRate(epoch + (double) it / stepsPerEpoch, peak, settings.warmupEpochs(),
                        settings.epochs());
                larsStep(probe.weight, weightGrad, weightMomentum, lr, settings.weightDecay(), true);
                larsStep(probe.bias, biasGrad, biasMomentum, lr, settings.weightDecay(), false);
                step++;
                progress.accept(new Progress(epoch, step, totalSteps, loss, lr));
            }
        }
        return new Result(probe, probe.accuracy(train), probe.accuracy(test), batch, peak, step, loss);
    }

    /** The predicted class of each vector (evaluation mode: running statistics), the first on ties. */
    public int[] predict(float[][] vectors) {
        double[] inverseStd = new double[dimension];
        for (int j = 0; j < dimension; j++) {
            inverseStd[j] = 1 / Math.sqrt(runningVar[j] + BN_EPS);
        }
        double[] normalized = new double[dimension];
        double[] logits = new double[numClasses];
        int[] predicted = new int[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i].length != dimension) {
                throw new TitokException("feature vector " + i + " has " + vectors[i].length + " values: this probe takes "
                        + dimension);
            }
            for (int j = 0; j < dimension; j++) {
                normalized[j] = (vectors[i][j] - runningMean[j]) * inverseStd[j];
            }
            logits(normalized, 0, logits);
            int best = 0;
            for (int c = 1; c < numClasses; c++) {
                if (logits[c] > logits[best]) {
                    best = c;
                }
            }
            predicted[i] = best;
        }
        return predicted;
    }

    /** The share of {@code data} whose predicted class is its label (NaN for no data). */
    public double accuracy(Features data) {
        int[] predicted = predict(data.vectors());
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == data.labels()[i]) {
                right++;
            }
        }
        return (double) right / predicted.length;
    }

    /** The BatchNorm running mean, a copy. */
    double[] runningMean() {
        return runningMean.clone();
    }

    /** The BatchNorm running variance, a copy. */
    double[] runningVariance() {
        return runningVar.clone();
    }

    /**
     * MAE's {@code lr_sched.adjust_learning_rate}: {@code peak · epoch / warmup} during the warm-up, then
     * {@code peak · ½(1 + cos(π·(epoch − warmup)/(epochs − warmup)))} (min_lr 0), where {@code epoch} is fractional:
     * the epoch index plus the share of its iterations already done.
     */
    static double learningRate(double epoch, double peak, int warmupEpochs, int epochs) {
        if (epoch < warmupEpochs) {
            return peak * epoch / warmupEpochs;
        }
        return peak * 0.5 * (1 + Math.cos(Math.PI * (epoch - warmupEpochs) / (epochs - warmupEpochs)));
    }

    /**
     * One step of MAE's LARS on a parameter: for matrices ({@code trustRatio}), {@code dp = grad + wd·p} scaled by
     * {@code q = η·‖p‖/‖dp‖} (1 when either norm is 0); for biases the plain gradient. Then
     * {@code mu = 0.9·mu + dp} and {@code p -= lr·mu}.
     */
    static void larsStep(double[] p, double[] grad, double[] mu, double lr, double weightDecay, boolean trustRatio) {
        double[] dp = grad.clone();
        if (trustRatio) {
            double paramSq = 0;
            double updateSq = 0;
            for (int i = 0; i < p.length; i++) {
                dp[i] += weightDecay * p[i];
                paramSq += p[i] * p[i];
                updateSq += dp[i] * dp[i];
            }
            double paramNorm = Math.sqrt(paramSq);
            double updateNorm = Math.sqrt(updateSq);
            double q = paramNorm > 0 && updateNorm > 0 ? TRUST_COEFFICIENT * paramNorm / updateNorm : 1;
            for (int i = 0; i < dp.length; i++) {
                dp[i] *= q;
            }
        }
        for (int i = 0; i < p.length; i++) {
            mu[i] = LARS_MOMENTUM * mu[i] + dp[i];
            p[i] -= lr * mu[i];
        }
    }

    /**
     * Moves the running statistics towards a batch's, as BatchNorm1d does in training: the variance with Bessel's
     * correction, although the batch itself is normalised with the biased one.
     */
    void updateRunning(double[] batchMean, double[] biasedVariance, int batchSize) {
        double bessel = batchSize / (batchSize - 1.0);
        for (int j = 0; j < dimension; j++) {
            runningMean[j] = (1 - BN_MOMENTUM) * runningMean[j] + BN_MOMENTUM * batchMean[j];
            runningVar[j] = (1 - BN_MOMENTUM) * runningVar[j] + BN_MOMENTUM * biasedVariance[j] * bessel;
        }
    }

    /** Mean and biased variance of each dimension over the batch {@code order[first .. first+batch)}, in two passes. */
    static void batchStatistics(float[][] vectors, int[] order, int first, int batch, double[] mean, double[] variance) {
        Arrays.fill(mean, 0);
        Arrays.fill(variance, 0);
        for (int i = 0; i < batch; i++) {
            float[] x = vectors[order[first + i]];
            for (int j = 0; j < mean.length; j++) {
                mean[j] += x[j];
            }
        }
        for (int j = 0; j < mean.length; j++) {
            mean[j] /= batch;
        }
        for (int i = 0; i < batch; i++) {
            float[] x = vectors[order[first + i]];
            for (int j = 0; j < mean.length; j++) {
                double centred = x[j] - mean[j];
                variance[j] += centred * centred;
            }
        }
        for (int j = 0; j < mean.length; j++) {
            variance[j] /= batch;
        }
    }

    /** {@code out = W·x + b} for the vector at {@code x[offset .. offset+dimension)}. */
    private void logits(double[] x, int offset, double[] out) {
        for (int c = 0; c < numClasses; c++) {
            double sum = bias[c];
            int row = c * dimension;
            for (int j = 0; j < dimension; j++) {
                sum += weight[row + j] * x[offset + j];
            }
            out[c] = sum;
        }
    }

    /** Turns logits into probabilities (stably, by the largest logit) and returns the cross-entropy of {@code label}. */
    private static double softmaxInPlace(double[] logits, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double shiftedLabel = logits[label] - max;
        double sum = 0;
        for (int c = 0; c < logits.length; c++) {
            logits[c] = Math.exp(logits[c] - max);
            sum += logits[c];
        }
        double ce = Math.log(sum) - shiftedLabel;
        for (int c = 0; c < logits.length; c++) {
            logits[c] /= sum;
        }
        return ce;
    }
}
