package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints built by hand with {@link PickleBuilder}: views, shared storages, dtypes, nesting and every error. */
class TorchPickleTest {

    private static final float[] SIX = {0, 1, 2, 3, 4, 5};

    @TempDir
    Path dir;

    @Test
    void gathersViewsOfOneSharedStorage() throws IOException {
        PickleBuilder pickle = new PickleBuilder().orderedDict().mark();
        pickle.str("whole").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1});
        pickle.str("transposed").tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3});
        pickle.str("row1").tensor("FloatStorage", "0", 6, 3, new long[] {3}, new long[] {1});
        pickle.str("column1").tensor("FloatStorage", "0", 6, 1, new long[] {2, 1}, new long[] {3, 1});
        pickle.str("expanded").tensor("FloatStorage", "0", 6, 2, new long[] {2, 2}, new long[] {0, 1});
        pickle.op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", SIX).writeTo(dir.resolve("views.bin"));

        Map<String, HostTensor> tensors = TorchPickle.read(file);

        assertThat(tensors.keySet()).containsExactly("whole", "transposed", "row1", "column1", "expanded");
        assertThat(tensors.get("whole").toFloats()).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(tensors.get("transposed").shape()).containsExactly(3, 2);
        assertThat(tensors.get("transposed").toFloats()).containsExactly(0, 3, 1, 4, 2, 5);
        assertThat(tensors.get("row1").toFloats()).containsExactly(3, 4, 5);
        assertThat(tensors.get("column1").toFloats()).containsExactly(1, 4);
        assertThat(tensors.get("expanded").toFloats()).containsExactly(2, 3, 2, 3);
    }

    @Test
    void readsEveryStorageType() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("half").tensor("HalfStorage", "h", 2, 0, new long[] {2}, new long[] {1});
        pickle.str("bf16").tensor("BFloat16Storage", "b", 2, 0, new long[] {2}, new long[] {1});
        pickle.str("double").tensor("DoubleStorage", "d", 1, 0, new long[0], new long[0]);
        pickle.str("long").tensor("LongStorage", "l", 2, 0, new long[] {2}, new long[] {1});
        pickle.str("int").tensor("IntStorage", "i", 1, 0, new long[] {1}, new long[] {1});
        pickle.str("bool").tensor("BoolStorage", "z", 2, 0, new long[] {2}, new long[] {1});
        pickle.str("byte").tensor("ByteStorage", "u", 1, 0, new long[] {1}, new long[] {1});
        pickle.op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes())
                .entry("archive/data/h", shorts(0x3c00, 0xc100))
                .entry("archive/data/b", shorts(0x3f80, 0x4780))
                .entry("archive/data/d", le(8).putDouble(0, -0.1).array())
                .entry("archive/data/l", le(16).putLong(0, -5).putLong(8, 1L << 40).array())
                .entry("archive/data/i", le(4).putInt(0, -7).array())
                .entry("archive/data/z", new byte[] {1, 0})
                .entry("archive/data/u", new byte[] {(byte) 200})
                .writeTo(dir.resolve("types.pt"));

        Map<String, HostTensor> tensors = TorchPickle.read(file);

        assertThat(tensors.get("half").toFloats()).containsExactly(1, -2.5f);
        assertThat(tensors.get("bf16").toFloats()).containsExactly(1, 65536);
        assertThat(tensors.get("double").shape()).isEmpty();
        assertThat(tensors.get("double").toFloats()).containsExactly(-0.1f);
        assertThat(tensors.get("long").toLongs()).containsExactly(-5, 1L << 40);
        assertThat(tensors.get("int").toLongs()).containsExactly(-7);
        assertThat(tensors.get("bool").toLongs()).containsExactly(1, 0);
        assertThat(tensors.get("byte").toLongs()).containsExactly(200);
    }

    @Test
    void keepsPickleOrderOfAPlainDict() throws IOException {
        List<String> names = new ArrayList<>();
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        for (int i = 0; i < 40; i++) {
            String name = "layer." + (i * 37 % 40) + ".weight";
            names.add(name);
            pickle.str(name).tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1});
        }
        pickle.op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", SIX).writeTo(dir.resolve("order.bin"));

        assertThat(TorchPickle.read(file).keySet()).containsExactlyElementsOf(names);
    }

    @Test
    void unwrapsStateDictAndModelEntriesAndParameters() throws IOException {
        for (String key : List.of("state_dict", "model")) {
            PickleBuilder pickle = new PickleBuilder().op('}').mark();
            pickle.str("epoch").integer(3);
            pickle.str(key).orderedDict().mark().str("w");
            pickle.global("torch._utils", "_rebuild_parameter");
            pickle.mark().tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1}).op('\u0088').orderedDict().op('t').op('R');
            pickle.op('u').op('u');
            Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", SIX).writeTo(dir.resolve(key + ".pth"));

            Map<String, HostTensor> tensors = TorchPickle.read(file);

            assertThat(tensors.keySet()).as(key).containsExactly("w");
            assertThat(tensors.get("w").toFloats()).as(key).containsExactly(SIX);
        }
    }

    @Test
    void swapsBigEndianStorages() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).op('u');
        ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1.5f).putFloat(-3);
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes())
                .entry("archive/byteorder", "big".getBytes())
                .entry("archive/data/0", big.array())
                .writeTo(dir.resolve("big.bin"));

        assertThat(TorchPickle.read(file).get("w").toFloats()).containsExactly(1.5f, -3);
    }

    @Test
    void rejectsAFileOfNeitherFormat() throws IOException {
        Path file = Files.write(dir.resolve("model.bin"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": not a PyTorch checkpoint (expected a zip as torch.save writes since PyTorch 1.6, "
                        + "or a pickle as its legacy format begins; first bytes: 01 02 03 04 05 06 07 08 09)");
    }

    @Test
    void rejectsATruncatedZip() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1}).op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", SIX).writeTo(dir.resolve("model.bin"));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": truncated or corrupt zip checkpoint: ");
    }

    @Test
    void rejectsAZipWithoutDataPkl() throws IOException {
        Path file = new PickleBuilder.Checkpoint().entry("readme.txt", new byte[1]).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": not a PyTorch checkpoint: the zip has no <archive>/data.pkl entry "
                        + "(found: readme.txt, archive/version)");
    }

    @Test
    void rejectsAMissingStorage() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "7", 6, 0, new long[] {6}, new long[] {1}).op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": storage entry 'archive/data/7' is missing from the zip (incomplete checkpoint)");
    }

    @Test
    void rejectsATruncatedStorage() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1}).op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", 1, 2).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": truncated: storage 'archive/data/0' holds 8 bytes, but its 6 F32 elements need 24");
    }

    @Test
    void rejectsAViewOutsideItsStorage() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 6, 4, new long[] {2, 2}, new long[] {1, 2}).op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", SIX).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": a tensor of shape [2, 2], stride [1, 2] and storage offset 4 needs 8 elements "
                        + "of storage 'archive/data/0', which holds only 6");
    }

    @Test
    void rejectsUnsupportedGlobals() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("net").global("__main__", "Net").op(')').op('R').op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": unsupported pickle global '__main__.Net' in data.pkl");
    }

    @Test
    void rejectsValuesThatAreNotTensors() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1});
        pickle.str("epoch").integer(3).op('u');
        Path file = new PickleBuilder.Checkpoint().pickle(pickle.bytes()).floats("0", SIX).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": expected a flat state dict {name: tensor} (at the top level or under 'state_dict' "
                        + "or 'model'), but key epoch holds an int (3)");
    }

    @Test
    void rejectsATopLevelThatIsNotADict() throws IOException {
        Path file = new PickleBuilder.Checkpoint().pickle(new PickleBuilder().op(']').bytes()).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": expected a state dict {name: tensor} at the top level, found a list");
    }

    @Test
    void rejectsAMalformedPickle() throws IOException {
        byte[] truncated = {(byte) 0x80, 2, '}', '('};
        Path file = new PickleBuilder.Checkpoint().pickle(truncated).writeTo(dir.resolve("model.bin"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": ");
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] shorts(int... values) {
        ByteBuffer bytes = le(values.length * 2);
        for (int value : values) {
            bytes.putShort((short) value);
        }
        return bytes.array();
    }
}
