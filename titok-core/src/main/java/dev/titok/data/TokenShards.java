package dev.titok.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.titok.TitokException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Pretokenized images for generator training, held in memory: for each image its class id and its K token ids.
 *
 * <p>The file format is the official pretokenization output (SPEC §5.5): JSON lines
 * {@code {"class_id": 3, "tokens": [17, 4095, ...]}}, one per stored view. Reading validates every line (an object
 * with an integer {@code class_id} in range and exactly K integer {@code tokens} in [0, vocabulary)) and reports the
 * first problem in one line naming the file and line number; other keys are ignored. {@link #writer} writes the same
 * format, byte for byte as Python's {@code json.dumps} does, to a temporary file that only {@link Writer#commit}
 * moves into place.
 */
public final class TokenShards {

    private static final JsonFactory JSON = new JsonFactory();

    private final int tokensPerImage;
    private final int[] classIds;
    private final int[] tokens;

    private TokenShards(int tokensPerImage, int[] classIds, int[] tokens) {
        this.tokensPerImage = tokensPerImage;
        this.classIds = classIds;
        this.tokens = tokens;
    }

    /** The class ids and tokens of some images, in the order asked for. */
    public record Batch(int[] classIds, int[] tokens, int tokensPerImage) {

        /** The number of images B; {@code tokens} holds B x K ids, row by row. */
        public int size() {
            return classIds.length;
        }
    }

    /**
     * Reads one JSON-lines file.
     *
     * @param tokensPerImage the K every line must have
     * @param vocabularySize tokens must be in [0, vocabularySize)
     * @param numClasses     class ids must be in [0, numClasses)
     * @throws TitokException naming the file and line of the first invalid record, or when the file holds none
     */
    public static TokenShards read(Path file, int tokensPerImage, int vocabularySize, int numClasses) {
        return read(List.of(file), tokensPerImage, vocabularySize, numClasses);
    }

    /** Reads several files (shards) as one collection, in the order given; see {@link #read(Path, int, int, int)}. */
    public static TokenShards read(List<Path> files, int tokensPerImage, int vocabularySize, int numClasses) {
        requirePositive(tokensPerImage, "tokensPerImage");
        requirePositive(vocabularySize, "vocabularySize");
        requirePositive(numClasses, "numClasses");
        IntList classIds = new IntList();
        IntList tokens = new IntList();
        for (Path file : files) {
            int before = classIds.size;
            new LineReader(file, tokensPerImage, vocabularySize, numClasses).readInto(classIds, tokens);
            if (classIds.size == before) {
                throw new TitokException(file + " holds no record: expected JSON lines {\"class_id\": int, \"tokens\": [int, ...]}");
            }
        }
        return new TokenShards(tokensPerImage, classIds.toArray(), tokens.toArray());
    }

    /**
     * Starts writing a JSON-lines file; nothing appears under {@code file} before {@link Writer#commit()}.
     *
     * @throws TitokException when the temporary file cannot be created next to {@code file}
     */
    public static Writer writer(Path file) {
        return new Writer(file);
    }

    /** The number of images. */
    public int size() {
        return classIds.length;
    }

    /** K, the tokens per image. */
    public int tokensPerImage() {
        return tokensPerImage;
    }

    /** The class id of image {@code index}. */
    public int classId(int index) {
        return classIds[index];
    }

    /** A copy of the tokens of image {@code index}. */
    public int[] tokens(int index) {
        Objects.checkIndex(index, classIds.length);
        return Arrays.copyOfRange(tokens, index * tokensPerImage, (index + 1) * tokensPerImage);
    }

    /** The images {@code indices[from .. from + count)}, e.g. one batch of a {@link Loader#order} shuffle. */
    public Batch gather(int[] indices, int from, int count) {
        Objects.checkFromIndexSize(from, count, indices.length);
        int[] ids = new int[count];
        int[] batch = new int[count * tokensPerImage];
        for (int i = 0; i < count; i++) {
            int index = indices[from + i];
            ids[i] = classIds[index];
            System.arraycopy(tokens, index * tokensPerImage, batch, i * tokensPerImage, tokensPerImage);
        }
        return new Batch(ids, batch, tokensPerImage);
    }

    /**
     * Writes JSON lines under a temporary name beside the target. Close it in a try-with-resources block: a writer
     * closed without {@link #commit()} (after an error) deletes its temporary file and leaves the target untouched.
     */
    public static final class Writer implements AutoCloseable {
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final java.io.Writer out;
        private int tokensPerImage = -1;
        private int lines;
        private boolean done;

        private Writer(Path file) {
            this.target = file.toAbsolutePath();
            this.temp = target.resolveSibling("." + target.getFileName() + "."
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                Files.createDirectories(target.getParent());
                // CREATE_NEW honours the umask; Files.createTempFile would make the final file private (0600)
                this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new TitokException("cannot write " + file + ": " + e.getMessage(), e);
            }
            this.out = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8),
                    1 << 16);
        }

        /**
         * Appends one record.
         *
         * @throws IllegalArgumentException when {@code classId} or a token is negative, or the token count differs
         *                                  from the first record's
         * @throws TitokException when writing fails
         */
        public void add(int classId, int[] tokens) {
            if (done) {
                throw new IllegalStateException("the writer of " + target + " is already closed");
            }
            if (classId < 0) {
                throw new IllegalArgumentException("class id must not be negative, got " + classId);
            }
            if (tokensPerImage < 0) {
                tokensPerImage = tokens.length;
            }
            if (tokens.length != tokensPerImage || tokens.length == 0) {
                throw new IllegalArgumentException("record " + (lines + 1) + " has " + tokens.length
                        + " tokens, expected " + tokensPerImage + " like the first record (and at least one)");
            }
            StringBuilder line = new StringBuilder(16 + 6 * tokens.length);
            line.append("{\"class_id\": ").append(classId).append(", \"tokens\": [");
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] < 0) {
                    throw new IllegalArgumentException("token " + i + " of record " + (lines + 1) + " is negative: " + tokens[i]);
                }
                line.append(i == 0 ? "" : ", ").append(tokens[i]);
            }
            line.append("]}\n");
            try {
                out.write(line.toString());
            } catch (IOException e) {
                throw new TitokException("cannot write " + temp + " (for " + target + "): " + e.getMessage(), e);
            }
            lines++;
        }

        /** The records added so far. */
        public int count() {
            return lines;
        }

        /**
         * Flushes the data to disk and moves the file into place, replacing any file of that name.
         *
         * @throws TitokException when that fails; the target is then untouched
         */
        public void commit() {
            if (done) {
                throw new IllegalStateException("the writer of " + target + " is already closed");
            }
            try {
                out.flush();
                channel.force(true);
                out.close();
                done = true;
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                close();
                throw new TitokException("cannot write " + target + ": " + e.getMessage(), e);
            }
        }

        /** Without a {@link #commit()} before, discards everything written. */
        @Override
        public void close() {
            try {
                if (!done) {
                    done = true;
                    out.close();
                }
            } catch (IOException e) {
                // the data is being discarded anyway
            } finally {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // best effort: a stray hidden .tmp file is harmless
                }
            }
        }
    }

    /** Streams one file's records into growing arrays, checking each. */
    private static final class LineReader {
        private final Path file;
        private final int tokensPerImage;
        private final int vocabularySize;
        private final int numClasses;
        private JsonParser parser;

        LineReader(Path file, int tokensPerImage, int vocabularySize, int numClasses) {
            this.file = file;
            this.tokensPerImage = tokensPerImage;
            this.vocabularySize = vocabularySize;
            this.numClasses = numClasses;
        }

        void readInto(IntList classIds, IntList tokens) {
            if (Files.isDirectory(file)) {
                throw new TitokException(file + " is a directory: expected a JSON-lines file of pretokenized images");
            }
            try (InputStream in = Files.newInputStream(file); JsonParser json = JSON.createParser(in)) {
                parser = json;
                for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                    if (token != JsonToken.START_OBJECT) {
                        throw invalid("expected a JSON object {\"class_id\": int, \"tokens\": [int, ...]}, found " + describe(token));
                    }
                    readRecord(classIds, tokens);
                }
            } catch (JsonProcessingException e) {
                int line = e.getLocation() != null ? e.getLocation().getLineNr() : parser.currentTokenLocation().getLineNr();
                throw new TitokException(file + ":" + line + ": not valid JSON ("
                        + e.getOriginalMessage().lines().findFirst().orElse("") + ")", e);
            } catch (NoSuchFileException e) {
                throw new TitokException(file + " does not exist: expected a JSON-lines file of pretokenized images", e);
            } catch (IOException e) {
                throw new TitokException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        private void readRecord(IntList classIds, IntList tokens) throws IOException {
            int classId = -1;
            int count = -1;
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
                String key = parser.currentName();
                token = parser.nextToken();
                if (key.equals("class_id")) {
                    classId = (int) integer(token, "class_id", numClasses);
                } else if (key.equals("tokens")) {
                    if (token != JsonToken.START_ARRAY) {
                        throw invalid("\"tokens\" must be an array of integers, found " + describe(token));
                    }
                    if (count >= 0) {
                        throw invalid("\"tokens\" appears twice");
                    }
                    count = 0;
                    for (token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                        if (++count > tokensPerImage) {
                            throw invalid("expected " + tokensPerImage + " tokens, found more");
                        }
                        tokens.add((int) integer(token, "token " + (count - 1), vocabularySize));
                    }
                    if (count != tokensPerImage) {
                        throw invalid("expected " + tokensPerImage + " tokens, found " + count);
                    }
                } else {
                    parser.skipChildren();
                }
            }
            if (classId < 0 || count < 0) {
                throw invalid("missing \"" + (classId < 0 ? "class_id" : "tokens") + "\"");
            }
            classIds.add(classId);
        }

        /** The current token as an integer in [0, bound). */
        private long integer(JsonToken token, String what, int bound) throws IOException {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                throw invalid(what + " must be an integer, found " + describe(token));
            }
            if (parser.getNumberType() != JsonParser.NumberType.INT || parser.getIntValue() < 0 || parser.getIntValue() >= bound) {
                throw invalid(what + " is " + parser.getText() + ", expected 0 to " + (bound - 1));
            }
            return parser.getIntValue();
        }

        private String describe(JsonToken token) throws IOException {
            return switch (token) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "an array";
                case VALUE_STRING -> "the string \"" + parser.getText() + "\"";
                default -> parser.getText();
            };
        }

        private TitokException invalid(String problem) {
            return new TitokException(file + ":" + parser.currentTokenLocation().getLineNr() + ": " + problem);
        }
    }

    /** A growing int array: boxing 100 million tokens into a List would take gigabytes. */
    private static final class IntList {
        private int[] values = new int[1024];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, Math.max(16, values.length + (values.length >> 1)));
            }
            values[size++] = value;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private static void requirePositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
