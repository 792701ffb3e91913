package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.image.ImageCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code titok generate} with the fixture tokenizer and generator, as a newcomer types it, and its bad inputs. */
class GenerateCommandTest {

    static final Path TOKENIZER = Cli.FIXTURES.resolve("titok_vq_stage2");
    static final Path GENERATOR = Cli.FIXTURES.resolve("maskgit_tiny");
    static final Path LONGER_GENERATOR = Cli.FIXTURES.resolve("maskgit_sampling");

    @TempDir
    Path temp;

    @BeforeEach
    void needsFixtures() {
        Assumptions.assumeTrue(Files.isDirectory(TOKENIZER) && Files.isDirectory(GENERATOR), "fixtures missing: skipped");
    }

    private Cli generate(Path out, Object... extra) {
        Object[] base = {"generate", "--tokenizer", TOKENIZER, "--generator", GENERATOR, "--class", "3", "--class", "7",
                "--count", "2", "--seed", "5", "--out-dir", out};
        return Cli.run(Stream.concat(Stream.of(base), Stream.of(extra)).toArray());
    }

    @Test
    void writesOnePngPerSampleAndAGrid() throws Exception {
        Path out = temp.resolve("samples");
        Cli cli = generate(out);
        assertThat(cli.exit()).as(cli.err()).isZero();
        List<Path> pngs;
        try (Stream<Path> files = Files.list(out)) {
            pngs = files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertThat(pngs).hasSize(5).anyMatch(p -> p.getFileName().toString().equals("grid.png"));
        assertThat(pngs).filteredOn(p -> p.getFileName().toString().startsWith("003_")).hasSize(2);
        assertThat(ImageCodec.read(out.resolve("grid.png")).getWidth()).isGreaterThan(2 * 128);
    }

    @Test
    void theSameSeedGivesTheSameImagesAndAnotherSeedOthers() throws Exception {
        Cli a = generate(temp.resolve("a"));
        Cli b = generate(temp.resolve("b"));
        Cli c = Cli.run("generate", "--tokenizer", TOKENIZER, "--generator", GENERATOR, "--class", "3", "--class", "7",
                "--count", "2", "--seed", "6", "--out-dir", temp.resolve("c"));
        assertThat(a.exit() + b.exit() + c.exit()).isZero();
        String sample = "003_class_000.png";
        assertThat(Files.readAllBytes(temp.resolve("a").resolve(sample))).isEqualTo(Files.readAllBytes(temp.resolve("b").resolve(sample)));
        assertThat(Files.readAllBytes(temp.resolve("c").resolve("grid.png")))
                .isNotEqualTo(Files.readAllBytes(temp.resolve("a").resolve("grid.png")));
    }

    @Test
    void classOutOfRange() {
        Cli cli = Cli.run("generate", "--tokenizer", TOKENIZER, "--generator", GENERATOR, "--class", "10", "--out-dir", temp);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("class id 10", "0..9");
    }

    @Test
    void classNameOnANonImageNetGenerator() {
        Cli cli = Cli.run("generate", "--tokenizer", TOKENIZER, "--generator", GENERATOR, "--class", "golden retriever",
                "--out-dir", temp);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("golden retriever", "class id");
    }

    @Test
    void tokenizerAndGeneratorThatDoNotFit() {
        Assumptions.assumeTrue(Files.isDirectory(LONGER_GENERATOR));
        Cli cli = Cli.run("generate", "--tokenizer", TOKENIZER, "--generator", LONGER_GENERATOR, "--class", "1",
                "--out-dir", temp);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("do not fit", "8 tokens", "16 tokens");
    }

    @Test
    void stepsBelowOne() {
        Cli cli = generate(temp.resolve("x"), "--steps", "0");
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("steps", "at least 1");
    }

    @Test
    void negativeGuidance() {
        Cli cli = generate(temp.resolve("x"), "--guidance-scale", "-1");
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("guidance scale", "-1");
    }

    @Test
    void unknownGuidanceDecay() {
        Cli cli = generate(temp.resolve("x"), "--guidance-decay", "cosine");
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.errorLine()).contains("cosine", "power-cosine");
    }
}
