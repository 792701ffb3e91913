package dev.titok.data;

import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

/**
 * Images in a folder, read on demand: either ImageNet-style, one sub-folder per class, or a flat folder of unlabeled
 * images.
 *
 * <p>With class folders, the class ids follow the sorted folder names and the files are listed as torchvision's
 * {@code ImageFolder} lists them: each class folder is walked recursively (following links), its folders taken in
 * sorted order of their paths and the files of each folder in sorted order of their names. Sorting compares Unicode
 * code points, as Python does. Files directly in a root that has class folders are ignored, as torchvision ignores them.
 * Without sub-folders, the images directly in the root form an unlabeled dataset.
 *
 * <p>Unlike torchvision, images are recognised by content ({@link ImageCodec#looksLikeImage}), not by extension, and
 * hidden files and folders (name starting with a dot, e.g. {@code .ipynb_checkpoints}) are skipped.
 */
public final class ImageFolder implements Dataset {

    /** Python's string order: by code point (Java's {@code compareTo} compares UTF-16 units). */
    private static final Comparator<String> CODE_POINT_ORDER =
            (a, b) -> Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());

    private final Path root;
    private final Transform transform;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;

    private ImageFolder(Path root, Transform transform, List<Path> files, int[] labels, List<String> classNames) {
        this.root = root;
        this.transform = transform;
        this.files = files;
        this.labels = labels;
        this.classNames = classNames;
    }

    /**
     * Lists the images under {@code root}; nothing is decoded yet.
     *
     * @param transform how each image becomes a tensor, e.g. {@link Transform#train}
     * @throws TitokException when {@code root} is not a folder, holds no image, or a class folder holds no image
     */
    public static ImageFolder open(Path root, Transform transform) {
        Objects.requireNonNull(transform, "transform");
        if (!Files.isDirectory(root)) {
            throw new TitokException(root + (Files.exists(root) ? " is not a folder" : " does not exist")
                    + ": expected a folder of images or of class folders");
        }
        List<Path> entries = visibleEntries(root);
        List<Path> classFolders = sortedByName(entries.stream().filter(Files::isDirectory).toList());
        if (classFolders.isEmpty()) {
            List<Path> images = images(sortedByName(entries.stream().filter(Files::isRegularFile).toList()));
            if (images.isEmpty()) {
                throw new TitokException(root + " holds no image: expected PNG, JPEG, BMP or GIF files, "
                        + "or one sub-folder of images per class");
            }
            int[] unlabeled = new int[images.size()];
            Arrays.fill(unlabeled, Example.UNLABELED);
            return new ImageFolder(root, transform, images, unlabeled, List.of());
        }
        List<Path> files = new ArrayList<>();
        int[] firstOfClass = new int[classFolders.size() + 1];
        List<String> empty = new ArrayList<>();
        for (int id = 0; id < classFolders.size(); id++) {
            List<Path> images = images(walk(classFolders.get(id)));
            if (images.isEmpty()) {
                empty.add(classFolders.get(id).getFileName().toString());
            }
            files.addAll(images);
            firstOfClass[id + 1] = files.size();
        }
        if (!empty.isEmpty()) {
            throw new TitokException(root + ": " + empty.size() + " of " + classFolders.size()
                    + " class folders hold no image (" + String.join(", ", empty.subList(0, Math.min(5, empty.size())))
                    + (empty.size() > 5 ? ", ..." : "") + "): expected PNG, JPEG, BMP or GIF files in every class folder");
        }
        int[] labels = new int[files.size()];
        for (int id = 0; id < classFolders.size(); id++) {
            Arrays.fill(labels, firstOfClass[id], firstOfClass[id + 1], id);
        }
        List<String> names = classFolders.stream().map(folder -> folder.getFileName().toString()).toList();
        return new ImageFolder(root, transform, List.copyOf(files), labels, names);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int imageSize() {
        return transform.size();
    }

    /**
     * Decodes file {@code index} and applies the transform.
     *
     * @throws TitokException naming the file when it is missing, unreadable, truncated or corrupt
     */
    @Override
    public Example get(int index, RandomGenerator augmentationRandom) {
        Objects.checkIndex(index, files.size());
        return new Example(transform.apply(ImageCodec.read(files.get(index)), augmentationRandom), labels[index]);
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    /** The image file of example {@code index}. */
    public Path file(int index) {
        return files.get(index);
    }

    /** The class id of example {@code index} ({@link Example#UNLABELED} in a flat folder), without decoding it. */
    public int label(int index) {
        return labels[index];
    }

    /** The transform applied to every image. */
    public Transform transform() {
        return transform;
    }

    @Override
    public String toString() {
        return "ImageFolder(" + root + ", " + files.size() + " images, " + classNames.size() + " classes, " + transform + ")";
    }

    private static List<Path> visibleEntries(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(entry -> !isHidden(entry)).toList();
        } catch (IOException e) {
            throw new TitokException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> sortedByName(List<Path> paths) {
        return paths.stream().sorted(Comparator.comparing(path -> path.getFileName().toString(), CODE_POINT_ORDER)).toList();
    }

    /** The visible files under a class folder in torchvision's order: sorted folder paths, then sorted names. */
    private static List<Path> walk(Path classFolder) {
        Map<String, List<Path>> filesByFolder = new TreeMap<>(CODE_POINT_ORDER);
        try {
            Files.walkFileTree(classFolder, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                            return isHidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                            if (attributes.isRegularFile() && !isHidden(file)) {
                                String folder = file.getParent().toString();
                                filesByFolder.computeIfAbsent(folder, key -> new ArrayList<>()).add(file);
                            }
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (NoSuchFileException e) {
            throw new TitokException(classFolder + " vanished while listing it: " + e.getFile(), e);
        } catch (IOException e) {
            throw new TitokException("cannot list " + classFolder + ": " + e.getMessage(), e);
        }
        return filesByFolder.values().stream().flatMap(files -> sortedByName(files).stream()).toList();
    }

    /** The files that start like an image, in the given order. Checked in parallel: a million files take a while. */
    private static List<Path> images(List<Path> files) {
        return files.parallelStream().filter(ImageCodec::looksLikeImage).toList();
    }

    private static boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }
}
