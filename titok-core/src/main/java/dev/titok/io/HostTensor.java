package dev.titok.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable tensor in host memory, as read from a weight file: element type, shape and the raw bytes.
 *
 * <p>The bytes are little-endian and contiguous in row-major (C) order. They may live on the Java heap, off-heap,
 * or in a read-only memory map of the file they came from; in that last case the mapping lives as long as this
 * tensor (or a buffer taken from it) is reachable. A scalar has shape {@code []} and one element.
 *
 * <p>The tensor keeps the buffer it is given (without copying), so the caller must not modify it afterwards.
 * Every float type widens exactly to F32 in {@link #toFloats()}, which is how weights reach the model: DJL's
 * PyTorch engine aborts on BF16 tensors, so nothing narrower than F32 is ever handed to it.
 *
 * @param dtype element type
 * @param shape dimensions, each non-negative
 * @param data  exactly {@code numel() * dtype.byteSize()} bytes between position and limit
 */
public record HostTensor(DType dtype, long[] shape, ByteBuffer data) {

    /**
     * Checks that the buffer holds exactly the bytes the shape needs.
     *
     * @throws IllegalArgumentException on a negative dimension or a size mismatch
     */
    public HostTensor {
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        long bytes = byteSize(dtype, shape);
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException(String.format(
                    "%s tensor of shape %s needs %,d bytes, the buffer holds %,d",
                    dtype, Arrays.toString(shape), bytes, data.remaining()));
        }
        data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** An F32 tensor holding a copy of {@code values}. */
    public static HostTensor ofFloats(long[] shape, float[] values) {
        checkLength(shape, values.length);
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return new HostTensor(DType.F32, shape, buffer);
    }

    /** An F64 tensor holding a copy of {@code values}. */
    public static HostTensor ofDoubles(long[] shape, double[] values) {
        checkLength(shape, values.length);
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asDoubleBuffer().put(values);
        return new HostTensor(DType.F64, shape, buffer);
    }

    /** An I64 tensor holding a copy of {@code values}. */
    public static HostTensor ofLongs(long[] shape, long[] values) {
        checkLength(shape, values.length);
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asLongBuffer().put(values);
        return new HostTensor(DType.I64, shape, buffer);
    }

    /** Number of elements: the product of the dimensions (1 for a scalar). */
    public static long numel(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** Bytes that a tensor of this type and shape occupies. */
    public static long byteSize(DType dtype, long[] shape) {
        return Math.multiplyExact(numel(shape), (long) dtype.byteSize());
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * A read-only little-endian view of the bytes, positioned at 0. It may be a memory map of the file, so code
     * that hands its address to a native library that could write in place must copy it first.
     */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Number of elements. */
    public long numel() {
        return numel(shape);
    }

    /** Number of bytes of {@link #data()}. */
    public long byteSize() {
        return data.capacity();
    }

    /**
     * The elements as F32: F32 as stored, F16 and BF16 widened exactly (subnormals, infinities and NaN
     * included), F64 rounded to nearest.
     *
     * @throws IllegalStateException for an integer or boolean tensor, or one with 2^31 or more elements
     */
    public float[] toFloats() {
        float[] out = new float[arrayLength()];
        ByteBuffer bytes = data();
        switch (dtype) {
            case F32 -> bytes.asFloatBuffer().get(out);
            case F16 -> widenHalf(bytes.asShortBuffer(), out);
            case BF16 -> widenBfloat16(bytes.asShortBuffer(), out);
            case F64 -> narrowDouble(bytes.asDoubleBuffer(), out);
            default -> throw new IllegalStateException("a " + dtype + " tensor has no float values; expected F32, F16, BF16 or F64");
        }
        return out;
    }

    /**
     * The elements as F64: F64 as stored, F32, F16 and BF16 widened exactly.
     *
     * @throws IllegalStateException for an integer or boolean tensor, or one with 2^31 or more elements
     */
    public double[] toDoubles() {
        if (dtype == DType.F64) {
            double[] out = new double[arrayLength()];
            data().asDoubleBuffer().get(out);
            return out;
        }
        if (!dtype.isFloatingPoint()) {
            throw new IllegalStateException("a " + dtype + " tensor has no float values; expected F64, F32, F16 or BF16");
        }
        float[] floats = toFloats();
        double[] out = new double[floats.length];
        for (int i = 0; i < floats.length; i++) {
            out[i] = floats[i];
        }
        return out;
    }

    /**
     * The elements as longs: I64 as stored, I32/I16/I8 sign-extended, U8 zero-extended, BOOL as 0 or 1.
     *
     * @throws IllegalStateException for a float tensor, or one with 2^31 or more elements
     */
    public long[] toLongs() {
        long[] out = new long[arrayLength()];
        ByteBuffer bytes = data();
        switch (dtype) {
            case I64 -> bytes.asLongBuffer().get(out);
            case I32 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = bytes.getInt(i * Integer.BYTES);
                }
            }
            case I16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = bytes.getShort(i * Short.BYTES);
                }
            }
            case I8 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = bytes.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Byte.toUnsignedLong(bytes.get(i));
                }
            }
            case BOOL -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = bytes.get(i) != 0 ? 1 : 0;
                }
            }
            default -> throw new IllegalStateException("a " + dtype + " tensor has no integer values; expected I64, I32, I16, I8, U8 or BOOL");
        }
        return out;
    }

    /**
     * A read-only view of the elements of an F32 tensor, without copying.
     *
     * @throws IllegalStateException when the tensor is not F32
     */
    public FloatBuffer asFloatBuffer() {
        if (dtype != DType.F32) {
            throw new IllegalStateException("asFloatBuffer needs an F32 tensor, this one is " + dtype + "; use toFloats()");
        }
        return data().asFloatBuffer();
    }

    /** Exact IEEE 754 binary16 to binary32 conversion. */
    static float halfToFloat(short half) {
        int sign = (half & 0x8000) << 16;
        int exponent = (half >>> 10) & 0x1f;
        int mantissa = half & 0x3ff;
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24 is exact in binary32
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1f) {
            // infinity or NaN; the NaN payload is kept
            return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13);
        }
        // rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }

    private static void widenHalf(ShortBuffer in, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = halfToFloat(in.get(i));
        }
    }

    private static void widenBfloat16(ShortBuffer in, float[] out) {
        // bfloat16 is the upper half of a binary32
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.intBitsToFloat(in.get(i) << 16);
        }
    }

    private static void narrowDouble(DoubleBuffer in, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) in.get(i);
        }
    }

    private int arrayLength() {
        long count = numel();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(String.format(
                    "tensor of shape %s has %,d elements, too many for one Java array", Arrays.toString(shape), count));
        }
        return (int) count;
    }

    private static void checkLength(long[] shape, int length) {
        if (numel(shape) != length) {
            throw new IllegalArgumentException(String.format(
                    "shape %s needs %,d values, got %,d", Arrays.toString(shape), numel(shape), length));
        }
    }

    /** Equal when dtype, shape and bytes are equal. */
    @Override
    public boolean equals(Object other) {
        return other instanceof HostTensor that
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && data.equals(that.data);
    }

    /** Hashes dtype and shape only, so that hashing never reads a large (possibly mapped) buffer. */
    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
