package dev.titok.generator;

import dev.titok.TitokException;

/**
 * The arguments of the official MaskGIT {@code generate} (SPEC §4.7), and the per-step values derived from them with
 * the official arithmetic: Python float64 scalars, rounded to float32 where they meet a float32 tensor.
 *
 * @param steps                       {@code num_sample_steps}, at least 1
 * @param randomizeTemperature        T: Gumbel noise scale, annealed as {@code T·(1 − (s+1)/steps)}; finite, ≥ 0
 * @param guidanceScale               gs: classifier-free guidance strength (0 disables guidance); finite, ≥ 0
 * @param guidanceDecay               how the guidance scale evolves over the steps
 * @param guidanceScalePow            exponent of the power-cosine schedule (the official default is 3.0); finite, ≥ 0
 * @param softmaxTemperatureAnnealing whether logits are divided by {@code 0.5 + 0.8·(1 − (s+1)/steps)}
 */
public record SamplingConfig(int steps, double randomizeTemperature, double guidanceScale, GuidanceDecay guidanceDecay,
                             double guidanceScalePow, boolean softmaxTemperatureAnnealing) {

    /** The official default of {@code guidance_scale_pow}, which the ImageNet sampling script never changes. */
    public static final double DEFAULT_GUIDANCE_SCALE_POW = 3.0;

    /**
     * Checks every value.
     *
     * @throws TitokException naming the first invalid argument
     */
    public SamplingConfig {
        if (steps < 1) {
            throw new TitokException("sampling steps must be at least 1, got " + steps);
        }
        requireNonNegative("randomize temperature", randomizeTemperature);
        requireNonNegative("guidance scale", guidanceScale);
        requireNonNegative("guidance scale pow", guidanceScalePow);
        if (guidanceDecay == null) {
            throw new TitokException("guidance decay is missing: expected constant, linear or power-cosine");
        }
    }

    /** A configuration with the default {@code guidance_scale_pow} of 3.0. */
    public SamplingConfig(int steps, double randomizeTemperature, double guidanceScale, GuidanceDecay guidanceDecay,
                          boolean softmaxTemperatureAnnealing) {
        this(steps, randomizeTemperature, guidanceScale, guidanceDecay, DEFAULT_GUIDANCE_SCALE_POW,
                softmaxTemperatureAnnealing);
    }

    /**
     * The settings the official ImageNet sampling script uses with a generator config: its {@code num_steps},
     * {@code randomize_temperature}, {@code guidance_scale} and {@code guidance_decay}, softmax-temperature annealing
     * on and the default power-cosine exponent (for the presets: titok_l32 8 steps, T 9.5, gs 4.5 linear; titok_b64
     * 8, 11.0, 3.0 linear; titok_s128 64, 2.8, 6.9 power-cosine).
     */
    public static SamplingConfig of(GeneratorConfig config) {
        return new SamplingConfig(config.numSteps(), config.randomizeTemperature(), config.guidanceScale(),
                config.guidanceDecay(), DEFAULT_GUIDANCE_SCALE_POW, true);
    }

    /** {@code ratio = (s+1)/steps}, the fraction of the run completed by the end of step s (float64). */
    private double ratio(int step) {
        checkStep(step);
        return (step + 1.0) / steps;
    }

    /** The Gumbel noise scale of step s, {@code T·(1 − ratio)}: 0 at the last step, which is therefore greedy. */
    public float noiseTemperature(int step) {
        return (float) (randomizeTemperature * (1.0 - ratio(step)));
    }

    /**
     * The divisor of the logits at step s when {@link #softmaxTemperatureAnnealing} is on, {@code 0.5 + 0.8·(1 − ratio)}:
     * from about 1.3 down to 0.5 at the last step.
     */
    public float softmaxTemperature(int step) {
        return (float) (0.5 + 0.8 * (1.0 - ratio(step)));
    }

    /**
     * The guidance scale cfg of step s; 0 means a single conditional forward pass without guidance.
     * Constant: gs. Linear: {@code gs·s/steps}, as the official code sets {@code cfg = ratio·gs} after each step.
     * Power-cosine: {@code (gs − 1)·(1 − cos(π·(s/steps)^pow))/2 + 1}, evaluated in float32 like the official tensor
     * arithmetic (1 at step 0).
     */
    public double guidance(int step) {
        checkStep(step);
        return switch (guidanceDecay) {
            case CONSTANT -> guidanceScale;
            case LINEAR -> step == 0 ? 0.0 : ((double) step / steps) * guidanceScale;
            case POWER_COSINE -> powerCosine(step);
        };
    }

    /** Whether step s runs the unconditional forward pass too. */
    public boolean guided(int step) {
        return guidance(step) != 0;
    }

    /**
     * The official expression {@code (gs - 1) * ((1 - torch.cos((s/steps) ** pow_tensor * torch.pi)) * 1/2) + 1}: the
     * pow is a float32 tensor, so every operation rounds to float32 and the Python scalars enter as float32.
     */
    private float powerCosine(int step) {
        float base = (float) ((double) step / steps);
        float powered = (float) Math.pow(base, (float) guidanceScalePow);
        float cosine = (float) Math.cos(powered * (float) Math.PI);
        float scaleStep = (1f - cosine) / 2f;
        return (float) (guidanceScale - 1.0) * scaleStep + 1f;
    }

    private void checkStep(int step) {
        if (step < 0 || step >= steps) {
            throw new IllegalArgumentException("step " + step + " outside [0, " + steps + ")");
        }
    }

    private static void requireNonNegative(String what, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new TitokException(what + " must be a finite number >= 0, got " + value);
        }
    }
}
