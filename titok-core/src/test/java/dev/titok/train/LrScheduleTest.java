package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The official warm-up + cosine and constant schedules (SPEC §5.1). */
class LrScheduleTest {

    @Test
    void cosineWarmsUpFromZeroThenDecaysToTheEndLr() {
        LrSchedule s = LrSchedule.cosine(1e-4, 1e-5, 10_000, 1_000_000);
        assertThat(s.lr(0)).as("the very first update").isZero();
        assertThat(s.lr(1)).isEqualTo(1e-8);
        assertThat(s.lr(5_000)).isCloseTo(5e-5, within(1e-18));
        assertThat(s.lr(10_000)).as("end of warm-up").isCloseTo(1e-4, within(1e-18));
        assertThat(s.lr(505_000)).as("half way through the cosine").isCloseTo(5.5e-5, within(1e-18));
        assertThat(s.lr(1_000_000)).as("final").isCloseTo(1e-5, within(1e-18));
        double previous = s.lr(10_000);
        for (long t = 20_000; t <= 1_000_000; t += 10_000) {
            assertThat(s.lr(t)).isLessThan(previous);
            previous = s.lr(t);
        }
    }

    @Test
    void cosineMatchesTheFormulaAtAnyStep() {
        double base = 2e-4;
        double end = 1e-5;
        LrSchedule s = LrSchedule.cosine(base, end, 100, 1000);
        for (long t = 100; t <= 1000; t += 37) {
            double c = 0.5 * (1 + Math.cos(Math.PI * (t - 100) / 900.0));
            assertThat(s.lr(t)).isCloseTo(end + (base - end) * c, within(1e-18));
        }
    }

    @Test
    void withoutWarmupTheFirstUpdateUsesTheBaseLr() {
        assertThat(LrSchedule.cosine(1e-3, 0, 0, 100).lr(0)).isEqualTo(1e-3);
        assertThat(LrSchedule.constant(1e-3, 0).lr(0)).isEqualTo(1e-3);
    }

    @Test
    void constantWarmsUpThenHolds() {
        LrSchedule s = LrSchedule.constant(3e-4, 4);
        assertThat(new double[] {s.lr(0), s.lr(1), s.lr(2), s.lr(4), s.lr(1_000_000)})
                .containsExactly(0, 7.5e-5, 1.5e-4, 3e-4, 3e-4);
    }
}
