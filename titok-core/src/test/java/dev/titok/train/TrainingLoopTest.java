package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withPrecision;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.image.ImageGrid;
import dev.titok.io.HostTensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole training loop on a small model: it learns, resumes bit-identically and keeps native memory flat; and the
 * {@link TrainingLoop} around it writes metrics, curves, previews and checkpoints, stops on request with a complete
 * checkpoint and resumes from it to the last bit.
 */
class TrainingLoopTest {

    /** {@link TrainingRun} as a job of the loop; its data are the draws of its seeded source, saved with the state. */
    private static final class TinyJob implements TrainingJob {
        final TrainingRun run;

        TinyJob(TrainingRun run) {
            this.run = run;
        }

        @Override
        public TrainingState state() {
            return run.state;
        }

        @Override
        public Map<String, Double> step(long step) {
            run.step = step;
            return Map.of("loss", (double) run.step());
        }

        @Override
        public void preview(long step, Path dir) {
            ImageGrid.write(TrainingLoop.previewFile(dir, step),
                    List.of(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB)), null, 1);
        }

        @Override
        public String dataPosition() {
            return "{\"batches\": " + run.step + "}";
        }

        @Override
        public void restoreDataPosition(String json) {
            run.step = TrainingState.parse(json, "data position").get("batches").asLong();
        }
    }

    @Test
    void theLoopWritesMetricsCurvesPreviewsAndCheckpoints(@TempDir Path dir) {
        List<Long> reported = new ArrayList<>();
        TrainingLoop.Options options = new TrainingLoop.Options(30, 5, 10, 10, 2, dir, false);
        try (TrainingRun run = new TrainingRun(1, 2)) {
            TrainingLoop.Result result = new TrainingLoop().run(new TinyJob(run), options, (step, total, metrics) -> {
                assertThat(total).isEqualTo(30);
                assertThat(metrics).containsKeys("loss", TrainingLoop.STEPS_PER_SECOND, TrainingLoop.ETA_SECONDS);
                reported.add(step);
            });
            assertThat(result).isEqualTo(new TrainingLoop.Result(0, 30, false));
        }
        assertThat(reported).hasSize(30).startsWith(1L).endsWith(30L);
        List<MetricsLog.Entry> entries = MetricsLog.read(dir.resolve("metrics.jsonl"));
        assertThat(entries).extracting(MetricsLog.Entry::step).containsExactly(5L, 10L, 15L, 20L, 25L, 30L);
        assertThat(entries.get(5).values()).containsKeys("loss", "steps_per_s", "eta_s");
        assertThat(entries.get(5).values().get("eta_s")).isNotNegative();
        assertThat(entries.get(5).values().get("loss")).isLessThan(entries.get(0).values().get("loss"));
        assertThat(dir.resolve("loss.png")).isNotEmptyFile();
        assertThat(dir.resolve("previews/step-000010.png")).isNotEmptyFile();
        assertThat(dir.resolve("previews/step-000030.png")).isNotEmptyFile();
        assertThat(dir.resolve("checkpoints/checkpoint-10")).doesNotExist(); // only the newest two are kept
        assertThat(dir.resolve("checkpoints/checkpoint-20/trainer.json")).isRegularFile();
        assertThat(Checkpointer.latest(dir.resolve("checkpoints"))).contains(dir.resolve("checkpoints/checkpoint-30"));
    }

    /**
     * What SIGINT does, without a signal: a stop request after step 12 ends the run with a complete checkpoint of that
     * step, and fresh objects resuming from it end where a run straight through ends, to the last bit.
     */
    @Test
    void aStoppedRunLeavesACompleteCheckpointAndResumesIdentically(@TempDir Path dir) {
        int n = 24;
        Map<String, HostTensor> straightWeights;
        Map<String, HostTensor> straightMoments;
        try (TrainingRun straight = new TrainingRun(1, 2)) {
            new TrainingLoop().run(new TinyJob(straight), new TrainingLoop.Options(n, 5, 0, 0, 1, dir.resolve("a"), false),
                    TrainingLoop.Listener.NONE);
            straightWeights = new ModuleWeights(straight.model).saveState().tensors();
            straightMoments = straight.optimizer.saveState().tensors();
        }

        TrainingLoop.Options options = new TrainingLoop.Options(n, 5, 0, 100, 1, dir.resolve("b"), true);
        try (TrainingRun before = new TrainingRun(1, 2)) {
            TrainingLoop loop = new TrainingLoop();
            TrainingLoop.Result stopped = loop.run(new TinyJob(before), options, (step, total, metrics) -> {
                if (step == n / 2) {
                    loop.requestStop();
                }
            });
            assertThat(stopped).isEqualTo(new TrainingLoop.Result(0, n / 2, true));
        }
        assertThat(Checkpointer.latest(dir.resolve("b/checkpoints")))
                .contains(dir.resolve("b/checkpoints/checkpoint-" + n / 2));
        try (TrainingRun after = new TrainingRun(77, 78)) {
            List<Long> resumedAt = new ArrayList<>();
            TrainingLoop.Result result = new TrainingLoop().run(new TinyJob(after), options,
                    new TrainingLoop.Listener() {
                        @Override
                        public void progress(long step, long total, Map<String, Double> metrics) {
                        }

                        @Override
                        public void resumed(long step, Path checkpoint) {
                            resumedAt.add(step);
                        }
                    });
            assertThat(resumedAt).containsExactly((long) n / 2);
            assertThat(result).isEqualTo(new TrainingLoop.Result(n / 2, n, false));
            assertThat(new ModuleWeights(after.model).saveState().tensors()).isEqualTo(straightWeights);
            assertThat(after.optimizer.saveState().tensors()).isEqualTo(straightMoments);
        }
        assertThat(MetricsLog.read(dir.resolve("b/metrics.jsonl"))).extracting(MetricsLog.Entry::step)
                .containsExactly(5L, 10L, 12L, 15L, 20L, 24L);
    }

    @Test
    void aRunDirectoryWithCheckpointsIsOnlyReusedToResume(@TempDir Path dir) {
        TrainingLoop.Options options = new TrainingLoop.Options(2, 1, 0, 0, 1, dir, false);
        try (TrainingRun run = new TrainingRun(1, 2)) {
            new TrainingLoop().run(new TinyJob(run), options, TrainingLoop.Listener.NONE);
            assertThatThrownBy(() -> new TrainingLoop().run(new TinyJob(run), options, TrainingLoop.Listener.NONE))
                    .isInstanceOf(TitokException.class).hasMessageContaining("already holds checkpoints");
        }
        assertThat(Files.exists(dir.resolve("checkpoints/checkpoint-2"))).isTrue();
    }

    @Test
    void lossFalls() {
        try (TrainingRun run = new TrainingRun(1, 2)) {
            double first = 0;
            double last = 0;
            for (int i = 0; i < 60; i++) {
                float loss = run.step();
                if (i < 5) {
                    first += loss / 5;
                } else if (i >= 55) {
                    last += loss / 5;
                }
            }
            assertThat(last).isLessThan(0.5 * first);
        }
    }

    /** N steps straight equal N/2 steps, a checkpoint, fresh objects loading it, and N/2 more: to the last bit. */
    @Test
    void resumeIsBitIdentical(@TempDir Path dir) {
        int n = 24;
        Map<String, HostTensor> straightWeights;
        Map<String, HostTensor> straightEma;
        Map<String, HostTensor> straightMoments;
        try (TrainingRun straight = new TrainingRun(1, 2)) {
            for (int i = 0; i < n; i++) {
                straight.step();
            }
            straightWeights = new ModuleWeights(straight.model).saveState().tensors();
            straightEma = straight.ema.saveState().tensors();
            straightMoments = straight.optimizer.saveState().tensors();
        }

        Checkpointer checkpointer = new Checkpointer(dir, 2);
        try (TrainingRun before = new TrainingRun(1, 2)) {
            for (int i = 0; i < n / 2; i++) {
                before.step();
            }
            checkpointer.save(before.state, before.step, "{\"batches\": " + before.step + "}");
        }
        try (TrainingRun after = new TrainingRun(77, 78)) {
            Checkpointer.Resumed resumed = Checkpointer.load(Checkpointer.latest(dir).orElseThrow(), after.state);
            assertThat(resumed.step()).isEqualTo(n / 2);
            assertThat(resumed.dataPosition()).isEqualTo("{\"batches\":12}");
            assertThat(resumed.config()).isEqualTo("{\"lr\":0.01}");
            after.step = resumed.step();
            for (int i = 0; i < n / 2; i++) {
                after.step();
            }
            assertThat(new ModuleWeights(after.model).saveState().tensors()).isEqualTo(straightWeights);
            assertThat(after.ema.saveState().tensors()).isEqualTo(straightEma);
            assertThat(after.optimizer.saveState().tensors()).isEqualTo(straightMoments);
        }
    }

    /**
     * Two hundred steps leave no array behind in any manager (the model's, the optimizer's, the EMA's: all children
     * of the engine's system manager), and resident memory outside the Java heap stays flat.
     */
    @Test
    void nativeMemoryStaysFlat() {
        try (TrainingRun run = new TrainingRun(1, 2)) {
            for (int i = 0; i < 20; i++) {
                run.step();
            }
            int modelArrays = run.model.manager().getManagedArrays().size();
            int allArrays = run.model.manager().getParentManager().getManagedArrays().size();
            long before = nativeBytes();
            for (int i = 0; i < 200; i++) {
                run.step();
            }
            assertThat(run.model.manager().getManagedArrays()).as("arrays in the model's manager").hasSize(modelArrays);
            assertThat(run.model.manager().getParentManager().getManagedArrays()).as("arrays in all managers").hasSize(allArrays);
            assertThat(nativeBytes() - before).as("growth of native resident memory over 200 steps, bytes")
                    .isLessThan(32L << 20);
        }
    }

    /** Two half batches with the loss scaled by 1/2 and one step give the update of the whole batch. */
    @Test
    void gradientAccumulationMatchesTheFullBatch() {
        try (TrainingRun whole = new TrainingRun(1, 2); TrainingRun halves = new TrainingRun(1, 2)) {
            GradAccumulation accumulation = new GradAccumulation(2);
            try (NDScope scope = new NDScope()) {
                NDArray x = whole.random.normal(whole.model.manager(), new Shape(TrainingRun.BATCH, TinyMlp.IN));
                backward(whole, x, new GradAccumulation(1));
                whole.optimizer.step(1e-2);
                for (long micro = 0; micro < 2; micro++) {
                    int half = TrainingRun.BATCH / 2;
                    backward(halves, x.get(micro * half + ":" + (micro + 1) * half), accumulation);
                    if (accumulation.endsStep(micro)) {
                        halves.optimizer.step(1e-2);
                    } else {
                        assertThat(micro).isZero();
                    }
                }
            }
            Map<String, HostTensor> expected = new ModuleWeights(whole.model).saveState().tensors();
            new ModuleWeights(halves.model).saveState().tensors().forEach((name, t) ->
                    assertThat(t.toFloats()).as(name).containsExactly(expected.get(name).toFloats(),
                            withPrecision(1e-6f)));
        }
    }

    private static void backward(TrainingRun run, NDArray x, GradAccumulation accumulation) {
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDManager m = run.model.manager();
            NDArray input = m.create(x.toFloatArray(), x.getShape());
            NDArray loss = run.model.forward(input).sub(TrainingRun.teacher(input)).square().mean();
            collector.backward(accumulation.scale(loss));
        }
    }

    /** Resident memory not explained by the committed Java heap, as in the tokenizer's native-memory test. */
    private static long nativeBytes() {
        System.gc();
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024 - Runtime.getRuntime().totalMemory();
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return 0;
    }

    @Test
    void accumulationStepsOnTheLastMicroBatchOfEachGroup() {
        GradAccumulation acc = new GradAccumulation(3);
        assertThat(new boolean[] {acc.endsStep(0), acc.endsStep(1), acc.endsStep(2), acc.endsStep(5)})
                .containsExactly(false, false, true, true);
        assertThat(new GradAccumulation(1).endsStep(0)).isTrue();
    }
}
