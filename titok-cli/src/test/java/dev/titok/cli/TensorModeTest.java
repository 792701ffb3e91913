package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's tensor mode reproduces the official outputs recorded in every TiTok fixture: {@code tokenize} gives
 * {@code out.tokens} exactly, {@code detokenize} gives {@code out.decode_tokens} within tolerance.
 */
class TensorModeTest {

    @TempDir
    Path temp;

    @TestFactory
    Stream<DynamicTest> tensorModeReproducesTheFixtures() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Cli.FIXTURES), "no fixtures at " + Cli.FIXTURES + ": skipped");
        List<Path> cases;
        try (Stream<Path> dirs = Files.list(Cli.FIXTURES)) {
            cases = dirs.filter(d -> Files.exists(d.resolve("io.safetensors")))
                    .filter(d -> has(d, "in.pixels") && (has(d, "out.tokens") || has(d, "out.decode_tokens_mode")))
                    .filter(d -> !d.getFileName().toString().startsWith("vqgan"))
                    .sorted().toList();
        }
        return cases.stream().flatMap(dir -> Stream.of(
                DynamicTest.dynamicTest(dir.getFileName() + " tokenize", () -> tokenize(dir)),
                DynamicTest.dynamicTest(dir.getFileName() + " detokenize", () -> detokenize(dir))));
    }

    private void tokenize(Path dir) {
        Path io = dir.resolve("io.safetensors");
        Path out = temp.resolve(dir.getFileName() + ".tokens.safetensors");
        Cli cli = Cli.run("tokenize", "--model", dir, "--input", io, "--tensor", "in.pixels", "--output", out);
        assertThat(cli.exit()).as(cli.err()).isZero();
        try (SafeTensors expected = SafeTensors.open(io); SafeTensors actual = SafeTensors.open(out)) {
            if (expected.names().contains("out.tokens")) {
                assertThat(actual.get("tokens").shape()).isEqualTo(expected.get("out.tokens").shape());
                assertThat(actual.get("tokens").toLongs()).isEqualTo(expected.get("out.tokens").toLongs());
            } else {
                assertClose(actual.get("latents"), expected.get("out.posterior_mean"), 1e-4);
            }
        }
    }

    private void detokenize(Path dir) {
        Path io = dir.resolve("io.safetensors");
        Path out = temp.resolve(dir.getFileName() + ".decoded.safetensors");
        boolean vq = has(dir, "in.tokens");
        Cli cli = Cli.run("detokenize", "--model", dir, "--input", io, "--tensor", vq ? "in.tokens" : "out.posterior_mean",
                "--output", out);
        assertThat(cli.exit()).as(cli.err()).isZero();
        try (SafeTensors expected = SafeTensors.open(io); SafeTensors actual = SafeTensors.open(out)) {
            HostTensor reference = expected.get(vq ? "out.decode_tokens" : "out.decode_tokens_mode");
            boolean convStack = expected.names().contains("dbg.pixel_quantized_states");
            assertClose(actual.get("decoded"), reference, convStack ? 1e-3 : 1e-4);
        }
    }

    /** The fixtures' rule: |a − e| <= scale·max(1, max|e|) + 1e-4·|e|. */
    private static void assertClose(HostTensor actual, HostTensor expected, double scale) {
        assertThat(actual.shape()).isEqualTo(expected.shape());
        float[] a = actual.toFloats();
        float[] e = expected.toFloats();
        double max = 0;
        for (float v : e) {
            max = Math.max(max, Math.abs(v));
        }
        double atol = scale * Math.max(1, max);
        for (int i = 0; i < a.length; i++) {
            assertThat((double) Math.abs(a[i] - e[i])).as("element " + i).isLessThanOrEqualTo(atol + 1e-4 * Math.abs(e[i]));
        }
    }

    private static boolean has(Path dir, String tensor) {
        try (SafeTensors st = SafeTensors.open(dir.resolve("io.safetensors"))) {
            return st.names().contains(tensor);
        }
    }
}
