package dev.titok.config;

import dev.titok.TitokException;

/**
 * Width, depth and heads of a ViT encoder or decoder (SPEC §1.2). The official code knows three names;
 * the {@code arch} block of a config may define any other size explicitly.
 */
public record TransformerSize(String name, int width, int layers, int heads, double mlpRatio) {

    public static final TransformerSize SMALL = new TransformerSize("small", 512, 8, 8, 4.0);
    public static final TransformerSize BASE = new TransformerSize("base", 768, 12, 12, 4.0);
    public static final TransformerSize LARGE = new TransformerSize("large", 1024, 24, 16, 4.0);

    public TransformerSize {
        if (width <= 0 || layers <= 0 || heads <= 0 || mlpRatio <= 0 || width % heads != 0) {
            throw new TitokException("transformer size '" + name + "': expected positive width, layers, heads and mlp ratio"
                    + " with width divisible by heads, found width " + width + ", layers " + layers + ", heads " + heads
                    + ", mlp ratio " + mlpRatio);
        }
    }

    /** The official size of this name, or an error naming the known ones. */
    public static TransformerSize named(String name, String where) {
        return switch (name) {
            case "small" -> SMALL;
            case "base" -> BASE;
            case "large" -> LARGE;
            default -> throw new TitokException(where + ": unknown model size '" + name
                    + "': expected small, base or large (or explicit sizes in the config's 'arch' block)");
        };
    }
}
