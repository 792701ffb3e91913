package dev.titok.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.config.ConfigFields;
import dev.titok.io.AtomicFiles;
import dev.titok.io.SafeTensors;
import dev.titok.nn.Conv2d;
import dev.titok.nn.Conv2d.Padding;
import dev.titok.nn.Linear;
import dev.titok.nn.Model;
import dev.titok.nn.StateDict;
import dev.titok.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;

/**
 * A small convolutional image classifier: the judge of class consistency for generated images and, through its
 * {@linkplain #features penultimate features}, an offline feature space for FID on small datasets (Fashion-MNIST)
 * where Inception features mean little.
 *
 * <p>Input (B, 3, S, S) in [0, 1], S divisible by 4 and at least 16. Two stages of two 3×3 convolutions with ReLU,
 * each followed by 2×2 max pooling (32 then 64 channels), then the flattened (64, S/4, S/4) map through a linear layer
 * to {@value #FEATURES} features (ReLU) and a last linear layer to the class logits. The flattening keeps where things
 * are in the image, which matters for clothes (a shirt and a coat differ in outline, not texture), so a classifier is
 * made for one image size.
 *
 * <p>Saved as a folder: {@code classifier.safetensors} (the weights, by state-dict name) and {@code classifier.json}
 * (number of classes, image size, class names, test accuracy).
 */
public final class Classifier extends Model {

    /** The size of the penultimate feature vector, what {@link #features} returns per image. */
    public static final int FEATURES = 128;

    /**
     * Images per forward pass of the array-level calls, which split larger batches so that memory stays bounded: at
     * S = 32 the largest activation of a chunk is 256 × 32 × 32 × 32 floats, 34 MB.
     */
    public static final int MAX_BATCH = 256;

    /** The weights file in a classifier folder. */
    public static final String WEIGHTS_FILE = "classifier.safetensors";

    /** The description file in a classifier folder, written last by {@link #save}. */
    public static final String CONFIG_FILE = "classifier.json";

    private static final String FORMAT = "titok-classifier";
    private static final int CHANNELS_1 = 32;
    private static final int CHANNELS_2 = 64;

    private final int numClasses;
    private final int imageSize;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Conv2d conv3;
    private final Conv2d conv4;
    private final Linear fc;
    private final Linear head;
    private List<String> classNames = List.of();
    private double testAccuracy = Double.NaN;

    private Classifier(int numClasses, int imageSize) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + numClasses);
        }
        requireImageSize(imageSize, IllegalArgumentException::new);
        this.numClasses = numClasses;
        this.imageSize = imageSize;
        this.conv1 = child("conv1", new Conv2d(3, CHANNELS_1, 3, 1, Padding.SYMMETRIC, true));
        this.conv2 = child("conv2", new Conv2d(CHANNELS_1, CHANNELS_1, 3, 1, Padding.SYMMETRIC, true));
        this.conv3 = child("conv3", new Conv2d(CHANNELS_1, CHANNELS_2, 3, 1, Padding.SYMMETRIC, true));
        this.conv4 = child("conv4", new Conv2d(CHANNELS_2, CHANNELS_2, 3, 1, Padding.SYMMETRIC, true));
        long cells = (long) (imageSize / 4) * (imageSize / 4);
        this.fc = child("fc", new Linear(CHANNELS_2 * cells, FEATURES));
        this.head = child("head", new Linear(FEATURES, numClasses));
    }

    /**
     * A classifier with fresh weights for images of side {@code imageSize}, the same for the same seed.
     *
     * <p>Every weight is drawn from N(0, 2 / fan_in) (He initialisation; the head's from N(0, 1 / fan_in)), biases
     * are zero. The transformer rule that {@link Conv2d} and {@link Linear} declare, N(0, 0.02²), would shrink the
     * signal about tenfold through the first convolution of this network without normalisation layers.
     *
     * @throws IllegalArgumentException when there are fewer than 2 classes or the size is not a multiple of 4 ≥ 16
     */
    public static Classifier random(int numClasses, int imageSize, long seed) {
        Classifier model = new Classifier(numClasses, imageSize);
        model.initializeRandomly(seed);
        // continues the generator that initializeRandomly seeded, so the draws depend on the seed only
        model.namedParameters().forEach((name, p) -> {
            if (name.endsWith(".weight")) {
                long fanIn = p.shape().size() / p.shape().get(0);
                double gain = name.startsWith("head.") ? 1.0 : 2.0;
                p.set(model.manager().randomNormal(0, (float) Math.sqrt(gain / fanIn), p.shape(), DataType.FLOAT32));
            }
        });
        return model;
    }

    /** A classifier for 32-pixel images (Fashion-MNIST padded from 28), see {@link #random(int, int, long)}. */
    public static Classifier random(int numClasses, long seed) {
        return random(numClasses, 32, seed);
    }

    /**
     * The classifier saved in {@code dir} by {@link #save}.
     *
     * @throws TitokException naming the file when the folder, its description or its weights are missing, unreadable
     *                        or do not match each other
     */
    public static Classifier load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TitokException(dir + ": no such folder: expected a classifier folder with " + CONFIG_FILE
                    + " and " + WEIGHTS_FILE);
        }
        Path config = dir.resolve(CONFIG_FILE);
        Path weights = dir.resolve(WEIGHTS_FILE);
        for (Path file : List.of(config, weights)) {
            if (!Files.isRegularFile(file)) {
                throw new TitokException(file + ": no such file: a classifier folder holds " + CONFIG_FILE + " and "
                        + WEIGHTS_FILE + " (written by Classifier.save)");
            }
        }
        JsonNode root = ConfigFields.readObject(config, "num_classes, image_size and class_names");
        ConfigFields fields = new ConfigFields(config.toString());
        fields.rejectUnknown(root, Set.of("format", "num_classes", "image_size", "class_names", "test_accuracy"),
                "the classifier description");
        String format = fields.string(root, "format", "classifier", FORMAT);
        if (!format.equals(FORMAT)) {
            throw new TitokException(config + ": format is \"" + format + "\": expected \"" + FORMAT + "\"");
        }
        int numClasses = fields.requireInt(root, "num_classes", "classifier");
        int imageSize = fields.requireInt(root, "image_size", "classifier");
        if (numClasses < 2) {
            throw new TitokException(config + ": num_classes is " + numClasses + ": expected at least 2");
        }
        requireImageSize(imageSize, reason -> new TitokException(config + ": image_size " + reason));
        List<String> names = classNames(root.path("class_names"), numClasses, config);
        JsonNode accuracy = root.path("test_accuracy");
        double testAccuracy = Double.NaN;
        if (!accuracy.isMissingNode() && !accuracy.isNull()) {
            testAccuracy = fields.requireDouble(root, "test_accuracy", "classifier");
            if (!(testAccuracy >= 0 && testAccuracy <= 1)) {
                throw new TitokException(config + ": test_accuracy is " + testAccuracy + ": expected a share in [0, 1]");
            }
        }

        Classifier model = new Classifier(numClasses, imageSize);
        try (SafeTensors file = SafeTensors.open(weights)) {
            model.loadWeights(file.tensors(), weights + " (for " + CONFIG_FILE + ": " + numClasses + " classes, "
                    + imageSize + "-pixel images)", Set.of());
        }
        model.classNames = names;
        model.testAccuracy = testAccuracy;
        return model;
    }

    /**
     * Writes {@link #WEIGHTS_FILE} and then {@link #CONFIG_FILE} into {@code dir} (created when missing), each under
     * a temporary name moved into place, so an interrupted save never leaves a file that looks complete.
     *
     * @throws TitokException naming the file that could not be written
     */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TitokException(dir + ": cannot create the classifier folder: " + e.getMessage(), e);
        }
        SafeTensors.write(dir.resolve(WEIGHTS_FILE), StateDict.export(this), Map.of("format", FORMAT));
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("format", FORMAT);
        root.put("num_classes", numClasses);
        root.put("image_size", imageSize);
        ArrayNode names = root.putArray("class_names");
        classNames.forEach(names::add);
        if (Double.isNaN(testAccuracy)) {
            root.putNull("test_accuracy");
        } else {
            root.put("test_accuracy", testAccuracy);
        }
        try {
            AtomicFiles.writeText(dir.resolve(CONFIG_FILE), "classifier description",
                    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the classifier description cannot be written as JSON", e);
        }
    }

    /** The number of classes: logits have this many columns. */
    public int numClasses() {
        return numClasses;
    }

    /** The side S of the images this classifier takes. */
    public int imageSize() {
        return imageSize;
    }

    /** The name of each class id, or an empty list when unknown (a model that was never trained on named classes). */
    public List<String> classNames() {
        return classNames;
    }

    /** The accuracy on the test set measured when the classifier was trained, empty when unknown. */
    public OptionalDouble testAccuracy() {
        return Double.isNaN(testAccuracy) ? OptionalDouble.empty() : OptionalDouble.of(testAccuracy);
    }

    /** Records what training learned about the classifier, so that {@link #save} keeps it. */
    void describe(List<String> names, double accuracy) {
        this.classNames = names.size() == numClasses ? List.copyOf(names) : List.of();
        this.testAccuracy = accuracy;
    }

    // ---- NDArray level ------------------------------------------------------------------------------------

    /** Images (B, 3, S, S) in [0, 1] → class logits (B, numClasses). Differentiable; respects the grad mode. */
    public NDArray logits(NDArray images) {
        return head.forward(features(images));
    }

    /**
     * Images (B, 3, S, S) in [0, 1] → the penultimate features (B, {@value #FEATURES}): the non-negative activations
     * the last linear layer turns into logits.
     */
    public NDArray features(NDArray images) {
        checkShape(images.getShape());
        NDArray x = relu(conv1.forward(images));                   // (B, 32, S, S)
        x = maxPool(relu(conv2.forward(x)));                       // (B, 32, S/2, S/2)
        x = relu(conv3.forward(x));                                // (B, 64, S/2, S/2)
        x = maxPool(relu(conv4.forward(x)));                       // (B, 64, S/4, S/4)
        return relu(fc.forward(x.reshape(x.getShape().get(0), -1))); // (B, 128)
    }

    // ---- Java arrays ----------------------------------------------------------------------------------------

    /** The most likely class of each image, each (3, S, S) row-major in [0, 1]. */
    public int[] predict(float[][] images) {
        float[][] logits = logits(images);
        int[] classes = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int best = 0;
            for (int c = 1; c < numClasses; c++) {
                if (logits[i][c] > logits[i][best]) {
                    best = c;
                }
            }
            classes[i] = best;
        }
        return classes;
    }

    /** The class logits of each image, each (3, S, S) row-major in [0, 1]: one row of {@link #numClasses} per image. */
    public float[][] logits(float[][] images) {
        return inChunks(images, this::logits, numClasses);
    }

    /** The penultimate features of each image, each (3, S, S) row-major in [0, 1]: {@value #FEATURES} per image. */
    public float[][] features(float[][] images) {
        return inChunks(images, this::features, FEATURES);
    }

    /**
     * Applies {@code forward} to chunks of at most {@link #MAX_BATCH} images, each in its own scope with gradients
     * off (restored afterwards, so an evaluation inside a training loop leaves the loop's grad mode alone).
     */
    private float[][] inChunks(float[][] images, Function<NDArray, NDArray> forward, int width) {
        int per = 3 * imageSize * imageSize;
        for (int i = 0; i < images.length; i++) {
            if (images[i].length != per) {
                throw new TitokException("image " + i + " has " + images[i].length + " values: expected 3 x "
                        + imageSize + " x " + imageSize + " = " + per + " for this classifier");
            }
        }
        float[][] out = new float[images.length][];
        boolean gradMode = JniUtils.isGradMode();
        try {
            JniUtils.setGradMode(false);
            for (int start = 0; start < images.length; start += MAX_BATCH) {
                int count = Math.min(MAX_BATCH, images.length - start);
                float[] flat = new float[count * per];
                for (int i = 0; i < count; i++) {
                    System.arraycopy(images[start + i], 0, flat, i * per, per);
                }
                try (NDScope scope = new NDScope()) {
                    NDArray x = Tensors.of(manager(), flat, new Shape(count, 3, imageSize, imageSize));
                    float[] result = forward.apply(x).toFloatArray();                  // (count, width)
                    for (int i = 0; i < count; i++) {
                        out[start + i] = new float[width];
                        System.arraycopy(result, i * width, out[start + i], 0, width);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return out;
    }

    private void checkShape(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != 3 || shape.get(2) != imageSize || shape.get(3) != imageSize) {
            throw new TitokException("images of shape " + shape + ": this classifier expects (B, 3, " + imageSize
                    + ", " + imageSize + ")");
        }
    }

    private static NDArray relu(NDArray x) {
        return Activation.relu(x);
    }

    /** Non-overlapping 2×2 max pooling of (B, C, H, W). */
    private static NDArray maxPool(NDArray x) {
        return Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    }

    private static <E extends RuntimeException> void requireImageSize(int size, Function<String, E> error) {
        if (size < 16 || size % 4 != 0) {
            throw error.apply("is " + size + ": expected a multiple of 4 of at least 16 (two 2x2 poolings)");
        }
    }

    private static List<String> classNames(JsonNode node, int numClasses, Path config) {
        if (node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        if (!node.isArray() || (node.size() != 0 && node.size() != numClasses)) {
            throw new TitokException(config + ": class_names must be a list of " + numClasses
                    + " names (or empty), found " + (node.isArray() ? node.size() + " entries" : node.getNodeType()));
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : node) {
            if (!name.isTextual()) {
                throw new TitokException(config + ": class_names holds " + name + ": expected strings");
            }
            names.add(name.asText());
        }
        return List.copyOf(names);
    }
}
