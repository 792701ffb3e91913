package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code titok eval probe} end to end on the tiny 32-pixel stage-1 fixture model and a few hundred synthetic images:
 * the plumbing and the output, not the accuracy (the fixture's weights are random).
 */
class ProbeCommandTest {

    static final Path STAGE1 = Cli.FIXTURES.resolve("titok_vq_stage1");

    @TempDir
    Path temp;

    @BeforeEach
    void needsFixtures() {
        Assumptions.assumeTrue(Files.isDirectory(STAGE1), "fixtures missing: skipped");
    }

    @Test
    void probesBothFeatureKindsAndWritesTheReport() throws IOException {
        Path report = temp.resolve("probe.json");
        Cli encoder = Cli.run("eval", "probe", "--model", STAGE1, "--data", "synthetic", "--train-images", "300",
                "--test-images", "100", "--epochs", "4", "--batch", "64", "--report", report);
        assertThat(encoder.exit()).as(encoder.err()).isZero();
        assertThat(encoder.out()).contains("features encoder\n", "pool mean\n", "dimension 32\n", "train_images 300\n",
                "test_images 100\n", "epochs 4\n", "batch 64\n", "peak_lr 0.4\n").containsPattern("\ntop1 [01]\\.\\d{4}\n");
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.path("features").asText()).isEqualTo("encoder");
        assertThat(json.path("steps").asLong()).isEqualTo(4 * (300 / 64));
        assertThat(json.path("warmup_epochs").asInt()).isZero();
        assertThat(json.path("top1").asDouble()).isBetween(0.0, 1.0);

        Cli z = Cli.run("eval", "probe", "--model", STAGE1, "--data", "synthetic", "--features", "Z", "--pool", "concat",
                "--train-images", "200", "--test-images", "50", "--epochs", "2", "--batch", "500");
        assertThat(z.exit()).as(z.err()).isZero();
        // 8 tokens of 12 channels; a batch larger than the set is the whole set
        assertThat(z.out()).contains("features z\n", "pool concat\n", "dimension 96\n", "batch 200\n");
        assertThat(z.err()).contains("probe trained in");
    }

    @Test
    void badOptionsGiveOneClearError() {
        assertThat(Cli.run("eval", "probe", "--model", STAGE1, "--data", "synthetic", "--features", "pixels")
                .errorLine()).contains("--features is 'pixels'", "encoder or z");
        assertThat(Cli.run("eval", "probe", "--model", STAGE1, "--data", "synthetic", "--pool", "max")
                .errorLine()).contains("--pool is 'max'", "mean or concat");
        assertThat(Cli.run("eval", "probe", "--model", STAGE1, "--data", "synthetic", "--epochs", "5",
                "--warmup-epochs", "5").errorLine()).contains("warm-up");
        assertThat(Cli.run("eval", "probe", "--model", STAGE1, "--data", temp.resolve("nowhere")).errorLine())
                .contains("nowhere");
    }
}
