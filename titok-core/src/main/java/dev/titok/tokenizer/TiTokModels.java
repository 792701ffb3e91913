package dev.titok.tokenizer;

import dev.titok.TitokException;
import dev.titok.config.Presets;
import dev.titok.config.TiTokConfig;
import dev.titok.io.WeightsFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves what a user names as a model: a Hugging Face style folder ({@code config.json} + {@code model.safetensors}
 * or a PyTorch {@code .bin}), a config file plus a weights file, or a built-in preset plus a weights file.
 */
public final class TiTokModels {

    private TiTokModels() {}

    /** The config of {@code model} (folder, config file or preset name) without loading weights. */
    public static TiTokConfig config(String model) {
        if (Presets.isPreset(model)) {
            return Presets.tokenizer(model);
        }
        Path path = Path.of(model);
        if (Files.isDirectory(path)) {
            Path config = path.resolve("config.json");
            if (!Files.isRegularFile(config)) {
                throw new TitokException(path + ": no config.json in this folder: expected a model folder (config.json + weights)"
                        + " or a preset name " + Presets.names());
            }
            return TiTokConfig.read(config);
        }
        if (Files.isRegularFile(path)) {
            return TiTokConfig.read(path);
        }
        throw new TitokException("model '" + model + "' is neither an existing folder or config file nor a preset "
                + Presets.names());
    }

    /** Where the weights of {@code model} are: {@code weights} when given, else the folder's weights file. */
    public static Path weights(String model, Path weights) {
        if (weights != null) {
            if (!Files.exists(weights)) {
                throw new TitokException(weights + ": weights file not found");
            }
            return weights;
        }
        Path path = Path.of(model);
        if (Presets.isPreset(model) || !Files.isDirectory(path)) {
            throw new TitokException("'" + model + "' needs --weights FILE (model.safetensors or a PyTorch .bin"
                    + " of the official checkpoint, see the README)");
        }
        return WeightsFile.choose(path);
    }

    /** Loads {@code model} with its weights (strict). */
    public static TiTok open(String model, Path weights) {
        TiTokConfig config = config(model);
        Path file = weights(model, weights);
        return TiTok.load(config, WeightsFile.load(file), file.toString());
    }
}
