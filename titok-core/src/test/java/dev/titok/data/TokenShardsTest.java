package dev.titok.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenShardsTest {

    @TempDir
    Path dir;

    @Test
    void writesTheOfficialFormatAndReadsItBack() throws IOException {
        Path file = dir.resolve("out/pretokenized.jsonl");
        try (TokenShards.Writer writer = TokenShards.writer(file)) {
            writer.add(3, new int[] {0, 4095, 17});
            writer.add(999, new int[] {1, 2, 3});
            assertThat(writer.count()).isEqualTo(2);
            assertThat(file).doesNotExist();
            writer.commit();
        }

        assertThat(Files.readString(file)).isEqualTo(
                "{\"class_id\": 3, \"tokens\": [0, 4095, 17]}\n{\"class_id\": 999, \"tokens\": [1, 2, 3]}\n");
        assertThat(hiddenFiles()).isEmpty();
        TokenShards shards = TokenShards.read(file, 3, 4096, 1000);
        assertThat(shards.size()).isEqualTo(2);
        assertThat(shards.tokensPerImage()).isEqualTo(3);
        assertThat(shards.classId(1)).isEqualTo(999);
        assertThat(shards.tokens(0)).containsExactly(0, 4095, 17);
        TokenShards.Batch batch = shards.gather(new int[] {1, 0, 1}, 1, 2);
        assertThat(batch.classIds()).containsExactly(3, 999);
        assertThat(batch.tokens()).containsExactly(0, 4095, 17, 1, 2, 3);
    }

    @Test
    void aWriterClosedWithoutCommitLeavesNothing() throws IOException {
        Path file = dir.resolve("tokens.jsonl");
        Files.writeString(file, "previous");

        try (TokenShards.Writer writer = TokenShards.writer(file)) {
            writer.add(1, new int[] {5});
            assertThatThrownBy(() -> writer.add(1, new int[] {5, 6})).isInstanceOf(IllegalArgumentException.class);
        }

        assertThat(Files.readString(file)).isEqualTo("previous");
        assertThat(hiddenFiles()).isEmpty();
    }

    @Test
    void readsKeysInAnyOrderExtraKeysAndSeveralShards() throws IOException {
        Path a = Files.writeString(dir.resolve("a.jsonl"), "{\"tokens\":[1,2],\"class_id\":0,\"path\":\"x.jpg\"}\n\n");
        Path b = Files.writeString(dir.resolve("b.jsonl"), "{\"class_id\": 1, \"extra\": {\"k\": [1]}, \"tokens\": [3, 4]}");

        TokenShards shards = TokenShards.read(List.of(a, b), 2, 8, 2);

        assertThat(shards.size()).isEqualTo(2);
        assertThat(shards.tokens(1)).containsExactly(3, 4);
        assertThat(shards.classId(1)).isEqualTo(1);
    }

    @Test
    void invalidLinesAreReportedWithFileAndLine() throws IOException {
        String good = "{\"class_id\": 1, \"tokens\": [1, 2]}\n";
        assertThat(error(good + "{\"class_id\": 1, \"tokens\": [1]}\n"))
                .isEqualTo(":2: expected 2 tokens, found 1");
        assertThat(error(good + good + "{\"class_id\": 1, \"tokens\": [1, 2, 3]}\n"))
                .isEqualTo(":3: expected 2 tokens, found more");
        assertThat(error("{\"class_id\": 1, \"tokens\": [1, 4096]}\n"))
                .isEqualTo(":1: token 1 is 4096, expected 0 to 4095");
        assertThat(error("{\"class_id\": 1, \"tokens\": [-1, 2]}\n"))
                .isEqualTo(":1: token 0 is -1, expected 0 to 4095");
        assertThat(error("{\"class_id\": 1, \"tokens\": [1.0, 2]}\n"))
                .isEqualTo(":1: token 0 must be an integer, found 1.0");
        assertThat(error("{\"class_id\": 1000, \"tokens\": [1, 2]}\n"))
                .isEqualTo(":1: class_id is 1000, expected 0 to 999");
        assertThat(error("{\"class_id\": \"cat\", \"tokens\": [1, 2]}\n"))
                .isEqualTo(":1: class_id must be an integer, found the string \"cat\"");
        assertThat(error(good + "{\"tokens\": [1, 2]}\n"))
                .isEqualTo(":2: missing \"class_id\"");
        assertThat(error("[1, 2]\n"))
                .isEqualTo(":1: expected a JSON object {\"class_id\": int, \"tokens\": [int, ...]}, found an array");
        assertThat(error(good + "{\"class_id\": 1, \"tokens\": [1, 2\n"))
                .startsWith(":3: not valid JSON (");
        assertThat(error("")).isEqualTo(" holds no record: expected JSON lines {\"class_id\": int, \"tokens\": [int, ...]}");
        assertThatThrownBy(() -> TokenShards.read(dir.resolve("missing.jsonl"), 2, 4096, 1000))
                .isInstanceOf(TitokException.class)
                .hasMessage(dir.resolve("missing.jsonl") + " does not exist: expected a JSON-lines file of pretokenized images");
    }

    /** The error message for a file with this content, less the file name that starts it. */
    private String error(String content) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.jsonl"), content);
        try {
            TokenShards.read(file, 2, 4096, 1000);
        } catch (TitokException e) {
            assertThat(e.getMessage()).startsWith(file.toString());
            return e.getMessage().substring(file.toString().length());
        }
        throw new AssertionError("no error for " + content);
    }

    private List<Path> hiddenFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(".")).toList();
        }
    }
}
