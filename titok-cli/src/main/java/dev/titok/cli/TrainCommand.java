package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.train.Trainer;
import dev.titok.train.TrainingConfig;
import dev.titok.train.TrainingLoop;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code titok train KIND --config FILE [key=value ...]}: one training run from a YAML config. */
@Command(name = "train", description = {
        "Train the proxy-code teacher, TiTok (stage 1, stage 2, single-stage) or the MaskGIT generator from a YAML config.",
        "%nThe config uses the official training keys (configs/ has the official recipes and small ones for "
                + "Fashion-MNIST and the built-in synthetic shapes); key=value arguments override them, e.g. "
                + "training.max_train_steps=2000.",
        "%nThe run folder gets metrics.jsonl, loss.png, previews/ and checkpoints/; Ctrl-C writes a checkpoint of the "
                + "current step and --resume continues from the newest one. At the end the EMA weights are written to "
                + "RUN/model (config.json + model.safetensors), ready for --model.%n"})
final class TrainCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "KIND", description = "teacher, stage1, stage2, single or generator.")
    String kind;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "Config overrides (dotted keys).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Training config (YAML).")
    Path config;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Run folder (default: experiment.output_dir of the config, else runs/KIND).")
    Path runDir;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in the run folder.")
    boolean resume;

    @Option(names = "--time-limit", paramLabel = "MINUTES",
            description = "Stop after this much wall time as Ctrl-C would (checkpoint and model of the last step).")
    Double timeLimit;

    @Override
    public Integer call() {
        Trainer.Kind what = Trainer.Kind.named(kind);
        TrainingConfig training = TrainingConfig.read(config, overrides);
        Path dir = runDir != null ? runDir
                : Path.of(training.getString("experiment.output_dir", "runs/" + kind.toLowerCase(Locale.ROOT)));
        Trainer trainer = new Trainer(what, training);
        Trainer.Outcome outcome = run(trainer, dir, resume, kind, timeLimit);
        report(outcome, dir);
        return 0;
    }

    /** Runs with a progress bar showing the latest metrics. */
    static Trainer.Outcome run(Trainer trainer, Path dir, boolean resume, String task, Double minutes) {
        long total = trainer.options(dir, resume).maxSteps();
        Timer timer = new Timer("titok-time-limit", true);
        if (minutes != null) {
            if (!(minutes > 0)) {
                throw new TitokException("--time-limit must be a positive number of minutes, got " + minutes);
            }
            timer.schedule(new TimerTask() {
                @Override
                public void run() {
                    System.err.println("time limit of " + minutes + " min reached: stopping after this step");
                    trainer.requestStop();
                }
            }, (long) (minutes * 60_000));
        }
        try (Progress progress = new Progress(task, total, "step")) {
            return trainer.run(dir, resume, new TrainingLoop.Listener() {
                @Override
                public void progress(long step, long steps, Map<String, Double> metrics) {
                    progress.stepTo(step);
                    progress.message(summary(metrics));
                }

                @Override
                public void resumed(long step, Path checkpoint) {
                    System.err.println("resuming from " + checkpoint + " (step " + step + ")");
                    progress.stepTo(step);
                }
            });
        } finally {
            timer.cancel();
        }
    }

    static void report(Trainer.Outcome outcome, Path dir) {
        if (outcome.loop().stopped()) {
            System.err.println("stopped at step " + outcome.loop().endStep() + "; model of that step: " + outcome.model()
                    + "; continue with --resume");
        } else {
            System.err.println("trained " + outcome.loop().endStep() + " steps; model: " + outcome.model()
                    + ", loss curves: " + dir.resolve("loss.png") + ", metrics: " + dir.resolve("metrics.jsonl"));
        }
    }

    /** The few metrics worth watching, compactly. */
    static String summary(Map<String, Double> metrics) {
        StringJoiner text = new StringJoiner(" ", " ", "");
        Map<String, String> shown = Map.of("loss", "loss", "psnr", "psnr", "codebook_usage", "usage",
                "masked_accuracy", "acc", "lr", "lr");
        for (String name : List.of("loss", "psnr", "codebook_usage", "masked_accuracy", "lr")) {
            Double value = metrics.get(name);
            if (value != null) {
                text.add(shown.get(name) + " " + (name.equals("lr") ? String.format(Locale.ROOT, "%.1e", value)
                        : String.format(Locale.ROOT, "%.4g", value)));
            }
        }
        return text.toString();
    }
}
