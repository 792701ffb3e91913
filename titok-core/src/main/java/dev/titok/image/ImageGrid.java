package dev.titok.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/**
 * Lays images out in a grid on a white background, optionally with a one-line caption under each: originals beside
 * their reconstructions (two columns, captions such as "original" / "tokens 32"), or a sheet of generated samples.
 *
 * <p>Every cell is as large as the largest image; smaller images sit in the top-left corner of their cell. Captions
 * are drawn with AWT's logical "SansSerif" font (works headless; needs some font installed, as any JDK text does)
 * and cut with "…" when wider than the cell.
 */
public final class ImageGrid {

    /** Space around and between cells, in pixels. */
    static final int MARGIN = 4;
    private static final Font CAPTION_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final String ELLIPSIS = "…";

    private ImageGrid() {
    }

    /** A grid without captions, filled row by row. */
    public static BufferedImage compose(List<BufferedImage> images, int columns) {
        return compose(images, null, columns);
    }

    /**
     * A grid filled row by row.
     *
     * @param images   at least one image
     * @param captions one caption per image (empty strings allowed), or {@code null} for no caption row at all
     * @param columns  cells per row, at least 1; fewer are used when there are fewer images
     * @return a new TYPE_INT_RGB image
     * @throws IllegalArgumentException for no images, a caption count that differs from the image count, or columns &lt; 1
     */
    public static BufferedImage compose(List<BufferedImage> images, List<String> captions, int columns) {
        requireValid(images, captions, columns);
        int cellWidth = images.stream().mapToInt(BufferedImage::getWidth).max().orElseThrow();
        int imageHeight = images.stream().mapToInt(BufferedImage::getHeight).max().orElseThrow();
        int captionHeight = captions == null ? 0 : captionHeight();
        int cellHeight = imageHeight + captionHeight;
        int usedColumns = Math.min(columns, images.size());
        int rows = (images.size() + columns - 1) / columns;
        BufferedImage grid = new BufferedImage(
                MARGIN + usedColumns * (cellWidth + MARGIN),
                MARGIN + rows * (cellHeight + MARGIN),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
            for (int i = 0; i < images.size(); i++) {
                int x = MARGIN + (i % columns) * (cellWidth + MARGIN);
                int y = MARGIN + (i / columns) * (cellHeight + MARGIN);
                g.drawImage(ImageCodec.toRgb(images.get(i)), x, y, null);
                if (captions != null) {
                    drawCaption(g, captions.get(i), x, y + imageHeight, cellWidth);
                }
            }
        } finally {
            g.dispose();
        }
        return grid;
    }

    /** {@link #compose(List, List, int)} written as a PNG file with {@link ImageCodec#writePng}. */
    public static void write(Path file, List<BufferedImage> images, List<String> captions, int columns) {
        ImageCodec.writePng(file, compose(images, captions, columns));
    }

    private static void requireValid(List<BufferedImage> images, List<String> captions, int columns) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images for the grid");
        }
        if (captions != null && captions.size() != images.size()) {
            throw new IllegalArgumentException(captions.size() + " captions for " + images.size() + " images");
        }
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be at least 1, got " + columns);
        }
    }

    private static int captionHeight() {
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        try {
            return g.getFontMetrics(CAPTION_FONT).getHeight() + 2;
        } finally {
            g.dispose();
        }
    }

    private static void drawCaption(Graphics2D g, String caption, int x, int top, int width) {
        g.setFont(CAPTION_FONT);
        g.setColor(Color.BLACK);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        FontMetrics metrics = g.getFontMetrics();
        g.drawString(fit(caption, metrics, width), x, top + 1 + metrics.getAscent());
    }

    /** The caption itself when it fits, else its longest prefix that fits with "…" appended. */
    private static String fit(String caption, FontMetrics metrics, int width) {
        if (metrics.stringWidth(caption) <= width) {
            return caption;
        }
        int end = caption.length();
        while (end > 0 && metrics.stringWidth(caption.substring(0, end) + ELLIPSIS) > width) {
            end--;
        }
        return caption.substring(0, end) + ELLIPSIS;
    }

    /**
     * Enlarges an image by the smallest integer factor that makes it at least {@code minWidth} wide, nearest neighbour
     * so that pixels stay visible: small models work on tiny images that are hard to look at otherwise.
     */
    public static BufferedImage enlarge(BufferedImage image, int minWidth) {
        int factor = Math.max(1, (minWidth + image.getWidth() - 1) / image.getWidth());
        if (factor == 1) {
            return image;
        }
        BufferedImage big = new BufferedImage(image.getWidth() * factor, image.getHeight() * factor, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = big.createGraphics();
        g.drawImage(image, 0, 0, big.getWidth(), big.getHeight(), null);
        g.dispose();
        return big;
    }
}
