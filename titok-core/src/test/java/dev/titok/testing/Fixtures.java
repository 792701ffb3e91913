package dev.titok.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the parity fixtures made by the official code: the folder named by the system property
 * {@code titok.fixtures} (default {@code ../shared/fixtures}). Tests skip with a message when it is absent.
 */
public final class Fixtures {

    private Fixtures() {}

    public static Path root() {
        Path root = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures"));
        Assumptions.assumeTrue(Files.isDirectory(root),
                "parity fixtures not found at " + root.toAbsolutePath() + " (set -Dtitok.fixtures=DIR): skipped");
        return root;
    }

    /** Every case folder whose config.json satisfies {@code kind}, sorted by name. */
    public static List<Path> cases(Predicate<JsonNode> kind) {
        try (Stream<Path> dirs = Files.list(root())) {
            List<Path> cases = dirs.filter(d -> Files.isRegularFile(d.resolve("config.json")))
                    .filter(d -> kind.test(config(d)))
                    .sorted()
                    .toList();
            Assumptions.assumeFalse(cases.isEmpty(), "no fixture case of this kind under " + root());
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode config(Path caseDir) {
        try {
            return new ObjectMapper().readTree(caseDir.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A TiTok tokenizer case: {@code model.vq_model} describes ViTs and there is no generator. */
    public static boolean isTiTok(JsonNode config) {
        JsonNode model = config.path("model");
        return model.path("vq_model").has("vit_enc_model_size") && !model.has("generator");
    }
}
