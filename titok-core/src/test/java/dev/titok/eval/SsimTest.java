package dev.titok.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import dev.titok.image.Preprocess;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class SsimTest {

    @Test
    void anImageIsPerfectlySimilarToItself() {
        float[] x = random(new Random(1), 3 * 32 * 32);
        assertThat(Ssim.ssim(x, x.clone(), 32, 32)).isCloseTo(1.0, within(1e-15));
    }

    @Test
    void theSeparableFilterAgreesWithDirectWindows() {
        Random random = new Random(7);
        int[][] sizes = {{11, 11}, {16, 13}, {32, 32}, {12, 40}};
        for (int[] size : sizes) {
            int n = 3 * size[0] * size[1];
            float[] x = random(random, n);
            float[] y = x.clone();
            for (int i = 0; i < n; i++) {
                y[i] = Math.min(1f, Math.max(0f, y[i] + (float) (0.2 * random.nextGaussian())));
            }
            assertThat(Ssim.ssim(x, y, size[0], size[1])).as("%dx%d", size[0], size[1])
                    .isCloseTo(naive(x, y, size[0], size[1]), within(1e-12));
        }
    }

    /**
     * On an 11×11 image there is one window: for constant planes the variances and covariance are 0, so SSIM is the
     * luminance term alone, {@code (2·a·b + C1) / (a² + b² + C1)} with C1 = 1e-4; averaged over the channels.
     */
    @Test
    void constantPlanesGiveTheLuminanceTermByHand() {
        float[] x = new float[3 * 121];
        float[] y = new float[3 * 121];
        float[][] ab = {{0.5f, 0.6f}, {0.2f, 0.2f}, {0.0f, 1.0f}};
        for (int c = 0; c < 3; c++) {
            java.util.Arrays.fill(x, c * 121, (c + 1) * 121, ab[c][0]);
            java.util.Arrays.fill(y, c * 121, (c + 1) * 121, ab[c][1]);
        }
        double a = 0.5f;
        double b = 0.6f;
        double first = (2 * a * b + 1e-4) / (a * a + b * b + 1e-4);          // 0.6001 / 0.6101 in exact arithmetic
        double third = 1e-4 / (1 + 1e-4);                                      // black against white
        assertThat(first).isCloseTo(0.6001 / 0.6101, within(1e-7));
        assertThat(Ssim.ssim(x, y, 11, 11)).isCloseTo((first + 1 + third) / 3, within(1e-12));
    }

    /**
     * Adding a constant leaves variances and covariance unchanged, so contrast and structure stay 1 and SSIM drops
     * by exactly the luminance term of the window means (one window on an 11×11 image).
     */
    @Test
    void aBrightnessShiftCostsOnlyTheLuminanceTerm() {
        Random random = new Random(3);
        float[] x = new float[3 * 121];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.25f + 0.5f * random.nextFloat();
        }
        float[] y = x.clone();
        double shift = 0.125;                                                  // exact in float: no rounding of y
        for (int i = 0; i < y.length; i++) {
            y[i] += (float) shift;
        }
        double[] w = window();
        double expected = 0;
        for (int c = 0; c < 3; c++) {
            double mu = 0;
            for (int i = 0; i < 121; i++) {
                mu += w[i] * x[c * 121 + i];
            }
            double nu = mu + shift;
            expected += (2 * mu * nu + 1e-4) / (mu * mu + nu * nu + 1e-4) / 3;
        }
        assertThat(Ssim.ssim(x, y, 11, 11)).isCloseTo(expected, within(1e-9)).isLessThan(1);
    }

    /**
     * Values from an independent implementation: SciPy's {@code gaussian_filter(sigma=1.5, truncate=3.5)}, cropped by 5
     * pixels (what scikit-image's {@code structural_similarity(gaussian_weights=True, use_sample_covariance=False,
     * data_range=1)} does), on integer patterns divided by 255. The second pair is also what SciPy gives at L = 255
     * on the 8-bit values.
     */
    @Test
    void matchesScipyOnIntegerPatterns() {
        int h = 20;
        int w = 17;
        float[] x = new float[3 * h * w];
        float[] y = new float[x.length];
        float[] near = new float[x.length];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    int at = (c * h + i) * w + j;
                    int base = (i * 7 + j * 13 + c * 29) * 5 % 256;
                    x[at] = base / 255f;
                    y[at] = ((i * i + 3 * j + c * 5 + i * j) % 256) / 255f;
                    int nudged = base >= 4 && base <= 251 ? base + (i + 2 * j + c) % 9 - 4 : base;
                    near[at] = nudged / 255f;
                }
            }
        }
        assertThat(Ssim.ssim(x, y, h, w)).isCloseTo(-0.007487817157216747, within(1e-9));
        assertThat(Ssim.ssim(x, near, h, w)).isCloseTo(0.9994074233720953, within(1e-9));
    }

    @Test
    void imagesSmallerThanTheWindowAreRefused() {
        float[] small = new float[3 * 10 * 32];
        assertThatThrownBy(() -> Ssim.ssim(small, small, 10, 32)).isInstanceOf(TitokException.class)
                .hasMessageContaining("at least 11x11").hasMessageContaining("10x32");
        float[] ok = new float[3 * 16 * 16];
        assertThatThrownBy(() -> Ssim.ssim(ok, new float[3 * 16 * 15], 16, 16)).isInstanceOf(TitokException.class)
                .hasMessageContaining("768").hasMessageContaining("720");
    }

    /** A real photograph against JPEG copies of itself: SSIM in (0, 1), higher for the better JPEG. */
    @Test
    void jpegCopiesOfAPhotoScoreBelowOneAndInQualityOrder() throws IOException {
        Path photo = Path.of(System.getProperty("titok.images", "../shared/images"), "ILSVRC2012_val_00008636.png");
        Assumptions.assumeTrue(Files.isRegularFile(photo), "shared photograph missing: skipped");
        BufferedImage image = ImageCodec.toRgb(ImageCodec.read(photo));
        float[] original = Preprocess.toTensor(image);
        int h = image.getHeight();
        int w = image.getWidth();
        double poor = Ssim.ssim(original, Preprocess.toTensor(jpeg(image, 0.1f)), h, w);
        double good = Ssim.ssim(original, Preprocess.toTensor(jpeg(image, 0.9f)), h, w);
        assertThat(poor).isGreaterThan(0).isLessThan(good);
        assertThat(good).isLessThan(1);
    }

    private static BufferedImage jpeg(BufferedImage image, float quality) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return ImageCodec.toRgb(ImageCodec.readBytes(bytes.toByteArray(), "jpeg copy"));
    }

    /** The 11×11 Gaussian window (σ = 1.5, sum 1), row-major, built directly in 2-D. */
    private static double[] window() {
        double[] w = new double[121];
        double sum = 0;
        for (int i = 0; i < 11; i++) {
            for (int j = 0; j < 11; j++) {
                w[i * 11 + j] = Math.exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
                sum += w[i * 11 + j];
            }
        }
        for (int i = 0; i < 121; i++) {
            w[i] /= sum;
        }
        return w;
    }

    /** SSIM written out from the definition: every 11×11 window, its five weighted moments, the formula, the mean. */
    private static double naive(float[] x, float[] y, int h, int w) {
        double[] win = window();
        double c1 = 1e-4;
        double c2 = 9e-4;
        double total = 0;
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            int count = 0;
            for (int top = 0; top + 11 <= h; top++) {
                for (int left = 0; left + 11 <= w; left++) {
                    double mx = 0;
                    double my = 0;
                    double xx = 0;
                    double yy = 0;
                    double xy = 0;
                    for (int i = 0; i < 11; i++) {
                        for (int j = 0; j < 11; j++) {
                            double weight = win[i * 11 + j];
                            double a = x[(c * h + top + i) * w + left + j];
                            double b = y[(c * h + top + i) * w + left + j];
                            mx += weight * a;
                            my += weight * b;
                            xx += weight * a * a;
                            yy += weight * b * b;
                            xy += weight * a * b;
                        }
                    }
                    double vx = xx - mx * mx;
                    double vy = yy - my * my;
                    double cov = xy - mx * my;
                    sum += (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                    count++;
                }
            }
            total += sum / count;
        }
        return total / 3;
    }

    private static float[] random(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextFloat();
        }
        return x;
    }
}
