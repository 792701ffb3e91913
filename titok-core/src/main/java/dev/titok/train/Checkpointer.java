package dev.titok.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.io.AtomicFiles;
import dev.titok.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Saves and restores a {@link TrainingState} as checkpoint directories {@code ROOT/checkpoint-STEP/} holding one
 * {@code NAME.safetensors} per tensor part (model and EMA weights under the official names, optimizer moments),
 * {@code config.json} (the run's configuration) and {@code trainer.json} (step, data position, random positions).
 *
 * <p>A checkpoint is written into a hidden temporary directory ({@code .checkpoint-STEP.tmp-…}), every file synced,
 * {@code trainer.json} last, and only then renamed into place; older checkpoints beyond the last {@code keep} are
 * removed after that. So a crash, a kill or a full disk never leaves a directory that {@link #latest} would take for
 * a complete checkpoint: training resumes from the last complete one. Hidden leftovers of an interrupted save are
 * removed by the next save. One writer per root directory.
 */
public final class Checkpointer {

    private static final String PREFIX = "checkpoint-";
    private static final Pattern COMPLETE = Pattern.compile(Pattern.quote(PREFIX) + "(\\d{1,18})");
    private static final String TRAINER = "trainer.json";
    private static final String CONFIG = "config.json";
    private static final String TENSORS = ".safetensors";
    private static final int FORMAT = 1;

    private final Path root;
    private final int keep;

    /** What {@link #load} restores besides the registered state. */
    public record Resumed(long step, String dataPosition, String config) {}

    /**
     * @param root the directory of a run's checkpoints (created when needed)
     * @param keep how many of the newest checkpoints to keep, at least 1
     */
    public Checkpointer(Path root, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("must keep at least 1 checkpoint, got " + keep);
        }
        this.root = root;
        this.keep = keep;
    }

    /**
     * Writes checkpoint {@code step}, replacing one of the same step, then drops the oldest beyond {@code keep}.
     *
     * @param dataPosition where the data loader stands, as a JSON value (e.g. {@code 1234} or an object), opaque here
     * @return the checkpoint directory
     * @throws TitokException naming the root directory when the checkpoint cannot be written (nothing of it is left
     *                        behind then, and earlier checkpoints stay complete), or when older ones cannot be removed
     */
    public Path save(TrainingState state, long step, String dataPosition) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        JsonNode position = TrainingState.parse(dataPosition, "data position");
        Path target = root.resolve(PREFIX + step);
        Path temp = null;
        try {
            Files.createDirectories(root);
            removeHidden();
            temp = Files.createDirectory(root.resolve(hidden(step, "tmp")));
            for (Map.Entry<String, Checkpointable> part : state.parts().entrySet()) {
                Checkpointable.State s = part.getValue().saveState();
                SafeTensors.write(temp.resolve(part.getKey() + TENSORS), s.tensors(), s.metadata());
            }
            writeJson(temp.resolve(CONFIG), state.config());
            writeJson(temp.resolve(TRAINER), trainerJson(state, step, position));
            syncDirectory(temp);
            if (Files.exists(target)) {
                discard(target);
            }
            move(temp, target);
            syncDirectory(root);
        } catch (IOException | RuntimeException e) {
            try {
                AtomicFiles.deleteTree(temp);
            } catch (IOException | UncheckedIOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new TitokException(root + ": could not write checkpoint " + step + ": " + describe(e), e);
        }
        try {
            prune(step);
        } catch (IOException | UncheckedIOException e) {
            throw new TitokException(root + ": checkpoint " + step + " was written, but older ones could not be removed: "
                    + describe(e), e);
        }
        return target;
    }

    /**
     * The newest complete checkpoint under {@code root}, or empty when there is none (or no such directory). Hidden
     * temporary directories of interrupted saves are ignored, as is a directory without {@code trainer.json}.
     */
    public static Optional<Path> latest(Path root) {
        try {
            return Optional.ofNullable(complete(root).lastEntry()).map(Map.Entry::getValue);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new TitokException(root + ": cannot list checkpoints: " + describe(e), e);
        }
    }

    /**
     * Restores every registered part and random source from a checkpoint written by {@link #save}, strictly: the
     * checkpoint must hold exactly the registered parts, each matching by name and shape.
     *
     * @return the step, the data position and the configuration saved with it
     * @throws TitokException naming the checkpoint when it is incomplete, foreign or does not match the state
     */
    public static Resumed load(Path checkpoint, TrainingState state) {
        Path trainerFile = checkpoint.resolve(TRAINER);
        if (!Files.isRegularFile(trainerFile)) {
            throw new TitokException(checkpoint + ": not a complete checkpoint: no " + TRAINER);
        }
        JsonNode trainer = readJson(trainerFile);
        if (trainer.path("format").asInt() != FORMAT || !trainer.path("step").canConvertToLong()) {
            throw new TitokException(trainerFile + ": not a checkpoint description of format " + FORMAT);
        }
        checkSameNames(checkpoint, "parts", state.parts().keySet(), trainer.path("parts"));
        checkSameNames(checkpoint, "random sources", state.randoms().keySet(), trainer.path("random"));
        Map<String, Long> positions = new LinkedHashMap<>();
        state.randoms().keySet().forEach(name -> {
            JsonNode position = trainer.path("random").path(name);
            if (!position.canConvertToLong()) {
                throw new TitokException(trainerFile + ": random source '" + name + "' has no valid position");
            }
            positions.put(name, position.asLong());
        });
        String config = readJson(checkpoint.resolve(CONFIG)).toString();

        // every file is opened and its header validated before any state changes
        Map<String, Checkpointable.State> loaded = new LinkedHashMap<>();
        for (String name : state.parts().keySet()) {
            try (SafeTensors file = SafeTensors.open(checkpoint.resolve(name + TENSORS))) {
                loaded.put(name, new Checkpointable.State(file.tensors(), file.metadata()));
            }
        }
        loaded.forEach((name, s) -> state.parts().get(name).loadState(s, checkpoint.resolve(name + TENSORS).toString()));
        positions.forEach((name, position) -> state.randoms().get(name).restore(position));
        return new Resumed(trainer.get("step").asLong(), trainer.path("data_position").toString(), config);
    }

    private static ObjectNode trainerJson(TrainingState state, long step, JsonNode position) {
        ObjectNode trainer = TrainingState.JSON.createObjectNode();
        trainer.put("format", FORMAT);
        trainer.put("step", step);
        trainer.set("data_position", position);
        ObjectNode randoms = trainer.putObject("random");
        state.randoms().forEach((name, random) -> randoms.put(name, random.state()));
        state.parts().keySet().forEach(trainer.putArray("parts")::add);
        return trainer;
    }

    private static void checkSameNames(Path checkpoint, String what, Set<String> registered, JsonNode saved) {
        List<String> savedNames = new ArrayList<>();
        if (saved.isArray()) {
            saved.forEach(n -> savedNames.add(n.asText()));
        } else {
            saved.fieldNames().forEachRemaining(savedNames::add);
        }
        if (!new HashSet<>(savedNames).equals(registered)) {
            throw new TitokException(checkpoint + ": the checkpoint holds the " + what + " " + savedNames
                    + " but this run has " + registered);
        }
    }

    /** Complete checkpoints by step. */
    private static TreeMap<Long, Path> complete(Path root) throws IOException {
        TreeMap<Long, Path> found = new TreeMap<>();
        try (Stream<Path> entries = Files.list(root)) {
            for (Iterator<Path> it = entries.iterator(); it.hasNext(); ) {
                Path dir = it.next();
                Matcher m = COMPLETE.matcher(dir.getFileName().toString());
                if (m.matches() && Files.isRegularFile(dir.resolve(TRAINER))) {
                    found.put(Long.parseLong(m.group(1)), dir);
                }
            }
        }
        return found;
    }

    /** Drops the oldest checkpoints beyond {@code keep}, never the one just written (even if older than others). */
    private void prune(long written) throws IOException {
        TreeMap<Long, Path> found = complete(root);
        found.remove(written);
        while (found.size() > keep - 1) {
            discard(found.pollFirstEntry().getValue());
        }
    }

    /**
     * Hides a checkpoint under a temporary name before deleting it, so that an interrupted deletion cannot leave a
     * partial directory that still looks complete.
     */
    private void discard(Path checkpoint) throws IOException {
        Path doomed = root.resolve(hidden(Long.parseLong(checkpoint.getFileName().toString().substring(PREFIX.length())),
                "old"));
        move(checkpoint, doomed);
        AtomicFiles.deleteTree(doomed);
    }

    /** Leftovers of interrupted saves and deletions. */
    private void removeHidden() throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith("." + PREFIX)).toList()) {
                AtomicFiles.deleteTree(p);
            }
        }
    }

    private static String hidden(long step, String kind) {
        return "." + PREFIX + step + "." + kind + "-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // still safe: trainer.json inside marks completeness, whatever order the files arrive in
            Files.move(from, to);
        }
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        byte[] bytes = TrainingState.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return TrainingState.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the checkpoint file: " + describe(e), e);
        }
    }

    /** Makes a rename durable; best effort, as some file systems cannot sync a directory (the rename stays atomic). */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // nothing to do: durability of the directory entry is then up to the file system
        }
    }

    private static String describe(Exception e) {
        if (e instanceof UncheckedIOException unchecked) {
            return describe(unchecked.getCause());
        }
        String message = e.getMessage();
        if (message == null || e instanceof FileSystemException fs && fs.getReason() == null) {
            // e.g. NoSuchFileException or DirectoryNotEmptyException, whose message is only the path
            return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        }
        return message;
    }
}
