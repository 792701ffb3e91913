package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.kernels.Kernels;
import dev.titok.nn.Model;
import picocli.CommandLine.Option;

/** {@code --kernels reference|fp32|bf16}, shared by the commands that run a model for inference. */
final class KernelsOption {

    static final String DESCRIPTION = "Inference kernels: fp32 (oneDNN linear layers and fused attention, float32), "
            + "bf16 (the same computing in bfloat16; needs AVX512-BF16 or AMX), or reference (the plain composed "
            + "operations, as in training) (default: ${DEFAULT-VALUE}).";

    @Option(names = "--kernels", defaultValue = "fp32", paramLabel = "reference|fp32|bf16", description = DESCRIPTION)
    String kernels;

    Kernels value() {
        return parse(kernels);
    }

    static Kernels parse(String text) {
        try {
            return Kernels.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TitokException("--kernels: " + e.getMessage());
        }
    }

    /** Switches {@code model} to the chosen kernels; a CPU without bf16 gets one clear error. */
    <M extends Model> M apply(M model) {
        try {
            model.useKernels(value());
        } catch (IllegalStateException e) {
            model.close();
            throw new TitokException(e.getMessage());
        }
        return model;
    }
}
