package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The official YAML layout read as OmegaConf reads it, with command-line overrides and strict keys. */
class TrainingConfigTest {

    private static final String YAML = """
            experiment:
                output_dir: "runs/stage1"
                save_every: 5_000
                log_every: 50
            model:
                vq_model:
                    codebook_size: 64
                    num_latent_tokens: 8
            optimizer:
                name: adamw
                params:
                    learning_rate: 1e-4
                    beta1: 0.9
                    beta2: 0.99
                    weight_decay: 1e-4
            lr_scheduler:
                scheduler: "cosine"
                params:
                    learning_rate: ${optimizer.params.learning_rate}
                    warmup_steps: 1_000
                    end_lr: 1e-5
            training:
                per_gpu_batch_size: 32
                use_ema: True
                max_train_steps: 1_000_000
                max_grad_norm: 1.0
            """;

    @TempDir
    Path temp;

    private Path yaml(String text) throws IOException {
        return Files.writeString(temp.resolve("config.yaml"), text);
    }

    @Test
    void readsNumbersAndInterpolationsLikeOmegaConf() throws IOException {
        TrainingConfig c = TrainingConfig.read(yaml(YAML), List.of());
        assertThat(c.getLong("training.max_train_steps", 0)).isEqualTo(1_000_000);
        assertThat(c.getInt("experiment.save_every", 0)).isEqualTo(5000);
        assertThat(c.getDouble("optimizer.params.learning_rate", 0)).isEqualTo(1e-4);
        assertThat(c.getDouble("lr_scheduler.params.learning_rate", 0)).isEqualTo(1e-4);
        assertThat(c.getDouble("lr_scheduler.params.end_lr", 0)).isEqualTo(1e-5);
        assertThat(c.getBoolean("training.use_ema", false)).isTrue();
        assertThat(c.getString("experiment.output_dir", null)).isEqualTo("runs/stage1");
        assertThat(c.getInt("training.gradient_accumulation_steps", 1)).isEqualTo(1);
        assertThat(c.tree().path("model").path("vq_model").path("codebook_size").asInt()).isEqualTo(64);
    }

    @Test
    void dottedOverridesWinAndFollowInterpolations() throws IOException {
        TrainingConfig c = TrainingConfig.read(yaml(YAML),
                List.of("training.max_train_steps=2000", "optimizer.params.learning_rate=3e-4", "training.use_ema=false"));
        assertThat(c.getLong("training.max_train_steps", 0)).isEqualTo(2000);
        assertThat(c.getDouble("lr_scheduler.params.learning_rate", 0)).isEqualTo(3e-4);
        assertThat(c.getBoolean("training.use_ema", true)).isFalse();
    }

    @Test
    void typosAreErrors() throws IOException {
        Path file = yaml(YAML);
        assertThatThrownBy(() -> TrainingConfig.read(file, List.of("training.max_train_step=10")))
                .isInstanceOf(TitokException.class).hasMessageContaining("unknown key").hasMessageContaining("training.max_train_step");
        assertThatThrownBy(() -> TrainingConfig.read(yaml(YAML.replace("log_every", "log_evry")), List.of()))
                .isInstanceOf(TitokException.class).hasMessageContaining("experiment.log_evry");
        assertThatThrownBy(() -> TrainingConfig.read(file, List.of("nonsense")))
                .isInstanceOf(TitokException.class).hasMessageContaining("key.path=value");
    }

    @Test
    void badInterpolationsAndTypes() throws IOException {
        assertThatThrownBy(() -> TrainingConfig.read(yaml(YAML.replace("${optimizer.params.learning_rate}", "${optimizer.lr}")), List.of()))
                .isInstanceOf(TitokException.class).hasMessageContaining("${optimizer.lr}");
        assertThatThrownBy(() -> TrainingConfig.read(yaml(YAML.replace("end_lr: 1e-5", "end_lr: ${lr_scheduler.params.end_lr}")), List.of()))
                .isInstanceOf(TitokException.class).hasMessageContaining("refers to itself");
        TrainingConfig c = TrainingConfig.read(yaml(YAML), List.of("training.max_train_steps=many"));
        assertThatThrownBy(() -> c.getLong("training.max_train_steps", 0))
                .isInstanceOf(TitokException.class).hasMessageContaining("\"many\"").hasMessageContaining("integer");
        assertThatThrownBy(() -> TrainingConfig.read(yaml("- just\n- a list\n"), List.of()))
                .isInstanceOf(TitokException.class).hasMessageContaining("YAML mapping");
    }
}
