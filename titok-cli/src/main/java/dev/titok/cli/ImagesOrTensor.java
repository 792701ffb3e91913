package dev.titok.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Parameters;

/** The input of commands that take pixels: image files and folders, or tensor mode. */
final class ImagesOrTensor {

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files or folders (walked recursively).")
    List<Path> images;

    @ArgGroup(exclusive = false)
    TensorOptions tensor;
}
