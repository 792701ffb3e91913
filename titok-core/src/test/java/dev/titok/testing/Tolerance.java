package dev.titok.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.Arrays;

/**
 * Element-wise comparison with the fixtures' recommended rule {@code |a − e| <= atol + rtol·|e|}, where
 * {@code atol = scale · max(1, max|e|)}; the failure names the worst element.
 */
public final class Tolerance {

    /** Transformer outputs: 1e-4 relative, 1e-4 of the largest magnitude absolute. */
    public static final Tolerance FLOAT32 = new Tolerance(1e-4, 1e-4);
    /** Outputs after stacks of 3×3 convolutions (VQGAN / pixel decoder): 1e-3 relative to the largest magnitude. */
    public static final Tolerance CONV_STACK = new Tolerance(1e-4, 1e-3);
    /** Scalar losses. */
    public static final Tolerance LOSS = new Tolerance(1e-5, 0);

    private final double rtol;
    private final double atolScale;

    public Tolerance(double rtol, double atolScale) {
        this.rtol = rtol;
        this.atolScale = atolScale;
    }

    public void assertClose(String what, float[] actual, float[] expected) {
        assertThat(actual.length).as(what + " element count").isEqualTo(expected.length);
        double maxAbs = 0;
        for (float e : expected) {
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        double atol = atolScale * Math.max(1.0, maxAbs);
        int worst = -1;
        double worstExcess = 0;
        double maxDiff = 0;
        for (int i = 0; i < actual.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            maxDiff = Math.max(maxDiff, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff);
            double excess = diff - (atol + rtol * Math.abs(expected[i]));
            if (Double.isNaN(diff) || excess > worstExcess) {
                worstExcess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: element %d is %s, expected %s (max |diff| %.3g, allowed %.3g + %.1g·|e|)",
                    what, worst, actual[worst], expected[worst], maxDiff, atol, rtol));
        }
    }

    public static void assertEqual(String what, long[] actual, long[] expected) {
        if (!Arrays.equals(actual, expected)) {
            fail(what + ": expected " + Arrays.toString(expected) + " but got " + Arrays.toString(actual));
        }
    }
}
