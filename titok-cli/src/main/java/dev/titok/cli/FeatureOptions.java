package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.eval.ClassifierSpace;
import dev.titok.eval.FeatureSpace;
import dev.titok.eval.InceptionV3;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where FID and Inception Score are measured: the FID Inception, or offline a classifier of the dataset. */
final class FeatureOptions {

    @Option(names = "--inception", paramLabel = "FILE",
            description = "FID Inception weights: pt_inception-2015-12-05-6726825d.pth (pytorch-fid's release) or a "
                    + "safetensors copy. The protocol of published FID/IS figures.")
    Path inception;

    @Option(names = "--inception-float32",
            description = "Run Inception in float32 instead of the evaluator's float64: several times faster on a CPU; "
                    + "features differ by about 1e-7 relative, so FID agrees to a few digits, not all.")
    boolean inceptionFloat32;

    @Option(names = "--classifier", paramLabel = "DIR",
            description = "Offline instead of Inception: measure FID/IS in the features of a classifier trained on the "
                    + "dataset (titok classifier). Such figures compare only with each other.")
    Path classifier;

    /** True when a feature space was chosen. */
    boolean given() {
        return inception != null || classifier != null;
    }

    /** Opens the chosen feature space, or null when none was given and {@code required} is false. */
    FeatureSpace open(boolean required) {
        if (inception != null && classifier != null) {
            throw new TitokException("give either --inception or --classifier, not both");
        }
        if (inception != null) {
            return InceptionV3.load(inception, !inceptionFloat32);
        }
        if (classifier != null) {
            return ClassifierSpace.open(classifier);
        }
        if (required) {
            throw new TitokException("FID and IS need a feature space: --inception FILE (pt_inception-2015-12-05-6726825d.pth, "
                    + "the published protocol) or, offline, --classifier DIR (a classifier trained with titok classifier)");
        }
        return null;
    }
}
