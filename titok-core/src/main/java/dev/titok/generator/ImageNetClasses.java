package dev.titok.generator;

import dev.titok.TitokException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The 1000 ImageNet-1k classes the released generators are conditioned on: id → WordNet names
 * ("golden retriever"; "tench, Tinca tinca"), and a name (any of a class's synonyms, any case) → id.
 */
public final class ImageNetClasses {

    private static final List<String> NAMES = load();

    private ImageNetClasses() {}

    /** Number of classes (1000). */
    public static int count() {
        return NAMES.size();
    }

    /** All names of class {@code id}, comma-separated as in WordNet. */
    public static String names(int id) {
        if (id < 0 || id >= NAMES.size()) {
            throw new TitokException("class id " + id + " is out of range: expected 0.." + (NAMES.size() - 1));
        }
        return NAMES.get(id);
    }

    /** The first (common) name of class {@code id}. */
    public static String shortName(int id) {
        return names(id).split(",")[0].trim();
    }

    /**
     * The class a user means: a number is an id, anything else a name matched against every synonym, ignoring case.
     * A name of several classes (ImageNet has two "crane"s) is an error listing them.
     */
    public static int resolve(String classArgument) {
        String wanted = classArgument.trim();
        if (wanted.matches("\\d+")) {
            int id = Integer.parseInt(wanted);
            names(id);
            return id;
        }
        List<Integer> matches = new ArrayList<>();
        for (int id = 0; id < NAMES.size(); id++) {
            boolean match = Arrays.stream(NAMES.get(id).split(","))
                    .anyMatch(n -> n.trim().toLowerCase(Locale.ROOT).equals(wanted.toLowerCase(Locale.ROOT)));
            if (match) {
                matches.add(id);
            }
        }
        if (matches.isEmpty()) {
            throw new TitokException("unknown class name '" + classArgument + "': expected an ImageNet class id 0..999 or"
                    + " one of its names, e.g. 207 or \"golden retriever\"");
        }
        if (matches.size() > 1) {
            throw new TitokException("class name '" + classArgument + "' names " + matches.size() + " classes: "
                    + matches.stream().map(id -> id + " (" + names(id) + ")").toList() + "; give the id instead");
        }
        return matches.get(0);
    }

    private static List<String> load() {
        try (InputStream in = ImageNetClasses.class.getResourceAsStream("imagenet_classes.txt")) {
            if (in == null) {
                throw new IllegalStateException("imagenet_classes.txt is missing from the jar");
            }
            List<String> names = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
            if (names.size() != 1000) {
                throw new IllegalStateException("imagenet_classes.txt has " + names.size() + " lines, expected 1000");
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
