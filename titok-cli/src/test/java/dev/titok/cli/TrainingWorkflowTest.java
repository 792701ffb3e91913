package dev.titok.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.eval.stats.FidStatistics;
import dev.titok.eval.SampleImages;
import dev.titok.train.MetricsLog;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training commands as a user chains them: train a tokenizer, pretokenize, train a generator on its tokens,
 * generate with both; resume; the demo end to end. Tiny models, a few steps: this checks the plumbing, not quality.
 */
class TrainingWorkflowTest {

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(TrainingWorkflowTest.class.getResource("/" + name).toURI());
    }

    @Test
    void tokenizerThenTokensThenGeneratorThenSamples(@TempDir Path dir) throws Exception {
        Path tokenizerRun = dir.resolve("tokenizer");
        Cli train = Cli.run("train", "single", "--config", resource("tiny-tokenizer.yaml"), "--run-dir", tokenizerRun);
        assertThat(train.exit()).as(train.err()).isZero();
        Path model = tokenizerRun.resolve("model");
        assertThat(model.resolve("config.json")).isNotEmptyFile();
        assertThat(model.resolve("model.safetensors")).isNotEmptyFile();
        assertThat(tokenizerRun.resolve("loss.png")).isNotEmptyFile();
        assertThat(MetricsLog.read(tokenizerRun.resolve("metrics.jsonl"))).hasSize(4);
        assertThat(Cli.run("inspect", "--model", model).exit()).isZero();

        Path tokens = dir.resolve("tokens.jsonl");
        Cli pretokenize = Cli.run("pretokenize", "--model", model, "--data", "synthetic", "--split", "test", "--out", tokens);
        assertThat(pretokenize.exit()).as(pretokenize.err()).isZero();
        List<String> lines = Files.readAllLines(tokens);
        assertThat(lines).hasSize(2 * 2000);
        assertThat(lines.get(0)).startsWith("{\"class_id\": 0, \"tokens\": [");

        Path generatorRun = dir.resolve("generator");
        Cli generator = Cli.run("train", "generator", "--config", resource("tiny-generator.yaml"), "--run-dir",
                generatorRun, "dataset.params.train_shards_path_or_url=" + tokens,
                "experiment.tokenizer_checkpoint=" + model);
        assertThat(generator.exit()).as(generator.err()).isZero();
        assertThat(generatorRun.resolve("previews/step-000003.png")).isNotEmptyFile();

        Path samples = dir.resolve("samples");
        Cli generate = Cli.run("generate", "--tokenizer", model, "--generator", generatorRun.resolve("model"),
                "--class", "3", "--count", "2", "--out-dir", samples);
        assertThat(generate.exit()).as(generate.err()).isZero();
        assertThat(samples.resolve("grid.png")).isNotEmptyFile();

        Path judge = dir.resolve("classifier");
        Cli classifier = Cli.run("classifier", "--data", "synthetic", "--image-size", "16", "--epochs", "2",
                "--train-images", "640", "--out", judge);
        assertThat(classifier.exit()).as(classifier.err()).isZero();
        assertThat(classifier.out()).startsWith("test_accuracy 0.");
        Cli consistency = Cli.run("eval", "consistency", "--tokenizer", model, "--generator", generatorRun.resolve("model"),
                "--classifier", judge, "--per-class", "3", "--grid", dir.resolve("consistency.png"));
        assertThat(consistency.exit()).as(consistency.err()).isZero();
        assertThat(consistency.out()).startsWith("class_consistency ").contains("of 30)").contains("disc");
        assertThat(dir.resolve("consistency.png")).isNotEmptyFile();

        Cli recon = Cli.run("eval", "recon", "--model", model, "--data", "synthetic", "--limit", "40", "--grid",
                dir.resolve("recon.png"));
        assertThat(recon.exit()).as(recon.err()).isZero();
        assertThat(recon.out()).contains("images 40", "psnr_db ", "codebook_usage ", "rfid not measured");
        assertThat(dir.resolve("recon.png")).isNotEmptyFile();

        evaluation(dir, model, generatorRun.resolve("model"), judge);
    }

    /** The evaluation commands on the trained tokenizer and generator, in the classifier's feature space. */
    private static void evaluation(Path dir, Path tokenizer, Path generator, Path judge) throws Exception {
        Path report = dir.resolve("recon.json");
        Path state = dir.resolve("recon.state.npz");
        Cli recon = Cli.run("eval", "recon", "--model", tokenizer, "--data", "synthetic", "--limit", "48",
                "--classifier", judge, "--batch-size", "16", "--state", state, "--save-every", "16",
                "--report", report, "--csv", dir.resolve("recon.csv"), "--worst", dir.resolve("worst.png"));
        assertThat(recon.exit()).as(recon.err()).isZero();
        assertThat(recon.out()).contains("images 48", "ssim ", "rfid ", "inception_score ",
                "feature_space classifier space", "NOT Inception", "per class:", "disc");
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("images").asInt()).isEqualTo(48);
        assertThat(json.get("rfid").asDouble()).isPositive();
        assertThat(json.get("feature_space").asText()).contains("NOT Inception");
        assertThat(json.get("per_class")).hasSize(10);
        assertThat(Files.readAllLines(dir.resolve("recon.csv"))).hasSize(12).first().isEqualTo("label,name,images,psnr_db,ssim");
        assertThat(dir.resolve("worst.png")).isNotEmptyFile();
        assertThat(state).isNotEmptyFile();
        // the complete state answers a rerun without measuring again, with the same figures
        Cli again = Cli.run("eval", "recon", "--model", tokenizer, "--data", "synthetic", "--limit", "48",
                "--classifier", judge, "--batch-size", "16", "--state", state);
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo(recon.out());

        Path samples = dir.resolve("samples.npz");
        Cli sample = Cli.run("sample", "--tokenizer", tokenizer, "--generator", generator, "--count-per-class", "3",
                "--batch-size", "7", "--out", samples);
        assertThat(sample.exit()).as(sample.err()).isZero();
        try (SampleImages images = SampleImages.open(samples)) {
            assertThat(images.count()).isEqualTo(30);
            assertThat(images.height()).isEqualTo(16);
        }

        Path ref = dir.resolve("ref.npz");
        Cli gen = Cli.run("eval", "gen", "--samples", samples, "--ref", "synthetic", "--classifier", judge,
                "--save-ref", ref, "--report", dir.resolve("gen.json"));
        assertThat(gen.exit()).as(gen.err()).isZero();
        assertThat(gen.out()).contains("samples 30", "gfid ", "inception_score_adm ", "(1 split of up to 5000)",
                "inception_score_official ", "NOT Inception");
        assertThat(ref).isNotEmptyFile();
        Cli fromFile = Cli.run("eval", "gen", "--samples", samples, "--ref", ref, "--classifier", judge);
        assertThat(fromFile.exit()).as(fromFile.err()).isZero();
        assertThat(line(fromFile.out(), "gfid")).isEqualTo(line(gen.out(), "gfid"));

        // real training images against the test statistics: the floor of this feature space
        Cli floor = Cli.run("eval", "gen", "--samples", "synthetic", "--image-size", "16", "--ref", ref,
                "--classifier", judge);
        assertThat(floor.exit()).as(floor.err()).isZero();
        assertThat(floor.out()).contains("samples 20000");
        double floorFid = Double.parseDouble(line(floor.out(), "gfid").split(" ")[1]);
        assertThat(floorFid).isLessThan(Double.parseDouble(line(gen.out(), "gfid").split(" ")[1]));

        Cli noSpace = Cli.run("eval", "gen", "--samples", samples, "--ref", ref);
        assertThat(noSpace.exit()).isNotZero();
        assertThat(noSpace.err()).contains("--inception FILE", "--classifier DIR");
        Path admStyle = dir.resolve("adm.npz");
        FidStatistics.read(ref).write(admStyle);
        Cli mixed = Cli.run("eval", "gen", "--samples", samples, "--ref", admStyle, "--classifier", judge);
        assertThat(mixed.exit()).isNotZero();
        assertThat(mixed.err()).contains("holds Inception statistics");
        Cli missing = Cli.run("eval", "gen", "--samples", dir.resolve("none.npz"), "--ref", ref, "--classifier", judge);
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("none.npz");
    }

    private static String line(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key + " ")).findFirst().orElseThrow();
    }

    /** The two-stage recipe chained from the command line: teacher, stage 1 on its codes, stage 2 with its decoder. */
    @Test
    void teacherThenStageOneThenStageTwo(@TempDir Path dir) throws Exception {
        Path teacher = dir.resolve("teacher");
        Cli first = Cli.run("train", "teacher", "--config", resource("tiny-teacher.yaml"), "--run-dir", teacher);
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(Cli.run("vqgan", "encode", "--model", teacher.resolve("model"), Cli.IMAGES.resolve(
                "ILSVRC2012_val_00008636.png")).exit()).isZero();

        Path stage1 = dir.resolve("stage1");
        Cli second = Cli.run("train", "stage1", "--config", resource("tiny-stage1.yaml"), "--run-dir", stage1,
                "model.vq_model.pretrained_tokenizer_weight=" + teacher.resolve("model"));
        assertThat(second.exit()).as(second.err()).isZero();

        Path stage2 = dir.resolve("stage2");
        Cli third = Cli.run("train", "stage2", "--config", resource("tiny-stage2.yaml"), "--run-dir", stage2,
                "experiment.init_weight=" + stage1.resolve("model"),
                "model.vq_model.pretrained_tokenizer_weight=" + teacher.resolve("model"));
        assertThat(third.exit()).as(third.err()).isZero();
        assertThat(third.err()).contains("perceptual_loss 'convnext_s'").contains("without the perceptual term");
        assertThat(MetricsLog.read(stage2.resolve("metrics.jsonl")).get(1).values()).containsKey("d_loss");
        Cli reconstruct = Cli.run("reconstruct", "--model", stage2.resolve("model"), Cli.IMAGES.resolve(
                "ILSVRC2012_val_00008636.png"), "--out-dir", dir.resolve("out"));
        assertThat(reconstruct.exit()).as(reconstruct.err()).isZero();

        Cli mismatched = Cli.run("train", "stage2", "--config", resource("tiny-stage2.yaml"), "--run-dir",
                dir.resolve("bad"), "experiment.init_weight=" + stage1.resolve("model"),
                "model.vq_model.pretrained_tokenizer_weight=" + teacher.resolve("model"),
                "arch.pixel_decoder_config.hidden_channels=64");
        assertThat(mismatched.errorLine()).contains("the stage-1 model and the teacher make");
    }

    @Test
    void aFinishedRunIsNotOverwrittenAndResumeContinuesIt(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Path config = resource("tiny-tokenizer.yaml");
        assertThat(Cli.run("train", "single", "--config", config, "--run-dir", run).exit()).isZero();

        Cli again = Cli.run("train", "single", "--config", config, "--run-dir", run);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.errorLine()).contains("already holds checkpoints").contains("resume");

        Cli resumed = Cli.run("train", "single", "--config", config, "--run-dir", run, "--resume",
                "training.max_train_steps=6");
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming from").contains("step 4");
        assertThat(MetricsLog.read(run.resolve("metrics.jsonl")).stream().map(MetricsLog.Entry::step))
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void badTrainingInputsGiveOneClearError(@TempDir Path dir) throws Exception {
        Path config = resource("tiny-tokenizer.yaml");
        assertThat(Cli.run("train", "bogus", "--config", config).errorLine())
                .contains("unknown training kind 'bogus'").contains("stage1");
        assertThat(Cli.run("train", "single", "--config", dir.resolve("missing.yaml")).errorLine())
                .contains("missing.yaml").contains("cannot read the training config");
        assertThat(Cli.run("train", "single", "--config", config, "--run-dir", dir.resolve("r"),
                "training.max_train_stepz=3").errorLine()).contains("max_train_stepz");
        assertThat(Cli.run("train", "generator", "--config", resource("tiny-generator.yaml"), "--run-dir",
                dir.resolve("g"), "dataset.params.train_shards_path_or_url=" + dir.resolve("none.jsonl")).errorLine())
                .contains("none.jsonl");
        assertThat(Cli.run("pretokenize", "--model", dir, "--data", "synthetic", "--out", dir.resolve("t.jsonl"))
                .errorLine()).contains("config.json");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(Cli.run("demo", "--data", empty, "--out", dir.resolve("demo")).errorLine()).contains(empty.toString());
    }

    @Test
    void theDemoWritesItsReport(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("demo");
        Cli demo = Cli.run("demo", "--out", out, "--tokenizer-steps", "2", "--generator-steps", "2", "--train-images",
                "64", "--eval-images", "32");
        assertThat(demo.exit()).as(demo.err()).isZero();
        for (String file : List.of("report.html", "reconstructions.png", "samples.png", "tokenizer/loss.png",
                "generator/loss.png", "tokenizer/model/model.safetensors", "generator/model/model.safetensors")) {
            assertThat(out.resolve(file)).as(file).isNotEmptyFile();
        }
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("reconstructions.png", "samples.png", "PSNR", "codebook usage");
        assertThat(demo.err()).contains("PSNR").contains("32 held-out images");
    }
}
