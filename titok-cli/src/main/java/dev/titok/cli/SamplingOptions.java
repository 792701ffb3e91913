package dev.titok.cli;

import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GuidanceDecay;
import dev.titok.generator.SamplingConfig;
import picocli.CommandLine.Option;

/** Overrides of the generator config's sampling settings, shared by {@code generate} and {@code sample}. */
final class SamplingOptions {

    @Option(names = "--steps", description = "Sampling steps.")
    Integer steps;

    @Option(names = "--temperature", description = "randomize_temperature: Gumbel noise scale of the first step.")
    Double temperature;

    @Option(names = "--guidance-scale", description = "Classifier-free guidance scale (0: none).")
    Double guidanceScale;

    @Option(names = "--guidance-decay", description = "constant, linear or power-cosine.")
    String guidanceDecay;

    @Option(names = "--guidance-pow", description = "Exponent of the power-cosine guidance schedule (default 3).")
    Double guidancePow;

    @Option(names = "--softmax-annealing", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Divide logits by 0.5 + 0.8(1 - progress), as the ImageNet script (default: on).")
    boolean softmaxAnnealing;

    /** The generator config's settings with the given overrides. */
    SamplingConfig resolve(GeneratorConfig config) {
        SamplingConfig base = SamplingConfig.of(config);
        return new SamplingConfig(steps != null ? steps : base.steps(),
                temperature != null ? temperature : base.randomizeTemperature(),
                guidanceScale != null ? guidanceScale : base.guidanceScale(),
                guidanceDecay != null ? GuidanceDecay.parse(guidanceDecay) : base.guidanceDecay(),
                guidancePow != null ? guidancePow : base.guidanceScalePow(), softmaxAnnealing);
    }
}
