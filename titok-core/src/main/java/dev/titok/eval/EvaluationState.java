package dev.titok.eval;

import dev.titok.eval.stats.FeatureStatistics;
import dev.titok.eval.stats.InceptionScore;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The running sums of a {@link ReconstructionEvaluation}, saved as one {@code .npz} (written whole under a temporary
 * name, then renamed) so that a long evaluation resumes where it stopped. The file records what it was made for (data
 * size, batch size, codebook, classes, feature dimensions); resuming anything else is refused rather than mixing two
 * evaluations.
 */
final class EvaluationState {

    private final long[] made;
    int images;
    int batches;
    double psnrSum;
    double ssimSum;
    final long[] histogram;
    final long[] classImages;
    final double[] classPsnr;
    final double[] classSsim;
    FeatureStatistics real;
    FeatureStatistics fake;
    InceptionScore inceptionScore;
    final List<ReconstructionEvaluation.Shown> first = new ArrayList<>();
    /** The worst images so far; the head is the best of them, the one to drop when a worse one comes. */
    final PriorityQueue<ReconstructionEvaluation.Shown> worst =
            new PriorityQueue<>(Comparator.comparingDouble(ReconstructionEvaluation.Shown::psnr).reversed());

    private EvaluationState(long[] made, int codebook, int classes, int dims, int logits) {
        this.made = made;
        histogram = new long[codebook];
        classImages = new long[classes];
        classPsnr = new double[classes];
        classSsim = new double[classes];
        real = new FeatureStatistics(Math.max(dims, 1));
        fake = new FeatureStatistics(Math.max(dims, 1));
        inceptionScore = new InceptionScore(Math.max(logits, 1));
    }

    /** The state in {@code file} when it exists (checked to belong to this evaluation), else a fresh one. */
    static EvaluationState resumeOrStart(Path file, int dataSize, int batchSize, int codebook, int classes, int dims,
                                         int logits) {
        long[] made = {dataSize, batchSize, codebook, classes, dims, logits};
        EvaluationState state = new EvaluationState(made, codebook, classes, dims, logits);
        if (file == null || !Files.exists(file)) {
            return state;
        }
        Map<String, HostTensor> a = Npz.read(file);
        HostTensor recorded = Npz.get(file, a, "made");
        if (!Arrays.equals(recorded.toLongs(), made)) {
            throw new TitokException(file + " belongs to another evaluation (other data, batch size, model or feature "
                    + "space); delete it or choose another --state file");
        }
        state.images = (int) scalarLong(file, a, "images");
        state.batches = (int) scalarLong(file, a, "batches");
        state.psnrSum = Npz.get(file, a, "psnr_sum").toDoubles()[0];
        state.ssimSum = Npz.get(file, a, "ssim_sum").toDoubles()[0];
        copy(Npz.get(file, a, "histogram").toLongs(), state.histogram);
        copy(Npz.get(file, a, "class_images").toLongs(), state.classImages);
        copy(Npz.get(file, a, "class_psnr").toDoubles(), state.classPsnr);
        copy(Npz.get(file, a, "class_ssim").toDoubles(), state.classSsim);
        state.real = FeatureStatistics.fromArrays(file, a, "real.");
        state.fake = FeatureStatistics.fromArrays(file, a, "fake.");
        state.inceptionScore = InceptionScore.fromArrays(file, a, "is.");
        state.first.addAll(readShown(file, a, "first."));
        state.worst.addAll(readShown(file, a, "worst."));
        return state;
    }

    void add(int label, double psnr, double ssim) {
        images++;
        psnrSum += psnr;
        ssimSum += ssim;
        int c = Math.min(label, classImages.length - 1);
        classImages[c]++;
        classPsnr[c] += psnr;
        classSsim[c] += ssim;
    }

    void offerWorst(ReconstructionEvaluation.Shown shown, int keep) {
        if (keep == 0) {
            return;
        }
        if (worst.size() < keep) {
            worst.add(shown);
        } else if (shown.psnr() < worst.peek().psnr()) {
            worst.poll();
            worst.add(shown);
        }
    }

    /** Writes everything to {@code file} atomically: an interruption leaves the previous state whole. */
    void save(Path file) {
        Map<String, HostTensor> a = new LinkedHashMap<>();
        a.put("made", HostTensor.ofLongs(new long[] {made.length}, made));
        a.put("images", HostTensor.ofLongs(new long[0], new long[] {images}));
        a.put("batches", HostTensor.ofLongs(new long[0], new long[] {batches}));
        a.put("psnr_sum", HostTensor.ofDoubles(new long[0], new double[] {psnrSum}));
        a.put("ssim_sum", HostTensor.ofDoubles(new long[0], new double[] {ssimSum}));
        a.put("histogram", HostTensor.ofLongs(new long[] {histogram.length}, histogram));
        a.put("class_images", HostTensor.ofLongs(new long[] {classImages.length}, classImages));
        a.put("class_psnr", HostTensor.ofDoubles(new long[] {classPsnr.length}, classPsnr));
        a.put("class_ssim", HostTensor.ofDoubles(new long[] {classSsim.length}, classSsim));
        a.putAll(real.toArrays("real."));
        a.putAll(fake.toArrays("fake."));
        a.putAll(inceptionScore.toArrays("is."));
        writeShown(a, "first.", first);
        writeShown(a, "worst.", new ArrayList<>(worst));
        Npz.write(file, a);
    }

    private static void writeShown(Map<String, HostTensor> a, String prefix, List<ReconstructionEvaluation.Shown> shown) {
        int n = shown.size();
        int pixels = n == 0 ? 0 : shown.get(0).original().length;
        long[] index = new long[n];
        long[] label = new long[n];
        double[] psnr = new double[n];
        float[] originals = new float[n * pixels];
        float[] reconstructions = new float[n * pixels];
        for (int i = 0; i < n; i++) {
            ReconstructionEvaluation.Shown s = shown.get(i);
            index[i] = s.index();
            label[i] = s.label();
            psnr[i] = s.psnr();
            System.arraycopy(s.original(), 0, originals, i * pixels, pixels);
            System.arraycopy(s.reconstruction(), 0, reconstructions, i * pixels, pixels);
        }
        a.put(prefix + "index", HostTensor.ofLongs(new long[] {n}, index));
        a.put(prefix + "label", HostTensor.ofLongs(new long[] {n}, label));
        a.put(prefix + "psnr", HostTensor.ofDoubles(new long[] {n}, psnr));
        a.put(prefix + "original", HostTensor.ofFloats(new long[] {n, pixels}, originals));
        a.put(prefix + "reconstruction", HostTensor.ofFloats(new long[] {n, pixels}, reconstructions));
    }

    private static List<ReconstructionEvaluation.Shown> readShown(Path file, Map<String, HostTensor> a, String prefix) {
        long[] index = Npz.get(file, a, prefix + "index").toLongs();
        long[] label = Npz.get(file, a, prefix + "label").toLongs();
        double[] psnr = Npz.get(file, a, prefix + "psnr").toDoubles();
        HostTensor originals = Npz.get(file, a, prefix + "original");
        float[] o = originals.toFloats();
        float[] r = Npz.get(file, a, prefix + "reconstruction").toFloats();
        int pixels = (int) originals.shape()[1];
        List<ReconstructionEvaluation.Shown> shown = new ArrayList<>();
        for (int i = 0; i < index.length; i++) {
            shown.add(new ReconstructionEvaluation.Shown((int) index[i], (int) label[i],
                    Arrays.copyOfRange(o, i * pixels, (i + 1) * pixels), Arrays.copyOfRange(r, i * pixels, (i + 1) * pixels),
                    psnr[i]));
        }
        return shown;
    }

    private static long scalarLong(Path file, Map<String, HostTensor> a, String key) {
        return Npz.get(file, a, key).toLongs()[0];
    }

    private static void copy(long[] from, long[] to) {
        System.arraycopy(from, 0, to, 0, to.length);
    }

    private static void copy(double[] from, double[] to) {
        System.arraycopy(from, 0, to, 0, to.length);
    }
}
