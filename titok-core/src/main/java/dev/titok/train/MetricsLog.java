package dev.titok.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Training metrics as JSON lines, one object per logged step, appended and flushed at once:
 * {@code {"step":100,"loss":2.31,"lr":1.0e-5,"grad_norm":0.84,"steps_per_s":3.2}}. Non-finite values are written as
 * the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}.
 *
 * <p>A resumed run appends to the same file, so steps between the last checkpoint and an interruption appear twice;
 * readers take the last line of a step ({@link #read}). A line cut short by a crash is dropped when the file is
 * opened again.
 */
public final class MetricsLog implements AutoCloseable {

    /** How Jackson writes non-finite doubles (as quoted strings, JSON having no such numbers). */
    private static final Set<String> NON_FINITE = Set.of("NaN", "Infinity", "-Infinity");

    private final Path file;
    private final BufferedWriter out;

    /** One logged step. */
    public record Entry(long step, Map<String, Double> values) {

        public Entry {
            values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }
    }

    private MetricsLog(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Opens {@code file} for appending, creating it and its directory when needed.
     *
     * @throws TitokException naming the file when it cannot be opened
     */
    public static MetricsLog open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            dropTornLine(file);
            return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new TitokException(file + ": cannot open the metrics log: " + e.getMessage(), e);
        }
    }

    /**
     * Appends one line and flushes it.
     *
     * @param values metric names and values, written in map order after {@code step}
     * @throws TitokException naming the file when it cannot be written
     */
    public void log(long step, Map<String, ? extends Number> values) {
        ObjectNode line = TrainingState.JSON.createObjectNode();
        line.put("step", step);
        values.forEach((name, value) -> {
            if ("step".equals(name)) {
                throw new IllegalArgumentException("'step' is not a metric name");
            }
            line.put(name, value.doubleValue());
        });
        try {
            out.write(TrainingState.JSON.writeValueAsString(line));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new TitokException(file + ": cannot write the metrics log: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a metrics log: one entry per step in step order, the last line of a step winning (see the class comment).
     *
     * @throws TitokException naming the file when it cannot be read or a line is not a metrics object
     */
    public static List<Entry> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the metrics log: " + e.getMessage(), e);
        }
        Map<Long, Entry> byStep = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            Entry entry = parse(lines.get(i), file, i + 1);
            byStep.put(entry.step(), entry);
        }
        return new ArrayList<>(byStep.values());
    }

    private static Entry parse(String line, Path file, int number) {
        JsonNode node;
        try {
            node = TrainingState.JSON.readTree(line);
        } catch (IOException e) {
            throw new TitokException(file + ": line " + number + " is not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject() || !node.path("step").canConvertToLong()) {
            throw new TitokException(file + ": line " + number + " is not a metrics object with a \"step\"");
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode v = field.getValue();
            if (field.getKey().equals("step")) {
                continue;
            }
            if (v.isNumber()) {
                values.put(field.getKey(), v.asDouble());
            } else if (NON_FINITE.contains(v.asText())) {
                values.put(field.getKey(), Double.parseDouble(v.asText()));
            }
        }
        return new Entry(node.get("step").asLong(), values);
    }

    /** Truncates the file after its last newline: a line cut short would make the file unreadable as JSON lines. */
    private static void dropTornLine(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long end = raf.length();
            while (end > 0) {
                raf.seek(end - 1);
                if (raf.read() == '\n') {
                    break;
                }
                end--;
            }
            raf.setLength(end);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new TitokException(file + ": cannot close the metrics log: " + e.getMessage(), e);
        }
    }
}
