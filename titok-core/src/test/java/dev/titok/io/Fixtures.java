package dev.titok.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared parity fixtures; tests that need them are skipped when they are absent. */
final class Fixtures {

    private Fixtures() {
    }

    /** A file of the fixture folder ("." for the folder), skipping the calling test when it does not exist. */
    static Path require(String relative) {
        Path file = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures")).resolve(relative);
        assumeTrue(Files.exists(file), "fixture " + file.toAbsolutePath() + " is absent (set -Dtitok.fixtures=DIR)");
        return file;
    }
}
