package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code titok serve}'s command line: what it refuses before it listens (the server itself: TiTokServerTest). */
class ServeCommandTest {

    static final Path STAGE1 = Cli.FIXTURES.resolve("titok_vq_stage1");
    static final Path STAGE2 = Cli.FIXTURES.resolve("titok_vq_stage2");
    static final Path GENERATOR = Cli.FIXTURES.resolve("maskgit_tiny");
    static final Path LONGER_GENERATOR = Cli.FIXTURES.resolve("maskgit_sampling");

    @TempDir
    Path temp;

    @BeforeEach
    void needsFixtures() {
        Assumptions.assumeTrue(Files.isDirectory(STAGE2) && Files.isDirectory(GENERATOR), "fixtures missing: skipped");
    }

    private static String fails(Object... args) {
        Cli cli = Cli.run(args);
        assertThat(cli.exit()).as(cli.err()).isEqualTo(1);
        return cli.errorLine();
    }

    @Test
    void twoModelsOfTheSameNameMustBeNamed() {
        assertThat(fails("serve", "--model", STAGE2, "--model", STAGE2, "--port", 0))
                .contains("two --model values are named 'titok_vq_stage2'", "--model a=");
    }

    @Test
    void weightsOrAGeneratorForOneOfSeveralModelsNeedItsName() {
        assertThat(fails("serve", "--model", "a=" + STAGE2, "--model", "b=" + STAGE2, "--generator", GENERATOR, "--port", 0))
                .contains("--generator", "which model?", "[a, b]");
        assertThat(fails("serve", "--model", "a=" + STAGE2, "--generator", "c=" + GENERATOR, "--port", 0))
                .contains("no model named 'c'");
    }

    @Test
    void aStageOneModelAGeneratorThatDoesNotFitAndABadExampleAreRefused() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(STAGE1) && Files.isDirectory(LONGER_GENERATOR));
        assertThat(fails("serve", "--model", STAGE1, "--port", 0)).contains("stage-1", "stage-2");
        assertThat(fails("serve", "--model", STAGE2, "--generator", LONGER_GENERATOR, "--port", 0)).contains("do not fit");
        Path text = Files.writeString(temp.resolve("example.png"), "not a picture");
        assertThat(fails("serve", "--model", STAGE2, "--example", text, "--port", 0)).contains("example.png", "not an image");
    }

    @Test
    void limitsMustBePositive() {
        assertThat(fails("serve", "--model", STAGE2, "--max-concurrent", 0)).contains("must be positive");
    }
}
