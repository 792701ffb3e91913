package dev.titok.vqgan;

import dev.titok.TitokException;
import dev.titok.config.VqganConfig;
import dev.titok.io.WeightsFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a MaskGIT-VQGAN the user names: a folder with {@code config.json} and weights, or a weights file alone,
 * which means the official f16 model ({@code maskgit-vqgan-imagenet-f16-256.bin}, whose config is hard-coded in the
 * reference code).
 */
public final class VqganModels {

    /** The name of the official model, usable in place of a folder. */
    public static final String OFFICIAL = "maskgit_vqgan_f16_256";

    private VqganModels() {}

    /** Loads {@code model} (folder, or {@value #OFFICIAL}, or a weights file) with {@code weights} if given. */
    public static Vqgan open(String model, Path weights) {
        Path path = Path.of(model);
        if (Files.isDirectory(path)) {
            Path config = path.resolve("config.json");
            if (!Files.isRegularFile(config)) {
                throw new TitokException(path + ": no config.json in this folder: expected a MaskGIT-VQGAN folder"
                        + " (config.json + weights), or its weights file alone for the official model");
            }
            Path file = weights != null ? weights : WeightsFile.choose(path);
            return Vqgan.load(VqganConfig.read(config), WeightsFile.load(file), file.toString());
        }
        Path file = model.equals(OFFICIAL) ? weights : path;
        if (file == null) {
            throw new TitokException(OFFICIAL + " needs --weights FILE (maskgit-vqgan-imagenet-f16-256.bin, see the README)");
        }
        if (!Files.isRegularFile(file)) {
            throw new TitokException(file + ": no such MaskGIT-VQGAN folder or weights file");
        }
        return Vqgan.load(VqganConfig.OFFICIAL, WeightsFile.load(file), file.toString());
    }
}
