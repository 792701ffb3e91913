package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input ends in one clear error line, exit code 1, and no half-written output. */
class BadInputTest {

    static final Path STAGE1 = Cli.FIXTURES.resolve("titok_vq_stage1");
    static final Path STAGE2 = Cli.FIXTURES.resolve("titok_vq_stage2");

    @TempDir
    Path temp;

    @BeforeEach
    void needsFixtures() {
        Assumptions.assumeTrue(Files.isDirectory(STAGE2), "fixtures missing: skipped");
    }

    private Cli tokenize(Object... inputs) {
        Object[] args = Stream.concat(Stream.of("tokenize", "--model", STAGE2, "--out", temp.resolve("t.jsonl")),
                Arrays.stream(inputs)).toArray();
        Cli cli = Cli.run(args);
        assertThat(cli.exit()).as(cli.err()).isEqualTo(1);
        assertThat(temp.resolve("t.jsonl")).as("no output after a failure").doesNotExist();
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left.filter(p -> p.getFileName().toString().endsWith(".part"))).as("no temporary file left").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return cli;
    }

    @Test
    void emptyImage() throws IOException {
        Path empty = Files.createFile(temp.resolve("empty.png"));
        assertThat(tokenize(empty).errorLine()).contains("empty.png", "empty");
    }

    @Test
    void truncatedImage() throws IOException {
        byte[] png = Files.readAllBytes(firstPhoto());
        Path cut = Files.write(temp.resolve("cut.png"), Arrays.copyOf(png, png.length / 2));
        assertThat(tokenize(cut).errorLine()).contains("cut.png");
    }

    @Test
    void corruptImage() throws IOException {
        byte[] png = Files.readAllBytes(firstPhoto());
        for (int i = 200; i < png.length - 200; i += 7) {
            png[i] ^= 0x5a;
        }
        Path bad = Files.write(temp.resolve("corrupt.png"), png);
        assertThat(tokenize(bad).errorLine()).contains("corrupt.png");
    }

    @Test
    void aTextFileIsNotAnImage() throws IOException {
        Path text = Files.writeString(temp.resolve("notes.png"), "hello, I am text\n");
        assertThat(tokenize(text).errorLine()).contains("notes.png", "not an image");
    }

    @Test
    void emptyFolder() throws IOException {
        Path folder = Files.createDirectory(temp.resolve("nothing"));
        assertThat(tokenize(folder).errorLine()).contains("nothing", "no images");
    }

    @Test
    void missingFile() {
        assertThat(tokenize(temp.resolve("absent.png")).errorLine()).contains("absent.png", "no such file");
    }

    @Test
    void unknownConfigKey() throws IOException {
        Path model = copyModel(STAGE2, "typo");
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"token_size\"", "\"tokn_size\": 3, \"token_size\""));
        Cli cli = Cli.run("inspect", "--model", model);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("config.json", "unknown key", "tokn_size");
    }

    @Test
    void unknownConfigValue() throws IOException {
        Path model = copyModel(STAGE2, "mode");
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"quantize_mode\": \"vq\"", "\"quantize_mode\": \"fsq\""));
        Cli cli = Cli.run("inspect", "--model", model);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("quantize_mode", "fsq", "vq or vae");
    }

    @Test
    void weightsMissing() throws IOException {
        Path model = temp.resolve("noweights");
        Files.createDirectories(model);
        Files.copy(STAGE2.resolve("config.json"), model.resolve("config.json"));
        Cli cli = Cli.run("inspect", "--model", model);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("noweights", "model.safetensors");
    }

    @Test
    void weightsTruncated() throws IOException {
        Path model = copyModel(STAGE2, "truncated");
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        Files.write(model.resolve("model.safetensors"), Arrays.copyOf(weights, weights.length - 1000));
        Cli cli = Cli.run("inspect", "--model", model);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("model.safetensors");
    }

    @Test
    void weightsOfAnotherModel() throws IOException {
        Cli cli = Cli.run("inspect", "--model", STAGE2, "--weights", STAGE1.resolve("model.safetensors"));
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("do not match", "missing", "pixel_decoder.conv_in.weight");
    }

    @Test
    void presetWithoutWeights() {
        Cli cli = Cli.run("tokenize", "--model", "titok_s128", firstPhoto());
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("titok_s128", "--weights");
    }

    @Test
    void tokenIdOutOfRange() throws IOException {
        Path tokens = Files.writeString(temp.resolve("t.jsonl"), "{\"tokens\": [0, 1, 2, 3, 4, 5, 6, 64]}\n");
        Cli cli = Cli.run("detokenize", "--model", STAGE2, tokens, "--out-dir", temp.resolve("png"));
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("line 1", "64", "0..63");
        assertThat(temp.resolve("png")).doesNotExist();
    }

    @Test
    void wrongTokenCount() throws IOException {
        Path tokens = Files.writeString(temp.resolve("t.jsonl"), "{\"tokens\": [1, 2, 3, 4, 5, 6, 7, 8]}\n{\"tokens\": [1, 2]}\n");
        Cli cli = Cli.run("detokenize", "--model", STAGE2, tokens, "--out-dir", temp.resolve("png"));
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("line 2", "2 token ids", "expected 8");
    }

    @Test
    void tensorModeWrongShape() {
        Cli cli = Cli.run("tokenize", "--model", STAGE2, "--input", STAGE2.resolve("io.safetensors"), "--tensor", "in.tokens",
                "--output", temp.resolve("o.safetensors"));
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("io.safetensors", "expected float pixels");
        assertThat(temp.resolve("o.safetensors")).doesNotExist();
    }

    @Test
    void tensorModeOutOfRangeIds() throws IOException {
        Path ids = temp.resolve("ids.safetensors");
        dev.titok.io.SafeTensors.write(ids, java.util.Map.of("ids", dev.titok.io.HostTensor.ofLongs(new long[] {1, 8},
                new long[] {0, 1, 2, 3, 4, 5, 6, 99})), java.util.Map.of());
        Cli cli = Cli.run("detokenize", "--model", STAGE2, "--input", ids, "--output", temp.resolve("o.safetensors"));
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("99", "out of range");
        assertThat(temp.resolve("o.safetensors")).doesNotExist();
    }

    private Path copyModel(Path from, String name) throws IOException {
        Path to = Files.createDirectories(temp.resolve(name));
        for (String file : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
        return to;
    }

    private static Path firstPhoto() {
        try (Stream<Path> files = Files.list(Cli.IMAGES)) {
            return files.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
