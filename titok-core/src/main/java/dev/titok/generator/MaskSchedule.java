package dev.titok.generator;

/**
 * The arccos masking schedule of MaskGIT sampling (SPEC §4.7 step 9, §4.8): how many of the L tokens are masked
 * again after each step. The official code computes the ratio with Python/numpy float64 and the clamp in float32;
 * all values involved are small integers, so the float32 part is exact and only the float64 arccos matters.
 */
public final class MaskSchedule {

    private MaskSchedule() {}

    /**
     * The unclamped target {@code floor(L·arccos(ratio)/(π/2))} with {@code ratio = (s+1)/steps}: 0 at the last step.
     * numpy's SIMD arccos and Java's can differ in the last bit, but the floors agree for every L ≤ 1024 and
     * steps ≤ 256 (checked against numpy 2.4), including ratio 1/2 with L a multiple of 3, where the exact value is an
     * integer.
     */
    public static long target(int sequenceLength, int step, int steps) {
        if (steps < 1 || step < 0 || step >= steps) {
            throw new IllegalArgumentException("step " + step + " outside [0, " + steps + ")");
        }
        double ratio = (step + 1.0) / steps;
        double maskRatio = StrictMath.acos(ratio) / (Math.PI * 0.5);
        return (long) Math.floor(sequenceLength * maskRatio);
    }

    /**
     * The official {@code mask_len} of step s: the target clamped to {@code [1, masked − 1]}, where {@code masked} is the
     * number of masked positions in batch row 0 at the start of the step (the official code uses row 0's count for
     * every row). The lower bound wins, so the last step reports 1 even though it reveals everything.
     */
    public static long maskLength(int sequenceLength, int step, int steps, long maskedInRow0) {
        return Math.max(1, Math.min(maskedInRow0 - 1, target(sequenceLength, step, steps)));
    }

    /**
     * Tokens still masked after each step of a full run when no confidences tie (§4.8): the {@link #maskLength} of
     * every step, starting from all L masked, with 0 for the last step, which reveals all.
     */
    public static long[] remainingMasked(int sequenceLength, int steps) {
        long[] remaining = new long[steps];
        long masked = sequenceLength;
        for (int step = 0; step < steps - 1; step++) {
            masked = maskLength(sequenceLength, step, steps, masked);
            remaining[step] = masked;
        }
        return remaining;
    }
}
