package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.data.Example;
import dev.titok.data.SyntheticShapes;
import dev.titok.data.TokenShards;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pretokenization stores each image and its mirror image, in order, in a file {@link TokenShards} reads back. */
class PretokenizeTest {

    private static final TransformerSize TINY = new TransformerSize("tiny", 32, 1, 2, 2.0);
    private static final TiTokConfig CONFIG = new TiTokConfig("tiny", TINY, TINY, 8, 8, 32, 8, 8, QuantizeMode.VQ, 64,
            true, 0.25, false, false, 1e-5, null);

    @Test
    void storesEachImageAndItsMirror(@TempDir Path dir) {
        SyntheticShapes shapes = new SyntheticShapes(32, 13, 5);
        Path file = dir.resolve("out/tokens.jsonl");
        List<int[]> progress = new ArrayList<>();
        try (TiTok titok = TiTok.random(CONFIG, 3)) {
            int lines = Pretokenize.run(shapes, Pretokenize.Encoder.of(titok), file, 4, 2,
                    (done, total) -> progress.add(new int[] {done, total}));
            assertThat(lines).isEqualTo(26);
            assertThat(progress).extracting(p -> p[0]).containsExactly(4, 8, 12, 13);
            assertThat(progress).extracting(p -> p[1]).containsOnly(13);

            TokenShards shards = TokenShards.read(file, 8, 64, shapes.numClasses());
            assertThat(shards.size()).isEqualTo(26);
            for (int i = 0; i < shapes.size(); i++) {
                Example example = shapes.get(i, null);
                float[] mirrored = Pretokenize.mirror(example.pixels(), 32);
                long[][] expected = titok.tokenize(new float[][] {example.pixels(), mirrored});
                assertThat(shards.classId(2 * i)).isEqualTo(example.label());
                assertThat(shards.classId(2 * i + 1)).isEqualTo(example.label());
                assertThat(shards.tokens(2 * i)).as("image " + i).containsExactly(narrow(expected[0]));
                assertThat(shards.tokens(2 * i + 1)).as("mirror of image " + i).containsExactly(narrow(expected[1]));
            }
        }
    }

    @Test
    void isDeterministicAndLeavesNoFileOnFailure(@TempDir Path dir) throws Exception {
        SyntheticShapes shapes = new SyntheticShapes(32, 6, 5);
        try (TiTok titok = TiTok.random(CONFIG, 3)) {
            Path a = dir.resolve("a.jsonl");
            Path b = dir.resolve("b.jsonl");
            Pretokenize.run(shapes, Pretokenize.Encoder.of(titok), a, 4, 1, (done, total) -> { });
            Pretokenize.run(shapes, Pretokenize.Encoder.of(titok), b, 3, 2, (done, total) -> { });
            assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));

            Path failed = dir.resolve("failed.jsonl");
            assertThatThrownBy(() -> Pretokenize.run(shapes, images -> new long[1][8], failed, 4, 1, (d, t) -> { }))
                    .isInstanceOf(TitokException.class);
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a.jsonl", "b.jsonl");
            }
        }
    }

    @Test
    void mirrorsEachRowOfEachPlane() {
        float[] chw = new float[3 * 2 * 2];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = i;
        }
        assertThat(Pretokenize.mirror(chw, 2)).containsExactly(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10);
    }

    private static int[] narrow(long[] tokens) {
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = (int) tokens[i];
        }
        return out;
    }
}
