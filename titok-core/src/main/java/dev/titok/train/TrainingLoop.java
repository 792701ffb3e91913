package dev.titok.train;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives a {@link TrainingJob} for a number of steps and takes care of everything around the steps: metrics, previews,
 * loss curves, checkpoints, resuming and interruption. One loop per process (one gradient collector per JVM).
 *
 * <p>Files under the run directory:
 * <ul>
 *   <li>{@code metrics.jsonl}: the mean of every metric over the last {@code logEvery} steps, plus {@code steps_per_s}
 *       and {@code eta_s} ({@link MetricsLog});</li>
 *   <li>{@code loss.png}: every metric whose name contains "loss", on a log axis, refreshed at each preview and at the
 *       end ({@link LossCurves});</li>
 *   <li>{@code previews/step-XXXXXX.png}: what {@link TrainingJob#preview} draws, see {@link #previewFile};</li>
 *   <li>{@code checkpoints/checkpoint-STEP/}: every {@code checkpointEvery} steps, at the end, and when stopped
 *       ({@link Checkpointer}; the newest {@code keepCheckpoints} are kept).</li>
 * </ul>
 *
 * <p>Interruption: while {@link #run} is running, a JVM shutdown hook (SIGINT, SIGTERM, {@code System.exit}) asks the
 * loop to stop after the current step and waits up to {@link #SHUTDOWN_WAIT_SECONDS} seconds for the checkpoint of that
 * step, so an interrupted run resumes from its last complete step. {@code kill -9} cannot be caught: such a run resumes
 * from its last periodic checkpoint (a checkpoint is written atomically, so a half-written one is never taken).
 * {@link #requestStop()} asks for the same stop from inside the process.
 */
public final class TrainingLoop {

    /** How long the shutdown hook waits for the loop to write its last checkpoint before the JVM exits anyway. */
    public static final long SHUTDOWN_WAIT_SECONDS = 300;

    /** Metrics the loop adds to the job's. */
    public static final String STEPS_PER_SECOND = "steps_per_s";
    public static final String ETA_SECONDS = "eta_s";

    private final AtomicBoolean stopRequested = new AtomicBoolean();

    /**
     * How to run.
     *
     * @param maxSteps        train until this many optimizer steps are taken (counting those of resumed checkpoints)
     * @param logEvery        append to {@code metrics.jsonl} every this many steps (and after the last)
     * @param previewEvery    write a preview and refresh the loss curves every this many steps (0: only at the end)
     * @param checkpointEvery write a checkpoint every this many steps (0: only at the end and when stopped)
     * @param keepCheckpoints how many of the newest checkpoints stay on disk
     * @param runDir          the directory of the run's files
     * @param resume          continue from the newest checkpoint in {@code runDir/checkpoints} (a fresh start when
     *                        there is none); without it, a run directory that holds checkpoints is refused
     */
    public record Options(long maxSteps, int logEvery, int previewEvery, int checkpointEvery, int keepCheckpoints,
                          Path runDir, boolean resume) {

        public Options {
            if (maxSteps < 0 || logEvery < 1 || previewEvery < 0 || checkpointEvery < 0 || keepCheckpoints < 1) {
                throw new TitokException("training options: expected max steps >= 0, log every >= 1, preview and "
                        + "checkpoint every >= 0, keep >= 1 checkpoints; got " + maxSteps + ", " + logEvery + ", "
                        + previewEvery + ", " + checkpointEvery + ", " + keepCheckpoints);
            }
        }

        /** {@code maxSteps} in {@code runDir}: log every 10 steps, preview and checkpoint every 1000, keep 2, no resume. */
        public static Options of(Path runDir, long maxSteps) {
            return new Options(maxSteps, 10, 1000, 1000, 2, runDir, false);
        }

        public Options withLogEvery(int every) {
            return new Options(maxSteps, every, previewEvery, checkpointEvery, keepCheckpoints, runDir, resume);
        }

        public Options withPreviewEvery(int every) {
            return new Options(maxSteps, logEvery, every, checkpointEvery, keepCheckpoints, runDir, resume);
        }

        public Options withCheckpointEvery(int every, int keep) {
            return new Options(maxSteps, logEvery, previewEvery, every, keep, runDir, resume);
        }

        public Options withResume(boolean resume) {
            return new Options(maxSteps, logEvery, previewEvery, checkpointEvery, keepCheckpoints, runDir, resume);
        }

        Path metricsFile() {
            return runDir.resolve("metrics.jsonl");
        }

        Path lossCurves() {
            return runDir.resolve("loss.png");
        }

        Path previews() {
            return runDir.resolve("previews");
        }

        Path checkpoints() {
            return runDir.resolve("checkpoints");
        }
    }

    /** Progress reports, e.g. for a progress bar; every method is called on the training thread. */
    public interface Listener {

        /** Reports nothing. */
        Listener NONE = (step, total, metrics) -> { };

        /**
         * After every step.
         *
         * @param step    optimizer steps taken so far (1 after the first)
         * @param total   the run's {@code maxSteps}
         * @param metrics this step's metrics from the job, plus {@value #STEPS_PER_SECOND} and {@value #ETA_SECONDS}
         */
        void progress(long step, long total, Map<String, Double> metrics);

        /** Once, before the first step, when the run continues from {@code checkpoint}. */
        default void resumed(long step, Path checkpoint) {
        }

        /** After each checkpoint is written. */
        default void checkpointed(long step, Path checkpoint) {
        }
    }

    /**
     * How a run ended.
     *
     * @param startStep the step it began at (0, or the resumed checkpoint's)
     * @param endStep   the steps taken when it ended
     * @param stopped   true when a stop request ended it before {@code maxSteps}
     */
    public record Result(long startStep, long endStep, boolean stopped) {}

    /**
     * Asks a running {@link #run} to stop after the current step, write a checkpoint and return; what the shutdown hook
     * does on SIGINT/SIGTERM. Thread-safe. A request made before {@code run} starts stops it after its first step.
     */
    public void requestStop() {
        stopRequested.set(true);
    }

    /**
     * The file a job's {@link TrainingJob#preview} writes for {@code step} into the directory it is given:
     * {@code step-XXXXXX.png}, zero-padded so that the files sort by step.
     */
    public static Path previewFile(Path dir, long step) {
        return dir.resolve(String.format("step-%06d.png", step));
    }

    /**
     * Trains {@code job} until {@code options.maxSteps()} steps are taken or a stop is requested.
     *
     * @throws TitokException when the run directory holds checkpoints but {@code resume} is off, or when a checkpoint
     *                        cannot be read or written; an exception from the job's step ends the run without a checkpoint
     *                        of the failed step (the last periodic one stays)
     */
    public Result run(TrainingJob job, Options options, Listener listener) {
        Checkpointer checkpointer = new Checkpointer(options.checkpoints(), options.keepCheckpoints());
        long start = restore(job, options, listener);
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                finished.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "titok-training-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (MetricsLog log = MetricsLog.open(options.metricsFile())) {
            return train(job, options, listener, checkpointer, log, start);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the latch is released
            }
        }
    }

    /** Loads the newest checkpoint when resuming; returns the step to start at. */
    private static long restore(TrainingJob job, Options options, Listener listener) {
        Optional<Path> latest = Checkpointer.latest(options.checkpoints());
        if (latest.isEmpty()) {
            return 0;
        }
        if (!options.resume()) {
            throw new TitokException(options.runDir() + " already holds checkpoints (newest " + latest.get().getFileName()
                    + "): resume it, or choose another run directory");
        }
        Checkpointer.Resumed resumed = Checkpointer.load(latest.get(), job.state());
        job.restoreDataPosition(resumed.dataPosition());
        listener.resumed(resumed.step(), latest.get());
        return resumed.step();
    }

    private Result train(TrainingJob job, Options options, Listener listener, Checkpointer checkpointer, MetricsLog log,
                         long start) {
        long step = start;
        long began = System.nanoTime();
        Map<String, double[]> sums = new LinkedHashMap<>(); // metric → {sum, count} since the last log line
        boolean stopped = false;
        while (step < options.maxSteps()) {
            Map<String, Double> metrics = new LinkedHashMap<>(job.step(step));
            step++;
            double stepsPerSecond = (step - start) / Math.max(1e-9, (System.nanoTime() - began) / 1e9);
            metrics.put(STEPS_PER_SECOND, stepsPerSecond);
            metrics.put(ETA_SECONDS, (options.maxSteps() - step) / stepsPerSecond);
            metrics.forEach((name, value) -> {
                double[] s = sums.computeIfAbsent(name, n -> new double[2]);
                s[0] += value;
                s[1]++;
            });
            listener.progress(step, options.maxSteps(), metrics);
            stopped = stopRequested.get() && step < options.maxSteps();
            boolean last = step == options.maxSteps() || stopped;
            if (step % options.logEvery() == 0 || last) {
                log.log(step, means(sums));
                sums.clear();
            }
            if (options.previewEvery() > 0 && step % options.previewEvery() == 0 || last) {
                preview(job, options, step);
            }
            if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0 || last) {
                listener.checkpointed(step, checkpointer.save(job.state(), step, job.dataPosition()));
            }
            if (stopped) {
                break;
            }
        }
        return new Result(start, step, stopped);
    }

    private static void preview(TrainingJob job, Options options, long step) {
        try {
            Files.createDirectories(options.previews());
        } catch (IOException e) {
            throw new TitokException(options.previews() + ": cannot create the preview directory: " + e.getMessage(), e);
        }
        job.preview(step, options.previews());
        List<MetricsLog.Entry> entries = MetricsLog.read(options.metricsFile());
        Set<String> losses = new LinkedHashSet<>();
        entries.forEach(e -> e.values().keySet().stream().filter(n -> n.contains("loss")).forEach(losses::add));
        if (!losses.isEmpty()) {
            LossCurves.write(options.lossCurves(), entries, new ArrayList<>(losses), true);
        }
    }

    private static Map<String, Double> means(Map<String, double[]> sums) {
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((name, s) -> out.put(name, s[0] / s[1]));
        return out;
    }
}
