package dev.titok.image;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bit-exactness with Pillow and torchvision: every case of {@code resize_cases.txt} was computed by Pillow 9.4
 * ({@code make_reference.py}); the Java result must match every pixel exactly.
 */
class PreprocessPillowTest {

    static Stream<Arguments> cases() {
        return TestImages.table("resize_cases.txt").map(row -> Arguments.of((Object[]) row));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPillow(String name, String source, String x, String y, String w, String h, String op, String arg,
            String expected) {
        BufferedImage input = ImageCodec.read(sourcePath(source))
                .getSubimage(Integer.parseInt(x), Integer.parseInt(y), Integer.parseInt(w), Integer.parseInt(h));
        BufferedImage actual = apply(op, arg, input);
        TestImages.assertPixels(actual, ImageCodec.read(TestImages.fixture(expected)), 0, name);
    }

    private static Path sourcePath(String source) {
        return source.startsWith("ILSVRC") ? TestImages.photos().resolve(source) : TestImages.fixture(source);
    }

    private static BufferedImage apply(String op, String arg, BufferedImage input) {
        switch (op) {
            case "short":
                return Preprocess.resizeShorterSide(input, Integer.parseInt(arg));
            case "size":
                String[] size = arg.split("x");
                return Preprocess.resize(input, Integer.parseInt(size[0]), Integer.parseInt(size[1]));
            case "center":
                return Preprocess.centerCrop(input, Integer.parseInt(arg));
            case "eval":
                int n = Integer.parseInt(arg);
                return Postprocess.toImage(Preprocess.evalTransform(input, n), 0, n, n, Rounding.ROUND_HALF_EVEN);
            case "adm":
                return Preprocess.admCenterCrop(input, Integer.parseInt(arg));
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }
}
