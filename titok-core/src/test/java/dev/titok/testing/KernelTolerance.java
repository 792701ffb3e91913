package dev.titok.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.Kernels;
import java.util.List;

/**
 * How closely each kernel set must match the official outputs. The fused float32 kernels sum in another order than
 * libtorch's own, so they keep the reference tolerances; bfloat16 keeps 8 bits of mantissa, so its floats are
 * allowed about 4% of the largest value (6% after the pixel decoder's convolutions) and its token ids a few flips.
 */
public final class KernelTolerance {

    /** The fast kernel sets, each tested against the fixtures like the reference path. */
    public static final List<Kernels> FAST = List.of(Kernels.FP32, Kernels.BF16);

    /** Fraction of token ids bfloat16 must reproduce exactly; flips happen where two codes are nearly equidistant. */
    public static final double BF16_TOKEN_AGREEMENT = 0.75;

    private static final Tolerance BF16 = new Tolerance(4e-2, 4e-2);
    /** After a stack of bfloat16 3×3 convolutions (the pixel decoder) the rounding adds up further. */
    private static final Tolerance BF16_CONV_STACK = new Tolerance(4e-2, 6e-2);

    private KernelTolerance() {}

    /** Whether the kernel set runs on this CPU (bfloat16 needs AVX512-BF16 or AMX). */
    public static boolean available(Kernels kernels) {
        return kernels != Kernels.BF16 || FusedKernels.bf16Supported();
    }

    public static Tolerance of(Kernels kernels, Tolerance reference) {
        if (kernels != Kernels.BF16) {
            return reference;
        }
        return reference == Tolerance.CONV_STACK ? BF16_CONV_STACK : BF16;
    }

    /** Token ids: exact on the reference and float32 paths, mostly equal in bfloat16. */
    public static void assertTokens(Kernels kernels, String what, long[] actual, long[] expected) {
        if (kernels != Kernels.BF16) {
            Tolerance.assertEqual(what, actual, expected);
            return;
        }
        assertThat(actual.length).as(what + " length").isEqualTo(expected.length);
        int same = 0;
        for (int i = 0; i < actual.length; i++) {
            same += actual[i] == expected[i] ? 1 : 0;
        }
        assertThat((double) same / actual.length).as(what + ": share of ids equal to the official ones in bf16")
                .isGreaterThanOrEqualTo(BF16_TOKEN_AGREEMENT);
    }
}
