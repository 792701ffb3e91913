package dev.titok.cli;

import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long jobs on stderr: a live bar with rate and ETA on a terminal, a plain line every few seconds
 * when stderr goes to a log. Jobs with a single step show nothing.
 */
final class Progress implements AutoCloseable {

    private final ProgressBar bar;

    Progress(String task, long total, String unit) {
        if (total <= 1) {
            bar = null;
            return;
        }
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setUnit(" " + unit, 1).showSpeed().setStyle(ProgressBarStyle.ASCII);
        if (System.console() == null) {
            builder.setConsumer(new DelegatingProgressBarConsumer(System.err::println, 160)).setUpdateIntervalMillis(5000);
        }
        bar = builder.build();
    }

    /** Moves the bar to {@code done} (a resumed run starts part-way). */
    void stepTo(long done) {
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    /** Text shown after the bar: the latest loss, learning rate, ... */
    void message(String text) {
        if (bar != null) {
            bar.setExtraMessage(text);
        }
    }

    void step(long n) {
        if (bar != null) {
            bar.stepBy(n);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
