package dev.titok.train;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.IdxDataset;
import dev.titok.data.ImageFolder;
import dev.titok.data.SyntheticShapes;
import dev.titok.data.Transform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The datasets training, pretokenization and the demo read: the built-in {@code synthetic} shapes (no files), IDX
 * files (Fashion-MNIST, MNIST) or an image folder (ImageNet-style class folders, or flat and unlabeled), at a given
 * side with the augmentation each use calls for.
 *
 * <p>On the command line a dataset is one word ({@code --data}): {@code synthetic}, or a folder, which is read as IDX
 * when it holds {@code train-images-idx3-ubyte[.gz]} and as an image folder otherwise. A training config names it with
 * {@code dataset.params.name} ({@code synthetic}, {@code fashion-mnist} or {@code folder}) and
 * {@code dataset.params.path}, this project's extension of the official keys.
 */
public final class TrainingData {

    /** Which part of the data. An image folder has no split: the same folder serves both. */
    public enum Split { TRAIN, TEST }

    /** How the images are prepared. */
    public enum Use {
        /** Random crop or flip as the config asks (tokenizer training; flips for IDX and synthetic images). */
        TRAIN,
        /** Centre crop, no randomness (evaluation, reconstructions). */
        EVAL,
        /** ADM's centre crop, no randomness; the mirror views are added by {@link Pretokenize}. */
        PRETOKENIZE
    }

    /** Images the synthetic dataset holds per split. */
    static final int SYNTHETIC_TRAIN = 20_000;
    static final int SYNTHETIC_TEST = 2_000;
    /** The synthetic data's seed: the test split uses the next one, so the two never share a drawing. */
    private static final long SYNTHETIC_SEED = 42;

    private TrainingData() {}

    /**
     * The dataset a {@code --data} word names, at side {@code size}.
     *
     * @throws TitokException when the folder does not exist or holds no readable dataset
     */
    public static Dataset open(String spec, int size, Split split, Use use) {
        if (spec.toLowerCase(Locale.ROOT).equals("synthetic")) {
            return synthetic(size, split);
        }
        Path folder = Path.of(spec);
        if (!Files.isDirectory(folder)) {
            throw new TitokException("dataset '" + spec + "' is neither 'synthetic' nor an existing folder");
        }
        if (isIdx(folder)) {
            return idx(folder, size, split, IdxDataset.Fit.PAD, use == Use.TRAIN);
        }
        return folder(folder, size, use, true);
    }

    /** The training split of the dataset a training config names, with the augmentation its switches ask for. */
    public static Dataset dataset(TrainingConfig config, Split split) {
        String name = config.getString("dataset.params.name", "synthetic");
        int size = config.getInt("dataset.preprocessing.crop_size", 32);
        boolean train = split == Split.TRAIN;
        boolean randomCrop = config.getBoolean("dataset.preprocessing.random_crop", true);
        boolean randomFlip = config.getBoolean("dataset.preprocessing.random_flip", true);
        return switch (name) {
            case "synthetic" -> synthetic(size, split);
            case "fashion-mnist" -> {
                String fit = config.getString("dataset.params.fit", "pad");
                IdxDataset.Fit how = switch (fit) {
                    case "pad" -> IdxDataset.Fit.PAD;
                    case "resize" -> IdxDataset.Fit.RESIZE;
                    default -> throw new TitokException(config.source() + ": dataset.params.fit is '" + fit
                            + "': expected pad or resize");
                };
                yield idx(path(config), size, split, how, train && randomFlip);
            }
            case "folder" -> folder(path(config), size, train ? Use.TRAIN : Use.EVAL, randomCrop);
            default -> throw new TitokException(config.source() + ": dataset.params.name is '" + name
                    + "': expected synthetic, fashion-mnist or folder");
        };
    }

    private static Dataset synthetic(int size, Split split) {
        return split == Split.TRAIN ? new SyntheticShapes(size, SYNTHETIC_TRAIN, SYNTHETIC_SEED)
                : new SyntheticShapes(size, SYNTHETIC_TEST, SYNTHETIC_SEED + 1);
    }

    private static Dataset idx(Path folder, int size, Split split, IdxDataset.Fit fit, boolean flip) {
        IdxDataset.Split part = split == Split.TRAIN ? IdxDataset.Split.TRAIN : IdxDataset.Split.TEST;
        return IdxDataset.fashionMnist(folder, part).withSize(size, fit).withRandomFlip(flip);
    }

    private static Dataset folder(Path folder, int size, Use use, boolean randomCrop) {
        Transform transform = switch (use) {
            case TRAIN -> randomCrop ? Transform.train(size) : Transform.generatorTrain(size);
            case EVAL -> Transform.eval(size);
            case PRETOKENIZE -> Transform.pretokenize(size);
        };
        return ImageFolder.open(folder, transform);
    }

    /** Whether {@code folder} holds IDX files (Fashion-MNIST, MNIST) rather than images. */
    public static boolean isIdx(Path folder) {
        return Files.isRegularFile(folder.resolve("train-images-idx3-ubyte"))
                || Files.isRegularFile(folder.resolve("train-images-idx3-ubyte.gz"));
    }

    private static Path path(TrainingConfig config) {
        String path = config.getString("dataset.params.path", null);
        if (path == null) {
            throw new TitokException(config.source() + ": dataset.params.path is missing: the folder of the dataset's files");
        }
        Path folder = Path.of(path);
        if (!Files.isDirectory(folder)) {
            throw new TitokException(config.source() + ": dataset.params.path " + folder + " is not a folder");
        }
        return folder;
    }
}
