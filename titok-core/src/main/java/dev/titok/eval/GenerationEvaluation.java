package dev.titok.eval;

import dev.titok.eval.stats.FeatureStatistics;
import dev.titok.eval.stats.InceptionScore;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Feature statistics and Inception Scores of a set of images (SPEC §6.3): the samples of a generator, scored against
 * reference statistics for gFID, or the real images that make such a reference.
 *
 * <p>Every image's features enter float64 sums (mean and one-pass covariance); its softmax over the logits enters
 * both Inception Scores: the official evaluator's (one split over all images) and OpenAI ADM's (the mean over splits
 * of 5,000, ten for 50,000 samples), which needs every softmax row and keeps them as float32, as ADM's TensorFlow
 * graph computes them. With a state file (an {@code .npz}) the sums are saved every few thousand images and a rerun
 * continues there.
 */
public final class GenerationEvaluation {

    /** Images per feature pass. */
    static final int BATCH = 64;

    /**
     * What was measured.
     *
     * @param statistics     feature sums of all images
     * @param inceptionScore the official evaluator's IS (one split)
     * @param admScore       ADM's IS (splits of 5,000; fewer images make one split)
     * @param featureSpace   what the features are
     */
    public record Result(FeatureStatistics statistics, double inceptionScore, InceptionScore.AdmResult admScore,
                         String featureSpace) {
        public long images() {
            return statistics.count();
        }
    }

    private GenerationEvaluation() {}

    /**
     * Measures every image of {@code images}.
     *
     * @param state           file to save the running sums to and resume from, or null
     * @param saveEveryImages images between saves
     * @param progress        told the number of images done after every batch
     */
    public static Result run(SampleImages images, FeatureSpace space, Path state, int saveEveryImages,
                             LongConsumer progress) {
        if (images.count() < 2) {
            throw new TitokException("FID needs at least 2 images; got " + images.count());
        }
        if (images.count() * space.classes() > Integer.MAX_VALUE) {
            throw new TitokException(images.count() + " images are more than the ADM Inception Score can hold here");
        }
        FeatureStatistics[] statsHolder = {new FeatureStatistics(space.dimensions())};
        InceptionScore[] officialHolder = {new InceptionScore(space.classes())};
        float[] probabilities = new float[(int) (images.count() * space.classes())];
        long done = state == null ? 0 : resume(state, images.count(), statsHolder, officialHolder, probabilities);
        FeatureStatistics stats = statsHolder[0];
        InceptionScore official = officialHolder[0];
        images.skip(done);
        progress.accept(done);
        long sinceSave = 0;
        while (done < images.count()) {
            byte[] batch = images.next(BATCH);
            FeatureSpace.Features f = space.features(batch, images.height(), images.width());
            stats.add(f.pool(), f.count());
            official.add(f.logits(), f.count());
            double[] p = InceptionScore.softmax(f.logits(), f.count(), space.classes());
            for (int i = 0; i < p.length; i++) {
                probabilities[(int) (done * space.classes()) + i] = (float) p[i];
            }
            done += f.count();
            sinceSave += f.count();
            if (state != null && sinceSave >= saveEveryImages && done < images.count()) {
                save(state, images.count(), done, stats, official, probabilities);
                sinceSave = 0;
            }
            progress.accept(done);
        }
        if (state != null) {
            save(state, images.count(), done, stats, official, probabilities);
        }
        double[] all = new double[probabilities.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = probabilities[i];
        }
        InceptionScore.AdmResult adm = InceptionScore.adm(all, (int) done, space.classes(),
                (int) Math.min(InceptionScore.ADM_SPLIT_SIZE, done));
        return new Result(stats, official.score(), adm, space.description());
    }

    private static void save(Path file, long count, long done, FeatureStatistics stats, InceptionScore official,
                             float[] probabilities) {
        Map<String, HostTensor> a = new LinkedHashMap<>();
        a.put("made", HostTensor.ofLongs(new long[] {3}, new long[] {count, stats.dim(), official.classes()}));
        a.put("images", HostTensor.ofLongs(new long[0], new long[] {done}));
        a.putAll(stats.toArrays("features."));
        a.putAll(official.toArrays("is."));
        float[] used = Arrays.copyOf(probabilities, (int) (done * official.classes()));
        a.put("softmax", HostTensor.ofFloats(new long[] {done, official.classes()}, used));
        Npz.write(file, a);
    }

    /** Loads a saved state into the given accumulators; returns the number of images it covers (0 without a file). */
    private static long resume(Path file, long count, FeatureStatistics[] stats, InceptionScore[] official,
                               float[] probabilities) {
        if (!Files.exists(file)) {
            return 0;
        }
        Map<String, HostTensor> a = Npz.read(file);
        long[] made = Npz.get(file, a, "made").toLongs();
        if (!Arrays.equals(made, new long[] {count, stats[0].dim(), official[0].classes()})) {
            throw new TitokException(file + " belongs to another evaluation (other images or feature space); "
                    + "delete it or choose another --state file");
        }
        long done = Npz.get(file, a, "images").toLongs()[0];
        stats[0] = FeatureStatistics.fromArrays(file, a, "features.");
        official[0] = InceptionScore.fromArrays(file, a, "is.");
        float[] saved = Npz.get(file, a, "softmax").toFloats();
        if (saved.length != done * official[0].classes() || stats[0].count() != done) {
            throw new TitokException(file + ": the evaluation state is inconsistent; delete it to start over");
        }
        System.arraycopy(saved, 0, probabilities, 0, saved.length);
        return done;
    }
}
