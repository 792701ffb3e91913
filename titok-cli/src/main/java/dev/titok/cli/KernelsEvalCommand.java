package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.eval.KernelAgreement;
import dev.titok.kernels.Kernels;
import dev.titok.tokenizer.TiTok;
import dev.titok.train.TrainingData;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok eval kernels}: token agreement and reconstruction of the fast kernels against the reference path. */
@Command(name = "kernels", description = {
        "How far the fast kernels move a vq tokenizer from the reference path on real images: the share of token ids "
                + "that stay the same, the share of images whose ids all do, and the PSNR of each kernel set's "
                + "reconstruction against the reference reconstruction and against the original.%n"})
final class KernelsEvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "An IDX folder (Fashion-MNIST, MNIST), an image folder, or synthetic.")
    String data;

    @Option(names = "--images", paramLabel = "N", defaultValue = "1000",
            description = "A seeded, class-mixed sample of N test images (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--compare", split = ",", defaultValue = "fp32,bf16", paramLabel = "fp32|bf16",
            description = "Kernel sets compared with the reference (default: ${DEFAULT-VALUE}).")
    List<String> compare;

    @Option(names = "--batch", defaultValue = "64", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() {
        if (images < 1) {
            throw new TitokException("--images must be at least 1, got " + images);
        }
        List<Kernels> fast = new ArrayList<>(KernelsOption.runnable(compare));
        fast.remove(Kernels.REFERENCE);   // always measured, as the yardstick
        try (TiTok titok = model.open()) {
            Dataset set = TrainingData.open(data, titok.config().imageSize(), TrainingData.Split.TEST, TrainingData.Use.EVAL)
                    .subset(images, 0);
            List<KernelAgreement.Row> rows;
            try (Progress progress = new Progress("kernels", set.size(), "img")) {
                rows = KernelAgreement.measure(titok, set, fast, Batches.checkSize(batch), progress::stepTo);
            }
            System.out.printf(Locale.ROOT, "%s on %d images of %s, %d tokens each%n", model.model,
                    rows.get(0).images(), data, rows.get(0).tokens() / rows.get(0).images());
            System.out.printf(Locale.ROOT, "%9s %16s %17s %22s %21s%n", "kernels", "token agreement",
                    "identical images", "PSNR vs reference (dB)", "PSNR vs original (dB)");
            for (KernelAgreement.Row row : rows) {
                System.out.printf(Locale.ROOT, "%9s %15.2f%% %16.1f%% %22s %21.2f%n", row.kernels().label(),
                        100 * row.tokenAgreement(), 100 * row.identicalImageShare(),
                        Double.isInfinite(row.psnrVsReference()) ? "identical" : String.format(Locale.ROOT, "%.2f",
                                row.psnrVsReference()), row.psnrVsOriginal());
            }
        }
        return 0;
    }
}
