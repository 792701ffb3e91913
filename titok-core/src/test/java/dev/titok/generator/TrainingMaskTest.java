package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Replay;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arccos training mask: masked counts, the permutation-value rule and the draw order (SPEC §4.5). */
class TrainingMaskTest {

    private static final long MASK = 4096;

    @Test
    void masksRoundedArccosCountsWithAtLeastOnePosition() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray tokens = m.arange(0, 48, 1, DataType.INT64).reshape(3, 16);
            // t = 0 masks everything, t = 0.5 masks round(16 · 2/3) = 11, t just below 1 rounds to 0 and is raised to 1.
            Replay draws = new Replay(List.of(new float[] {0f, 0.5f, Math.nextDown(1f)}, ramp(48)),
                    List.of(new Shape(3), new Shape(3, 16)));
            TrainingMask masked = TrainingMask.arccos(tokens, MASK, draws);
            assertThat(rowCounts(masked.mask(), 3, 16)).containsExactly(16, 11, 1);
            assertThat(draws.remaining()).isZero();
        }
    }

    @Test
    void comparesThePermutationValueAtEachPositionNotTheRank() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray tokens = m.create(new long[] {10, 11, 12, 13}, new Shape(1, 4));
            // argsort([0.9, 0.1, 0.5, 0.3]) = [1, 3, 2, 0]: with one token to mask, position 3 (value 0) is masked,
            // not position 1 (the smallest draw).
            Replay draws = new Replay(List.of(new float[] {Math.nextDown(1f)}, new float[] {0.9f, 0.1f, 0.5f, 0.3f}),
                    List.of(new Shape(1), new Shape(1, 4)));
            TrainingMask masked = TrainingMask.arccos(tokens, MASK, draws);
            assertThat(masked.mask().toBooleanArray()).containsExactly(false, false, false, true);
            assertThat(masked.inputIds().toLongArray()).containsExactly(10, 11, 12, MASK);
            assertThat(masked.inputIds().getDataType()).isEqualTo(DataType.INT64);
        }
    }

    @Test
    void keepsUnmaskedTokensAndMasksExactlyTheCountedPositions() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray tokens = m.arange(0, 8 * 32, 1, DataType.INT64).reshape(8, 32);
            TrainingMask masked = TrainingMask.arccos(tokens, MASK, RandomSource.seeded(5));
            long[] ids = masked.inputIds().toLongArray();
            boolean[] mask = masked.mask().toBooleanArray();
            long[] clean = tokens.toLongArray();
            for (int i = 0; i < ids.length; i++) {
                assertThat(ids[i]).isEqualTo(mask[i] ? MASK : clean[i]);
            }
            for (int n : rowCounts(masked.mask(), 8, 32)) {
                assertThat(n).isBetween(1, 32);
            }
        }
    }

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i * 7 % n) / (float) n;
        }
        return v;
    }

    private static int[] rowCounts(NDArray mask, int rows, int cols) {
        boolean[] flat = mask.toBooleanArray();
        int[] counts = new int[rows];
        for (int i = 0; i < flat.length; i++) {
            counts[i / cols] += flat[i] ? 1 : 0;
        }
        return counts;
    }
}
