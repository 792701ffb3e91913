package dev.titok.data;

import dev.titok.image.Preprocess;
import java.awt.image.BufferedImage;
import java.util.random.RandomGenerator;

/**
 * How a decoded image becomes a (3, S, S) tensor: the pipelines of the official training, evaluation and
 * pretokenization code (SPEC §5.2, §5.4, §5.5, §5.6), Pillow-exact through {@link Preprocess}.
 *
 * <p>Random choices are drawn from the generator passed to {@link #apply}, in the order of {@link Preprocess}:
 * crop top, crop left, then the flip. Instances are immutable and thread-safe.
 */
public final class Transform {

    /** The steps after decoding; {@code random} is only drawn from by the augmenting pipelines. */
    @FunctionalInterface
    private interface Pipeline {
        float[] apply(BufferedImage image, int size, RandomGenerator random);
    }

    private final String name;
    private final int size;
    private final Pipeline pipeline;

    private Transform(String name, int size, Pipeline pipeline) {
        if (size <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        this.name = name;
        this.size = size;
        this.pipeline = pipeline;
    }

    /**
     * Tokenizer training (stages 1 and 2): shorter side to {@code size} (Pillow bicubic) → random {@code size} crop →
     * horizontal flip with probability 1/2.
     */
    public static Transform train(int size) {
        return new Transform("train", size, Preprocess::trainTransform);
    }

    /** Evaluation: shorter side to {@code size} → centre crop (torchvision's offsets, half to even). Draws nothing. */
    public static Transform eval(int size) {
        return new Transform("eval", size, (image, side, random) -> Preprocess.evalTransform(image, side));
    }

    /**
     * Generator training from images: shorter side to {@code size} → centre crop ({@code random_crop: False}) →
     * horizontal flip with probability 1/2 (drawn as {@code nextDouble() < 0.5}).
     */
    public static Transform generatorTrain(int size) {
        return new Transform("generatorTrain", size, (image, side, random) -> {
            BufferedImage cropped = Preprocess.centerCrop(Preprocess.resizeShorterSide(image, side), side);
            return Preprocess.toTensor(random.nextDouble() < 0.5 ? Preprocess.horizontalFlip(cropped) : cropped);
        });
    }

    /**
     * Pretokenization: ADM's centre crop (BOX halvings, bicubic to the shorter side, centre crop). Draws nothing;
     * the official script also stores the mirror image of each view, which is the caller's to add.
     */
    public static Transform pretokenize(int size) {
        return new Transform("pretokenize", size,
                (image, side, random) -> Preprocess.toTensor(Preprocess.admCenterCrop(image, side)));
    }

    /** The side S of the output. */
    public int size() {
        return size;
    }

    /** The (3, S, S) tensor of {@code image}, values in [0, 1]; {@code random} supplies the augmentation. */
    public float[] apply(BufferedImage image, RandomGenerator random) {
        return pipeline.apply(image, size, random);
    }

    @Override
    public String toString() {
        return name + "(" + size + ")";
    }
}
