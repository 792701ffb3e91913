package dev.titok.image;

/**
 * Pillow's {@code Image.resize} for 8-bit RGB, ported operation for operation from {@code libImaging/Resample.c}
 * ({@code ImagingResample}) so that the output is bit-identical to Pillow's.
 *
 * <p>The resize is separable: a horizontal pass into an 8-bit intermediate image, then a vertical pass (Pillow always
 * runs them in this order; a pass is skipped when its dimension keeps its size). Each output pixel is a weighted sum
 * of the input pixels under the filter kernel centred on it; when downscaling, the kernel is stretched by the scale
 * factor (antialiasing). The weights are computed in double precision exactly as Pillow does, normalised to sum 1,
 * and converted to fixed point with 22 fractional bits; sums start at one half (rounding) and
 * are clipped to 0..255.
 */
final class PilResize {

    /** 32 bits minus 8 for the result minus 2 for the overshoot of kernels with negative lobes, as in Pillow. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    /** Pillow's resampling filters: a kernel and its support (radius) at scale 1. */
    enum Filter {
        /** {@code Image.BICUBIC}: the cubic convolution kernel with a = -0.5 (PyTorch's tensor bicubic uses -0.75). */
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                final double a = -0.5;
                if (x < 0.0) {
                    x = -x;
                }
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0.0;
            }
        },
        /** {@code Image.BOX}: each output pixel averages the input pixels it covers. */
        BOX(0.5) {
            @Override
            double weight(double x) {
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            }
        };

        private final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);
    }

    private PilResize() {
    }

    /**
     * Resizes packed RGB pixels.
     *
     * @param pixels row-major {@code 0xRRGGBB} pixels of an {@code inWidth x inHeight} image (not modified)
     * @return row-major pixels of the {@code outWidth x outHeight} result (a copy when the size is unchanged)
     */
    static int[] resize(int[] pixels, int inWidth, int inHeight, int outWidth, int outHeight, Filter filter) {
        int[] result = pixels.clone();
        if (outWidth != inWidth) {
            // Pillow restricts this pass to the rows the vertical pass reads; that saves time, not a single value.
            result = horizontalPass(result, inWidth, inHeight, Weights.of(inWidth, outWidth, filter));
        }
        if (outHeight != inHeight) {
            result = verticalPass(result, outWidth, Weights.of(inHeight, outHeight, filter));
        }
        return result;
    }

    private static int[] horizontalPass(int[] in, int inWidth, int height, Weights weights) {
        int outWidth = weights.outSize();
        int[] out = new int[outWidth * height];
        for (int y = 0; y < height; y++) {
            int row = y * inWidth;
            for (int xx = 0; xx < outWidth; xx++) {
                out[y * outWidth + xx] = weightedSum(in, row + weights.first[xx], 1, weights, xx);
            }
        }
        return out;
    }

    private static int[] verticalPass(int[] in, int width, Weights weights) {
        int outHeight = weights.outSize();
        int[] out = new int[width * outHeight];
        for (int yy = 0; yy < outHeight; yy++) {
            int start = weights.first[yy] * width;
            for (int x = 0; x < width; x++) {
                out[yy * width + x] = weightedSum(in, start + x, width, weights, yy);
            }
        }
        return out;
    }

    /** The fixed-point sum over the {@code count[i]} pixels starting at {@code start}, {@code stride} apart. */
    private static int weightedSum(int[] in, int start, int stride, Weights weights, int i) {
        int red = HALF;
        int green = HALF;
        int blue = HALF;
        int k = i * weights.kernelSize;
        for (int j = 0, p = start; j < weights.count[i]; j++, p += stride) {
            int pixel = in[p];
            int w = weights.fixed[k + j];
            red += RgbPixels.red(pixel) * w;
            green += RgbPixels.green(pixel) * w;
            blue += RgbPixels.blue(pixel) * w;
        }
        return RgbPixels.pack(clip8(red), clip8(green), clip8(blue));
    }

    /** Pillow's {@code clip8}: drop the fraction (arithmetic shift), clamp to 0..255. */
    private static int clip8(int sum) {
        int value = sum >> PRECISION_BITS;
        return value < 0 ? 0 : Math.min(value, 255);
    }

    /**
     * The kernel of every output position along one axis ({@code precompute_coeffs} + {@code normalize_coeffs_8bpc}):
     * output i reads {@code count[i]} inputs from {@code first[i]} with weights {@code fixed[i * kernelSize + j]}.
     */
    private record Weights(int kernelSize, int[] first, int[] count, int[] fixed) {

        int outSize() {
            return first.length;
        }

        static Weights of(int inSize, int outSize, Filter filter) {
            // Pillow passes the box (0, 0, inSize, ...) as floats; 0 + x and inSize - 0 are exact, so plain doubles match.
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale;
            int kernelSize = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] fixed = new int[outSize * kernelSize];
            double[] kernel = new double[kernelSize];
            for (int i = 0; i < outSize; i++) {
                double center = (i + 0.5) * scale;
                double invScale = 1.0 / filterScale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize) - min;
                double sum = 0.0;
                for (int x = 0; x < max; x++) {
                    double w = filter.weight((x + min - center + 0.5) * invScale);
                    kernel[x] = w;
                    sum += w;
                }
                for (int x = 0; x < max; x++) {
                    double normalised = sum != 0.0 ? kernel[x] / sum : kernel[x];
                    fixed[i * kernelSize + x] = toFixedPoint(normalised);
                }
                first[i] = min;
                count[i] = max;
            }
            return new Weights(kernelSize, first, count, fixed);
        }

        /** Round half away from zero to 22 fractional bits ({@code normalize_coeffs_8bpc}). */
        private static int toFixedPoint(double weight) {
            double scaled = weight * (1 << PRECISION_BITS);
            return (int) (weight < 0 ? -0.5 + scaled : 0.5 + scaled);
        }
    }
}
