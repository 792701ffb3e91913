package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class StridedTest {

    /** 0, 1, ..., n-1 as little-endian ints. */
    private static ByteBuffer iota(int n) {
        ByteBuffer bytes = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            bytes.putInt(i);
        }
        return bytes.flip();
    }

    private static int[] ints(ByteBuffer bytes) {
        int[] values = new int[bytes.remaining() / 4];
        bytes.order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values);
        return values;
    }

    @Test
    void permutesThreeDimensions() {
        // a (2, 3, 4) row-major tensor permuted to (4, 2, 3): strides (1, 12, 4)
        ByteBuffer out = Strided.gather(iota(24), 4, 0, new long[] {4, 2, 3}, new long[] {1, 12, 4});

        int[] values = ints(out);
        int at = 0;
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    assertThat(values[at++]).isEqualTo(i * 12 + j * 4 + k);
                }
            }
        }
    }

    @Test
    void copiesRunsWhenOnlyTheLastDimensionIsContiguous() {
        // rows 1 and 3 of a (4, 3) tensor: every second row
        ByteBuffer out = Strided.gather(iota(12), 4, 3, new long[] {2, 3}, new long[] {6, 1});

        assertThat(ints(out)).containsExactly(3, 4, 5, 9, 10, 11);
    }

    @Test
    void slicesRowMajorViewsWithoutCopying() {
        ByteBuffer storage = iota(12);

        ByteBuffer out = Strided.gather(storage, 4, 4, new long[] {1, 2, 4}, new long[] {99, 4, 1});

        assertThat(ints(out)).containsExactly(4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(Strided.isRowMajor(new long[] {1, 2, 4}, new long[] {99, 4, 1})).isTrue();
        assertThat(out.isDirect()).isEqualTo(storage.isDirect());
    }

    @Test
    void repeatsBroadcastElements() {
        ByteBuffer out = Strided.gather(iota(3), 4, 0, new long[] {2, 3}, new long[] {0, 1});

        assertThat(ints(out)).containsExactly(0, 1, 2, 0, 1, 2);
    }

    @Test
    void measuresTheExtentOfAView() {
        assertThat(Strided.extent(2, new long[] {2, 3}, new long[] {1, 2})).isEqualTo(2 + 1 + 4 + 1);
        assertThat(Strided.extent(5, new long[0], new long[0])).isEqualTo(6);
        assertThat(Strided.extent(100, new long[] {0, 3}, new long[] {3, 1})).isZero();
        assertThat(Strided.gather(iota(1), 4, 100, new long[] {0, 3}, new long[] {1, 9}).remaining()).isZero();
    }
}
