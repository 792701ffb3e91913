package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightsFileTest {

    private static final Map<String, HostTensor> TENSORS =
            Map.of("w", HostTensor.ofFloats(new long[] {2}, new float[] {1, 2}));

    @TempDir
    Path dir;

    @Test
    void recognisesSafetensorsByContentWhateverTheExtension() {
        Path file = dir.resolve("weights.bin");
        SafeTensors.write(file, TENSORS, Map.of());

        assertThat(WeightsFile.load(file)).isEqualTo(TENSORS);
    }

    @Test
    void recognisesATorchZipByContentWhateverTheExtension() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", 1, 2)
                .writeTo(dir.resolve("model.safetensors"));

        assertThat(WeightsFile.load(file)).isEqualTo(TENSORS);
    }

    @Test
    void rejectsOtherFilesShowingTheirFirstBytes() throws IOException {
        Path file = Files.writeString(dir.resolve("model.safetensors"), "<html>404</html>");
        Path empty = Files.createFile(dir.resolve("empty.bin"));

        assertThatThrownBy(() -> WeightsFile.load(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + " is neither a safetensors file nor a PyTorch checkpoint "
                        + "(first bytes: 3c 68 74 6d 6c 3e 34 30 34 3c 2f 68 74 6d 6c 3e)");
        assertThatThrownBy(() -> WeightsFile.load(empty))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("(first bytes: none, the file is empty)");
    }

    @Test
    void passesTruncatedSafetensorsToTheStrictReader() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, TENSORS, Map.of());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4));

        assertThatThrownBy(() -> WeightsFile.load(file))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining(file + ": truncated: tensor 'w' ends at byte 8 of the data section but the file holds only 4");
    }

    @Test
    void passesPicklesToTheTorchReader() throws IOException {
        // the start of a legacy torch.save file, cut short: pickle PROTO 2, then the magic number 0x1950a86a20f9469cfc6c
        Path file = Files.write(dir.resolve("old.pt"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46});

        assertThatThrownBy(() -> WeightsFile.load(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": truncated: the file ends after 8 bytes, inside the magic number");
    }

    @Test
    void choosesTheWeightsOfADirectory() throws IOException {
        SafeTensors.write(dir.resolve("only.safetensors"), TENSORS, Map.of());
        Files.writeString(dir.resolve("config.json"), "{}");
        assertThat(WeightsFile.choose(dir)).isEqualTo(dir.resolve("only.safetensors"));

        SafeTensors.write(dir.resolve("pytorch_model.bin"), TENSORS, Map.of());
        assertThat(WeightsFile.choose(dir)).isEqualTo(dir.resolve("pytorch_model.bin"));

        SafeTensors.write(dir.resolve("model.safetensors"), TENSORS, Map.of());
        assertThat(WeightsFile.choose(dir)).isEqualTo(dir.resolve("model.safetensors"));
        assertThat(WeightsFile.load(dir)).isEqualTo(TENSORS);
    }

    @Test
    void listsWhatAnAmbiguousDirectoryHolds() throws IOException {
        SafeTensors.write(dir.resolve("a.safetensors"), TENSORS, Map.of());
        SafeTensors.write(dir.resolve("b.bin"), TENSORS, Map.of());
        Path empty = Files.createDirectory(dir.resolve("empty"));

        assertThatThrownBy(() -> WeightsFile.load(dir))
                .isInstanceOf(TitokException.class)
                .hasMessage(dir + ": expected model.safetensors, pytorch_model.bin or a single *.safetensors / *.bin file, "
                        + "found a.safetensors, b.bin, empty");
        assertThatThrownBy(() -> WeightsFile.load(empty))
                .isInstanceOf(TitokException.class)
                .hasMessageEndingWith("found an empty directory");
    }

    @Test
    void reportsAMissingFile() {
        Path file = dir.resolve("absent.safetensors");

        assertThatThrownBy(() -> WeightsFile.load(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": cannot read: no such file or directory");
    }
}
