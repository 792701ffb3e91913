package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The arccos schedule against SPEC §4.8, whose rows were computed with the official code for the released settings
 * (L = 32, 64, 128 tokens).
 */
class MaskScheduleTest {

    @Test
    void releasedEightStepSchedules() {
        assertThat(MaskSchedule.remainingMasked(32, 8)).containsExactly(29, 26, 24, 21, 18, 14, 10, 0);
        assertThat(MaskSchedule.remainingMasked(64, 8)).containsExactly(58, 53, 48, 42, 36, 29, 20, 0);
        assertThat(MaskSchedule.remainingMasked(128, 8)).containsExactly(117, 107, 96, 85, 72, 58, 41, 0);
    }

    @Test
    void titokS128SixtyFourSteps() {
        long[] remaining = MaskSchedule.remainingMasked(128, 64);
        assertThat(Arrays.copyOfRange(remaining, 0, 8)).containsExactly(126, 125, 124, 122, 121, 120, 119, 117);
        assertThat(Arrays.copyOfRange(remaining, 57, 64)).containsExactly(35, 32, 28, 25, 20, 14, 0);
        for (int s = 1; s < 63; s++) {
            assertThat(remaining[s]).as("step %d", s).isLessThan(remaining[s - 1]);
        }
    }

    @Test
    void lastStepTargetsZeroButReportsOne() {
        assertThat(MaskSchedule.target(32, 7, 8)).isZero();
        assertThat(MaskSchedule.maskLength(32, 7, 8, 10)).isEqualTo(1);
    }

    @Test
    void clampedByTheMaskedCountOfRowZero() {
        // Step 0 of 8 targets 29 of 32; with only 5 masked (e.g. after ties), at most 4 can be masked again.
        assertThat(MaskSchedule.target(32, 0, 8)).isEqualTo(29);
        assertThat(MaskSchedule.maskLength(32, 0, 8, 32)).isEqualTo(29);
        assertThat(MaskSchedule.maskLength(32, 0, 8, 5)).isEqualTo(4);
        assertThat(MaskSchedule.maskLength(32, 0, 8, 1)).isEqualTo(1);
        assertThat(MaskSchedule.maskLength(32, 0, 8, 0)).isEqualTo(1);
    }

    @Test
    void ratioOneHalfWithLengthDivisibleByThree() {
        // arccos(1/2)/(π/2) = 2/3 exactly in real numbers; numpy gives 48·0.6666666666666666 = 32.0, so the floor is 32.
        assertThat(MaskSchedule.target(48, 3, 8)).isEqualTo(32);
        assertThat(MaskSchedule.target(48, 31, 64)).isEqualTo(32);
    }

    @Test
    void rejectsStepsOutsideTheRun() {
        assertThatThrownBy(() -> MaskSchedule.target(32, 8, 8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MaskSchedule.target(32, -1, 8)).isInstanceOf(IllegalArgumentException.class);
    }
}
