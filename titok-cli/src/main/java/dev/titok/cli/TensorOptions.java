package dev.titok.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Tensor mode: {@code --input FILE.safetensors|FILE.npy [--tensor NAME] --output FILE.safetensors}. */
final class TensorOptions {

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Input array: a safetensors file (pick the tensor with --tensor) or a .npy file.")
    Path input;

    @Option(names = "--tensor", paramLabel = "NAME", description = "Tensor name inside a safetensors input.")
    String tensor;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Output safetensors file.")
    Path output;
}
