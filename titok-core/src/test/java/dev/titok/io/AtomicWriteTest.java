package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output files appear complete or not at all. */
class AtomicWriteTest {

    private static final Map<String, HostTensor> TENSORS =
            Map.of("x", HostTensor.ofFloats(new long[] {2}, new float[] {1, 2}));

    @TempDir
    Path dir;

    @Test
    void failedMoveLeavesNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("model.safetensors"));

        assertThatThrownBy(() -> SafeTensors.write(target, TENSORS, Map.of()))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(target + ": could not write the safetensors file: ");

        assertThat(names(dir)).containsExactly("model.safetensors");
        assertThat(target).isEmptyDirectory();
    }

    @Test
    void failureWhileWritingLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("out.bin");

        assertThatThrownBy(() -> AtomicFiles.write(target, "test file", channel -> {
            channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("No space left on device");
        }))
                .isInstanceOf(TitokException.class)
                .hasMessage(target + ": could not write the test file: No space left on device");

        assertThat(names(dir)).isEmpty();
    }

    @Test
    void missingDirectoryIsReported() {
        Path target = dir.resolve("absent/model.safetensors");

        assertThatThrownBy(() -> SafeTensors.write(target, TENSORS, Map.of()))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(target + ": could not write the safetensors file: no such file or directory: ");
    }

    @Test
    void replacesAnExistingFileAndLeavesOnlyIt() throws IOException {
        Path target = dir.resolve("a.npy");
        Files.writeString(target, "old content");

        Npy.write(target, TENSORS.get("x"));

        assertThat(names(dir)).containsExactly("a.npy");
        assertThat(Npy.read(target)).isEqualTo(TENSORS.get("x"));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toList());
        }
    }
}
