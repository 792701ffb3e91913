package dev.titok.eval;

import dev.titok.TitokException;
import java.nio.file.Path;

/**
 * The offline stand-in for Inception: the penultimate features and the logits of a {@link Classifier} trained on the
 * dataset itself. FID and IS measured here rank models of the same dataset against each other, but they are on
 * another scale than Inception's and say nothing comparable with published figures; every report says so.
 */
public final class ClassifierSpace implements FeatureSpace {

    private final Classifier classifier;
    private final String description;

    private ClassifierSpace(Classifier classifier, String description) {
        this.classifier = classifier;
        this.description = description;
    }

    /** Opens the classifier folder written by {@code titok classifier}. */
    public static ClassifierSpace open(Path folder) {
        return of(Classifier.load(folder), folder.toAbsolutePath().normalize().toString());
    }

    /**
     * A feature space over {@code classifier}, which it closes.
     *
     * @param source names the classifier in the description (its folder)
     */
    public static ClassifierSpace of(Classifier classifier, String source) {
        return new ClassifierSpace(classifier, "classifier space: the " + Classifier.FEATURES + " penultimate features of "
                + source + " (" + classifier.imageSize() + " px, " + classifier.numClasses()
                + " classes), NOT Inception; comparable only with numbers of this classifier");
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public boolean isInception() {
        return false;
    }

    @Override
    public int dimensions() {
        return Classifier.FEATURES;
    }

    @Override
    public int classes() {
        return classifier.numClasses();
    }

    @Override
    public Features features(byte[] images, int height, int width) {
        int side = classifier.imageSize();
        if (height != side || width != side) {
            throw new TitokException("the classifier takes " + side + "x" + side + " images, got " + height + "x" + width
                    + "; train one for this image size with titok classifier --image-size " + height);
        }
        int per = 3 * side * side;
        float[][] pixels = new float[images.length / per][per];
        for (int i = 0; i < pixels.length; i++) {
            for (int j = 0; j < per; j++) {
                pixels[i][j] = (images[i * per + j] & 0xFF) / 255f;
            }
        }
        return new Features(pixels.length, flatten(classifier.features(pixels)), flatten(classifier.logits(pixels)));
    }

    private static double[] flatten(float[][] rows) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        double[] out = new double[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < width; j++) {
                out[i * width + j] = rows[i][j];
            }
        }
        return out;
    }

    @Override
    public void close() {
        classifier.close();
    }
}
