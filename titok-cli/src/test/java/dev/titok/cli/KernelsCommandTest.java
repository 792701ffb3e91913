package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code --kernels} on the command line, and {@code titok eval kernels} end to end on the tiny stage-2 fixture model
 * and synthetic images.
 */
class KernelsCommandTest {

    private static final Path STAGE2 = Cli.FIXTURES.resolve("titok_vq_stage2");

    @Test
    void evalKernelsComparesEachSetWithTheReference() {
        Cli eval = Cli.run("eval", "kernels", "--model", STAGE2, "--data", "synthetic", "--images", "24", "--batch", "8",
                "--compare", "fp32");
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("token agreement", "PSNR vs reference");
        // the reference agrees with itself entirely; fp32 keeps every token on this model
        assertThat(eval.out().lines().filter(l -> l.matches("\\s*reference\\s+100\\.00%\\s+100\\.0%\\s+identical\\s+.*")))
                .hasSize(1);
        assertThat(eval.out().lines().filter(l -> l.matches("\\s*fp32\\s+100\\.00%\\s+100\\.0%\\s+.*"))).hasSize(1);
    }

    @Test
    void unknownKernelsAreRefusedByName() {
        Cli eval = Cli.run("eval", "kernels", "--model", STAGE2, "--data", "synthetic", "--compare", "fp16");
        assertThat(eval.exit()).isNotZero();
        assertThat(eval.err()).contains("--kernels: unknown kernels 'fp16': expected reference, fp32 or bf16");
    }
}
