package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NpyTest {

    @TempDir
    Path dir;

    static Stream<HostTensor> tensors() {
        return Stream.of(
                HostTensor.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6}),
                HostTensor.ofFloats(new long[0], new float[] {3.5f}),
                HostTensor.ofFloats(new long[] {0, 5}, new float[0]),
                HostTensor.ofLongs(new long[] {3}, new long[] {-1, 0, Long.MAX_VALUE}),
                filled(DType.F64, new long[] {2}),
                filled(DType.F16, new long[] {3}),
                filled(DType.I32, new long[] {2, 1}),
                filled(DType.I16, new long[] {1, 2, 1}),
                filled(DType.I8, new long[] {4}),
                filled(DType.U8, new long[] {4}),
                new HostTensor(DType.BOOL, new long[] {2}, ByteBuffer.wrap(new byte[] {1, 0})));
    }

    @ParameterizedTest
    @MethodSource("tensors")
    void roundTrips(HostTensor tensor) {
        Path file = dir.resolve("t.npy");

        Npy.write(file, tensor);

        assertThat(Npy.read(file)).isEqualTo(tensor);
    }

    @Test
    void writesTheHeaderExactlyAsNumpySaveDoes() throws IOException {
        Path file = dir.resolve("a.npy");

        Npy.write(file, HostTensor.ofFloats(new long[] {2, 3}, new float[6]));

        byte[] bytes = Files.readAllBytes(file);
        // np.save('a.npy', np.zeros((2, 3), '<f4')) with numpy 2.4: 128 header bytes, then 24 data bytes
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        assertThat(bytes).hasSize(152);
        assertThat(Arrays.copyOf(bytes, 10)).containsExactly(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0);
        assertThat(new String(bytes, 10, 118, StandardCharsets.ISO_8859_1)).isEqualTo(dict + " ".repeat(58) + "\n");
    }

    @Test
    void readsAHandBuiltVersion1File() throws IOException {
        Path file = dir.resolve("hand.npy");
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(new float[] {0.5f, -1, 2, 1e-3f});
        Files.write(file, npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data.array()));

        HostTensor tensor = Npy.read(file);

        assertThat(tensor.dtype()).isEqualTo(DType.F32);
        assertThat(tensor.shape()).containsExactly(2, 2);
        assertThat(tensor.toFloats()).containsExactly(0.5f, -1, 2, 1e-3f);
    }

    @Test
    void readsVersion2And3HeadersAndPython2Longs() throws IOException {
        Path v2 = dir.resolve("v2.npy");
        Path v3 = dir.resolve("v3.npy");
        Files.write(v2, npy(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (3L,), }", new byte[] {7, 8, (byte) 255}));
        Files.write(v3, npy(3, "{'shape': (1,), 'fortran_order': False, 'descr': '<i8', }", new byte[8]));

        assertThat(Npy.read(v2).toLongs()).containsExactly(7, 8, 255);
        assertThat(Npy.read(v3).toLongs()).containsExactly(0);
    }

    @Test
    void rejectsFortranOrder() throws IOException {
        Path file = dir.resolve("f.npy");
        Files.write(file, npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]));

        assertThatThrownBy(() -> Npy.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining(file + ": Fortran-order (column-major) arrays are not supported");
    }

    @Test
    void rejectsBigEndianAndUnknownTypes() throws IOException {
        Path big = dir.resolve("big.npy");
        Path complex = dir.resolve("complex.npy");
        Files.write(big, npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]));
        Files.write(complex, npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]));

        assertThatThrownBy(() -> Npy.read(big))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining(big + ": unsupported .npy dtype '>f4' (big-endian");
        assertThatThrownBy(() -> Npy.read(complex))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining(complex + ": unsupported .npy dtype '<c8'; expected one of");
    }

    @Test
    void rejectsAbsurdShapes() throws IOException {
        Path file = dir.resolve("huge.npy");
        Files.write(file, npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", new byte[8]));

        assertThatThrownBy(() -> Npy.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": the .npy shape [1099511627776, 1099511627776] is too large");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        Path file = dir.resolve("short.npy");
        Files.write(file, npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[12]));

        assertThatThrownBy(() -> Npy.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": truncated: a <f4 array of shape [4] needs 16 bytes of data, the file holds 12");
    }

    @Test
    void rejectsWhatIsNotNpy() throws IOException {
        Path file = dir.resolve("x.npy");
        Files.writeString(file, "PK\u0003\u0004 a zip");

        assertThatThrownBy(() -> Npy.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": not a .npy file (expected the magic \\x93NUMPY, found 50 4b 03 04 20 61 20 7a)");
    }

    @Test
    void refusesBfloat16() {
        HostTensor bf16 = filled(DType.BF16, new long[] {1});

        assertThatThrownBy(() -> Npy.write(dir.resolve("b.npy"), bf16)).isInstanceOf(IllegalArgumentException.class);
    }

    private static HostTensor filled(DType dtype, long[] shape) {
        byte[] bytes = new byte[(int) HostTensor.byteSize(dtype, shape)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (17 * i + 3);
        }
        return new HostTensor(dtype, shape, ByteBuffer.wrap(bytes));
    }

    /** A .npy file with an unpadded header, which NumPy itself reads fine. */
    private static byte[] npy(int major, String header, byte[] data) {
        byte[] text = (header + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer length = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            length.putShort((short) text.length);
        } else {
            length.putInt(text.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        out.writeBytes(length.array());
        out.writeBytes(text);
        out.writeBytes(data);
        return out.toByteArray();
    }
}
