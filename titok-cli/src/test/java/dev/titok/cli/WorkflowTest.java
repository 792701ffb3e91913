package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.image.ImageCodec;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a newcomer types: reconstruct, tokenize then detokenize, inspect, on the fixture model and real photos. */
class WorkflowTest {

    static final Path STAGE2 = Cli.FIXTURES.resolve("titok_vq_stage2");

    @TempDir
    Path temp;

    @BeforeEach
    void needsFixtures() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(STAGE2) && Files.isDirectory(Cli.IMAGES),
                "fixtures or images missing: skipped");
    }

    @Test
    void reconstructWritesEachImageAndASideBySide() throws Exception {
        Path out = temp.resolve("out");
        Cli cli = Cli.run("reconstruct", "--model", STAGE2, Cli.IMAGES, "--out-dir", out);
        assertThat(cli.exit()).as(cli.err()).isZero();
        List<Path> photos = photos();
        for (Path photo : photos) {
            String stem = photo.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            BufferedImage recon = ImageCodec.read(out.resolve(stem + ".png"));
            assertThat(recon.getWidth()).isEqualTo(32);
            assertThat(recon.getHeight()).isEqualTo(32);
            BufferedImage compare = ImageCodec.read(out.resolve(stem + ".compare.png"));
            assertThat(compare.getWidth()).isGreaterThan(2 * 32);
        }
    }

    @Test
    void tokensRoundTripThroughJsonLines() throws Exception {
        Path tokens = temp.resolve("tokens.jsonl");
        Cli tokenize = Cli.run("tokenize", "--model", STAGE2, Cli.IMAGES, "--out", tokens, "--batch-size", "1");
        assertThat(tokenize.exit()).as(tokenize.err()).isZero();
        List<String> lines = Files.readAllLines(tokens);
        assertThat(lines).hasSameSizeAs(photos());
        for (String line : lines) {
            JsonNode node = new ObjectMapper().readTree(line);
            assertThat(node.get("tokens").size()).isEqualTo(8);
            node.get("tokens").forEach(t -> assertThat(t.asInt()).isBetween(0, 63));
        }
        Path images = temp.resolve("decoded");
        Cli detokenize = Cli.run("detokenize", "--model", STAGE2, tokens, "--out-dir", images);
        assertThat(detokenize.exit()).as(detokenize.err()).isZero();
        try (var files = Files.list(images)) {
            assertThat(files.filter(p -> p.toString().endsWith(".png")).count()).isEqualTo(lines.size());
        }
    }

    @Test
    void continuousTokensRoundTripThroughJsonLines() throws Exception {
        Path vae = Cli.FIXTURES.resolve("titok_vae");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(vae), "no titok_vae fixture: skipped");
        Path latents = temp.resolve("latents.jsonl");
        Cli tokenize = Cli.run("tokenize", "--model", vae, Cli.IMAGES, "--out", latents);
        assertThat(tokenize.exit()).as(tokenize.err()).isZero();
        JsonNode first = new ObjectMapper().readTree(Files.readAllLines(latents).get(0));
        assertThat(first.get("latents").size()).isEqualTo(8);
        assertThat(first.get("latents").get(0).size()).isEqualTo(16);
        Cli detokenize = Cli.run("detokenize", "--model", vae, latents, "--out-dir", temp.resolve("from-latents"));
        Cli reconstruct = Cli.run("reconstruct", "--model", vae, Cli.IMAGES, "--out-dir", temp.resolve("recon"));
        assertThat(detokenize.exit()).as(detokenize.err()).isZero();
        assertThat(reconstruct.exit()).as(reconstruct.err()).isZero();
        // Decoding the printed posterior means gives the images that reconstruct (which decodes the mean) gives,
        // up to the decimal printing of the means.
        for (Path photo : photos()) {
            String stem = photo.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            BufferedImage a = ImageCodec.read(temp.resolve("from-latents").resolve(stem + ".png"));
            BufferedImage b = ImageCodec.read(temp.resolve("recon").resolve(stem + ".png"));
            for (int y = 0; y < a.getHeight(); y++) {
                for (int x = 0; x < a.getWidth(); x++) {
                    for (int shift = 0; shift <= 16; shift += 8) {
                        int da = (a.getRGB(x, y) >> shift) & 0xff;
                        int db = (b.getRGB(x, y) >> shift) & 0xff;
                        assertThat(Math.abs(da - db)).as("pixel %d,%d", x, y).isLessThanOrEqualTo(1);
                    }
                }
            }
        }
    }

    @Test
    void batchSizeDoesNotChangeTokens() throws Exception {
        Cli one = Cli.run("tokenize", "--model", STAGE2, Cli.IMAGES, "--batch-size", "1");
        Cli all = Cli.run("tokenize", "--model", STAGE2, Cli.IMAGES, "--batch-size", "8");
        assertThat(one.exit()).as(one.err()).isZero();
        assertThat(all.out()).isEqualTo(one.out());
    }

    @Test
    void inspectPrintsPartsAndChecksTheCheckpoint() {
        Cli cli = Cli.run("inspect", "--model", STAGE2);
        assertThat(cli.exit()).as(cli.err()).isZero();
        assertThat(cli.out()).contains("encoder", "decoder", "pixel_decoder", "total", "every key and shape matches");
    }

    @Test
    void inspectAPresetWithoutWeights() {
        Cli cli = Cli.run("inspect", "--model", "titok_l32");
        assertThat(cli.exit()).as(cli.err()).isZero();
        assertThat(cli.out()).contains("641,054,735");
    }

    private static List<Path> photos() throws Exception {
        try (var files = Files.list(Cli.IMAGES)) {
            return files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }
}
