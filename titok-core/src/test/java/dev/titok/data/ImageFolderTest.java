package dev.titok.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import dev.titok.image.Preprocess;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folder layouts, order, errors and the four transforms, on PNG files written into a temporary tree. */
class ImageFolderTest {

    @TempDir
    Path root;

    @Test
    void classFoldersAreSortedAndWalkedLikeTorchvision() throws IOException {
        png("zebra/b.png", 1);
        png("zebra/a.png", 2);
        png("apple/x/2.png", 3);
        png("apple/1.png", 4);
        png("apple/x y/3.png", 5);
        png("apple/x/sub/4.png", 10);
        Files.writeString(root.resolve("apple/notes.txt"), "not an image");
        png("apple/.hidden.png", 6);
        png("apple/.cache/7.png", 7);
        png(".git/8.png", 8);
        png("stray.png", 9);             // files beside class folders are ignored, as by torchvision

        ImageFolder folder = ImageFolder.open(root, Transform.eval(8));

        assertThat(folder.classNames()).containsExactly("apple", "zebra");
        assertThat(folder.numClasses()).isEqualTo(2);
        // torchvision sorts os.walk's folders by path ("apple/x" < "apple/x y" < "apple/x/sub": space < slash),
        // then the names in each folder; this order was checked against Python
        assertThat(IntStream.range(0, folder.size()).mapToObj(i -> root.relativize(folder.file(i)).toString()))
                .containsExactly("apple/1.png", "apple/x/2.png", "apple/x y/3.png", "apple/x/sub/4.png",
                        "zebra/a.png", "zebra/b.png");
        assertThat(IntStream.range(0, folder.size()).map(folder::label)).containsExactly(0, 0, 0, 0, 1, 1);
        assertThat(folder.get(4, null).label()).isEqualTo(1);
    }

    @Test
    void imagesAreRecognisedByContentNotName() throws IOException {
        ImageCodec.writePng(root.resolve("cls/photo.jpeg.bak"), image(12, 10, 1));
        Files.writeString(root.resolve("cls/fake.png"), "text");

        ImageFolder folder = ImageFolder.open(root, Transform.eval(8));

        assertThat(folder.size()).isEqualTo(1);
        assertThat(folder.file(0).getFileName().toString()).isEqualTo("photo.jpeg.bak");
    }

    @Test
    void aFlatFolderIsUnlabeled() throws IOException {
        png("b.png", 1);
        png("a.png", 2);

        ImageFolder folder = ImageFolder.open(root, Transform.eval(8));

        assertThat(folder.size()).isEqualTo(2);
        assertThat(folder.numClasses()).isZero();
        assertThat(folder.classNames()).isEmpty();
        assertThat(folder.file(0).getFileName().toString()).isEqualTo("a.png");
        assertThat(folder.get(0, null).label()).isEqualTo(Example.UNLABELED);
    }

    @Test
    void emptyFoldersAreOneClearError() throws IOException {
        Files.writeString(root.resolve("readme.txt"), "no images here");

        assertThatThrownBy(() -> ImageFolder.open(root, Transform.eval(8)))
                .isInstanceOf(TitokException.class)
                .hasMessage(root + " holds no image: expected PNG, JPEG, BMP or GIF files, or one sub-folder of images per class");
        assertThatThrownBy(() -> ImageFolder.open(root.resolve("missing"), Transform.eval(8)))
                .hasMessage(root.resolve("missing") + " does not exist: expected a folder of images or of class folders");
    }

    @Test
    void aClassFolderWithoutImagesIsNamed() throws IOException {
        png("cat/1.png", 1);
        Files.createDirectories(root.resolve("dog"));

        assertThatThrownBy(() -> ImageFolder.open(root, Transform.eval(8)))
                .isInstanceOf(TitokException.class)
                .hasMessage(root + ": 1 of 2 class folders hold no image (dog): expected PNG, JPEG, BMP or GIF files in every class folder");
    }

    @Test
    void aCorruptImageFailsWhenLoadedNamingTheFile() throws IOException {
        png("cat/1.png", 1);
        Path broken = root.resolve("cat/2.png");
        byte[] whole = ImageCodec.encodePng(image(12, 10, 2));
        Files.write(broken, java.util.Arrays.copyOf(whole, 40));

        ImageFolder folder = ImageFolder.open(root, Transform.eval(8));

        assertThat(folder.size()).isEqualTo(2);
        assertThat(folder.get(0, null).pixels()).hasSize(3 * 8 * 8);
        assertThatThrownBy(() -> folder.get(1, null))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(broken + " is truncated or corrupt");
    }

    @Test
    void transformsAreThoseOfPreprocess() throws IOException {
        BufferedImage picture = image(23, 17, 3);
        ImageCodec.writePng(root.resolve("one.png"), picture);
        BufferedImage decoded = ImageCodec.read(root.resolve("one.png"));

        assertThat(ImageFolder.open(root, Transform.eval(12)).get(0, null).pixels())
                .isEqualTo(Preprocess.evalTransform(decoded, 12));
        assertThat(ImageFolder.open(root, Transform.train(12)).get(0, new SplittableRandom(5)).pixels())
                .isEqualTo(Preprocess.trainTransform(decoded, 12, new SplittableRandom(5)));
        assertThat(ImageFolder.open(root, Transform.pretokenize(12)).get(0, null).pixels())
                .isEqualTo(Preprocess.toTensor(Preprocess.admCenterCrop(decoded, 12)));
    }

    @Test
    void generatorTransformCropsTheCentreAndFlipsOnHalfTheDraws() {
        BufferedImage picture = image(23, 17, 4);
        BufferedImage centre = Preprocess.centerCrop(Preprocess.resizeShorterSide(picture, 12), 12);
        Transform transform = Transform.generatorTrain(12);

        int flips = 0;
        for (int seed = 0; seed < 100; seed++) {
            boolean flip = new SplittableRandom(seed).nextDouble() < 0.5;
            float[] expected = Preprocess.toTensor(flip ? Preprocess.horizontalFlip(centre) : centre);
            assertThat(transform.apply(picture, new SplittableRandom(seed))).isEqualTo(expected);
            flips += flip ? 1 : 0;
        }
        assertThat(flips).isBetween(30, 70);
        assertThat(transform).hasToString("generatorTrain(12)");
        assertThat(List.of(Transform.train(3).size(), Transform.eval(4).size())).containsExactly(3, 4);
    }

    private void png(String relative, long seed) {
        ImageCodec.writePng(root.resolve(relative), image(12, 10, seed));
    }

    private static BufferedImage image(int width, int height, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }
}
