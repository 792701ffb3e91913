package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Ops;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The adversarial part of a pixel-space training job (teacher, stage 2, single-stage), as the official
 * {@code ReconstructionLoss_Stage2} with its own discriminator optimizer (SPEC §5.3): a {@link Discriminator}, its
 * AdamW (official grouping rule), cosine schedule, gradient clipping, and the hinge + LeCam {@link GanLoss}.
 *
 * <p>Per training step, in this order (only one {@code GradientCollector} may be open in the JVM):
 * <pre>{@code
 * try (GradientCollector c = Engine.getInstance().newGradientCollector()) {     // the generator's
 *     NDArray fake = model.forward(real);
 *     NDArray loss = reconstruction(fake, real).add(adversary.generatorLoss(fake, step));
 *     c.backward(loss);
 *     fakeDetached = fake.stopGradient();                                     // keep it past the collector
 * }
 * ... clip, step and zero the generator's optimizer ...
 * adversary.discriminatorStep(real, fakeDetached, step);                      // opens its own collector
 * }</pre>
 * Before {@link Settings#startStep()} both calls are free: the generator term is 0 without running the
 * discriminator, and the discriminator is not trained (the official {@code f(step)}; no adaptive weight).
 *
 * <p>Checkpoint it as one part: the discriminator's weights (under {@code discriminator.*}, the official names),
 * its optimizer moments ({@code optimizer.*}) and the LeCam EMAs (the official buffer names).
 */
public final class Adversary implements Checkpointable, AutoCloseable {

    private static final String WEIGHTS = "discriminator.";
    private static final String OPTIMIZER = "optimizer.";

    /**
     * The knobs of the adversarial objective and of the discriminator's optimizer.
     *
     * @param hiddenChannels  discriminator width h (128 official; a multiple of 32)
     * @param lr              discriminator base learning rate
     * @param endLr           end of its cosine
     * @param warmupSteps     its linear warm-up
     * @param totalSteps      the job's total steps; the discriminator's cosine spans {@code totalSteps − startStep}
     * @param beta1           AdamW β1
     * @param beta2           AdamW β2
     * @param weightDecay     for the decay group of the official rule
     * @param maxGradNorm     global-norm clipping of the discriminator's gradients (0: none)
     * @param startStep       first step with a GAN term and a discriminator update ({@code discriminator_start})
     * @param generatorWeight weight of −mean(D(x̂)) in the generator's loss ({@code discriminator_weight})
     * @param lecamWeight     LeCam weight
     * @param seed            seed of the discriminator's initial weights
     */
    public record Settings(int hiddenChannels, double lr, double endLr, long warmupSteps, long totalSteps,
                           double beta1, double beta2, double weightDecay, double maxGradNorm, long startStep,
                           double generatorWeight, double lecamWeight, long seed) {

        public Settings {
            if (startStep < 0 || totalSteps < startStep) {
                throw new IllegalArgumentException("discriminator start " + startStep + " must be in [0, total steps "
                        + totalSteps + "]");
            }
            if (!(generatorWeight >= 0) || !(maxGradNorm >= 0)) {
                throw new IllegalArgumentException("generator weight and max grad norm must be >= 0");
            }
        }

        /** The official stage-2 values for a run of {@code totalSteps}: start 20,000, weight 0.01, lr 1e-4. */
        public static Settings official(long totalSteps) {
            return new Settings(Discriminator.OFFICIAL_HIDDEN, 1e-4, 1e-5, 5_000, totalSteps, 0.9, 0.999, 1e-4, 1.0,
                    20_000, 0.01, GanLoss.OFFICIAL_LECAM_WEIGHT, 42);
        }

        /** The same with another start step (small runs start the GAN early). */
        public Settings withStart(long step) {
            return new Settings(hiddenChannels, lr, endLr, warmupSteps, totalSteps, beta1, beta2, weightDecay,
                    maxGradNorm, step, generatorWeight, lecamWeight, seed);
        }

        /** The same with another discriminator width (small models). */
        public Settings withHidden(int channels) {
            return new Settings(channels, lr, endLr, warmupSteps, totalSteps, beta1, beta2, weightDecay, maxGradNorm,
                    startStep, generatorWeight, lecamWeight, seed);
        }
    }

    private final Settings settings;
    private final Discriminator discriminator;
    private final Map<String, Parameter> trainable;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final GanLoss loss;

    /** A freshly initialised discriminator with its optimizer; nothing runs before {@link Settings#startStep()}. */
    public Adversary(Settings settings) {
        this.settings = settings;
        this.discriminator = Discriminator.random(settings.hiddenChannels(), settings.seed());
        this.trainable = Trainable.prepare(discriminator);
        this.optimizer = new AdamW(ParamGroups.official(trainable, settings.weightDecay()), settings.beta1(),
                settings.beta2(), AdamW.DEFAULT_EPS);
        this.schedule = LrSchedule.cosine(settings.lr(), settings.endLr(), settings.warmupSteps(),
                settings.totalSteps() - settings.startStep());
        this.loss = new GanLoss(settings.lecamWeight());
    }

    public Settings settings() {
        return settings;
    }

    public Discriminator discriminator() {
        return discriminator;
    }

    /** Whether {@code step} (steps already taken) has the GAN term and a discriminator update. */
    public boolean active(long step) {
        return step >= settings.startStep();
    }

    /**
     * The generator's adversarial term {@code weight·f(step)·(−mean(D(fake)))}, a scalar to add to its loss inside
     * its gradient collector. Gradients flow into {@code fake} only: the discriminator's weights are excluded from
     * the graph (the official code sets {@code requires_grad = False} for this forward). Before the start step it is
     * a constant 0 and the discriminator does not run.
     *
     * @param fake the generator's output (B, 3, H, W) in nominal [0, 1], attached to its graph
     */
    public NDArray generatorLoss(NDArray fake, long step) {
        if (!active(step) || settings.generatorWeight() == 0) {
            return fake.getManager().zeros(new ai.djl.ndarray.types.Shape());
        }
        trainable.values().forEach(p -> p.value().setRequiresGradient(false));
        try {
            return Ops.mul(GanLoss.generator(discriminator.forward(fake)), (float) settings.generatorWeight());
        } finally {
            trainable.values().forEach(p -> p.value().setRequiresGradient(true));
        }
    }

    /**
     * One discriminator update on real images and the same step's reconstructions: forward both, hinge + LeCam,
     * its own backward pass, clipping, AdamW with the schedule's lr for {@code step − start}. Call it after the
     * generator's gradient collector is closed. Before the start step it does nothing and returns no metrics.
     *
     * @param real         (B, 3, H, W) in [0, 1]
     * @param fakeDetached the generator's output of this step; it is detached here again, so no gradient can reach
     *                     the generator
     * @return {@code d_loss}, {@code d_hinge}, {@code d_lecam}, {@code d_lr}, {@code d_grad_norm},
     *         {@code logits_real}, {@code logits_fake} (means)
     */
    public Map<String, Double> discriminatorStep(NDArray real, NDArray fakeDetached, long step) {
        if (!active(step)) {
            return Map.of();
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray realLogits = discriminator.forward(real.stopGradient());
            NDArray fakeLogits = discriminator.forward(fakeDetached.stopGradient());
            GanLoss.DiscriminatorLoss d = loss.discriminator(realLogits, fakeLogits);
            collector.backward(d.total());
            metrics.put("d_loss", (double) d.total().getFloat());
            metrics.put("d_hinge", (double) d.hinge().getFloat());
            metrics.put("d_lecam", (double) d.lecam().getFloat());
            metrics.put("logits_real", (double) realLogits.mean().getFloat());
            metrics.put("logits_fake", (double) fakeLogits.mean().getFloat());
        }
        double lr = schedule.lr(step - settings.startStep());
        double norm = optimizer.clipStepAndZero(lr, settings.maxGradNorm());
        metrics.put("d_lr", lr);
        metrics.put("d_grad_norm", norm);
        return metrics;
    }

    /** The LeCam EMAs, for tests and logs. */
    public GanLoss ganLoss() {
        return loss;
    }

    @Override
    public State saveState() {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        new ModuleWeights(discriminator).saveState().tensors().forEach((k, v) -> tensors.put(WEIGHTS + k, v));
        optimizer.saveState().tensors().forEach((k, v) -> tensors.put(OPTIMIZER + k, v));
        tensors.putAll(loss.saveState().tensors());
        return new State(tensors, Map.of());
    }

    @Override
    public void loadState(State saved, String source) {
        Map<String, HostTensor> weights = new LinkedHashMap<>();
        Map<String, HostTensor> moments = new LinkedHashMap<>();
        Map<String, HostTensor> lecam = new LinkedHashMap<>();
        saved.tensors().forEach((k, v) -> {
            if (k.startsWith(WEIGHTS)) {
                weights.put(k.substring(WEIGHTS.length()), v);
            } else if (k.startsWith(OPTIMIZER)) {
                moments.put(k.substring(OPTIMIZER.length()), v);
            } else {
                lecam.put(k, v);
            }
        });
        if (weights.isEmpty()) {
            throw new TitokException(source + ": no discriminator.* weights in the adversary's state");
        }
        new ModuleWeights(discriminator).loadState(new State(weights, Map.of()), source);
        optimizer.loadState(new State(moments, Map.of()), source);
        loss.loadState(new State(lecam, Map.of()), source);
    }

    @Override
    public void close() {
        optimizer.close();
        discriminator.close();
    }
}
