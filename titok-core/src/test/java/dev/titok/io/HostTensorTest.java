package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class HostTensorTest {

    @Test
    void rejectsABufferOfTheWrongSize() {
        assertThatThrownBy(() -> new HostTensor(DType.F32, new long[] {2, 3}, ByteBuffer.allocate(20)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("F32 tensor of shape [2, 3] needs 24 bytes, the buffer holds 20");
        assertThatThrownBy(() -> new HostTensor(DType.F32, new long[] {-1}, ByteBuffer.allocate(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostTensor.ofFloats(new long[] {3}, new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isImmutable() {
        long[] shape = {2};
        float[] values = {1, 2};
        ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).flip();
        HostTensor tensor = new HostTensor(DType.F32, shape, bytes);
        HostTensor copied = HostTensor.ofFloats(shape, values);

        shape[0] = 5;
        values[0] = 9;
        tensor.shape()[0] = 7;
        tensor.data().position(4);

        assertThat(tensor.shape()).containsExactly(2);
        assertThat(copied.toFloats()).containsExactly(1, 2);
        assertThat(tensor.data().isReadOnly()).isTrue();
        assertThat(tensor.data().position()).isZero();
        assertThat(tensor.data().order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void takesTheRemainingBytesOfAPositionedBuffer() {
        ByteBuffer bytes = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(9).putFloat(1).putFloat(2);
        bytes.position(4);

        HostTensor tensor = new HostTensor(DType.F32, new long[] {2}, bytes);

        assertThat(tensor.toFloats()).containsExactly(1, 2);
        assertThat(tensor.asFloatBuffer().get(1)).isEqualTo(2);
        assertThat(tensor.byteSize()).isEqualTo(8);
    }

    @Test
    void widensIntegers() {
        ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-3).putShort((short) -2).put((byte) -1).put((byte) 255);

        assertThat(new HostTensor(DType.I32, new long[] {2}, bytes.duplicate().position(0).limit(8)).toLongs())
                .containsExactly(-3, -2); // the second int is the bytes fe ff ff ff
        assertThat(new HostTensor(DType.I16, new long[] {1}, bytes.duplicate().position(4).limit(6)).toLongs()).containsExactly(-2);
        assertThat(new HostTensor(DType.I8, new long[] {2}, bytes.duplicate().position(6).limit(8)).toLongs()).containsExactly(-1, -1);
        assertThat(new HostTensor(DType.U8, new long[] {2}, bytes.duplicate().position(6).limit(8)).toLongs()).containsExactly(255, 255);
        assertThat(new HostTensor(DType.BOOL, new long[] {2}, bytes.duplicate().position(6).limit(8)).toLongs()).containsExactly(1, 1);
    }

    @Test
    void narrowsDoubles() {
        ByteBuffer bytes = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(1e300).putDouble(-2.5).flip();

        assertThat(new HostTensor(DType.F64, new long[] {3}, bytes).toFloats())
                .containsExactly(0.1f, Float.POSITIVE_INFINITY, -2.5f);
    }

    @Test
    void givesDoublesExactly() {
        double[] values = {0.1, 1e300, -2.5, Double.MIN_VALUE};
        ByteBuffer half = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3555).putShort((short) 0x3eab).flip();

        assertThat(HostTensor.ofDoubles(new long[] {2, 2}, values).toDoubles()).containsExactly(values);
        assertThat(HostTensor.ofFloats(new long[] {1}, new float[] {0.1f}).toDoubles()).containsExactly((double) 0.1f);
        // binary16 0x3555 is 0.333251953125; bfloat16 0x3eab is 0.333984375
        assertThat(new HostTensor(DType.F16, new long[] {1}, half.duplicate().limit(2)).toDoubles()).containsExactly(0.333251953125);
        assertThat(new HostTensor(DType.BF16, new long[] {1}, half.duplicate().position(2)).toDoubles()).containsExactly(0.333984375);
        assertThatThrownBy(() -> HostTensor.ofDoubles(new long[] {3}, new double[2])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesConversionsAcrossKinds() {
        HostTensor ids = HostTensor.ofLongs(new long[] {1}, new long[] {1});
        HostTensor weights = HostTensor.ofFloats(new long[] {1}, new float[] {1});

        assertThatThrownBy(ids::toFloats).isInstanceOf(IllegalStateException.class).hasMessageContaining("I64");
        assertThatThrownBy(ids::toDoubles).isInstanceOf(IllegalStateException.class).hasMessageContaining("I64");
        assertThatThrownBy(ids::asFloatBuffer).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(weights::toLongs).isInstanceOf(IllegalStateException.class).hasMessageContaining("F32");
    }

    @Test
    void equalityIsByContent() {
        HostTensor a = HostTensor.ofFloats(new long[] {2}, new float[] {1, 2});
        HostTensor b = HostTensor.ofFloats(new long[] {2}, new float[] {1, 2});
        HostTensor reshaped = HostTensor.ofFloats(new long[] {1, 2}, new float[] {1, 2});

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(reshaped);
        assertThat(a).hasToString("HostTensor[F32 [2]]");
        assertThat(a.numel()).isEqualTo(2);
        assertThat(HostTensor.numel(new long[0])).isEqualTo(1);
    }
}
