package dev.titok.cli;

import dev.titok.config.TiTokConfig;
import dev.titok.eval.ReconstructionEvaluation;
import dev.titok.io.AtomicFiles;
import dev.titok.train.Trainer;
import dev.titok.train.TrainingConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** The one-page HTML summary of a {@code titok demo} run; its pictures are the files next to it. */
record DemoReport(String data, TrainingConfig tokenizerConfig, Trainer.Outcome tokenizer, Trainer.Outcome generator,
                  ReconstructionEvaluation.Result check, double tokenizerMinutes, double evalMinutes,
                  double generatorMinutes, Map<String, Double> tokenizerMetrics, Map<String, Double> generatorMetrics) {

    Path write(Path folder) {
        TiTokConfig model = TiTokConfig.fromJson(tokenizerConfig.tree(), tokenizerConfig.source());
        String html = """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>TiTok demo</title>
                <style>
                  body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
                  img { max-width: 100%%; image-rendering: pixelated; border: 1px solid #ddd; }
                  table { border-collapse: collapse; } td, th { padding: .2rem .8rem; text-align: left; border-bottom: 1px solid #eee; }
                  code { background: #f4f4f4; padding: 0 .2rem; }
                </style></head><body>
                <h1>TiTok demo</h1>
                <p>Data: <code>%s</code>. Every image is %d×%d pixels and becomes <b>%d tokens</b> from a %d-code codebook
                (%d bits per image).</p>

                <h2>1. Tokenizer: image → %d tokens → image</h2>
                <p>Single-stage TiTok (ViT encoder and decoder of width %d, %d layers each, patch %d), trained for %d steps
                in %.1f minutes.</p>
                <table>
                  <tr><th>held-out images</th><td>%d</td></tr>
                  <tr><th>PSNR</th><td>%.2f dB</td></tr>
                  <tr><th>codebook usage</th><td>%.0f%% of %d codes (entropy %.2f of %.2f bits)</td></tr>
                  <tr><th>last training loss</th><td>%s</td></tr>
                </table>
                <p>Originals, each above its reconstruction (with its PSNR):</p>
                <img src="reconstructions.png" alt="reconstructions beside originals">
                <p>Training losses (log scale):</p>
                <img src="tokenizer/loss.png" alt="tokenizer loss curves">

                <h2>2. Generator: class → tokens → image</h2>
                <p>A class-conditional MaskGIT generator on those tokens, trained for %d steps in %.1f minutes (masked-token
                accuracy at the end: %s). One row per class:</p>
                <img src="samples.png" alt="generated samples, one row per class">
                <p>Training losses (log scale):</p>
                <img src="generator/loss.png" alt="generator loss curves">

                <h2>Files</h2>
                <ul>
                  <li><code>tokenizer/model</code>, <code>generator/model</code>: the trained models (config.json + model.safetensors);
                      try <code>titok reconstruct --model %s IMAGE.png</code>.</li>
                  <li><code>tokenizer/metrics.jsonl</code>, <code>generator/metrics.jsonl</code>: every logged metric;
                      <code>*/previews/</code>: pictures during training; <code>*/checkpoints/</code>: resumable state.</li>
                  <li><code>tokens.jsonl</code>: the tokenized training images (and their mirror images) with class ids.</li>
                </ul>
                <p>Time: tokenizer %.1f min, evaluation and tokenization %.1f min, generator and sampling %.1f min.</p>
                </body></html>
                """.formatted(escape(data), model.imageSize(), model.imageSize(), model.numLatentTokens(),
                model.codebookSize(), (int) Math.round(model.numLatentTokens() * log2(model.codebookSize())),
                model.numLatentTokens(), model.encoder().width(), model.encoder().layers(), model.encoderPatchSize(),
                tokenizer.loop().endStep(), tokenizerMinutes, check.images(), check.psnr(), 100 * check.codebookUsage(),
                model.codebookSize(), check.codebookEntropy(), log2(model.codebookSize()),
                format(tokenizerMetrics.get("loss")), generator.loop().endStep(), generatorMinutes,
                format(generatorMetrics.get("masked_accuracy")), escape(tokenizer.model().toString()), tokenizerMinutes,
                evalMinutes, generatorMinutes);
        Path file = folder.resolve("report.html");
        AtomicFiles.writeText(file, "demo report", html);
        return file;
    }

    private static double log2(int n) {
        return Math.log(n) / Math.log(2);
    }

    private static String format(Double value) {
        return value == null ? "n/a" : String.format(Locale.ROOT, "%.4g", value);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
