package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON-lines metrics: written at once, resumable after a crash, read back by step. */
class MetricsLogTest {

    @TempDir
    Path dir;

    private static Map<String, Double> metrics(double loss, double lr) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        m.put("lr", lr);
        return m;
    }

    @Test
    void writesOneFlushedLinePerStep() throws IOException {
        Path file = dir.resolve("logs/metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(1, metrics(2.5, 1e-5));
            assertThat(Files.readAllLines(file)).containsExactly("{\"step\":1,\"loss\":2.5,\"lr\":1.0E-5}");
            log.log(2, Map.of("grad_norm", Double.NaN));
        }
        assertThat(Files.readAllLines(file)).element(1).isEqualTo("{\"step\":2,\"grad_norm\":\"NaN\"}");
        List<MetricsLog.Entry> entries = MetricsLog.read(file);
        assertThat(entries).extracting(MetricsLog.Entry::step).containsExactly(1L, 2L);
        assertThat(entries.get(1).values().get("grad_norm")).isNaN();
    }

    @Test
    void aResumedRunAppendsAfterATornLineAndLaterStepsWin() throws IOException {
        Path file = dir.resolve("metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(10, metrics(3.0, 1e-4));
            log.log(20, metrics(2.0, 1e-4));
        }
        Files.writeString(file, "{\"step\":30,\"lo", java.nio.file.StandardOpenOption.APPEND); // killed mid-line
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(20, metrics(1.9, 1e-4)); // resumed from the checkpoint at step 10
            log.log(30, metrics(1.5, 1e-4));
        }
        List<MetricsLog.Entry> entries = MetricsLog.read(file);
        assertThat(entries).extracting(MetricsLog.Entry::step).containsExactly(10L, 20L, 30L);
        assertThat(entries.get(1).values()).containsEntry("loss", 1.9);
    }

    @Test
    void aForeignLineIsReportedWithItsNumber() throws IOException {
        Path file = dir.resolve("metrics.jsonl");
        Files.writeString(file, "{\"step\":1,\"loss\":1}\n[1,2]\n");
        assertThatThrownBy(() -> MetricsLog.read(file)).isInstanceOf(TitokException.class)
                .hasMessage(file + ": line 2 is not a metrics object with a \"step\"");
    }
}
