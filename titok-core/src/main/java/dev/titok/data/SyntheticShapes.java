package dev.titok.data;

import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A labelled image set drawn on demand, needing no files: the built-in data for demos and smoke tests.
 *
 * <p>Ten classes, each a shape or texture in a colour of its own (hue {@code class / 10}, jittered) on a dark,
 * softly graded background: disc, square, triangle, ring, cross, diamond, horizontal stripes, vertical stripes,
 * checkerboard and dots. Position, scale, rotation, stripe period and colours vary per image. The classes differ in
 * both shape and colour, so a small tokenizer and generator learn them within minutes.
 *
 * <p>Example {@code index} has label {@code index % 10} (the classes are balanced) and is drawn from a generator keyed
 * by (seed, index), with edges antialiased over about one pixel, then quantized to 8 bits like a decoded image.
 * Only exactly rounded arithmetic and {@link StrictMath} are used, so the same (seed, index, size) gives the same
 * pixels on every machine. The augmentation generator is not used: every index is already a fresh drawing.
 */
public final class SyntheticShapes implements Dataset {

    /** The class names, by label. */
    public static final List<String> CLASSES = List.of("disc", "square", "triangle", "ring", "cross", "diamond",
            "horizontal stripes", "vertical stripes", "checkerboard", "dots");

    private static final double SQRT3_HALF = StrictMath.sqrt(3) / 2;

    private final int size;
    private final int count;
    private final long seed;

    /**
     * @param size  the side S of the images (at least 8)
     * @param count the number of examples
     * @param seed  selects the drawings; the same seed gives the same dataset
     */
    public SyntheticShapes(int size, int count, long seed) {
        if (size < 8) {
            throw new IllegalArgumentException("image size must be at least 8 to draw shapes, got " + size);
        }
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        this.size = size;
        this.count = count;
        this.seed = seed;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int imageSize() {
        return size;
    }

    @Override
    public Example get(int index, RandomGenerator augmentationRandom) {
        Objects.checkIndex(index, count);
        int label = index % CLASSES.size();
        return new Example(draw(label, SplitMix64.keyed(seed, index)), label);
    }

    @Override
    public int numClasses() {
        return CLASSES.size();
    }

    @Override
    public List<String> classNames() {
        return CLASSES;
    }

    @Override
    public String toString() {
        return "SyntheticShapes(" + count + " images of " + size + "x" + size + ", seed " + seed + ")";
    }

    /** The signed distance in pixels from a pixel centre to the edge of the figure; negative inside. */
    @FunctionalInterface
    private interface Figure {
        double distance(double x, double y);
    }

    private float[] draw(int label, RandomGenerator random) {
        double[] foreground = hsv(label / 10.0 + random.nextDouble(-0.03, 0.03),
                random.nextDouble(0.65, 1.0), random.nextDouble(0.8, 1.0));
        double[] backgroundFrom = hsv(random.nextDouble(), random.nextDouble(0, 0.4), random.nextDouble(0.05, 0.3));
        double[] backgroundTo = hsv(random.nextDouble(), random.nextDouble(0, 0.4), random.nextDouble(0.05, 0.3));
        double gradientAngle = random.nextDouble(0, 2 * Math.PI);
        double gradientX = StrictMath.cos(gradientAngle) / size;
        double gradientY = StrictMath.sin(gradientAngle) / size;
        Figure figure = figure(label, random);

        int plane = size * size;
        float[] pixels = new float[3 * plane];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double px = x + 0.5;
                double py = y + 0.5;
                // the gradient runs across the image along its angle, from 0 at one corner side to 1 at the other
                double t = clamp(0.5 + (px - size / 2.0) * gradientX + (py - size / 2.0) * gradientY);
                double cover = clamp(0.5 - figure.distance(px, py));
                for (int c = 0; c < 3; c++) {
                    double background = backgroundFrom[c] + (backgroundTo[c] - backgroundFrom[c]) * t;
                    double value = background + (foreground[c] - background) * cover;
                    pixels[c * plane + y * size + x] = (int) Math.rint(255 * clamp(value)) / 255f;
                }
            }
        }
        return pixels;
    }

    /** The figure of a class with its random placement; draws only what the class needs. */
    private Figure figure(int label, RandomGenerator random) {
        double s = size;
        double cx = random.nextDouble(0.35, 0.65) * s;
        double cy = random.nextDouble(0.35, 0.65) * s;
        double r = random.nextDouble(0.2, 0.32) * s;
        double tilt = random.nextDouble(-Math.PI / 12, Math.PI / 12);
        double cos = StrictMath.cos(tilt);
        double sin = StrictMath.sin(tilt);
        double period = random.nextDouble(0.14, 0.24) * s;
        double phaseX = random.nextDouble() * period;
        double phaseY = random.nextDouble() * period;
        return switch (label) {
            case 0 -> (x, y) -> Math.sqrt(sq(x - cx) + sq(y - cy)) - r;
            case 1 -> (x, y) -> box(rotX(x - cx, y - cy, cos, sin), rotY(x - cx, y - cy, cos, sin), 0.8 * r, 0.8 * r);
            case 2 -> (x, y) -> triangle(rotX(x - cx, y - cy, cos, sin), rotY(x - cx, y - cy, cos, sin), 1.2 * r);
            case 3 -> (x, y) -> Math.abs(Math.sqrt(sq(x - cx) + sq(y - cy)) - 0.8 * r) - 0.2 * r;
            case 4 -> (x, y) -> {
                double u = rotX(x - cx, y - cy, cos, sin);
                double v = rotY(x - cx, y - cy, cos, sin);
                return Math.min(box(u, v, r, 0.3 * r), box(u, v, 0.3 * r, r));
            };
            // |x| + |y| = r: the distance to that edge is the L1 excess over sqrt(2)
            case 5 -> (x, y) -> (Math.abs(x - cx) + Math.abs(y - cy) - 1.1 * r) / Math.sqrt(2);
            case 6 -> (x, y) -> stripe(y + phaseY, period);
            case 7 -> (x, y) -> stripe(x + phaseX, period);
            case 8 -> (x, y) -> {
                double u = stripe(x + phaseX, period);
                double v = stripe(y + phaseY, period);
                // inside where exactly one of the two stripe sets is: the cells of a checkerboard
                return (u < 0) != (v < 0) ? -Math.min(Math.abs(u), Math.abs(v)) : Math.min(Math.abs(u), Math.abs(v));
            };
            case 9 -> (x, y) -> {
                double u = x + phaseX - period * (Math.floor((x + phaseX) / period) + 0.5);
                double v = y + phaseY - period * (Math.floor((y + phaseY) / period) + 0.5);
                return Math.sqrt(sq(u) + sq(v)) - 0.3 * period;
            };
            default -> throw new IllegalStateException("no figure for class " + label);
        };
    }

    /** Distance to the edges of the bands {@code [k·period, (k + ½)·period)}; negative inside a band. */
    private static double stripe(double t, double period) {
        double phase = t / period - Math.floor(t / period); // in [0, 1)
        return (Math.abs(phase - 0.25) - 0.25) * period;
    }

    /** Signed distance to an axis-aligned box of half-sides (hx, hy) centred at the origin. */
    private static double box(double x, double y, double hx, double hy) {
        double qx = Math.abs(x) - hx;
        double qy = Math.abs(y) - hy;
        return Math.sqrt(sq(Math.max(qx, 0)) + sq(Math.max(qy, 0))) + Math.min(Math.max(qx, qy), 0);
    }

    /**
     * Distance to an equilateral triangle with circumradius r pointing up (y grows downwards): the largest excess over
     * the three edge lines, which is exact inside and along the edges, where the antialiasing needs it.
     */
    private static double triangle(double x, double y, double r) {
        double bottom = y;
        double right = SQRT3_HALF * x - 0.5 * y;
        double left = -SQRT3_HALF * x - 0.5 * y;
        return Math.max(bottom, Math.max(right, left)) - r / 2;
    }

    private static double rotX(double x, double y, double cos, double sin) {
        return cos * x + sin * y;
    }

    private static double rotY(double x, double y, double cos, double sin) {
        return -sin * x + cos * y;
    }

    /** RGB in [0, 1] of a hue (turns, any real), saturation and value. */
    private static double[] hsv(double hue, double saturation, double value) {
        double h = (hue - Math.floor(hue)) * 6;
        int sector = Math.min((int) h, 5);
        double f = h - sector;
        double p = value * (1 - saturation);
        double q = value * (1 - saturation * f);
        double t = value * (1 - saturation * (1 - f));
        return switch (sector) {
            case 0 -> new double[] {value, t, p};
            case 1 -> new double[] {q, value, p};
            case 2 -> new double[] {p, value, t};
            case 3 -> new double[] {p, q, value};
            case 4 -> new double[] {t, p, value};
            default -> new double[] {value, p, q};
        };
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }

    private static double sq(double v) {
        return v * v;
    }
}
