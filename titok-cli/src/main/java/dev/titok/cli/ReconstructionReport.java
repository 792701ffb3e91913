package dev.titok.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.titok.TitokException;
import dev.titok.eval.stats.Frechet;
import dev.titok.eval.ReconstructionEvaluation;
import dev.titok.io.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The figures of {@code titok eval recon}: on the terminal, as JSON and as a per-class CSV. */
final class ReconstructionReport {

    /** What the figures mean, stored in every JSON report next to them. */
    static final String PROTOCOL = "reconstructions clamped to [0,1] and rounded half-even to 8 bits, originals truncated "
            + "to 8 bits (SPEC 6.1); rFID: float64 one-pass covariances of both feature sets, trace of SciPy-style sqrtm "
            + "(official VQGANEvaluator); IS: one split over all reconstructions, bias-free logits; PSNR: per image on "
            + "[0,1] values, capped at 100 dB, averaged; SSIM: Wang et al. 2004, 11x11 Gaussian window sigma 1.5, valid "
            + "region, per channel, averaged; codebook entropy: -sum p log2(p + 1e-8) of the code histogram";

    private ReconstructionReport() {}

    static void print(ReconstructionEvaluation.Result r, PrintStream out) {
        out.printf(Locale.ROOT, "images %d%n", r.images());
        out.printf(Locale.ROOT, "psnr_db %.3f%n", r.psnr());
        out.printf(Locale.ROOT, "ssim %.4f%n", r.ssim());
        if (!Double.isNaN(r.codebookUsage())) {
            out.printf(Locale.ROOT, "codebook_usage %.4f%ncodebook_entropy_bits %.3f%n", r.codebookUsage(), r.codebookEntropy());
        }
        if (r.fid() != null) {
            out.printf(Locale.ROOT, "rfid %.4f%ninception_score %.4f%n", r.fid().fid(), r.inceptionScore());
            out.println("feature_space " + r.featureSpace());
        } else {
            out.println("rfid not measured (give --inception FILE, or offline --classifier DIR)");
        }
        if (!r.perClass().isEmpty()) {
            out.printf(Locale.ROOT, "per class:%n  %-16s %7s %8s %7s%n", "class", "images", "psnr_db", "ssim");
            for (ReconstructionEvaluation.ClassResult c : r.perClass()) {
                out.printf(Locale.ROOT, "  %-20s %7d %8.3f %7.4f%n", c.name(), c.images(), c.psnr(), c.ssim());
            }
        }
    }

    static void writeJson(Path file, ReconstructionEvaluation.Result r, String model, String data, String split,
                          Integer limit) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model);
        json.put("data", data);
        json.put("split", split);
        json.put("limit", limit);
        json.put("images", r.images());
        json.put("psnr_db", r.psnr());
        json.put("ssim", r.ssim());
        json.put("codebook_usage", finite(r.codebookUsage()));
        json.put("codebook_entropy_bits", finite(r.codebookEntropy()));
        if (r.fid() != null) {
            Frechet.Result f = r.fid();
            json.put("rfid", f.fid());
            json.put("rfid_terms", Map.of("mean_term", f.meanTerm(), "trace_real", f.traceReal(),
                    "trace_fake", f.traceFake(), "trace_covmean", f.traceCovmean(), "fallback", f.usedFallback()));
            json.put("inception_score", r.inceptionScore());
            json.put("feature_space", r.featureSpace());
        } else {
            json.put("rfid", null);
            json.put("feature_space", "none (no --inception or --classifier given)");
        }
        json.put("protocol", PROTOCOL);
        List<Map<String, Object>> classes = r.perClass().stream().map(c -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("label", c.label());
            row.put("name", c.name());
            row.put("images", c.images());
            row.put("psnr_db", finite(c.psnr()));
            row.put("ssim", finite(c.ssim()));
            return row;
        }).toList();
        json.put("per_class", classes);
        json.put("worst", r.worst().stream().map(w -> Map.of("index", w.index(), "label", w.label(), "psnr_db", w.psnr())).toList());
        try {
            String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json);
            AtomicFiles.writeText(file, "evaluation report", text + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TitokException(file + ": cannot write the report: " + e.getMessage(), e);
        }
    }

    static void writeCsv(Path file, ReconstructionEvaluation.Result r) {
        StringBuilder csv = new StringBuilder("label,name,images,psnr_db,ssim\n");
        for (ReconstructionEvaluation.ClassResult c : r.perClass()) {
            csv.append(String.format(Locale.ROOT, "%d,\"%s\",%d,%.4f,%.5f%n", c.label(), c.name().replace("\"", "\"\""),
                    c.images(), c.psnr(), c.ssim()));
        }
        csv.append(String.format(Locale.ROOT, "all,\"all\",%d,%.4f,%.5f%n", r.images(), r.psnr(), r.ssim()));
        AtomicFiles.writeText(file, "per-class CSV", csv.toString());
    }

    private static Double finite(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
