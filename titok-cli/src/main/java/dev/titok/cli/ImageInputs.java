package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The image files named on a command line: files as given, folders walked recursively in sorted order. Inside a
 * folder, files that are not images by content (a README, a CSV of labels) are skipped; a file named explicitly must
 * be an image.
 */
final class ImageInputs {

    private ImageInputs() {}

    static List<Path> collect(List<Path> arguments) {
        List<Path> files = new ArrayList<>();
        for (Path arg : arguments) {
            if (Files.isDirectory(arg)) {
                List<Path> found = walk(arg);
                if (found.isEmpty()) {
                    throw new TitokException(arg + ": folder contains no images (expected PNG, JPEG, BMP or GIF files)");
                }
                files.addAll(found);
            } else if (Files.exists(arg)) {
                files.add(arg);
            } else {
                throw new TitokException(arg + ": no such file or folder");
            }
        }
        if (files.isEmpty()) {
            throw new TitokException("no input images given");
        }
        return files;
    }

    private static List<Path> walk(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(ImageCodec::looksLikeImage)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new TitokException(folder + ": cannot list folder: " + e.getMessage(), e);
        }
    }
}
