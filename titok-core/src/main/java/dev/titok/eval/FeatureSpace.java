package dev.titok.eval;

/**
 * A network that maps 8-bit RGB images to the features FID compares and the logits the Inception Score reads: the FID
 * Inception ({@link InceptionV3}, the protocol of every published figure) or, offline, a small classifier trained on
 * the dataset itself ({@link ClassifierSpace}), whose numbers compare only with numbers of the same classifier.
 */
public interface FeatureSpace extends AutoCloseable {

    /** What the numbers are measured in, for every report: names the network and says whether it is Inception. */
    String description();

    /** True for the FID Inception: only then are FID and IS comparable with published figures. */
    boolean isInception();

    /** Feature dimension d (2048 for Inception). */
    int dimensions();

    /** Logit count (1008 for Inception). */
    int classes();

    /**
     * Features and logits of {@code count} images given as unsigned bytes (count, 3, height, width).
     *
     * @throws dev.titok.TitokException when the images do not suit the network (a classifier takes one size only)
     */
    Features features(byte[] images, int height, int width);

    @Override
    void close();

    /**
     * Row-major float64 outputs for {@code count} images.
     *
     * @param pool   (count, dimensions) features
     * @param logits (count, classes) logits (for Inception the bias-free ones the evaluator uses)
     */
    record Features(int count, double[] pool, double[] logits) {}
}
