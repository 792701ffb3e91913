package dev.titok.eval;

import dev.titok.TitokException;

/**
 * Structural similarity (Wang, Bovik, Sheikh and Simoncelli 2004) of two RGB images, the standard variant that
 * torchmetrics, pytorch_msssim and scikit-image ({@code gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False}) compute: local means, variances and covariance under an 11×11 Gaussian window with
 * σ = 1.5 (normalised to sum 1), only where the window lies wholly inside the image (no padding),
 * {@code C1 = (0.01·L)²}, {@code C2 = (0.03·L)²}, the SSIM map averaged over positions and channels.
 *
 * <p>Images are the project's (3, H, W) row-major floats in [0, 1], so the data range is L = 1. SSIM only depends on
 * pixel values relative to L, so this equals SSIM on the 8-bit values with L = 255 (up to rounding). Nothing is
 * clamped or quantized here: to score what a saved image would look like, clamp and round the reconstruction to
 * 8 bits first, as the reconstruction evaluation does. The value is per image; a dataset score is the mean over
 * images.
 *
 * <p>All sums are in double. The window is separable, so each of the five local statistics is filtered by rows and
 * then by columns (22 multiply-adds per pixel instead of 121).
 */
public final class Ssim {

    /** The side of the Gaussian window, and so the smallest image side SSIM is defined for. */
    public static final int WINDOW = 11;
    /** The standard deviation of the Gaussian window, in pixels. */
    public static final double SIGMA = 1.5;
    /** The data range L of images in [0, 1]. */
    private static final double RANGE = 1.0;
    private static final double C1 = (0.01 * RANGE) * (0.01 * RANGE);
    private static final double C2 = (0.03 * RANGE) * (0.03 * RANGE);
    private static final int CHANNELS = 3;

    private static final double[] KERNEL = gaussian();

    private Ssim() {}

    /**
     * SSIM of {@code image} against {@code reference}, both (3, height, width) row-major in [0, 1]: 1 for equal
     * images, lower the more their local structure, contrast or brightness differ (it may be negative).
     *
     * @throws TitokException when a side is smaller than {@value #WINDOW} pixels (the window does not fit) or an array
     *                        does not hold 3·height·width values
     */
    public static double ssim(float[] reference, float[] image, int height, int width) {
        if (height < WINDOW || width < WINDOW) {
            throw new TitokException("SSIM needs images of at least " + WINDOW + "x" + WINDOW + " pixels (its Gaussian"
                    + " window), got " + height + "x" + width);
        }
        long expected = (long) CHANNELS * height * width;
        if (reference.length != expected || image.length != expected) {
            throw new TitokException("SSIM of (3, " + height + ", " + width + ") images needs " + expected
                    + " values per image, got " + reference.length + " and " + image.length);
        }
        int outH = height - WINDOW + 1;
        int outW = width - WINDOW + 1;
        int plane = height * width;
        double[] rows = new double[height * outW];
        double[][] stats = new double[5][outH * outW];
        double total = 0;
        for (int c = 0; c < CHANNELS; c++) {
            int offset = c * plane;
            for (int s = 0; s < 5; s++) {
                filterRows(reference, image, offset, s, height, width, rows);
                filterColumns(rows, height, outW, stats[s]);
            }
            double[] muX = stats[0];
            double[] muY = stats[1];
            double[] xx = stats[2];
            double[] yy = stats[3];
            double[] xy = stats[4];
            double sum = 0;
            for (int i = 0; i < muX.length; i++) {
                double mx = muX[i];
                double my = muY[i];
                double varX = xx[i] - mx * mx;
                double varY = yy[i] - my * my;
                double cov = xy[i] - mx * my;
                sum += (2 * mx * my + C1) * (2 * cov + C2) / ((mx * mx + my * my + C1) * (varX + varY + C2));
            }
            total += sum / muX.length;
        }
        return total / CHANNELS;
    }

    /**
     * Filters one statistic of a channel along each row, keeping only the valid columns: statistic 0 is x, 1 is y,
     * 2 is x², 3 is y², 4 is x·y (x the reference).
     */
    private static void filterRows(float[] x, float[] y, int offset, int statistic, int height, int width, double[] out) {
        int outW = width - WINDOW + 1;
        double[] line = new double[width];
        for (int r = 0; r < height; r++) {
            int base = offset + r * width;
            for (int col = 0; col < width; col++) {
                double a = x[base + col];
                double b = y[base + col];
                line[col] = switch (statistic) {
                    case 0 -> a;
                    case 1 -> b;
                    case 2 -> a * a;
                    case 3 -> b * b;
                    default -> a * b;
                };
            }
            for (int col = 0; col < outW; col++) {
                double sum = 0;
                for (int k = 0; k < WINDOW; k++) {
                    sum += KERNEL[k] * line[col + k];
                }
                out[r * outW + col] = sum;
            }
        }
    }

    /** Filters a (height, outW) map along each column, keeping only the valid rows. */
    private static void filterColumns(double[] rows, int height, int outW, double[] out) {
        int outH = height - WINDOW + 1;
        for (int r = 0; r < outH; r++) {
            for (int col = 0; col < outW; col++) {
                double sum = 0;
                for (int k = 0; k < WINDOW; k++) {
                    sum += KERNEL[k] * rows[(r + k) * outW + col];
                }
                out[r * outW + col] = sum;
            }
        }
    }

    /** Tap i weighs {@code exp(−(i−5)²/(2σ²))} over the sum of all taps; the 2-D window is its outer product. */
    private static double[] gaussian() {
        double[] g = new double[WINDOW];
        int centre = WINDOW / 2;
        double sum = 0;
        for (int i = 0; i < WINDOW; i++) {
            double d = i - centre;
            g[i] = Math.exp(-d * d / (2 * SIGMA * SIGMA));
            sum += g[i];
        }
        for (int i = 0; i < WINDOW; i++) {
            g[i] /= sum;
        }
        return g;
    }
}
