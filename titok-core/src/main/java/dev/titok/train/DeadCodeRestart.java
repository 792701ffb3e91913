package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Tensors;
import java.util.Arrays;
import java.util.Map;

/**
 * Moves codebook entries that no token has chosen for a while onto encoder outputs of the current batch, so that
 * they are chosen again. Not part of the official recipes (they avoid collapse with the two-stage proxy-code
 * training and very large batches); on small single-stage runs a vq codebook otherwise collapses to one code per
 * token position, and the decoder learns only the mean image. It is the dead-code restart of VQ-VAE practice.
 *
 * <p>Every {@code every} steps, each code with no use since the last check gets the value of an encoder output
 * drawn uniformly from the batch (through the job's {@link RandomSource}, so a resumed run restarts the same codes
 * with the same values); the use counts are part of the checkpoint. The optimizer moments of a restarted row are
 * left as they are.
 */
final class DeadCodeRestart implements Checkpointable {

    static final String COUNTS = "code_counts";

    private final int every;
    private final long[] counts;

    /** @param every check every this many steps (> 0) */
    DeadCodeRestart(int codebookSize, int every) {
        if (every <= 0) {
            throw new IllegalArgumentException("restart interval must be positive, got " + every);
        }
        this.every = every;
        this.counts = new long[codebookSize];
    }

    /**
     * Counts this batch's codes and, after every {@code every}-th step, restarts the codes left unused.
     *
     * @param step     steps taken before this one
     * @param tokens   this batch's code ids, any shape
     * @param z        the encoder outputs they were chosen for, (B, C, 1, K)
     * @param codebook the (N, C) codebook weights, changed in place
     * @param random   the draws that pick the replacement outputs
     * @return the number of codes restarted (0 on the steps between checks)
     */
    int update(long step, NDArray tokens, NDArray z, NDArray codebook, RandomSource random) {
        for (long id : tokens.toLongArray()) {
            counts[(int) id]++;
        }
        if ((step + 1) % every != 0) {
            return 0;
        }
        int[] dead = java.util.stream.IntStream.range(0, counts.length).filter(i -> counts[i] == 0).toArray();
        Arrays.fill(counts, 0);
        if (dead.length == 0) {
            return 0;
        }
        long c = z.getShape().get(1);
        int n = counts.length;
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            NDManager manager = codebook.getManager();
            float[] rows = z.squeeze(2).transpose(0, 2, 1).toFloatArray();                 // (B·K, C) row-major
            int available = (int) (rows.length / c);
            float[] draws = random.uniform(manager, new Shape(dead.length)).toFloatArray();
            float[] keep = new float[n];
            Arrays.fill(keep, 1f);
            float[] replacement = new float[(int) (n * c)];
            for (int i = 0; i < dead.length; i++) {
                int source = Math.min(available - 1, (int) (draws[i] * available));
                keep[dead[i]] = 0f;
                System.arraycopy(rows, (int) (source * c), replacement, (int) (dead[i] * c), (int) c);
            }
            codebook.muli(Tensors.of(manager, keep, new Shape(n, 1)))
                    .addi(Tensors.of(manager, replacement, new Shape(n, c)));
        }
        return dead.length;
    }

    @Override
    public State saveState() {
        return new State(Map.of(COUNTS, HostTensor.ofLongs(new long[] {counts.length}, counts.clone())), Map.of());
    }

    @Override
    public void loadState(State saved, String source) {
        HostTensor saved0 = saved.tensors().get(COUNTS);
        if (saved0 == null || saved.tensors().size() != 1) {
            throw new TitokException(source + ": expected exactly the codebook use counts '" + COUNTS + "'");
        }
        long[] values = saved0.toLongs();
        if (values.length != counts.length) {
            throw new TitokException(source + ": " + values.length + " codebook use counts for a codebook of "
                    + counts.length);
        }
        System.arraycopy(values, 0, counts, 0, counts.length);
    }
}
