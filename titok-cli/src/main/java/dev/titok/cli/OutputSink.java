package dev.titok.cli;

import dev.titok.TitokException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Text output to stdout or to a file. A file is written under a temporary name next to it and moved into place only
 * when the job succeeds, so a failed run never leaves a half-written file that looks complete.
 */
final class OutputSink implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private final Writer writer;
    private boolean committed;

    OutputSink(Path target) {
        this.target = target;
        try {
            if (target == null) {
                this.temp = null;
                this.writer = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
            } else {
                Path dir = target.toAbsolutePath().getParent();
                Files.createDirectories(dir);
                this.temp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
                this.writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new TitokException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    void line(String text) {
        try {
            writer.write(text);
            writer.write('\n');
        } catch (IOException e) {
            throw new TitokException((target == null ? "stdout" : target.toString()) + ": write failed: " + e.getMessage(), e);
        }
    }

    /** Marks the output complete: a file is moved into place on {@link #close}. */
    void commit() {
        committed = true;
    }

    @Override
    public void close() {
        try {
            writer.flush();
            if (temp == null) {
                return;
            }
            writer.close();
            if (committed) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
            throw new UncheckedIOException(new IOException(target + ": write failed: " + e.getMessage(), e));
        }
    }
}
