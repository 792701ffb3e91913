package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Tensors;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeadCodeRestartTest {

    @Test
    void unusedCodesTakeEncoderOutputsAtEachCheckAndUsedOnesStay() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] initial = {1, 1, 2, 2, 3, 3, 4, 4};                                  // 4 codes of 2 values
            NDArray codebook = Tensors.of(manager, initial, new Shape(4, 2));
            // z (B=1, C=2, 1, K=3): outputs (10, 20), (11, 21), (12, 22)
            NDArray z = Tensors.of(manager, new float[] {10, 11, 12, 20, 21, 22}, new Shape(1, 2, 1, 3));
            DeadCodeRestart restart = new DeadCodeRestart(4, 2);
            RandomSource random = RandomSource.seeded(7);

            assertThat(restart.update(0, Tensors.of(manager, new long[] {0, 0, 2}), z, codebook, random)).isZero();
            assertThat(codebook.toFloatArray()).containsExactly(initial);
            assertThat(restart.update(1, Tensors.of(manager, new long[] {0, 0, 0}), z, codebook, random)).isEqualTo(2);

            float[] after = codebook.toFloatArray();
            assertThat(new float[] {after[0], after[1], after[4], after[5]}).containsExactly(1, 1, 3, 3);
            for (int code : new int[] {1, 3}) {
                float first = after[2 * code];
                assertThat(first).isIn(10f, 11f, 12f);
                assertThat(after[2 * code + 1]).isEqualTo(first + 10);                   // a whole output row
            }
            // counts start again after a check: code 2 unused during steps 2-3 is restarted then
            restart.update(2, Tensors.of(manager, new long[] {0, 1, 3}), z, codebook, random);
            assertThat(restart.update(3, Tensors.of(manager, new long[] {0, 1, 3}), z, codebook, random)).isEqualTo(1);
        }
    }

    @Test
    void theUseCountsSurviveACheckpoint() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DeadCodeRestart restart = new DeadCodeRestart(3, 10);
            NDArray z = manager.zeros(new Shape(1, 2, 1, 2));
            restart.update(0, Tensors.of(manager, new long[] {2, 2}), z, manager.zeros(new Shape(3, 2)), RandomSource.seeded(0));
            Checkpointable.State saved = restart.saveState();
            assertThat(saved.tensors().get(DeadCodeRestart.COUNTS).toLongs()).containsExactly(0, 0, 2);

            DeadCodeRestart resumed = new DeadCodeRestart(3, 10);
            resumed.loadState(saved, "test");
            assertThat(resumed.saveState().tensors().get(DeadCodeRestart.COUNTS).toLongs()).containsExactly(0, 0, 2);
            assertThatThrownBy(() -> new DeadCodeRestart(4, 10).loadState(saved, "ckpt"))
                    .isInstanceOf(TitokException.class).hasMessageContaining("ckpt").hasMessageContaining("codebook of 4");
            assertThatThrownBy(() -> resumed.loadState(new Checkpointable.State(
                    Map.of("other", HostTensor.ofLongs(new long[] {3}, new long[3])), Map.of()), "ckpt"))
                    .isInstanceOf(TitokException.class).hasMessageContaining(DeadCodeRestart.COUNTS);
        }
    }
}
