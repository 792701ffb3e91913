package dev.titok.data;

/**
 * One training or evaluation example: an RGB image as the model takes it and its class.
 *
 * @param pixels the image as floats in [0, 1], shape (3, S, S) in CHW order (planes R, G, B), as
 *               {@link dev.titok.image.Preprocess#toTensor} lays it out; the array is the caller's to keep
 * @param label  the class id in [0, numClasses), or {@link #UNLABELED}
 */
public record Example(float[] pixels, int label) {

    /** The label of an example from a dataset without classes. */
    public static final int UNLABELED = -1;

    public Example {
        if (label < UNLABELED) {
            throw new IllegalArgumentException("label must be a class id or -1 (unlabeled), got " + label);
        }
    }
}
