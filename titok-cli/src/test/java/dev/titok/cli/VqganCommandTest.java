package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code titok vqgan encode|decode} reproduce the official MaskGIT-VQGAN outputs of the vqgan fixture. */
class VqganCommandTest {

    static final Path VQGAN = Cli.FIXTURES.resolve("vqgan_tiny");

    @TempDir
    Path temp;

    @BeforeEach
    void needsFixture() {
        Assumptions.assumeTrue(Files.isDirectory(VQGAN), "no vqgan_tiny fixture: skipped");
    }

    @Test
    void tensorModeEncodeGivesTheOfficialCodes() {
        Path out = temp.resolve("codes.safetensors");
        Cli cli = Cli.run("vqgan", "encode", "--model", VQGAN, "--input", VQGAN.resolve("io.safetensors"), "--tensor", "in.pixels",
                "--output", out);
        assertThat(cli.exit()).as(cli.err()).isZero();
        try (SafeTensors expected = SafeTensors.open(VQGAN.resolve("io.safetensors")); SafeTensors actual = SafeTensors.open(out)) {
            assertThat(actual.get("codes").toLongs()).isEqualTo(expected.get("out.codes").toLongs());
        }
    }

    @Test
    void tensorModeDecodeGivesTheOfficialPixels() {
        Path out = temp.resolve("decoded.safetensors");
        Cli cli = Cli.run("vqgan", "decode", "--model", VQGAN, "--input", VQGAN.resolve("io.safetensors"), "--tensor", "in.codes",
                "--output", out);
        assertThat(cli.exit()).as(cli.err()).isZero();
        try (SafeTensors expected = SafeTensors.open(VQGAN.resolve("io.safetensors")); SafeTensors actual = SafeTensors.open(out)) {
            float[] a = actual.get("decoded").toFloats();
            float[] e = expected.get("out.decoded").toFloats();
            assertThat(a).hasSameSizeAs(e);
            for (int i = 0; i < a.length; i++) {
                assertThat((double) Math.abs(a[i] - e[i])).as("pixel " + i).isLessThanOrEqualTo(1e-3);
            }
        }
    }

    @Test
    void imagesToCodesToPngs() throws Exception {
        Path codes = temp.resolve("codes.jsonl");
        Cli encode = Cli.run("vqgan", "encode", "--model", VQGAN, "--image-size", "32", Cli.IMAGES, "--out", codes);
        assertThat(encode.exit()).as(encode.err()).isZero();
        assertThat(Files.readAllLines(codes)).allSatisfy(line -> assertThat(line).contains("\"codes\":["));
        Cli decode = Cli.run("vqgan", "decode", "--model", VQGAN, codes, "--out-dir", temp.resolve("png"));
        assertThat(decode.exit()).as(decode.err()).isZero();
        try (var files = Files.list(temp.resolve("png"))) {
            assertThat(files.count()).isEqualTo(Files.readAllLines(codes).size());
        }
    }

    @Test
    void officialModelNeedsItsWeights() {
        Cli cli = Cli.run("vqgan", "encode", Cli.IMAGES);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("maskgit_vqgan_f16_256", "--weights");
    }
}
