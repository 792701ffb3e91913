package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code titok bench}: the Inception task runs both precisions; the tokenizer tasks ask for a model and measure each kernel set. */
class BenchCommandTest {

    @Test
    void inceptionReportsBothPrecisions() {
        Cli bench = Cli.run("bench", "inception", "--batch-sizes", "1", "--seconds", "0");
        assertThat(bench.exit()).as(bench.err()).isZero();
        assertThat(bench.out()).contains("FID Inception", " float64 ", " float32 ");
    }

    @Test
    void tokenizeReportsRateAndMemory() {
        Cli bench = Cli.run("bench", "tokenize", "--model", Cli.FIXTURES.resolve("titok_vq_stage2"), "--batch-sizes", "1,4",
                "--seconds", "0", "--gemm-size", "256", "--kernels", "reference,fp32");
        assertThat(bench.exit()).as(bench.err()).isZero();
        assertThat(bench.out()).contains("peak RSS", "MB/image", "fp32 kernels' GEMM");
        // one row per kernel set and batch size, with a peak in GB (Linux) and a per-image figure
        assertThat(bench.out().lines().filter(l -> l.matches("\\s*(reference|fp32)\\s+[14] .* GB\\s+\\d+"))).hasSize(4);
    }

    @Test
    void attentionComparesFlashWithComposedAtEachLength() {
        Cli bench = Cli.run("bench", "attention", "--kernels", "fp32", "--seconds", "0");
        assertThat(bench.exit()).as(bench.err()).isZero();
        assertThat(bench.out()).contains("flash ms", "composed ms");
        assertThat(bench.out().lines().filter(l -> l.matches("\\s*fp32\\s+\\d+\\s+(33|65|321|1024)\\s+[\\d.]+\\s+[\\d.]+.*")))
                .hasSize(4);
    }

    @Test
    void tokenizeNeedsAModel() {
        Cli bench = Cli.run("bench", "tokenize");
        assertThat(bench.exit()).isNotZero();
        assertThat(bench.err()).contains("--model");
    }
}
