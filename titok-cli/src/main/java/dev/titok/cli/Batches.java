package dev.titok.cli;

import dev.titok.TitokException;
import java.util.ArrayList;
import java.util.List;

/** Splits work into consecutive batches. */
final class Batches {

    private Batches() {}

    static <T> List<List<T>> of(List<T> items, int size) {
        List<List<T>> batches = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            batches.add(items.subList(i, Math.min(items.size(), i + size)));
        }
        return batches;
    }

    static int checkSize(int batchSize) {
        if (batchSize < 1) {
            throw new TitokException("--batch-size must be at least 1, got " + batchSize);
        }
        return batchSize;
    }
}
