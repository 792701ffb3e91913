package dev.titok.cli.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page of {@code titok serve} end to end in headless Chromium (Debian package {@code chromium}; skipped without
 * it): {@code /?example=1} tokenizes the example photo by itself; the DOM must hold the API's tokens and images.
 * {@code &edit=0:ID} then edits a token as a click would: the screenshot must show the edited tokens' colours, the
 * input and the reconstruction of the edited tokens, both enlarged pixel for pixel.
 */
class TiTokServerBrowserTest {

    private static final int WINDOW_WIDTH = 1200;
    private static final int WINDOW_HEIGHT = 900;
    /** The page shows both images at 256 CSS pixels: the fixture model's 32-pixel images as 8x8 blocks. */
    private static final int DISPLAY_SIZE = 256;

    private static String chromium;
    private static ServedModel model;
    private static TiTokServer server;
    private static JsonNode expected;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() throws IOException {
        Fixtures.assumePresent();
        chromium = onPath("chromium").or(() -> onPath("chromium-browser")).orElse(null);
        Assumptions.assumeTrue(chromium != null, "chromium is not on PATH (Debian: apt-get install chromium): skipped");
        model = Fixtures.model();
        byte[] photo = Files.readAllBytes(Fixtures.PHOTO);
        server = TiTokServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(model),
                new TiTokServer.Limits(1 << 20, 2, Duration.ofSeconds(60)), photo);
        // What the page should show: the API's answer for the same image.
        expected = new ObjectMapper().readTree(Fixtures.send(Fixtures.post(server.uri(), "/api/tokenize", photo)).body());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
            model.close();
        }
    }

    /** The colour of a token id as app.js's tokenColour computes it: hsl((id·137) mod 360, 70%, 62%). */
    static int tokenColour(long id) {
        double hue = (id * 137) % 360;
        double saturation = 0.70;
        double lightness = 0.62;
        // CSS Color 4 hslToRgb.
        double a = saturation * Math.min(lightness, 1 - lightness);
        int rgb = 0;
        for (int n : new int[] {0, 8, 4}) {
            double k = (n + hue / 30) % 12;
            double channel = lightness - a * Math.max(-1, Math.min(Math.min(k - 3, 9 - k), 1));
            rgb = rgb << 8 | (int) Math.round(channel * 255);
        }
        return rgb;
    }

    @Test
    void theExamplePageShowsTheTokensAndBothImages() throws Exception {
        long[] tokens = new long[expected.path("tokens").size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = expected.path("tokens").get(i).asLong();
        }
        assertThat(tokens).hasSize(8);
        URI page = server.uri().resolve("/?example=1");

        String dom = browser(temp.resolve("profile-dom"), "--dump-dom", page.toString());
        assertThat(dom).contains("data-state=\"tokenized\"");
        List<Long> shown = new ArrayList<>();
        Matcher cell = Pattern.compile("<div[^>]*class=\"token\"[^>]*>(\\d+)</div>").matcher(dom);
        while (cell.find()) {
            shown.add(Long.parseLong(cell.group(1)));
        }
        assertThat(shown).containsExactlyElementsOf(Arrays.stream(tokens).boxed().toList());
        BufferedImage original = imageIn(dom, "original");
        BufferedImage reconstruction = imageIn(dom, "reconstruction");
        assertThat(Fixtures.samePixels(original, Fixtures.decodeDataUrl(expected.path("original").asText()))).isTrue();
        assertThat(Fixtures.samePixels(reconstruction, Fixtures.decodeDataUrl(expected.path("reconstruction").asText()))).isTrue();

        // The screenshot after an edit made as a click would make it: token 0 becomes an id the image does not use.
        long[] edited = tokens.clone();
        edited[0] = LongStream.range(0, 64).filter(id -> Arrays.stream(tokens).noneMatch(t -> t == id)).findFirst().orElseThrow();
        BufferedImage editedReconstruction = Fixtures.png(Fixtures.send(Fixtures.postJson(server.uri(), "/api/detokenize",
                "{\"tokens\":" + Arrays.toString(edited) + "}")).body());
        Path screenshot = temp.resolve("page.png");
        browser(temp.resolve("profile-shot"), "--screenshot=" + screenshot,
                page + "&edit=0:" + edited[0]);
        BufferedImage shot = ImageIO.read(screenshot.toFile());
        // Kept for a look at what the test saw.
        Files.copy(screenshot, Path.of("target", "serve-browser-test.png"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(shot.getWidth()).isEqualTo(WINDOW_WIDTH);
        for (long id : edited) {
            // A 44-pixel cell minus its rounded corners and the digits.
            assertThat(pixelsNear(shot, tokenColour(id))).as("cells of token id %d", id).isGreaterThan(1200);
        }
        assertThat(pixelsNear(shot, tokenColour(tokens[0]))).as("the replaced id's colour").isLessThan(100);
        // Both images enlarged pixel for pixel (image-rendering: pixelated), the reconstruction that of the edit.
        assertThat(enlargedIn(shot, original)).as("original on screen").isTrue();
        assertThat(enlargedIn(shot, editedReconstruction)).as("edited reconstruction on screen").isTrue();
        assertThat(enlargedIn(shot, reconstruction)).as("the reconstruction before the edit is gone").isFalse();
    }

    /** Whether {@code image}, enlarged to the display size by repeating pixels, appears in {@code shot} (±1 per channel). */
    private static boolean enlargedIn(BufferedImage shot, BufferedImage image) {
        int scale = DISPLAY_SIZE / image.getWidth();
        for (int y0 = 0; y0 + DISPLAY_SIZE <= shot.getHeight(); y0++) {
            for (int x0 = 0; x0 + DISPLAY_SIZE <= shot.getWidth(); x0++) {
                if (matchesAt(shot, image, x0, y0, scale)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matchesAt(BufferedImage shot, BufferedImage image, int x0, int y0, int scale) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                // Block centres: the edges of a block may be where the browser's scaling rounds.
                if (!near(shot.getRGB(x0 + x * scale + scale / 2, y0 + y * scale + scale / 2), image.getRGB(x, y), 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static BufferedImage imageIn(String dom, String id) {
        Matcher img = Pattern.compile("<img id=\"" + id + "\"[^>]*src=\"(data:image/png;base64,[^\"]+)\"").matcher(dom);
        assertThat(img.find()).as("img#%s with a PNG data URL in the DOM", id).isTrue();
        return Fixtures.decodeDataUrl(img.group(1));
    }

    /** Screenshot pixels within 2 per channel of {@code colour}. */
    private static int pixelsNear(BufferedImage shot, int colour) {
        int count = 0;
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                if (near(shot.getRGB(x, y), colour, 2)) {
                    count++;
                }
            }
        }
        return count;
    }

    private static boolean near(int rgb, int other, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs((rgb >> shift & 0xFF) - (other >> shift & 0xFF)) > tolerance) {
                return false;
            }
        }
        return true;
    }

    /** Runs headless Chromium on {@code url} and returns what it printed on stdout. */
    private static String browser(Path profile, String action, String url) throws IOException, InterruptedException {
        List<String> command = List.of(chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile,
                "--window-size=" + WINDOW_WIDTH + "," + WINDOW_HEIGHT, "--force-device-scale-factor=1",
                // Virtual time runs the page's fetches to completion without waiting on the wall clock.
                "--virtual-time-budget=10000", action, url);
        Path log = Files.createTempFile(profile.getParent(), "chromium", ".log");
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s");
        }
        assertThat(process.exitValue()).as("chromium exit code; its log: %s", Files.readString(log)).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    private static Optional<String> onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, program))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }
}
