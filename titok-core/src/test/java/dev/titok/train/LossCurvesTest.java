package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loss curves as PNG: the image is written, each series drawn in its colour, log scale skips what it cannot show. */
class LossCurvesTest {

    private static List<MetricsLog.Entry> entries() {
        List<MetricsLog.Entry> entries = new ArrayList<>();
        for (int step = 0; step <= 1000; step += 10) {
            entries.add(new MetricsLog.Entry(step, Map.of(
                    "loss", 5 * Math.exp(-step / 200.0) + 0.1,
                    "rec_loss", step == 500 ? Double.NaN : 2 * Math.exp(-step / 300.0) + 0.05)));
        }
        return entries;
    }

    /** Pixels of exactly this colour (series are drawn antialiased, their core keeps the pure colour). */
    private static long count(BufferedImage image, int rgb) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xffffff) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void writesAPngWithOneColouredLinePerMetric(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("curves.png");
        LossCurves.write(png, entries(), List.of("loss", "rec_loss"), true);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(LossCurves.WIDTH);
        assertThat(image.getHeight()).isEqualTo(LossCurves.HEIGHT);
        assertThat(count(image, 0x1f77b4)).as("first series").isGreaterThan(200);
        assertThat(count(image, 0xff7f0e)).as("second series").isGreaterThan(200);
        assertThat(count(image, 0x2ca02c)).as("no third series").isZero();
    }

    @Test
    void linearScaleAlsoPlotsNegativeValues() {
        List<MetricsLog.Entry> entries = List.of(new MetricsLog.Entry(1, Map.of("gan", -0.5)),
                new MetricsLog.Entry(2, Map.of("gan", 0.0)), new MetricsLog.Entry(3, Map.of("gan", -0.1)));
        assertThat(count(LossCurves.render(entries, List.of("gan"), false), 0x1f77b4)).isGreaterThan(100);
        assertThatThrownBy(() -> LossCurves.render(entries, List.of("gan"), true)).isInstanceOf(TitokException.class)
                .hasMessage("no positive values of [gan] to plot; the log has [gan]");
    }

    @Test
    void anUnknownMetricIsNamedWithTheKnownOnes() {
        assertThatThrownBy(() -> LossCurves.render(entries(), List.of("los"), false)).isInstanceOf(TitokException.class)
                .hasMessage("no values of [los] to plot; the log has [loss, rec_loss]");
    }
}
