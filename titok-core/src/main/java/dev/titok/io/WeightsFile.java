package dev.titok.io;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Loads model weights from a safetensors file, a PyTorch checkpoint (zip or legacy format), or a model directory,
 * recognising the format by the file's content rather than its extension (Hugging Face repositories name both kinds
 * freely).
 */
public final class WeightsFile {

    /** File names tried first in a directory, in order of preference. */
    private static final List<String> PREFERRED = List.of("model.safetensors", "pytorch_model.bin");

    private WeightsFile() {
    }

    /**
     * Reads every tensor of a weights file, in file order.
     *
     * <p>A file starting with a zip header, or with a pickle as the legacy torch.save format does, is read by
     * {@link TorchPickle}; a file starting with a plausible safetensors header by {@link SafeTensors}, whose
     * tensors stay memory-mapped (the mapping lives until the tensors are garbage-collected; the file itself is
     * closed before returning). A directory stands for {@code model.safetensors}, else {@code pytorch_model.bin},
     * else its only {@code *.safetensors} or {@code *.bin} file.
     *
     * @throws TitokException naming the file when it is of neither format or cannot be read, or naming the
     *                        directory and what it holds when no single weights file can be chosen
     */
    public static Map<String, HostTensor> load(Path path) {
        Path file = Files.isDirectory(path) ? choose(path) : path;
        byte[] head = head(file);
        if (FileMagic.isZip(head)) {
            return TorchPickle.read(file);
        }
        if (looksLikeSafetensors(head)) {
            try (SafeTensors safetensors = SafeTensors.open(file)) {
                return safetensors.tensors();
            }
        }
        // checked after safetensors, whose header length could start with the two bytes of a pickle's PROTO
        if (FileMagic.isPickle(head)) {
            return TorchPickle.read(file);
        }
        throw new TitokException(file + " is neither a safetensors file nor a PyTorch checkpoint (first bytes: "
                + (head.length == 0 ? "none, the file is empty" : FileMagic.hex(head)) + ")");
    }

    /**
     * Picks the weights file of a model directory.
     *
     * @throws TitokException listing what the directory holds when there is no single candidate
     */
    public static Path choose(Path directory) {
        for (String name : PREFERRED) {
            Path candidate = directory.resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        List<Path> entries = list(directory);
        List<Path> weights = entries.stream()
                .filter(p -> Files.isRegularFile(p))
                .filter(p -> p.getFileName().toString().endsWith(".safetensors") || p.getFileName().toString().endsWith(".bin"))
                .collect(Collectors.toList());
        if (weights.size() == 1) {
            return weights.get(0);
        }
        throw new TitokException(directory + ": expected model.safetensors, pytorch_model.bin or a single *.safetensors / *.bin "
                + "file, found " + listing(entries));
    }

    private static String listing(List<Path> entries) {
        if (entries.isEmpty()) {
            return "an empty directory";
        }
        String names = entries.stream().map(p -> p.getFileName().toString()).sorted().limit(20)
                .collect(Collectors.joining(", "));
        return entries.size() > 20 ? names + ", ... (" + entries.size() + " entries)" : names;
    }

    /**
     * A safetensors file starts with a sane header length followed by a JSON object. The length is not checked
     * against the file size, so that a truncated file gets SafeTensors' precise message.
     */
    private static boolean looksLikeSafetensors(byte[] head) {
        if (head.length < Long.BYTES + 1) {
            return false;
        }
        long headerLength = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return headerLength > 0 && headerLength <= SafeTensors.MAX_HEADER_BYTES && head[Long.BYTES] == '{';
    }

    private static byte[] head(Path file) {
        try {
            return FileMagic.head(file, 16);
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read: " + describe(e), e);
        }
    }

    private static List<Path> list(Path directory) {
        try (Stream<Path> stream = Files.list(directory)) {
            return stream.collect(Collectors.toList());
        } catch (IOException e) {
            throw new TitokException(directory + ": cannot list: " + describe(e), e);
        }
    }

    private static String describe(IOException e) {
        return e instanceof NoSuchFileException ? "no such file or directory" : String.valueOf(e.getMessage());
    }
}
