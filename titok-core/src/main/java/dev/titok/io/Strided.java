package dev.titok.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns a strided view of a storage (PyTorch's offset, size, stride) into row-major bytes.
 */
final class Strided {

    private Strided() {
    }

    /**
     * How many storage elements the view needs: one past the furthest element it touches, 0 when it is empty.
     * Strides are in elements and must be non-negative (PyTorch has no negative strides).
     */
    static long extent(long offset, long[] size, long[] stride) {
        long furthest = offset;
        for (int d = 0; d < size.length; d++) {
            if (size[d] == 0) {
                return 0;
            }
            furthest = Math.addExact(furthest, Math.multiplyExact(size[d] - 1, stride[d]));
        }
        return furthest + 1;
    }

    /** True when the strides are those of a row-major layout; a dimension of size 1 may have any stride. */
    static boolean isRowMajor(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }

    /**
     * The view's elements in row-major order, little-endian. A row-major view is returned as a slice of the
     * storage without copying; any other view is copied element by element, or run by run when its last
     * dimension is contiguous. The caller checks that {@link #extent} fits in the storage.
     *
     * @param storage     the whole storage, positioned at 0
     * @param elementSize bytes per element
     * @param offset      first element of the view, in elements
     */
    static ByteBuffer gather(ByteBuffer storage, int elementSize, long offset, long[] size, long[] stride) {
        int bytes = Math.toIntExact(HostTensor.numel(size) * elementSize);
        if (bytes == 0) {
            return ByteBuffer.allocate(0);
        }
        if (isRowMajor(size, stride)) {
            return storage.slice(Math.toIntExact(offset * elementSize), bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer out = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int dims = size.length;
        boolean lastContiguous = stride[dims - 1] == 1;
        int outerDims = lastContiguous ? dims - 1 : dims;
        int runBytes = Math.toIntExact((lastContiguous ? size[dims - 1] : 1) * elementSize);
        long[] index = new long[outerDims];
        long position = offset;
        while (out.hasRemaining()) {
            out.put(storage.slice(Math.toIntExact(position * elementSize), runBytes));
            position = advance(index, size, stride, position);
        }
        return out.flip();
    }

    /** Steps the odometer {@code index} to the next run and returns that run's storage position. */
    private static long advance(long[] index, long[] size, long[] stride, long position) {
        for (int d = index.length - 1; d >= 0; d--) {
            index[d]++;
            position += stride[d];
            if (index[d] < size[d]) {
                return position;
            }
            position -= stride[d] * size[d];
            index[d] = 0;
        }
        return position;
    }
}
