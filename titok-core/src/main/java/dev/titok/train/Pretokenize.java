package dev.titok.train;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.Example;
import dev.titok.data.Loader;
import dev.titok.data.TokenShards;
import dev.titok.tokenizer.TiTok;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Turns an image dataset into {@link TokenShards} for generator training (SPEC §5.5, the official
 * {@code pretokenization.py}): every image is stored twice, as the dataset gives it and mirrored left to right, each
 * view as one line {@code {"class_id": c, "tokens": [...]}}, in dataset order (the original view first).
 *
 * <p>The views are whatever the dataset's transform makes ({@code Transform.pretokenize} for the official ADM centre
 * crop, IDX images as they are); the mirror is taken here. Images are decoded in background threads by a
 * non-shuffling {@link Loader}, tokenized in batches, and the file appears only complete (written to a temporary name
 * and moved into place). The output depends only on the dataset and the encoder.
 */
public final class Pretokenize {

    /** Maps a batch of (3, S, S) images in [0, 1] to one token list each: a TiTok, or the official MaskGIT-VQGAN. */
    @FunctionalInterface
    public interface Encoder {

        /** One token list per image, all of the same length. */
        long[][] tokenize(float[][] images);

        /** TiTok's K tokens per image (vq models). */
        static Encoder of(TiTok titok) {
            return titok::tokenize;
        }

        /** The MaskGIT-VQGAN's row-major code grid per image, as the official script writes it. */
        static Encoder of(Vqgan vqgan, int imageSize) {
            return images -> vqgan.encode(images, imageSize);
        }
    }

    /** Reports progress after every batch. */
    @FunctionalInterface
    public interface Progress {

        /** {@code done} of {@code total} images are tokenized (each written as two lines). */
        void update(int done, int total);
    }

    private Pretokenize() {}

    /**
     * Tokenizes every image of {@code dataset} and its mirror image into {@code output}. Images without a label get
     * class 0, so that an unlabeled dataset trains an unconditional generator.
     *
     * @param batchSize images per batch (each batch is encoded as twice as many views)
     * @param threads   background threads that decode and transform images
     * @return the number of lines written: twice the number of images
     * @throws TitokException when an image cannot be read, the encoder fails or the file cannot be written; the
     *                        output file is then left as it was
     */
    public static int run(Dataset dataset, Encoder encoder, Path output, int batchSize, int threads,
                          Progress progress) {
        int total = dataset.size();
        int side = dataset.imageSize();
        int pixels = 3 * side * side;
        try (TokenShards.Writer writer = TokenShards.writer(output);
             Loader loader = Loader.builder(dataset, batchSize).shuffle(false).dropLast(false).epochs(1)
                     .threads(threads).build()) {
            int done = 0;
            while (loader.hasNext()) {
                Loader.Batch batch = loader.next();
                int b = batch.size();
                float[][] views = new float[2 * b][];
                for (int i = 0; i < b; i++) {
                    views[2 * i] = Arrays.copyOfRange(batch.pixels(), i * pixels, (i + 1) * pixels);
                    views[2 * i + 1] = mirror(views[2 * i], side);
                }
                long[][] tokens = encoder.tokenize(views);
                if (tokens.length != views.length) {
                    throw new TitokException("the encoder returned " + tokens.length + " token lists for "
                            + views.length + " images");
                }
                for (int i = 0; i < b; i++) {
                    int label = batch.labels()[i] == Example.UNLABELED ? 0 : batch.labels()[i];
                    writer.add(label, narrow(tokens[2 * i]));
                    writer.add(label, narrow(tokens[2 * i + 1]));
                }
                done += b;
                progress.update(done, total);
            }
            writer.commit();
            return writer.count();
        }
    }

    /** The image mirrored left to right, (3, S, S) → (3, S, S) ({@code torch.flip(x, dims=[-1])}). */
    static float[] mirror(float[] chw, int side) {
        float[] out = new float[chw.length];
        for (int row = 0; row < chw.length / side; row++) {
            int start = row * side;
            for (int x = 0; x < side; x++) {
                out[start + x] = chw[start + side - 1 - x];
            }
        }
        return out;
    }

    private static int[] narrow(long[] tokens) {
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = Math.toIntExact(tokens[i]);
        }
        return out;
    }
}
