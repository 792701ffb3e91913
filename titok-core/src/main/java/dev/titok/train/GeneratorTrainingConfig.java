package dev.titok.train;

import dev.titok.TitokException;
import dev.titok.generator.GuidanceDecay;
import dev.titok.generator.MaskedTokenLoss;
import dev.titok.generator.SamplingConfig;

/**
 * The recipe of a {@link GeneratorJob}: batch, schedule, optimizer, loss and preview settings. {@link #official} gives
 * the values of the official {@code maskgit.yaml} (SPEC §5.4); small recipes change them with the {@code with…}
 * methods. Label dropout is the generator config's {@code class_label_dropout}, dropout its {@code dropout} and
 * {@code attn_drop}.
 *
 * @param batchSize       images per optimizer step
 * @param totalSteps      T of the cosine schedule (the planned number of optimizer steps)
 * @param learningRate    base learning rate (2e-4)
 * @param endLearningRate learning rate at the end of the cosine (1e-5)
 * @param warmupSteps     linear warm-up steps from 0 (10,000)
 * @param beta1           AdamW β1 (0.9)
 * @param beta2           AdamW β2 (0.96)
 * @param weightDecay     decoupled weight decay of the decay group (0.03)
 * @param maxGradNorm     global gradient-norm clip (1.0)
 * @param loss            the masked-token loss ({@link MaskedTokenLoss#OFFICIAL})
 * @param seed            seed of the data order and of every training draw (masking, label dropout, dropout)
 * @param preview         how preview samples are drawn (8 steps, temperature 1.0, constant guidance 4.5)
 * @param previewClasses  preview rows: the first this many classes
 * @param previewPerClass preview images per class (one row)
 * @param previewEma      whether previews sample with the EMA weights (true) or the live ones
 */
public record GeneratorTrainingConfig(int batchSize, long totalSteps, double learningRate, double endLearningRate,
                                      long warmupSteps, double beta1, double beta2, double weightDecay,
                                      double maxGradNorm, MaskedTokenLoss loss, long seed, SamplingConfig preview,
                                      int previewClasses, int previewPerClass, boolean previewEma) {

    /** The official preview sampling during generator training (SPEC §5.4). */
    public static final SamplingConfig OFFICIAL_PREVIEW = new SamplingConfig(8, 1.0, 4.5, GuidanceDecay.CONSTANT, false);

    /** @throws TitokException naming the first invalid value */
    public GeneratorTrainingConfig {
        if (batchSize < 1 || totalSteps < 1 || warmupSteps < 0 || previewClasses < 1 || previewPerClass < 1) {
            throw new TitokException("generator training needs batch size, total steps, preview classes and images per"
                    + " class >= 1 and warm-up >= 0, got " + batchSize + ", " + totalSteps + ", " + previewClasses
                    + ", " + previewPerClass + ", " + warmupSteps);
        }
        if (!(learningRate > 0) || !(endLearningRate >= 0) || !(maxGradNorm > 0) || !(weightDecay >= 0)
                || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new TitokException("generator training: invalid optimizer settings lr " + learningRate + ", end lr "
                    + endLearningRate + ", betas (" + beta1 + ", " + beta2 + "), weight decay " + weightDecay
                    + ", grad clip " + maxGradNorm);
        }
        if (loss == null || preview == null) {
            throw new TitokException("generator training: the loss and the preview sampling must be given");
        }
    }

    /** The official recipe for the given batch size and length: lr 2e-4 → 1e-5 cosine after 10,000 warm-up steps. */
    public static GeneratorTrainingConfig official(int batchSize, long totalSteps) {
        return new GeneratorTrainingConfig(batchSize, totalSteps, 2e-4, 1e-5, 10_000, 0.9, 0.96, 0.03, 1.0,
                MaskedTokenLoss.OFFICIAL, 42, OFFICIAL_PREVIEW, 10, 8, true);
    }

    /** This recipe with another learning-rate schedule. */
    public GeneratorTrainingConfig withSchedule(double learningRate, double endLearningRate, long warmupSteps) {
        return new GeneratorTrainingConfig(batchSize, totalSteps, learningRate, endLearningRate, warmupSteps, beta1,
                beta2, weightDecay, maxGradNorm, loss, seed, preview, previewClasses, previewPerClass, previewEma);
    }

    /** This recipe with another seed. */
    public GeneratorTrainingConfig withSeed(long seed) {
        return new GeneratorTrainingConfig(batchSize, totalSteps, learningRate, endLearningRate, warmupSteps, beta1,
                beta2, weightDecay, maxGradNorm, loss, seed, preview, previewClasses, previewPerClass, previewEma);
    }

    /** This recipe with other preview settings. */
    public GeneratorTrainingConfig withPreview(SamplingConfig preview, int previewClasses, int previewPerClass,
                                               boolean previewEma) {
        return new GeneratorTrainingConfig(batchSize, totalSteps, learningRate, endLearningRate, warmupSteps, beta1,
                beta2, weightDecay, maxGradNorm, loss, seed, preview, previewClasses, previewPerClass, previewEma);
    }

    /** The learning rate of each step. */
    LrSchedule schedule() {
        return LrSchedule.cosine(learningRate, endLearningRate, warmupSteps, totalSteps);
    }
}
