package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.Kernels;
import dev.titok.nn.Model;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * The kernel sets a list names, in order and without repeats; bf16 is dropped with a printed note on a CPU
     * without bfloat16 instructions.
     */
    static List<Kernels> runnable(List<String> names) {
        List<Kernels> sets = new ArrayList<>();
        for (String name : names) {
            Kernels k = parse(name);
            if (k == Kernels.BF16 && !FusedKernels.bf16Supported()) {
                System.out.println("bf16 skipped: this CPU has no bfloat16 instructions");
            } else if (!sets.contains(k)) {
                sets.add(k);
            }
        }
        return sets;
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
