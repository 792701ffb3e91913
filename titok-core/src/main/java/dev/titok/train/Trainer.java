package dev.titok.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.config.TiTokConfig;
import dev.titok.config.VqganConfig;
import dev.titok.data.Dataset;
import dev.titok.data.IdxDataset;
import dev.titok.data.SyntheticShapes;
import dev.titok.data.TokenShards;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.MaskedTokenLoss;
import dev.titok.io.HostTensor;
import dev.titok.io.WeightsFile;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import dev.titok.vqgan.Vqgan;
import dev.titok.vqgan.VqganModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run from a YAML config ({@link TrainingConfig}): builds the model, data and job of the chosen
 * {@link Kind} from the official keys, drives it with a {@link TrainingLoop}, and at the end writes the EMA weights as
 * a model folder ({@code RUN/model/}: {@code config.json} + {@code model.safetensors}) that every {@code --model}
 * option accepts.
 *
 * <p>Keys read beyond the optimizer and schedule ones ({@link TokenizerJobs.Settings#with}):
 * <ul>
 *   <li>{@code training.max_train_steps}, {@code experiment.log_every} (50), {@code experiment.generate_every} (previews
 *       and loss curves, 1000), {@code experiment.save_every} (checkpoints, 1000), {@code experiment.keep_checkpoints} (2);</li>
 *   <li>{@code experiment.init_weight}: the starting weights (single-stage; for stage 2, the stage-1 model folder);</li>
 *   <li>{@code model.vq_model.pretrained_tokenizer_weight}: the MaskGIT-VQGAN teacher of stage 1 and 2 (a folder, or the
 *       official weights file);</li>
 *   <li>{@code losses.discriminator_weight} &gt; 0 turns the GAN on (single-stage, stage 2, teacher), starting at
 *       {@code losses.discriminator_start}, with {@code losses.discriminator_channels} (ours; 128 official);</li>
 *   <li>generator: {@code dataset.params.train_shards_path_or_url} (token files from {@code titok pretokenize},
 *       comma-separated) and {@code experiment.tokenizer_checkpoint} (the tokenizer folder that decodes previews).</li>
 * </ul>
 */
public final class Trainer {

    /** What is trained. */
    public enum Kind {
        /** The MaskGIT-VQGAN proxy-code teacher. */
        TEACHER,
        /** TiTok stage 1: proxy codes of the teacher. */
        STAGE1,
        /** TiTok stage 2: decoder fine-tuning on pixels. */
        STAGE2,
        /** TiTok with the RGB head, on pixels. */
        SINGLE,
        /** The masked-token generator on pretokenized images. */
        GENERATOR;

        /** The kind named on the command line ({@code teacher}, {@code stage1}, ...). */
        public static Kind named(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TitokException("unknown training kind '" + name + "': expected one of "
                        + Arrays.stream(values()).map(k -> k.name().toLowerCase(Locale.ROOT)).toList());
            }
        }
    }

    /**
     * How a run ended.
     *
     * @param loop  the loop's result (start, end, stopped)
     * @param model the exported model folder (also written when the run was stopped early: the weights of that step)
     */
    public record Outcome(TrainingLoop.Result loop, Path model) {}

    /** The sub-folder of the run directory that receives the trained model. */
    public static final String MODEL_FOLDER = "model";

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final Kind kind;
    private final TrainingConfig config;
    private final TrainingLoop loop = new TrainingLoop();

    public Trainer(Kind kind, TrainingConfig config) {
        this.kind = kind;
        this.config = config;
    }

    /** Asks a running {@link #run} to stop after its current step and write a checkpoint (thread-safe). */
    public void requestStop() {
        loop.requestStop();
    }

    /** The loop options the config asks for, in {@code runDir}. */
    public TrainingLoop.Options options(Path runDir, boolean resume) {
        return new TrainingLoop.Options(config.getLong("training.max_train_steps", 1000),
                config.getInt("experiment.log_every", 50), config.getInt("experiment.generate_every", 1000),
                config.getInt("experiment.save_every", 1000), config.getInt("experiment.keep_checkpoints", 2), runDir,
                resume);
    }

    /**
     * Trains in {@code runDir} (resuming from its newest checkpoint when {@code resume}) and exports the EMA weights to
     * {@code runDir/model}, also when a stop request ends the run early.
     */
    public Outcome run(Path runDir, boolean resume, TrainingLoop.Listener listener) {
        Deque<AutoCloseable> owned = new ArrayDeque<>();
        try {
            TrainingJob job = build(owned);
            TrainingLoop.Result result = loop.run(job, options(runDir, resume), listener);
            Path model = ModelFolder.write(runDir.resolve(MODEL_FOLDER), config.tree(), exported(job.state()));
            return new Outcome(result, model);
        } finally {
            closeAll(owned);
        }
    }

    private TrainingJob build(Deque<AutoCloseable> owned) {
        int accumulation = config.getInt("training.gradient_accumulation_steps", 1);
        if (accumulation != 1) {
            throw new TitokException(config.source() + ": training.gradient_accumulation_steps is " + accumulation
                    + ": these trainers take one batch per step; raise training.per_gpu_batch_size instead");
        }
        String perceptual = config.getString("losses.perceptual_loss", null);
        if (perceptual != null && config.getDouble("losses.perceptual_weight", 0) > 0) {
            LOG.warn("{}: losses.perceptual_loss '{}' needs pretrained weights that are not available offline; training "
                    + "without the perceptual term", config.source(), perceptual);
        }
        long steps = config.getLong("training.max_train_steps", 1000);
        long seed = config.getLong("training.seed", 42);
        int threads = config.getInt("dataset.params.num_workers_per_gpu", 2);
        switch (kind) {
            case SINGLE -> {
                TiTokConfig model = TiTokConfig.fromJson(config.tree(), config.source());
                TiTok titok = own(owned, initialTokenizer(model, seed));
                Dataset data = TrainingData.dataset(config, TrainingData.Split.TRAIN);
                TokenizerJobs.Settings settings = TokenizerJobs.Settings.singleStage(8, 0, steps).with(config);
                return own(owned, new SingleStageJob(titok, data, settings, adversary(steps, seed)));
            }
            case STAGE1 -> {
                TiTokConfig model = TiTokConfig.fromJson(config.tree(), config.source());
                Vqgan teacher = own(owned, teacher());
                TiTok titok = own(owned, initialTokenizer(model, seed));
                Dataset data = TrainingData.dataset(config, TrainingData.Split.TRAIN);
                TokenizerJobs.Settings settings = TokenizerJobs.Settings.stage1(8, 0, steps).with(config);
                return own(owned, new Stage1Job(titok, teacher, data, settings));
            }
            case STAGE2 -> {
                String init = config.getString("experiment.init_weight", null);
                if (init == null) {
                    throw new TitokException(config.source() + ": experiment.init_weight is missing: stage 2 starts from"
                            + " the stage-1 model folder");
                }
                TiTok stage1 = own(owned, stageOne(init));
                Vqgan vqgan = own(owned, teacher());
                Dataset data = TrainingData.dataset(config, TrainingData.Split.TRAIN);
                Stage2Job.Settings settings = new Stage2Job.Settings(config.getInt("training.per_gpu_batch_size", 8),
                        config.getDouble("optimizer.params.learning_rate", 1e-4),
                        config.getDouble("lr_scheduler.params.end_lr", 1e-5),
                        config.getLong("lr_scheduler.params.warmup_steps", 5_000), steps,
                        config.getDouble("optimizer.params.beta1", 0.9), config.getDouble("optimizer.params.beta2", 0.999),
                        config.getDouble("optimizer.params.weight_decay", 1e-4),
                        config.getDouble("training.max_grad_norm", 1.0), seed, adversary(steps, seed));
                requireDescribes(Stage2Job.stage2Config(stage1.config(), vqgan));
                return own(owned, new Stage2Job(settings, stage1, vqgan, data, threads));
            }
            case TEACHER -> {
                VqganConfig model = VqganConfig.fromTree(config.tree(), config.source());
                Dataset data = TrainingData.dataset(config, TrainingData.Split.TRAIN);
                TeacherJob.Settings settings = new TeacherJob.Settings(model, config.getInt("training.per_gpu_batch_size", 8),
                        config.getDouble("optimizer.params.learning_rate", 1e-4),
                        config.getDouble("lr_scheduler.params.end_lr", 1e-5),
                        config.getLong("lr_scheduler.params.warmup_steps", Math.min(5_000, steps / 10)), steps,
                        config.getDouble("optimizer.params.beta1", 0.9), config.getDouble("optimizer.params.beta2", 0.999),
                        config.getDouble("optimizer.params.weight_decay", 1e-4),
                        config.getDouble("training.max_grad_norm", 1.0),
                        config.getDouble("model.vq_model.pixel_quantizer.commitment_cost", 0.25), seed, adversary(steps, seed));
                return own(owned, new TeacherJob(settings, data, threads));
            }
            case GENERATOR -> {
                GeneratorConfig model = GeneratorConfig.fromJson(config.tree(), config.source());
                TokenShards shards = TokenShards.read(shardFiles(), model.imageSeqLen(), model.codebookSize(),
                        model.numClasses());
                GeneratorModel generator = own(owned, initialGenerator(model, seed));
                TiTok tokenizer = previewTokenizer();
                if (tokenizer != null) {
                    own(owned, tokenizer);
                }
                GeneratorTrainingConfig recipe = generatorRecipe(steps, seed, model.numClasses());
                return own(owned, new GeneratorJob(generator, shards, recipe, tokenizer, classNames()));
            }
            default -> throw new IllegalStateException(kind.toString());
        }
    }

    /**
     * The exported folder's {@code config.json} is this config, so its model section must describe the model that
     * stage 2 builds from the stage-1 model and the teacher (names and commitment cost aside).
     */
    private void requireDescribes(TiTokConfig built) {
        TiTokConfig declared = TiTokConfig.fromJson(config.tree(), config.source());
        TiTokConfig same = new TiTokConfig(declared.name(), built.encoder(), built.decoder(), built.encoderPatchSize(),
                built.decoderPatchSize(), built.imageSize(), built.numLatentTokens(), built.tokenSize(),
                built.quantizeMode(), built.codebookSize(), built.useL2Norm(), declared.commitmentCost(),
                built.finetuneDecoder(), built.legacy(), built.layerNormEps(), built.pixel());
        if (!declared.equals(same)) {
            throw new TitokException(config.source() + ": the model section describes " + declared + ", but the stage-1"
                    + " model and the teacher make " + same + " (finetune_decoder must be true, and arch must give the"
                    + " teacher's sizes when it is not the official one)");
        }
    }

    /** The EMA weights, or the trained ones themselves with {@code training.use_ema: false}. */
    private Map<String, HostTensor> exported(TrainingState state) {
        String part = config.getBoolean("training.use_ema", true) ? "ema" : "model";
        return state.parts().get(part).saveState().tensors();
    }

    /** {@code experiment.init_weight} (a model folder or weights file) when set, else fresh weights. */
    private TiTok initialTokenizer(TiTokConfig model, long seed) {
        String init = config.getString("experiment.init_weight", null);
        if (init == null) {
            return TiTok.random(model, seed);
        }
        Path file = weightsFile(init);
        return TiTok.load(model, WeightsFile.load(file), file.toString());
    }

    private GeneratorModel initialGenerator(GeneratorConfig model, long seed) {
        String init = config.getString("experiment.init_weight", null);
        if (init == null) {
            return GeneratorModel.random(model, seed);
        }
        Path file = weightsFile(init);
        return GeneratorModel.load(model, WeightsFile.load(file), file.toString());
    }

    /** The weights file of a model folder, or the file itself. */
    private static Path weightsFile(String folderOrFile) {
        Path path = Path.of(folderOrFile);
        return Files.isDirectory(path) ? WeightsFile.choose(path) : path;
    }

    /**
     * The stage-1 model stage 2 starts from: a model folder, or a weights file (the official layout) whose config is
     * this config's with {@code finetune_decoder} off.
     */
    private TiTok stageOne(String init) {
        Path path = Path.of(init);
        if (Files.isDirectory(path)) {
            return TiTokModels.open(init, null);
        }
        ObjectNode tree = config.tree();
        ((ObjectNode) tree.path("model").path("vq_model")).put("finetune_decoder", false);
        return TiTok.load(TiTokConfig.fromJson(tree, config.source()), WeightsFile.load(path), init);
    }

    /** The MaskGIT-VQGAN of {@code model.vq_model.pretrained_tokenizer_weight}. */
    private Vqgan teacher() {
        String teacher = config.getString("model.vq_model.pretrained_tokenizer_weight", null);
        if (teacher == null) {
            throw new TitokException(config.source() + ": model.vq_model.pretrained_tokenizer_weight is missing: the"
                    + " MaskGIT-VQGAN teacher (a folder from 'titok train teacher', or the official weights file)");
        }
        Path path = Path.of(teacher);
        return Files.isDirectory(path) ? VqganModels.open(teacher, null) : VqganModels.open(VqganModels.OFFICIAL, path);
    }

    /**
     * The GAN part when {@code losses.discriminator_weight} is above 0: the official discriminator optimizer (lr
     * {@code optimizer.params.discriminator_learning_rate}, the generator's schedule and betas) from
     * {@code losses.discriminator_start}.
     */
    private Adversary.Settings adversary(long steps, long seed) {
        double weight = config.getDouble("losses.discriminator_weight", 0);
        if (weight == 0) {
            return null;
        }
        long start = config.getLong("losses.discriminator_start", 20_000);
        return new Adversary.Settings(config.getInt("losses.discriminator_channels", Discriminator.OFFICIAL_HIDDEN),
                config.getDouble("optimizer.params.discriminator_learning_rate", 1e-4),
                config.getDouble("lr_scheduler.params.end_lr", 1e-5),
                config.getLong("lr_scheduler.params.warmup_steps", 0), steps,
                config.getDouble("optimizer.params.beta1", 0.9), config.getDouble("optimizer.params.beta2", 0.999),
                config.getDouble("optimizer.params.weight_decay", 1e-4), config.getDouble("training.max_grad_norm", 1.0),
                Math.min(start, steps), weight, config.getDouble("losses.lecam_regularization_weight",
                GanLoss.OFFICIAL_LECAM_WEIGHT), seed + 1);
    }

    private List<Path> shardFiles() {
        String spec = config.getString("dataset.params.train_shards_path_or_url", null);
        if (spec == null) {
            throw new TitokException(config.source() + ": dataset.params.train_shards_path_or_url is missing: the token"
                    + " file(s) written by 'titok pretokenize'");
        }
        return Arrays.stream(spec.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    private TiTok previewTokenizer() {
        String tokenizer = config.getString("experiment.tokenizer_checkpoint", null);
        if (tokenizer == null) {
            return null;
        }
        Path path = Path.of(tokenizer);
        if (Files.isDirectory(path)) {
            return TiTokModels.open(tokenizer, null);
        }
        return TiTok.load(TiTokConfig.fromJson(config.tree(), config.source()), WeightsFile.load(path), tokenizer);
    }

    private GeneratorTrainingConfig generatorRecipe(long steps, long seed, int numClasses) {
        GeneratorTrainingConfig official = GeneratorTrainingConfig.official(8, steps);
        return new GeneratorTrainingConfig(config.getInt("training.per_gpu_batch_size", 8), steps,
                config.getDouble("optimizer.params.learning_rate", official.learningRate()),
                config.getDouble("lr_scheduler.params.end_lr", official.endLearningRate()),
                config.getLong("lr_scheduler.params.warmup_steps", official.warmupSteps()),
                config.getDouble("optimizer.params.beta1", official.beta1()),
                config.getDouble("optimizer.params.beta2", official.beta2()),
                config.getDouble("optimizer.params.weight_decay", official.weightDecay()),
                config.getDouble("training.max_grad_norm", official.maxGradNorm()),
                new MaskedTokenLoss(config.getDouble("losses.label_smoothing", MaskedTokenLoss.OFFICIAL.labelSmoothing()),
                        config.getDouble("losses.loss_weight_unmasked_token", MaskedTokenLoss.OFFICIAL.unmaskedWeight())),
                seed, official.preview(), Math.min(10, numClasses), 8, true);
    }

    /** Captions of the preview rows, from the dataset the tokens came from. */
    private List<String> classNames() {
        return switch (config.getString("dataset.params.name", "")) {
            case "synthetic" -> SyntheticShapes.CLASSES;
            case "fashion-mnist" -> IdxDataset.FASHION_MNIST_CLASSES;
            default -> List.of();
        };
    }

    private static <T extends AutoCloseable> T own(Deque<AutoCloseable> owned, T resource) {
        owned.push(resource);
        return resource;
    }

    private static void closeAll(Deque<AutoCloseable> owned) {
        RuntimeException failure = null;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
