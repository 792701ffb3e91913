package dev.titok.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.TitokException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Typed, strict access to the values of a JSON config: every error is one line naming the file, the key and what
 * was expected. Shared by the tokenizer, VQGAN and generator config parsers.
 */
public final class ConfigFields {

    private final String source;

    /** @param source the config file (or preset name), for messages */
    public ConfigFields(String source) {
        this.source = source;
    }

    /**
     * The JSON object in {@code file}; any other content (unreadable, not JSON, not an object) is one error naming the
     * file and what it should hold.
     *
     * @param expected what the object should contain, for the message ("model.vq_model")
     */
    public static JsonNode readObject(Path file, String expected) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read the config: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TitokException(file + ": expected a JSON object with " + expected + ", found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        return root;
    }

    public String source() {
        return source;
    }

    /** Fails when {@code node} is not an object or has a key outside {@code known}. */
    public void rejectUnknown(JsonNode node, Set<String> known, String where) {
        if (!node.isObject()) {
            throw new TitokException(source + ": " + where + " must be a JSON object");
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new TitokException(source + ": unknown key(s) " + unknown + " in " + where + ": expected only "
                    + known.stream().sorted().toList());
        }
    }

    public int requireInt(JsonNode parent, String key, String where) {
        JsonNode n = parent.path(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new TitokException(source + ": " + where + "." + key + " is " + describe(n) + ": expected an integer");
        }
        return n.asInt();
    }

    public double requireDouble(JsonNode parent, String key, String where) {
        JsonNode n = parent.path(key);
        if (!n.isNumber()) {
            throw new TitokException(source + ": " + where + "." + key + " is " + describe(n) + ": expected a number");
        }
        return n.asDouble();
    }

    public boolean requireBool(JsonNode parent, String key, String where) {
        JsonNode n = parent.path(key);
        if (!n.isBoolean()) {
            throw new TitokException(source + ": " + where + "." + key + " is " + describe(n) + ": expected true or false");
        }
        return n.asBoolean();
    }

    /** The boolean at {@code key}, or {@code fallback} when absent or null. */
    public boolean bool(JsonNode parent, String key, String where, boolean fallback) {
        return parent.has(key) && !parent.get(key).isNull() ? requireBool(parent, key, where) : fallback;
    }

    /** The string at {@code key}, or {@code fallback} when absent or null. */
    public String string(JsonNode parent, String key, String where, String fallback) {
        JsonNode n = parent.path(key);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new TitokException(source + ": " + where + "." + key + " is " + describe(n) + ": expected a string");
        }
        return n.asText();
    }

    private static String describe(JsonNode n) {
        return n.isMissingNode() ? "missing" : n.toString();
    }
}
