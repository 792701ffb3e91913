package dev.titok.generator;

import dev.titok.TitokException;
import dev.titok.generator.GeneratorConfig.ModelType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The generators of the official inference configs ({@code configs/infer/TiTok/*.yaml}, SPEC §4.9) by the name of
 * their tokenizer, so that {@code --model titok_l32 --weights generator_titok_l32.bin} needs no config file.
 */
public final class GeneratorPresets {

    private static final Map<String, GeneratorConfig> GENERATORS = new LinkedHashMap<>();

    static {
        add(new GeneratorConfig("titok_l32", ModelType.VIT, 4096, 1000, 32, 768, 24, 16, 3072, 0.1, 0.1, 0.1,
                8, 9.5, 4.5, GuidanceDecay.LINEAR));
        add(new GeneratorConfig("titok_b64", ModelType.VIT, 4096, 1000, 64, 768, 24, 16, 3072, 0.1, 0.1, 0.1,
                8, 11.0, 3.0, GuidanceDecay.LINEAR));
        add(new GeneratorConfig("titok_s128", ModelType.UVIT, 4096, 1000, 128, 1024, 20, 16, 4096, 0.1, 0.1, 0.1,
                64, 2.8, 6.9, GuidanceDecay.POWER_COSINE));
    }

    private GeneratorPresets() {}

    /** Names of the built-in generator configs. */
    public static Set<String> names() {
        return GENERATORS.keySet();
    }

    /** Whether {@code name} is a built-in generator config. */
    public static boolean isPreset(String name) {
        return GENERATORS.containsKey(name);
    }

    /** The config of an official generator, or an error listing the known names. */
    public static GeneratorConfig generator(String name) {
        GeneratorConfig config = GENERATORS.get(name);
        if (config == null) {
            throw new TitokException("unknown generator preset '" + name + "': expected a model folder or one of " + names());
        }
        return config;
    }

    private static void add(GeneratorConfig config) {
        GENERATORS.put(config.name(), config);
    }
}
