package dev.titok.train;

/**
 * The learning rate of each optimizer step, as the official {@code LambdaLR} schedules compute it
 * ({@code utils/lr_schedulers.py}, SPEC §5.1): {@code lr = base · lambda(t)}.
 */
@FunctionalInterface
public interface LrSchedule {

    /**
     * The learning rate for the update that follows {@code step} updates already taken (so {@code lr(0)} is the
     * first update's).
     */
    double lr(long step);

    /**
     * Linear warm-up from 0 over {@code warmup} steps, then a half cosine from {@code base} down to {@code end} at
     * step {@code total}. The first update uses lr 0. Past {@code total} the cosine rises again, as the official
     * code's does; training stops there.
     */
    static LrSchedule cosine(double base, double end, long warmup, long total) {
        requireValid(base, warmup);
        if (total < 0) {
            throw new IllegalArgumentException("total steps must be >= 0, got " + total);
        }
        return t -> {
            if (t < warmup) {
                return base * ((double) t / Math.max(1, warmup));
            }
            double progress = (double) (t - warmup) / Math.max(1, total - warmup);
            double ratio = Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
            // the official lambda returns a factor of base, hence the division that a direct formula would skip
            return base * ((end + (base - end) * ratio) / base);
        };
    }

    /** Linear warm-up from 0 over {@code warmup} steps, then {@code base} for ever. */
    static LrSchedule constant(double base, long warmup) {
        requireValid(base, warmup);
        return t -> t < warmup ? base * ((double) t / Math.max(1, warmup)) : base;
    }

    private static void requireValid(double base, long warmup) {
        if (!(base > 0)) {
            throw new IllegalArgumentException("base learning rate must be > 0, got " + base);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
        }
    }
}
