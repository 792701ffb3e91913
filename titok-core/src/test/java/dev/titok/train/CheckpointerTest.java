package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint directories: atomic, pruned, found after crashes, strict on load. */
class CheckpointerTest {

    @TempDir
    Path root;

    /** A part holding one counter, enough to see which checkpoint was loaded. */
    private static final class Counter implements Checkpointable {
        float value;

        Counter(float value) {
            this.value = value;
        }

        @Override
        public State saveState() {
            return new State(Map.of("value", HostTensor.ofFloats(new long[] {1}, new float[] {value})), Map.of("kind", "counter"));
        }

        @Override
        public void loadState(State state, String source) {
            assertThat(state.metadata()).containsEntry("kind", "counter");
            value = state.tensors().get("value").toFloats()[0];
        }
    }

    private static TrainingState state(Counter counter, Seeded random) {
        return new TrainingState().add("model", counter).random("data", random).config("{\"name\": \"test\"}");
    }

    private List<String> entries() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void savesAndLoadsEverything() {
        Seeded random = RandomSource.seeded(3);
        try (NDManager m = NDManager.newBaseManager()) {
            random.uniform(m, new Shape(5));
        }
        Path dir = new Checkpointer(root, 3).save(state(new Counter(1.5f), random), 40, "{\"epoch\": 2, \"index\": 17}");
        assertThat(dir).isEqualTo(root.resolve("checkpoint-40"));
        assertThat(dir.resolve("model.safetensors")).isRegularFile();
        try (SafeTensors model = SafeTensors.open(dir.resolve("model.safetensors"))) {
            assertThat(model.names()).containsExactly("value");
        }

        Counter counter = new Counter(0);
        Seeded other = RandomSource.seeded(99);
        Checkpointer.Resumed resumed = Checkpointer.load(dir, state(counter, other));
        assertThat(resumed).isEqualTo(new Checkpointer.Resumed(40, "{\"epoch\":2,\"index\":17}", "{\"name\":\"test\"}"));
        assertThat(counter.value).isEqualTo(1.5f);
        assertThat(other.state()).isEqualTo(random.state());
    }

    @Test
    void keepsTheLastKAndFindsTheNewest() throws IOException {
        Checkpointer checkpointer = new Checkpointer(root, 2);
        for (long step : new long[] {100, 200, 300, 1000}) {
            checkpointer.save(state(new Counter(step), RandomSource.seeded(1)), step, "0");
        }
        assertThat(entries()).containsExactly("checkpoint-1000", "checkpoint-300");
        assertThat(Checkpointer.latest(root)).contains(root.resolve("checkpoint-1000"));
    }

    @Test
    void interruptedSavesAreIgnoredAndCleanedUp() throws IOException {
        Checkpointer checkpointer = new Checkpointer(root, 5);
        checkpointer.save(state(new Counter(1), RandomSource.seeded(1)), 10, "0");
        // a save killed while writing, and a directory copied by hand without its trainer.json
        Files.createDirectories(root.resolve(".checkpoint-20.tmp-x1y2"));
        Files.writeString(root.resolve(".checkpoint-20.tmp-x1y2/model.safetensors"), "partial");
        Files.createDirectories(root.resolve("checkpoint-30"));
        Files.writeString(root.resolve("checkpoint-30/model.safetensors"), "partial");
        assertThat(Checkpointer.latest(root)).contains(root.resolve("checkpoint-10"));

        Counter counter = new Counter(0);
        Checkpointer.load(Checkpointer.latest(root).orElseThrow(), state(counter, RandomSource.seeded(1)));
        assertThat(counter.value).isEqualTo(1f);
        assertThatThrownBy(() -> Checkpointer.load(root.resolve("checkpoint-30"), state(counter, RandomSource.seeded(1))))
                .isInstanceOf(TitokException.class).hasMessageContaining("checkpoint-30: not a complete checkpoint");

        checkpointer.save(state(new Counter(2), RandomSource.seeded(1)), 40, "0");
        assertThat(entries()).containsExactly("checkpoint-10", "checkpoint-30", "checkpoint-40");
    }

    @Test
    void aFailedSaveLeavesNothingAndKeepsTheLastCheckpoint() throws IOException {
        Checkpointer checkpointer = new Checkpointer(root, 1);
        checkpointer.save(state(new Counter(1), RandomSource.seeded(1)), 10, "0");
        Checkpointable full = new Checkpointable() {
            @Override
            public State saveState() {
                throw new UncheckedIOException(new IOException("No space left on device"));
            }

            @Override
            public void loadState(State state, String source) {
            }
        };
        TrainingState failing = state(new Counter(2), RandomSource.seeded(1)).add("optimizer", full);
        assertThatThrownBy(() -> checkpointer.save(failing, 20, "0"))
                .isInstanceOf(TitokException.class)
                .hasMessage(root + ": could not write checkpoint 20: No space left on device");
        assertThat(entries()).containsExactly("checkpoint-10");
        assertThat(Checkpointer.latest(root)).contains(root.resolve("checkpoint-10"));
    }

    @Test
    void savingTheSameStepAgainReplacesIt() throws IOException {
        Checkpointer checkpointer = new Checkpointer(root, 3);
        checkpointer.save(state(new Counter(1), RandomSource.seeded(1)), 10, "0");
        checkpointer.save(state(new Counter(7), RandomSource.seeded(1)), 10, "0");
        assertThat(entries()).containsExactly("checkpoint-10");
        Counter counter = new Counter(0);
        Checkpointer.load(root.resolve("checkpoint-10"), state(counter, RandomSource.seeded(1)));
        assertThat(counter.value).isEqualTo(7f);
    }

    @Test
    void loadingIntoADifferentSetOfPartsFailsBeforeChangingAnything() {
        new Checkpointer(root, 1).save(state(new Counter(1), RandomSource.seeded(1)), 10, "0");
        Counter counter = new Counter(5);
        TrainingState more = state(counter, RandomSource.seeded(1)).add("ema", new Counter(0));
        assertThatThrownBy(() -> Checkpointer.load(root.resolve("checkpoint-10"), more))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("checkpoint-10: the checkpoint holds the parts [model] but this run has [model, ema]");
        assertThat(counter.value).isEqualTo(5f);
    }

    @Test
    void noCheckpointYet() {
        assertThat(Checkpointer.latest(root.resolve("absent"))).isEmpty();
        assertThat(Checkpointer.latest(root)).isEmpty();
    }

    @Test
    void badJsonIsRefusedBeforeWriting() throws IOException {
        assertThatThrownBy(() -> new Checkpointer(root, 1).save(state(new Counter(1), RandomSource.seeded(1)), 1, "{oops"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data position is not valid JSON");
        assertThatThrownBy(() -> new TrainingState().config("[1, 2] 3")).isInstanceOf(IllegalArgumentException.class);
        assertThat(entries()).isEmpty();
    }
}
