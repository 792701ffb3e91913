package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.titok.TitokException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The legacy (pre-1.6) torch.save format, read from files that real PyTorch wrote (see
 * {@code src/test/resources/dev/titok/io/legacy/make_legacy_checkpoints.py}), plus hand-built files for what
 * current PyTorch no longer writes.
 */
class TorchPickleLegacyTest {

    private static final List<String> MODULE_KEYS = List.of("0.weight", "0.bias", "1.weight", "1.bias",
            "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias");

    @TempDir
    Path dir;

    @Test
    void readsEveryDtypeViewAndSharedStorageAsPyTorchWroteThem() {
        Map<String, HostTensor> tensors = TorchPickle.read(resource("legacy_dtypes.pth"));

        assertThat(tensors.keySet()).containsExactly("f32", "f32.transposed", "f32.row1", "f32.column2", "f64", "f16",
                "bf16", "i64", "i32", "i16", "i8", "u8", "bool", "slice", "scalar", "empty");
        float[] base = new float[12];
        for (int i = 0; i < base.length; i++) {
            base[i] = i * 0.25f;
        }
        assertTensor(tensors.get("f32"), DType.F32, 3, 4);
        assertThat(tensors.get("f32").toFloats()).containsExactly(base);
        assertTensor(tensors.get("f32.transposed"), DType.F32, 4, 3);
        float[] transposed = new float[12];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 3; c++) {
                transposed[r * 3 + c] = base[c * 4 + r];
            }
        }
        assertThat(tensors.get("f32.transposed").toFloats()).containsExactly(transposed);
        assertThat(tensors.get("f32.row1").toFloats()).containsExactly(1, 1.25f, 1.5f, 1.75f);
        assertThat(tensors.get("f32.column2").toFloats()).containsExactly(0.5f, 1.5f, 2.5f);
        assertTensor(tensors.get("f64"), DType.F64, 2, 3);
        DoubleBuffer f64 = tensors.get("f64").data().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        for (int i = 0; i < 6; i++) {
            assertThat(f64.get(i)).as("f64[%d]", i).isEqualTo(i / 3.0);
        }
        assertTensor(tensors.get("f16"), DType.F16, 5);
        assertThat(tensors.get("f16").toFloats()).containsExactly(-1, -0.5f, 0, 0.5f, 1);
        assertTensor(tensors.get("bf16"), DType.BF16, 4);
        assertThat(tensors.get("bf16").toFloats()).containsExactly(-3, -1, 1, 3);
        assertTensor(tensors.get("i64"), DType.I64, 3);
        assertThat(tensors.get("i64").toLongs()).containsExactly(-5, 1L << 40, 7);
        assertThat(tensors.get("i32").toLongs()).containsExactly(-7, 1L << 30);
        assertThat(tensors.get("i16").toLongs()).containsExactly(-300, 300);
        assertThat(tensors.get("i8").toLongs()).containsExactly(-128, 127);
        assertThat(tensors.get("u8").toLongs()).containsExactly(0, 200, 255);
        assertTensor(tensors.get("bool"), DType.BOOL, 3);
        assertThat(tensors.get("bool").toLongs()).containsExactly(1, 0, 1);
        assertThat(tensors.get("slice").toFloats()).containsExactly(2, 3, 4);
        assertTensor(tensors.get("scalar"), DType.F32);
        assertThat(tensors.get("scalar").toFloats()).containsExactly(2.5f);
        assertTensor(tensors.get("empty"), DType.F32, 0, 3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtypes", "module", "checkpoint"})
    void readsTheSameTensorsAsTheZipCopyPyTorchWroteOfTheSameObject(String name) {
        Map<String, HostTensor> legacy = TorchPickle.read(resource("legacy_" + name + ".pth"));
        Map<String, HostTensor> zip = TorchPickle.read(resource("zip_" + name + ".pth"));

        assertThat(legacy.keySet()).containsExactlyElementsOf(zip.keySet());
        zip.forEach((key, expected) -> assertThat(legacy.get(key)).as(key).isEqualTo(expected));
    }

    @Test
    void readsPickleProtocol4() {
        assertThat(TorchPickle.read(resource("legacy_module_protocol4.pth"))).isEqualTo(TorchPickle.read(resource("zip_module.pth")));
    }

    @Test
    void readsAModuleStateDictWithBatchNormBuffers() {
        Map<String, HostTensor> tensors = TorchPickle.read(resource("legacy_module.pth"));

        assertThat(tensors.keySet()).containsExactlyElementsOf(MODULE_KEYS);
        assertTensor(tensors.get("0.weight"), DType.F32, 3, 2, 2, 2);
        assertTensor(tensors.get("1.num_batches_tracked"), DType.I64);
        assertThat(tensors.get("1.num_batches_tracked").toLongs()).containsExactly(1);
        assertThat(tensors.get("1.running_var").toFloats()).isNotEqualTo(new float[] {1, 1, 1});
    }

    @Test
    void unwrapsTheParametersOfATrainingCheckpointAndSkipsItsOptimizerState() {
        Map<String, HostTensor> tensors = TorchPickle.read(resource("legacy_checkpoint.pth"));

        assertThat(tensors.keySet()).containsExactlyElementsOf(MODULE_KEYS);
        assertTensor(tensors.get("4.weight"), DType.F32, 2, 3);
    }

    @Test
    void weightsFileRecognisesTheLegacyFormat() {
        Path file = resource("legacy_module.pth");

        assertThat(WeightsFile.load(file)).isEqualTo(TorchPickle.read(resource("zip_module.pth")));
    }

    @Test
    void refusesAWholePickledModule() {
        Path file = resource("legacy_whole_module.pth");

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": unsupported pickle global 'torch.nn.modules.linear.Linear' in the pickled object; "
                        + "only state dicts of plain tensors can be read");
    }

    @Test
    void reportsEveryTruncationAsTruncated() throws IOException {
        byte[] whole = Files.readAllBytes(resource("legacy_dtypes.pth"));
        Path file = dir.resolve("cut.pth");
        Set<String> where = new TreeSet<>();
        // from 2 bytes on, the file starts like a pickle; steps of 7 bytes cut every 8-byte element count
        for (int length = 2; length < whole.length; length += 7) {
            Files.write(file, Arrays.copyOf(whole, length));
            Throwable thrown = catchThrowable(() -> TorchPickle.read(file));
            assertThat(thrown).as("cut after %d bytes", length).isInstanceOf(TitokException.class)
                    .hasMessageStartingWith(file + ": truncated: ");
            where.add(thrown.getMessage().replaceAll(".*(inside [a-z_ ]+|before storage|needs).*", "$1"));
        }
        assertThat(where).containsExactlyInAnyOrder("inside the magic number ", "inside the protocol version ",
                "inside sys_info ", "inside the pickled object ", "inside the storage key list ", "before storage", "needs");
    }

    @Test
    void namesTheStorageWhereTheFileEnds() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark().str("w");
        pickle.global("torch._utils", "_rebuild_tensor").mark().legacyStorage("FloatStorage", "0", 6).integer(0).ints(6).ints(1);
        pickle.op('t').op('R').op('u');
        byte[] whole = new PickleBuilder.Legacy(true).pickle(pickle.bytes()).keys("0").floats(0, 1, 2, 3, 4, 5).toByteArray();
        Path inData = Files.write(dir.resolve("data.pth"), Arrays.copyOf(whole, whole.length - 4));
        Path inCount = Files.write(dir.resolve("count.pth"), Arrays.copyOf(whole, whole.length - 24 - 4));

        assertThatThrownBy(() -> TorchPickle.read(inData))
                .isInstanceOf(TitokException.class)
                .hasMessage(inData + ": truncated: storage '0' (1 of 1) needs 24 bytes, but the file ends after " + (whole.length - 4));
        assertThatThrownBy(() -> TorchPickle.read(inCount))
                .isInstanceOf(TitokException.class)
                .hasMessage(inCount + ": truncated: the file ends after " + (whole.length - 28) + " bytes, before storage '0' (1 of 1)");
    }

    @Test
    void rejectsAWrongMagicNumber() throws IOException {
        byte[] bytes = Files.readAllBytes(resource("legacy_dtypes.pth"));
        // PROTO 2, LONG1 of 10 bytes, then the magic number's lowest byte
        assertThat(Arrays.copyOf(bytes, 5)).containsExactly(0x80, 0x02, 0x8a, 0x0a, 0x6c);
        bytes[4] = 0x6d;
        Path file = Files.write(dir.resolve("magic.pth"), bytes);

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": not a PyTorch checkpoint: a pickle, but not the legacy torch.save format, which starts "
                        + "with the magic number 0x1950a86a20f9469cfc6c (its first pickle holds an int (119547037146038801333357))");
    }

    @Test
    void rejectsAPickleThatIsNotATorchSave() throws IOException {
        byte[] pickle = new PickleBuilder().op('}').mark().str("w").integer(1).op('u').bytes();
        Path file = Files.write(dir.resolve("plain.pkl"), pickle);

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageEndingWith("(its first pickle holds a dict with keys [w])");
    }

    @Test
    void rejectsAnotherProtocolVersion() throws IOException {
        byte[] bytes = Files.readAllBytes(resource("legacy_dtypes.pth"));
        // the second pickle, at byte 15: PROTO 2, BININT2 1001, STOP
        assertThat(Arrays.copyOfRange(bytes, 15, 21)).containsExactly(0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e);
        bytes[18] = (byte) 0xea;
        Path file = Files.write(dir.resolve("version.pth"), bytes);

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": unsupported legacy torch.save protocol version: found an int (1002), expected 1001");
    }

    @Test
    void readsTheOlderTensorPickleAndStorageViews() throws IOException {
        // _rebuild_tensor(storage, offset, size, stride) of a storage view: elements 2..4 of the root storage
        PickleBuilder pickle = new PickleBuilder().op('}').mark().str("w").global("torch._utils", "_rebuild_tensor").mark();
        pickle.legacyStorage("FloatStorage", "0", 6, 2, 3).integer(1).ints(2).ints(1).op('t').op('R').op('u');
        Path file = new PickleBuilder.Legacy(true).pickle(pickle.bytes()).keys("0").floats(0, 1, 2, 3, 4, 5)
                .writeTo(dir.resolve("old.pth"));

        assertThat(TorchPickle.read(file).get("w").toFloats()).containsExactly(3, 4);
    }

    @Test
    void rejectsAStorageViewOutsideItsStorage() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark().str("w").global("torch._utils", "_rebuild_tensor").mark();
        pickle.legacyStorage("FloatStorage", "0", 6, 4, 3).integer(0).ints(1).ints(1).op('t').op('R').op('u');
        Path file = new PickleBuilder.Legacy(true).pickle(pickle.bytes()).keys("0").floats(0, 1, 2, 3, 4, 5)
                .writeTo(dir.resolve("view.pth"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": a storage view of 3 elements at offset 4 in the pickled object lies outside storage '0', "
                        + "which holds 6");
    }

    @Test
    void acceptsTheNativeElementCountOfOldBigEndianWriters() throws IOException {
        for (boolean littleEndian : new boolean[] {false, true}) {
            PickleBuilder pickle = new PickleBuilder().op('}').mark().str("w");
            pickle.global("torch._utils", "_rebuild_tensor").mark().legacyStorage("FloatStorage", "0", 2).integer(0).ints(2).ints(1);
            pickle.op('t').op('R').op('u');
            Path file = new PickleBuilder.Legacy(littleEndian).pickle(pickle.bytes()).keys("0")
                    .storage(2, ByteOrder.BIG_ENDIAN, new byte[] {0, 0, (byte) 0xc0, 0x3f, 0, 0, 0x40, (byte) 0xc0})
                    .writeTo(dir.resolve("big.pth"));

            if (littleEndian) {
                assertThatThrownBy(() -> TorchPickle.read(file))
                        .isInstanceOf(TitokException.class)
                        .hasMessage(file + ": storage '0' (1 of 1) holds 144,115,188,075,855,872 elements in the file, but the "
                                + "pickled object declares 2 F32 elements (corrupt checkpoint)");
            } else {
                assertThat(TorchPickle.read(file).get("w").toFloats()).containsExactly(1.5f, -3);
            }
        }
    }

    @Test
    void rejectsStorageKeyListsThatDisagreeWithThePickle() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark().str("w");
        pickle.global("torch._utils", "_rebuild_tensor").mark().legacyStorage("FloatStorage", "0", 1).integer(0).ints().ints();
        pickle.op('t').op('R').op('u');
        byte[] object = pickle.bytes();
        Path unlisted = new PickleBuilder.Legacy(true).pickle(object).keys().writeTo(dir.resolve("unlisted.pth"));
        Path unknown = new PickleBuilder.Legacy(true).pickle(object).keys("0", "1").floats(7).floats(8).writeTo(dir.resolve("unknown.pth"));

        assertThatThrownBy(() -> TorchPickle.read(unlisted))
                .isInstanceOf(TitokException.class)
                .hasMessage(unlisted + ": storage '0' of the state dict is missing from the storage key list (incomplete checkpoint)");
        assertThatThrownBy(() -> TorchPickle.read(unknown))
                .isInstanceOf(TitokException.class)
                .hasMessage(unknown + ": the storage key list names '1', which the pickled object never uses");
    }

    @Test
    void rejectsAZipPersistentIdInALegacyFile() throws IOException {
        PickleBuilder pickle = new PickleBuilder().op('}').mark();
        pickle.str("w").tensor("FloatStorage", "0", 1, 0, new long[0], new long[0]).op('u');
        Path file = new PickleBuilder.Legacy(true).pickle(pickle.bytes()).keys("0").floats(7).writeTo(dir.resolve("mixed.pth"));

        assertThatThrownBy(() -> TorchPickle.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": unsupported persistent id [storage, StorageType[dtype=F32], 0, cpu, 1] in the "
                        + "pickled object; expected ('storage', storage type, key, location, numel, view_metadata)");
    }

    private static void assertTensor(HostTensor tensor, DType dtype, long... shape) {
        assertThat(tensor.dtype()).isEqualTo(dtype);
        assertThat(tensor.shape()).containsExactly(shape);
    }

    private static Path resource(String name) {
        try {
            return Path.of(TorchPickleLegacyTest.class.getResource("legacy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
