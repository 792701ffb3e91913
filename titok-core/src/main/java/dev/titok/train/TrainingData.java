package dev.titok.train;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.IdxDataset;
import dev.titok.data.ImageFolder;
import dev.titok.data.SyntheticShapes;
import dev.titok.data.Transform;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The dataset a training config names ({@code dataset.params.name}, this project's extension of the official keys):
 * {@code synthetic} (built in, no files), {@code fashion-mnist} (IDX files in {@code dataset.params.path}) or
 * {@code folder} (ImageNet-style class folders or a flat folder in {@code dataset.params.path}), at
 * {@code dataset.preprocessing.crop_size} pixels with the official augmentation switches.
 */
public final class TrainingData {

    /** Which part of the data. */
    public enum Split { TRAIN, TEST }

    /** Images the synthetic dataset holds per split. */
    static final int SYNTHETIC_TRAIN = 20_000;
    static final int SYNTHETIC_TEST = 2_000;

    private TrainingData() {}

    public static Dataset dataset(TrainingConfig config, Split split) {
        String name = config.getString("dataset.params.name", "synthetic");
        int size = config.getInt("dataset.preprocessing.crop_size", 32);
        boolean train = split == Split.TRAIN;
        boolean randomCrop = config.getBoolean("dataset.preprocessing.random_crop", true);
        boolean randomFlip = config.getBoolean("dataset.preprocessing.random_flip", true);
        long seed = config.getLong("training.seed", 42);
        return switch (name) {
            case "synthetic" -> new SyntheticShapes(size, train ? SYNTHETIC_TRAIN : SYNTHETIC_TEST, train ? seed : seed + 1);
            case "fashion-mnist" -> {
                IdxDataset.Split part = train ? IdxDataset.Split.TRAIN : IdxDataset.Split.TEST;
                IdxDataset idx = IdxDataset.fashionMnist(path(config), part);
                String fit = config.getString("dataset.params.fit", "pad");
                idx = idx.withSize(size, switch (fit) {
                    case "pad" -> IdxDataset.Fit.PAD;
                    case "resize" -> IdxDataset.Fit.RESIZE;
                    default -> throw new TitokException(config.source() + ": dataset.params.fit is '" + fit + "': expected pad or resize");
                });
                yield idx.withRandomFlip(train && randomFlip);
            }
            case "folder" -> ImageFolder.open(path(config), !train ? Transform.eval(size)
                    : randomCrop ? Transform.train(size) : Transform.generatorTrain(size));
            default -> throw new TitokException(config.source() + ": dataset.params.name is '" + name
                    + "': expected synthetic, fashion-mnist or folder");
        };
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
