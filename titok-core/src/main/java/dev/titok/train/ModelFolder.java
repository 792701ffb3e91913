package dev.titok.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.titok.TitokException;
import dev.titok.io.AtomicFiles;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * A trained model as a Hugging Face style folder, {@code config.json} + {@code model.safetensors}, the layout every
 * {@code --model} option reads. The folder is assembled under a temporary name and renamed into place, so a crash or a
 * full disk never leaves a folder that looks complete but is not.
 */
public final class ModelFolder {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";

    private ModelFolder() {}

    /**
     * Writes {@code config} and {@code weights} into {@code folder}, replacing a folder of that name.
     *
     * @throws TitokException naming the folder when it cannot be written; nothing is left under its name then
     */
    public static Path write(Path folder, JsonNode config, Map<String, HostTensor> weights) {
        Path target = folder.toAbsolutePath();
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            AtomicFiles.deleteTree(temp);
            Files.createDirectories(temp);
            AtomicFiles.writeText(temp.resolve(CONFIG), "model config",
                    TrainingState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
            SafeTensors.write(temp.resolve(WEIGHTS), weights, Map.of("format", "pt"));
            Path old = target.resolveSibling("." + target.getFileName() + ".old");
            AtomicFiles.deleteTree(old);
            if (Files.exists(target)) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.deleteTree(old);
            return target;
        } catch (IOException | RuntimeException e) {
            try {
                AtomicFiles.deleteTree(temp);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
            String why = e instanceof TitokException ? e.getMessage() : e.toString();
            throw new TitokException(folder + ": could not write the model folder: " + why, e);
        }
    }
}
