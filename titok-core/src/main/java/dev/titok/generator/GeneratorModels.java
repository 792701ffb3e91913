package dev.titok.generator;

import dev.titok.TitokException;
import dev.titok.io.WeightsFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a generator the user names: a Hugging Face style folder ({@code config.json} + weights), a config file plus
 * weights, or a preset plus weights ({@code generator_titok_l32.bin} of the official release).
 */
public final class GeneratorModels {

    private GeneratorModels() {}

    public static GeneratorConfig config(String model) {
        if (GeneratorPresets.isPreset(model)) {
            return GeneratorPresets.generator(model);
        }
        Path path = Path.of(model);
        if (Files.isDirectory(path)) {
            Path config = path.resolve("config.json");
            if (!Files.isRegularFile(config)) {
                throw new TitokException(path + ": no config.json in this folder: expected a generator folder (config.json"
                        + " + weights) or a preset " + GeneratorPresets.names());
            }
            return GeneratorConfig.read(config);
        }
        if (Files.isRegularFile(path)) {
            return GeneratorConfig.read(path);
        }
        throw new TitokException("generator '" + model + "' is neither an existing folder or config file nor a preset "
                + GeneratorPresets.names());
    }

    /** Loads {@code model} strictly, with {@code weights} when given, else the folder's weights file. */
    public static GeneratorModel open(String model, Path weights) {
        GeneratorConfig config = config(model);
        Path file = weights;
        if (file == null) {
            if (!Files.isDirectory(Path.of(model))) {
                throw new TitokException("generator '" + model + "' needs --generator-weights FILE (the official"
                        + " generator_titok_*.bin or a model.safetensors, see the README)");
            }
            file = WeightsFile.choose(Path.of(model));
        } else if (!Files.exists(file)) {
            throw new TitokException(file + ": generator weights file not found");
        }
        return GeneratorModel.load(config, WeightsFile.load(file), file.toString());
    }
}
