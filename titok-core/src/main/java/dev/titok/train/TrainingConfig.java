package dev.titok.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A training configuration in the official YAML layout ({@code configs/training/TiTok/stage1/titok_l32.yaml} and
 * friends), read the way OmegaConf reads it: {@code ${a.b.c}} interpolations, {@code 1_000_000} and {@code 1e-4} as
 * numbers, and {@code key.path=value} overrides from the command line. Keys are checked against the official ones
 * plus this project's few extensions, so a typo is an error rather than a silently ignored setting.
 */
public final class TrainingConfig {

    /** Every key the official training configs use, plus ours (marked), as dotted paths of leaves. */
    private static final Set<String> KNOWN = Set.of(
            "experiment.project", "experiment.name", "experiment.output_dir", "experiment.max_train_examples",
            "experiment.save_every", "experiment.eval_every", "experiment.generate_every", "experiment.log_every",
            "experiment.log_grad_norm_every", "experiment.resume", "experiment.init_weight", "experiment.logging_dir",
            "experiment.tokenizer_checkpoint", "experiment.generator_checkpoint",
            "experiment.keep_checkpoints", "losses.discriminator_channels",            // ours
            "losses.dead_code_restart_every",                                          // ours
            "losses.quantizer_weight", "losses.discriminator_start", "losses.discriminator_factor",
            "losses.discriminator_weight", "losses.perceptual_loss", "losses.perceptual_weight",
            "losses.reconstruction_loss", "losses.reconstruction_weight", "losses.lecam_regularization_weight",
            "losses.kl_weight", "losses.logvar_init", "losses.label_smoothing", "losses.loss_weight_unmasked_token",
            "dataset.params.train_shards_path_or_url", "dataset.params.eval_shards_path_or_url",
            "dataset.params.num_workers_per_gpu", "dataset.params.pretokenization",
            "dataset.params.name", "dataset.params.path", "dataset.params.fit",          // ours: which dataset
            "dataset.preprocessing.resize_shorter_edge", "dataset.preprocessing.crop_size",
            "dataset.preprocessing.random_crop", "dataset.preprocessing.random_flip",
            "optimizer.name", "optimizer.params.learning_rate", "optimizer.params.discriminator_learning_rate",
            "optimizer.params.beta1", "optimizer.params.beta2", "optimizer.params.weight_decay", "optimizer.params.epsilon",
            "lr_scheduler.scheduler", "lr_scheduler.params.learning_rate", "lr_scheduler.params.warmup_steps",
            "lr_scheduler.params.end_lr",
            "training.gradient_accumulation_steps", "training.per_gpu_batch_size", "training.mixed_precision",
            "training.enable_tf32", "training.enable_wandb", "training.use_ema", "training.seed",
            "training.max_train_steps", "training.num_generated_images", "training.max_grad_norm");
    /** Subtrees validated by their own parsers (TiTokConfig, GeneratorConfig, VqganConfig). */
    private static final List<String> MODEL_SUBTREES = List.of("model.", "arch.");

    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([^}]+)}");
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d[\\d_]*)?(\\.[\\d_]*)?([eE][-+]?\\d+)?");

    private final ObjectNode root;
    private final String source;

    private TrainingConfig(ObjectNode root, String source) {
        this.root = root;
        this.source = source;
    }

    /** Reads a YAML file, applies {@code overrides} ({@code training.max_train_steps=2000}), resolves and checks it. */
    public static TrainingConfig read(Path file, List<String> overrides) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the training config: " + e.getMessage());
        }
        return fromYaml(text, file.toString(), overrides);
    }

    /** The same from YAML text (a built-in config); {@code source} names it in errors. */
    public static TrainingConfig fromYaml(String yaml, String source, List<String> overrides) {
        JsonNode tree;
        try {
            tree = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new TitokException(source + ": cannot read the training config: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new TitokException(source + ": expected a YAML mapping with experiment, model, training, ... sections");
        }
        return parse((ObjectNode) tree, source, overrides);
    }

    /** The same from an already parsed tree (a resource, a test). */
    public static TrainingConfig parse(ObjectNode tree, String source, List<String> overrides) {
        ObjectNode root = tree.deepCopy();
        for (String override : overrides) {
            applyOverride(root, override, source);
        }
        TrainingConfig config = new TrainingConfig(root, source);
        config.resolve(root, new ArrayList<>());
        config.checkKeys(root, "");
        return config;
    }

    /** The whole resolved tree, e.g. to hand {@code model.*} to TiTokConfig.fromJson or to save with a checkpoint. */
    public ObjectNode tree() {
        return root.deepCopy();
    }

    public String source() {
        return source;
    }

    public boolean has(String path) {
        return !node(path).isMissingNode() && !node(path).isNull();
    }

    public long getLong(String path, long fallback) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isIntegralNumber()) {
            throw new TitokException(source + ": " + path + " is " + n + ": expected an integer");
        }
        return n.asLong();
    }

    public int getInt(String path, int fallback) {
        return Math.toIntExact(getLong(path, fallback));
    }

    public double getDouble(String path, double fallback) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new TitokException(source + ": " + path + " is " + n + ": expected a number");
        }
        return n.asDouble();
    }

    public boolean getBoolean(String path, boolean fallback) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new TitokException(source + ": " + path + " is " + n + ": expected true or false");
        }
        return n.asBoolean();
    }

    public String getString(String path, String fallback) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isValueNode()) {
            throw new TitokException(source + ": " + path + " is a section: expected a value");
        }
        return n.asText();
    }

    private JsonNode node(String path) {
        JsonNode n = root;
        for (String part : path.split("\\.")) {
            n = n.path(part);
        }
        return n;
    }

    private static void applyOverride(ObjectNode root, String override, String source) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new TitokException("override '" + override + "': expected key.path=value, e.g. training.max_train_steps=2000");
        }
        String[] parts = override.substring(0, eq).trim().split("\\.");
        ObjectNode parent = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = parent.get(parts[i]);
            if (child == null || !child.isObject()) {
                child = parent.putObject(parts[i]);
            }
            parent = (ObjectNode) child;
        }
        parent.set(parts[parts.length - 1], scalar(override.substring(eq + 1).trim()));
    }

    /** A command-line or YAML string as OmegaConf would type it: bool, integer, float, null or string. */
    private static JsonNode scalar(String text) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (text.toLowerCase()) {
            case "true": return f.booleanNode(true);
            case "false": return f.booleanNode(false);
            case "null": case "~": return f.nullNode();
            default: break;
        }
        if (!text.isEmpty() && NUMBER.matcher(text).matches() && text.chars().anyMatch(Character::isDigit)) {
            String plain = text.replace("_", "");
            if (plain.matches("[-+]?\\d+")) {
                return f.numberNode(Long.parseLong(plain));
            }
            return f.numberNode(Double.parseDouble(plain));
        }
        return f.textNode(text);
    }

    /** Resolves ${a.b} interpolations and numeric strings ("1_000_000", "1e-4") in place, depth first. */
    private void resolve(ObjectNode node, List<String> chain) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isObject()) {
                resolve((ObjectNode) e.getValue(), chain);
            } else if (e.getValue().isTextual()) {
                e.setValue(resolveText(e.getValue().asText(), chain));
            }
        }
    }

    private JsonNode resolveText(String text, List<String> chain) {
        Matcher whole = INTERPOLATION.matcher(text);
        if (whole.matches()) {
            String path = whole.group(1).trim();
            if (chain.contains(path)) {
                throw new TitokException(source + ": the interpolation ${" + path + "} refers to itself through " + chain);
            }
            JsonNode target = node(path);
            if (target.isMissingNode()) {
                throw new TitokException(source + ": ${" + path + "} refers to a key that does not exist");
            }
            chain.add(path);
            JsonNode resolved = target.isTextual() ? resolveText(target.asText(), chain) : target;
            chain.remove(path);
            return resolved;
        }
        if (INTERPOLATION.matcher(text).find()) {
            StringBuilder out = new StringBuilder();
            Matcher m = INTERPOLATION.matcher(text);
            while (m.find()) {
                m.appendReplacement(out, Matcher.quoteReplacement(resolveText("${" + m.group(1) + "}", chain).asText()));
            }
            m.appendTail(out);
            return JsonNodeFactory.instance.textNode(out.toString());
        }
        return scalar(text);
    }

    private void checkKeys(JsonNode node, String prefix) {
        List<String> unknown = new ArrayList<>();
        collectUnknown(node, prefix, unknown);
        if (!unknown.isEmpty()) {
            throw new TitokException(source + ": unknown key(s) " + unknown + ": expected the official training keys, e.g. "
                    + new TreeSet<>(KNOWN).stream().filter(k -> k.startsWith(unknown.get(0).split("\\.")[0] + ".")).limit(6).toList());
        }
    }

    private static void collectUnknown(JsonNode node, String prefix, List<String> unknown) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix + e.getKey();
            if (MODEL_SUBTREES.stream().anyMatch(path::startsWith) || path.equals("model") || path.equals("arch")) {
                continue;
            }
            if (e.getValue().isObject()) {
                collectUnknown(e.getValue(), path + ".", unknown);
            } else if (!KNOWN.contains(path)) {
                unknown.add(path);
            }
        }
    }
}
