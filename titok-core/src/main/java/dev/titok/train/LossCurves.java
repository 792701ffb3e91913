package dev.titok.train;

import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Line plots of metrics over steps ({@link MetricsLog} entries) drawn with plain Java2D: axes with ticks, grid,
 * labels and a legend; optionally a logarithmic value axis, the usual view of losses. Missing and non-finite values
 * (and, on a log axis, values ≤ 0) break a line rather than bend it.
 */
public final class LossCurves {

    static final int WIDTH = 900;
    static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 24;
    private static final int TOP = 36;
    private static final int BOTTOM = 56;
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    /** matplotlib's default cycle, so the plots look familiar. */
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
    };

    private LossCurves() {}

    /** {@link #render} written as a PNG file (atomically, see {@link ImageCodec#writePng}). */
    public static void write(Path png, List<MetricsLog.Entry> entries, List<String> metrics, boolean logScale) {
        ImageCodec.writePng(png, render(entries, metrics, logScale));
    }

    /**
     * Plots {@code metrics} of {@code entries} against their steps.
     *
     * @param logScale a log10 value axis (non-positive values are left out)
     * @throws TitokException when none of the metrics has a value to plot
     */
    public static BufferedImage render(List<MetricsLog.Entry> entries, List<String> metrics, boolean logScale) {
        Range x = new Range();
        Range y = new Range();
        for (MetricsLog.Entry e : entries) {
            for (String m : metrics) {
                Double v = e.values().get(m);
                if (plottable(v, logScale)) {
                    x.include(e.step());
                    y.include(logScale ? Math.log10(v) : v);
                }
            }
        }
        if (x.isEmpty()) {
            TreeSet<String> known = new TreeSet<>();
            entries.forEach(e -> known.addAll(e.values().keySet()));
            throw new TitokException("no " + (logScale ? "positive " : "") + "values of " + metrics
                    + " to plot; the log has " + known);
        }
        List<Double> xTicks = niceTicks(x);
        List<Double> yTicks = logScale ? decadeTicks(y) : niceTicks(y);

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(FONT);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            Plot plot = new Plot(x, y);
            drawAxes(g, plot, xTicks, yTicks, logScale);
            for (int i = 0; i < metrics.size(); i++) {
                drawSeries(g, plot, entries, metrics.get(i), logScale, COLORS[i % COLORS.length]);
            }
            drawLegend(g, metrics);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static boolean plottable(Double v, boolean logScale) {
        return v != null && Double.isFinite(v) && (!logScale || v > 0);
    }

    /** Data bounds; a single value is widened so that it maps to the middle. */
    private static final class Range {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;

        void include(double v) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }

        boolean isEmpty() {
            return min > max;
        }

        void widenIfFlat() {
            if (min == max) {
                double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
                min -= pad;
                max += pad;
            }
        }
    }

    /** Maps data coordinates (y already log10 on a log axis) to pixels of the plot area. */
    private static final class Plot {
        final Range x;
        final Range y;

        Plot(Range x, Range y) {
            this.x = x;
            this.y = y;
        }

        double px(double v) {
            return LEFT + (v - x.min) / (x.max - x.min) * (WIDTH - LEFT - RIGHT);
        }

        double py(double v) {
            return HEIGHT - BOTTOM - (v - y.min) / (y.max - y.min) * (HEIGHT - TOP - BOTTOM);
        }
    }

    /** Ticks at 1, 2 or 5 × 10^k, about five of them; widens the range to the outer ticks. */
    private static List<Double> niceTicks(Range r) {
        r.widenIfFlat();
        double rough = (r.max - r.min) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        double step = magnitude * (rough / magnitude < 1.5 ? 1 : rough / magnitude < 3.5 ? 2 : rough / magnitude < 7.5 ? 5 : 10);
        r.min = Math.floor(r.min / step) * step;
        r.max = Math.ceil(r.max / step) * step;
        List<Double> ticks = new ArrayList<>();
        for (long i = 0; r.min + i * step <= r.max + step * 1e-9; i++) {
            ticks.add(r.min + i * step);
        }
        return ticks;
    }

    /** Ticks at whole powers of ten for a log10 range; widens it to whole decades. */
    private static List<Double> decadeTicks(Range r) {
        r.min = Math.floor(r.min);
        r.max = Math.max(Math.ceil(r.max), r.min + 1);
        int every = (int) Math.ceil((r.max - r.min) / 8); // at most about eight labels
        List<Double> ticks = new ArrayList<>();
        for (double d = r.min; d <= r.max; d += every) {
            ticks.add(d);
        }
        return ticks;
    }

    private static void drawAxes(Graphics2D g, Plot plot, List<Double> xTicks, List<Double> yTicks, boolean logScale) {
        FontMetrics fm = g.getFontMetrics();
        int left = LEFT;
        int right = WIDTH - RIGHT;
        int top = TOP;
        int bottom = HEIGHT - BOTTOM;
        for (double t : xTicks) {
            int px = (int) Math.round(plot.px(t));
            g.setColor(new Color(0xe8e8e8));
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.BLACK);
            g.drawLine(px, bottom, px, bottom + 5);
            String label = formatStep(t);
            g.drawString(label, px - fm.stringWidth(label) / 2, bottom + 7 + fm.getAscent());
        }
        for (double t : yTicks) {
            int py = (int) Math.round(plot.py(t));
            g.setColor(new Color(0xe8e8e8));
            g.drawLine(left, py, right, py);
            g.setColor(Color.BLACK);
            g.drawLine(left - 5, py, left, py);
            String label = logScale ? "1e" + (long) t : formatValue(t);
            g.drawString(label, left - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        String xLabel = "step";
        g.drawString(xLabel, (left + right - fm.stringWidth(xLabel)) / 2, HEIGHT - 12);
        String yLabel = logScale ? "value (log scale)" : "value";
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(top + bottom + fm.stringWidth(yLabel)) / 2, 16 + fm.getAscent());
        rotated.dispose();
    }

    private static void drawSeries(Graphics2D g, Plot plot, List<MetricsLog.Entry> entries, String metric,
                                   boolean logScale, Color color) {
        Path2D.Double line = new Path2D.Double();
        boolean connected = false;
        for (MetricsLog.Entry e : entries) {
            Double v = e.values().get(metric);
            if (!plottable(v, logScale)) {
                connected = false;
                continue;
            }
            double px = plot.px(e.step());
            double py = plot.py(logScale ? Math.log10(v) : v);
            if (connected) {
                line.lineTo(px, py);
            } else {
                line.moveTo(px, py);
                line.lineTo(px, py); // a lone point still shows as a dot with the round cap
            }
            connected = true;
        }
        g.setColor(color);
        g.setStroke(new BasicStroke(1.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.setClip(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        g.draw(line);
        g.setClip(null);
        g.setStroke(new BasicStroke(1f));
    }

    private static void drawLegend(Graphics2D g, List<String> metrics) {
        FontMetrics fm = g.getFontMetrics();
        int lineHeight = fm.getHeight() + 2;
        int textWidth = metrics.stream().mapToInt(fm::stringWidth).max().orElse(0);
        int width = 36 + textWidth;
        int height = 8 + lineHeight * metrics.size();
        int x = WIDTH - RIGHT - width - 8;
        int y = TOP + 8;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x, y, width, height);
        g.setColor(Color.GRAY);
        g.drawRect(x, y, width, height);
        for (int i = 0; i < metrics.size(); i++) {
            int baseline = y + 4 + i * lineHeight + fm.getAscent();
            g.setColor(COLORS[i % COLORS.length]);
            g.setStroke(new BasicStroke(2.5f));
            g.drawLine(x + 6, baseline - fm.getAscent() / 2 + 1, x + 26, baseline - fm.getAscent() / 2 + 1);
            g.setStroke(new BasicStroke(1f));
            g.setColor(Color.BLACK);
            g.drawString(metrics.get(i), x + 30, baseline);
        }
    }

    /** 1500 → "1.5k", 2000000 → "2M". */
    private static String formatStep(double step) {
        double abs = Math.abs(step);
        if (abs >= 1e6) {
            return trim(step / 1e6) + "M";
        }
        if (abs >= 1e4) {
            return trim(step / 1e3) + "k";
        }
        return trim(step);
    }

    private static String formatValue(double v) {
        if (v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        return trim(v);
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v);
        s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s.equals("-0") ? "0" : s;
    }
}
