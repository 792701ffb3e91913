package dev.titok.tokenizer;

import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.config.VqganConfig;
import java.util.List;

/**
 * Floating-point operations of one image through each part of a TiTok model, counted from the architecture
 * (2 per multiply-add of every matrix product and convolution; normalisations and activations are ignored).
 * Benchmarks divide these by measured time to report achieved GFLOP/s.
 */
public record TiTokFlops(long encoder, long quantizer, long decoder, long pixelDecoder) {

    public static TiTokFlops of(TiTokConfig c) {
        long s = (long) c.encoderGrid() * c.encoderGrid();
        long k = c.numLatentTokens();
        long de = c.encoder().width();
        long p = c.encoderPatchSize();
        long encoder = 2 * s * de * 3 * p * p + transformer(c.encoder(), 1 + s + k) + 2 * k * de * c.encoderOutputChannels();
        long quantizer = c.codebookSize() > 0 ? 2 * k * c.tokenSize() * c.codebookSize() : 0;

        long sd = (long) c.decoderGrid() * c.decoderGrid();
        long dd = c.decoder().width();
        long pd = c.decoderPatchSize();
        long head = c.legacy()
                ? 2 * sd * (dd * 2 * dd + 2 * dd * TiTokConfig.PROXY_CODES)
                : 2 * sd * dd * 3 * pd * pd + 2L * c.imageSize() * c.imageSize() * 3 * 3 * 9;
        long decoder = 2 * k * c.tokenSize() * dd + transformer(c.decoder(), 1 + sd + k) + head;
        long pixel = c.finetuneDecoder()
                ? 2 * sd * TiTokConfig.PROXY_CODES * c.pixel().zChannels() + pixelDecoder(c.pixel(), c.decoderGrid())
                : 0;
        return new TiTokFlops(encoder, quantizer, decoder, pixel);
    }

    /** Image → token ids. */
    public long tokenize() {
        return encoder + quantizer;
    }

    /** Token ids → image. */
    public long detokenize() {
        return decoder + pixelDecoder;
    }

    /** Pre-LN blocks over n positions: QKV, scores, weighted values, output projection, MLP. */
    static long transformer(TransformerSize size, long n) {
        long d = size.width();
        long hidden = (long) (d * size.mlpRatio());
        long perLayer = 2 * n * d * 3 * d + 4 * n * n * d + 2 * n * d * d + 4 * n * d * hidden;
        return size.layers() * perLayer;
    }

    /** conv_in, mid blocks, the up levels (coarsest first) and conv_out of the MaskGIT-VQGAN decoder. */
    static long pixelDecoder(VqganConfig v, long grid) {
        List<Integer> mult = v.channelMult();
        int levels = mult.size();
        long channels = (long) v.hiddenChannels() * mult.get(levels - 1);
        long side = grid;
        long flops = conv(v.zChannels(), channels, 3, side) + v.numResBlocks() * resBlock(channels, channels, side);
        for (int i = levels - 1; i >= 0; i--) {
            long out = (long) v.hiddenChannels() * mult.get(i);
            for (int j = 0; j < v.numResBlocks(); j++) {
                flops += resBlock(j == 0 ? channels : out, out, side);
            }
            channels = out;
            if (i != 0) {
                side *= 2;
                flops += conv(channels, channels, 3, side);
            }
        }
        return flops + conv(channels, v.numChannels(), 3, side);
    }

    private static long resBlock(long in, long out, long side) {
        return conv(in, out, 3, side) + conv(out, out, 3, side) + (in != out ? conv(out, out, 1, side) : 0);
    }

    private static long conv(long in, long out, long kernel, long side) {
        return 2 * in * out * kernel * kernel * side * side;
    }
}
