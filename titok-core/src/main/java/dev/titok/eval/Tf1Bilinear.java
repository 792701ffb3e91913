package dev.titok.eval;

/**
 * Bilinear resizing exactly as TensorFlow 1.x did it without {@code align_corners} (torch-fidelity's
 * {@code interpolate_bilinear_2d_like_tensorflow1x}, which the FID Inception applies to 299×299): destination pixel
 * {@code i} samples the source at {@code i·(in/out)}, with no half-pixel offset, so the image is shifted by up to
 * half a pixel compared with PyTorch's or PIL's bilinear resize; FID depends on that difference.
 *
 * <p>The arithmetic copies the reference's: the scale {@code in/out} is rounded to float32 (it is a float32 tensor
 * there), the coordinates are float64, the two neighbours along x are blended first, then along y.
 */
final class Tf1Bilinear {

    private Tf1Bilinear() {}

    /**
     * Resizes {@code planes} consecutive (H, W) planes of unsigned bytes starting at {@code offset}.
     *
     * @return {@code planes} (outH, outW) planes, row-major float64 in [0, 255]
     */
    static double[] resize(byte[] pixels, int offset, int planes, int height, int width, int outHeight, int outWidth) {
        Axis ys = new Axis(height, outHeight);
        Axis xs = new Axis(width, outWidth);
        double[] out = new double[planes * outHeight * outWidth];
        int o = 0;
        for (int p = 0; p < planes; p++) {
            int base = offset + p * height * width;
            for (int i = 0; i < outHeight; i++) {
                int rowLo = base + ys.lo[i] * width;
                int rowHi = base + ys.hi[i] * width;
                double dy = ys.frac[i];
                for (int j = 0; j < outWidth; j++) {
                    double dx = xs.frac[j];
                    double in00 = pixels[rowLo + xs.lo[j]] & 0xFF;
                    double in01 = pixels[rowLo + xs.hi[j]] & 0xFF;
                    double in10 = pixels[rowHi + xs.lo[j]] & 0xFF;
                    double in11 = pixels[rowHi + xs.hi[j]] & 0xFF;
                    double top = in00 + (in01 - in00) * dx;
                    double bottom = in10 + (in11 - in10) * dx;
                    out[o++] = top + (bottom - top) * dy;
                }
            }
        }
        return out;
    }

    /** Source neighbours and blend weight of every destination index along one axis. */
    private static final class Axis {
        final int[] lo;
        final int[] hi;
        final double[] frac;

        Axis(int in, int out) {
            double scale = (float) ((double) in / out);
            lo = new int[out];
            hi = new int[out];
            frac = new double[out];
            for (int i = 0; i < out; i++) {
                double source = i * scale;
                lo[i] = (int) source;
                hi[i] = Math.min(lo[i] + 1, in - 1);
                frac[i] = source - lo[i];
            }
        }
    }
}
