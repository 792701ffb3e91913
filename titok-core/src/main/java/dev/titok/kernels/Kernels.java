package dev.titok.kernels;

import java.util.Locale;

/**
 * Which kernels a model runs its inference on. Training always runs {@link #REFERENCE}: the fused kernels have no
 * backward pass, and the weights they converted do not follow parameter updates.
 */
public enum Kernels {
    /** DJL's composed operations, as in training: the path every fast one is tested against. */
    REFERENCE,
    /**
     * oneDNN's linear layers (bias and GELU fused; each attention and MLP sub-block in one call) and ResNet blocks
     * as one native group norm + SiLU + convolution call, in float32.
     */
    FP32,
    /**
     * The same kernels computing in bfloat16: each fused call converts its float32 input, keeps its intermediates in
     * bfloat16 and returns float32, so norms, residual sums, quantization and everything between the calls stay float32.
     * Needs a CPU with bfloat16 instructions (AVX512-BF16 or AMX).
     */
    BF16;

    /** The lower-case name the command line uses. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code reference}, {@code fp32} or {@code bf16}. */
    public static Kernels parse(String text) {
        for (Kernels k : values()) {
            if (k.label().equalsIgnoreCase(text.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kernels '" + text + "': expected reference, fp32 or bf16");
    }
}
