package dev.titok.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Recognises weight files by their first bytes rather than by their extension. */
final class FileMagic {

    private FileMagic() {
    }

    /** Up to {@code count} bytes from the start of the file. */
    static byte[] head(Path file, int count) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(count);
        }
    }

    /** A zip local file header, as torch.save writes since PyTorch 1.6. */
    static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    /** A pickle stream (PROTO opcode of protocol 2 to 5), which is how the legacy torch.save format begins. */
    static boolean isPickle(byte[] head) {
        return head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5;
    }

    /** The bytes as hex pairs, e.g. {@code 80 02 8a 0a}. */
    static String hex(byte[] head) {
        StringBuilder text = new StringBuilder();
        for (byte b : head) {
            text.append(text.length() == 0 ? "" : " ").append(String.format("%02x", b & 0xff));
        }
        return text.toString();
    }
}
