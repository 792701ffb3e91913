package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.config.VqganConfig;
import dev.titok.data.SyntheticShapes;
import dev.titok.io.HostTensor;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MaskGIT-VQGAN teacher trained from scratch, shrunk: learning, the GAN path, export, preview and resume. */
class TeacherJobTest {

    /** 16-pixel images, ×4 down to a 4×4 grid of 32 codes of 8 dims. */
    static final VqganConfig TINY = new VqganConfig(List.of(1, 1, 1), 32, 1, 16, 8, 3, 32);

    private static TeacherJob.Settings settings(long ganStart) {
        return new TeacherJob.Settings(TINY, 2, 3e-3, 1e-4, 0, 100, 0.9, 0.999, 1e-4, 1.0, 0.25, 11,
                new Adversary.Settings(32, 1e-3, 1e-4, 0, 100, 0.9, 0.999, 1e-4, 1.0, ganStart, 0.01, 0.001, 12));
    }

    private static SyntheticShapes data() {
        return new SyntheticShapes(16, 64, 3);
    }

    @Test
    void lossFallsAndTheGanJoinsAtItsStart(@TempDir Path dir) {
        try (TeacherJob job = new TeacherJob(settings(16), data(), 1)) {
            double first = 0;
            double last = 0;
            for (long step = 0; step < 20; step++) {
                Map<String, Double> metrics = job.step(step);
                if (step == 0) {
                    first = metrics.get("rec");
                    assertThat(metrics).containsKeys("loss", "vq", "codebook_usage", "lr", "grad_norm")
                            .doesNotContainKey("d_loss");
                    assertThat(metrics.get("gan")).isZero();
                }
                if (step == 16) {
                    assertThat(metrics).containsKey("d_loss");
                    assertThat(metrics.get("gan")).isNotZero();
                }
                last = metrics.get("rec");
            }
            assertThat(last).isLessThan(0.5 * first);
            job.preview(20, dir);
            assertThat(TrainingLoop.previewFile(dir, 20)).exists();
            try (Vqgan vqgan = job.trained()) {
                long[] codes = vqgan.encode(new float[][] {data().get(0, new SplittableRandom(0)).pixels()}, 16)[0];
                assertThat(codes).hasSize(16);
                assertThat(Arrays.stream(codes).allMatch(code -> code >= 0 && code < 32)).isTrue();
            }
        }
    }

    @Test
    void resumeContinuesBitIdentically(@TempDir Path dir) {
        Map<String, HostTensor> straight;
        Path checkpoint;
        try (TeacherJob job = new TeacherJob(settings(2), data(), 1)) {
            for (long step = 0; step < 3; step++) {
                job.step(step);
            }
            checkpoint = new Checkpointer(dir, 2).save(job.state(), 3, job.dataPosition());
            for (long step = 3; step < 5; step++) {
                job.step(step);
            }
            straight = Map.copyOf(snapshot(job));
        }
        try (TeacherJob resumed = new TeacherJob(settings(2), data(), 2)) {
            Checkpointer.Resumed r = Checkpointer.load(checkpoint, resumed.state());
            resumed.restoreDataPosition(r.dataPosition());
            for (long step = r.step(); step < 5; step++) {
                resumed.step(step);
            }
            assertThat(snapshot(resumed)).isEqualTo(straight);
        }
        assertThat(Files.exists(checkpoint.resolve("adversary.safetensors"))).isTrue();
    }

    /** Model, EMA, optimizer and adversary state by part-qualified name. */
    static Map<String, HostTensor> snapshot(TrainingJob job) {
        Map<String, HostTensor> out = new java.util.TreeMap<>();
        job.state().parts().forEach((part, c) -> c.saveState().tensors().forEach((k, v) -> out.put(part + "/" + k, v)));
        return out;
    }
}
