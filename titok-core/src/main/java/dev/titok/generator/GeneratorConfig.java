package dev.titok.generator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.titok.TitokException;
import dev.titok.config.ConfigFields;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Everything that fixes a MaskGIT generator (SPEC §4), read from the official {@code config.json}:
 * {@code model.generator.*}, plus {@code model.vq_model.codebook_size} (N) and {@code model.vq_model.num_latent_tokens}
 * (the default of {@code image_seq_len}, as the training yaml interpolates it). The sampling settings of the config
 * are carried as plain values for the sampler.
 *
 * @param name                 preset name or the config file, for messages
 * @param modelType            ViT ({@link ImageBert}) or UViT ({@link UViTBert})
 * @param codebookSize         N, image-token vocabulary; the mask id is N
 * @param numClasses           NC, {@code condition_num_classes}
 * @param imageSeqLen          L, tokens per image
 * @param hiddenSize           transformer width
 * @param numHiddenLayers      BERT layers; UViT builds {@code n/2} in-blocks, a mid-block and {@code n/2} out-blocks
 * @param numAttentionHeads    heads per attention layer
 * @param intermediateSize     MLP width (UViT: its ratio to the width)
 * @param dropout              hidden dropout of ImageBert during training (UViT ignores it, as the official code does)
 * @param attnDrop             attention-probability dropout of ImageBert during training (UViT ignores it)
 * @param classLabelDropout    training probability of replacing the class by the null class
 * @param numSteps             sampling steps
 * @param randomizeTemperature Gumbel noise scale at the first sampling step
 * @param guidanceScale        classifier-free guidance scale
 * @param guidanceDecay        {@code constant}, {@code linear} or {@code power-cosine}
 */
public record GeneratorConfig(String name, ModelType modelType, int codebookSize, int numClasses, int imageSeqLen,
                              int hiddenSize, int numHiddenLayers, int numAttentionHeads, int intermediateSize,
                              double dropout, double attnDrop, double classLabelDropout, int numSteps,
                              double randomizeTemperature, double guidanceScale, GuidanceDecay guidanceDecay) {

    /** The two generator classes of the official code, by their {@code model_type} string. */
    public enum ModelType {
        /** {@link ImageBert}: a post-LN BERT (TiTok-L-32, TiTok-B-64). */
        VIT("ViT", "ImageBert"),
        /** {@link UViTBert}: a pre-LN U-ViT with long skips (TiTok-S-128). */
        UVIT("UViT", "UViTBert");

        private final String configName;
        private final String className;

        ModelType(String configName, String className) {
            this.configName = configName;
            this.className = className;
        }

        /** The value of {@code model.generator.model_type}. */
        public String configName() {
            return configName;
        }

        /** The official Python class. */
        public String className() {
            return className;
        }
    }

    // Sampling values of the official generate() signature, used when a config leaves them out (the fixtures do).
    private static final int DEFAULT_NUM_STEPS = 8;
    private static final double DEFAULT_RANDOMIZE_TEMPERATURE = 4.5;
    private static final double DEFAULT_GUIDANCE_SCALE = 3.0;
    private static final GuidanceDecay DEFAULT_GUIDANCE_DECAY = GuidanceDecay.CONSTANT;

    private static final Set<String> GENERATOR_KEYS = Set.of("model_type", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "intermediate_size", "dropout", "attn_drop", "num_steps", "class_label_dropout",
            "image_seq_len", "condition_num_classes", "randomize_temperature", "guidance_scale", "guidance_decay");
    /** The fixtures' {@code arch} block: derived values (checked) and descriptions of the reference (ignored). */
    private static final Set<String> ARCH_KEYS = Set.of("class", "vocab_size", "mask_token_id", "class_token_ids",
            "null_class_token_id", "max_position_embeddings", "bert", "attn_implementation", "uvit", "attention_mode");

    public GeneratorConfig {
        List<String> problems = new ArrayList<>();
        positive(problems, "codebook_size", codebookSize);
        positive(problems, "condition_num_classes", numClasses);
        positive(problems, "image_seq_len", imageSeqLen);
        positive(problems, "hidden_size", hiddenSize);
        positive(problems, "num_hidden_layers", numHiddenLayers);
        positive(problems, "num_attention_heads", numAttentionHeads);
        positive(problems, "intermediate_size", intermediateSize);
        positive(problems, "num_steps", numSteps);
        if (numAttentionHeads > 0 && hiddenSize % numAttentionHeads != 0) {
            problems.add("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numAttentionHeads);
        }
        if (modelType == ModelType.UVIT && numHiddenLayers < 2) {
            problems.add("a UViT needs num_hidden_layers >= 2 (num_hidden_layers/2 in- and out-blocks), found " + numHiddenLayers);
        }
        probability(problems, "dropout", dropout);
        probability(problems, "attn_drop", attnDrop);
        probability(problems, "class_label_dropout", classLabelDropout);
        if (guidanceDecay == null) {
            problems.add("guidance_decay is missing");
        }
        if (!problems.isEmpty()) {
            throw new TitokException(name + ": invalid generator config: " + String.join("; ", problems));
        }
    }

    /** Embedding rows: N image tokens, the mask token, NC classes and the null class. */
    public int vocabSize() {
        return codebookSize + numClasses + 2;
    }

    /** The id that marks a masked position (N). */
    public int maskTokenId() {
        return codebookSize;
    }

    /** The id fed for class {@code c} (N + 1 + c). */
    public long classTokenId(long c) {
        return codebookSize + 1 + c;
    }

    /** The id of the dropped ("null") class, used by label dropout and the unconditional branch of guidance. */
    public int nullClassTokenId() {
        return codebookSize + numClasses + 1;
    }

    /** Features per attention head. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Reads a model folder's {@code config.json} (or a config file given directly). */
    public static GeneratorConfig read(Path file) {
        return fromJson(ConfigFields.readObject(file, "model.generator"), file.toString());
    }

    /** Parses the official config tree (strict inside {@code model.generator} and {@code arch}). */
    public static GeneratorConfig fromJson(JsonNode root, String source) {
        JsonNode gen = root.path("model").path("generator");
        if (!gen.isObject()) {
            throw new TitokException(source + ": no model.generator section: expected the official generator config tree");
        }
        ConfigFields f = new ConfigFields(source);
        f.rejectUnknown(gen, GENERATOR_KEYS, "model.generator");
        JsonNode vq = root.path("model").path("vq_model");
        String typeName = f.string(gen, "model_type", "model.generator", null);
        ModelType type = null;
        for (ModelType t : ModelType.values()) {
            if (t.configName().equals(typeName)) {
                type = t;
            }
        }
        if (type == null) {
            throw new TitokException(source + ": model.generator.model_type is " + (typeName == null ? "missing" : "'" + typeName + "'")
                    + ": expected ViT or UViT");
        }
        int codebook = f.requireInt(vq, "codebook_size", "model.vq_model");
        int seqLen;
        if (gen.has("image_seq_len")) {
            seqLen = f.requireInt(gen, "image_seq_len", "model.generator");
            if (vq.has("num_latent_tokens") && f.requireInt(vq, "num_latent_tokens", "model.vq_model") != seqLen) {
                throw new TitokException(source + ": model.generator.image_seq_len " + seqLen
                        + " differs from model.vq_model.num_latent_tokens " + vq.get("num_latent_tokens")
                        + ": the generator must model the tokenizer's tokens");
            }
        } else {
            seqLen = f.requireInt(vq, "num_latent_tokens", "model.vq_model");
        }
        GeneratorConfig config = new GeneratorConfig(source, type, codebook,
                f.requireInt(gen, "condition_num_classes", "model.generator"), seqLen,
                f.requireInt(gen, "hidden_size", "model.generator"),
                f.requireInt(gen, "num_hidden_layers", "model.generator"),
                f.requireInt(gen, "num_attention_heads", "model.generator"),
                f.requireInt(gen, "intermediate_size", "model.generator"),
                f.requireDouble(gen, "dropout", "model.generator"),
                f.requireDouble(gen, "attn_drop", "model.generator"),
                f.requireDouble(gen, "class_label_dropout", "model.generator"),
                gen.has("num_steps") ? f.requireInt(gen, "num_steps", "model.generator") : DEFAULT_NUM_STEPS,
                gen.has("randomize_temperature") ? f.requireDouble(gen, "randomize_temperature", "model.generator")
                        : DEFAULT_RANDOMIZE_TEMPERATURE,
                gen.has("guidance_scale") ? f.requireDouble(gen, "guidance_scale", "model.generator")
                        : DEFAULT_GUIDANCE_SCALE,
                gen.has("guidance_decay") ? decay(f, gen) : DEFAULT_GUIDANCE_DECAY);
        JsonNode arch = root.path("arch");
        if (!arch.isMissingNode()) {
            checkArch(config, arch, f);
        }
        return config;
    }

    private static GuidanceDecay decay(ConfigFields f, JsonNode gen) {
        try {
            return GuidanceDecay.parse(f.string(gen, "guidance_decay", "model.generator", null));
        } catch (TitokException e) {
            throw new TitokException(f.source() + ": model.generator.guidance_decay: " + e.getMessage(), e);
        }
    }

    /** The fixtures restate derived values in {@code arch}; a disagreement means the config is not what it claims. */
    private static void checkArch(GeneratorConfig c, JsonNode arch, ConfigFields f) {
        f.rejectUnknown(arch, ARCH_KEYS, "arch");
        if (arch.has("class") && !c.modelType().className().equals(f.string(arch, "class", "arch", null))) {
            throw new TitokException(f.source() + ": arch.class is " + arch.get("class") + " but model_type "
                    + c.modelType().configName() + " builds " + c.modelType().className());
        }
        expect(f, arch, "vocab_size", c.vocabSize());
        expect(f, arch, "mask_token_id", c.maskTokenId());
        expect(f, arch, "null_class_token_id", c.nullClassTokenId());
        expect(f, arch, "max_position_embeddings", c.imageSeqLen() + 1);
        if (arch.has("class_token_ids")) {
            JsonNode ids = arch.get("class_token_ids");
            if (!ids.isArray() || ids.size() != 2 || ids.get(0).asLong() != c.classTokenId(0)
                    || ids.get(1).asLong() != c.classTokenId(c.numClasses() - 1L)) {
                throw new TitokException(f.source() + ": arch.class_token_ids is " + ids + ": expected ["
                        + c.classTokenId(0) + ", " + c.classTokenId(c.numClasses() - 1L) + "] (first and last class id)");
            }
        }
        for (String description : List.of("bert", "attn_implementation", "uvit", "attention_mode")) {
            f.string(arch, description, "arch", null);
        }
    }

    private static void expect(ConfigFields f, JsonNode arch, String key, long derived) {
        if (arch.has(key) && f.requireInt(arch, key, "arch") != derived) {
            throw new TitokException(f.source() + ": arch." + key + " is " + arch.get(key) + " but the generator config gives "
                    + derived);
        }
    }

    private static void positive(List<String> problems, String key, int value) {
        if (value <= 0) {
            problems.add(key + " must be positive, found " + value);
        }
    }

    private static void probability(List<String> problems, String key, double value) {
        if (!(value >= 0 && value <= 1)) {
            problems.add(key + " must lie in [0, 1], found " + value);
        }
    }
}
