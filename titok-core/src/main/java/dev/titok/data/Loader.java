package dev.titok.data;

import dev.titok.TitokException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Batches of a {@link Dataset}, epoch after epoch, decoded ahead of time on background threads.
 *
 * <p>Deterministic: the order of epoch {@code e} is a shuffle keyed by (seed, e) (see {@link #order}), and example
 * {@code i} of that epoch is transformed with a generator keyed by (seed, e, i). The batches therefore depend only on
 * the seed and the options, never on the number of threads or their timing, and a loader started at a saved
 * {@link #position()} continues exactly as the original would have.
 *
 * <p>Up to {@code prefetch} batches are in preparation while the caller works; each is split into one slice per
 * thread. A failure inside {@link Dataset#get} (an unreadable image) is thrown from {@link #next()} as the original
 * exception; that batch is skipped, so the caller may go on with the next one or stop. Not thread-safe: one consumer.
 * {@link #close()} stops the threads (they are daemon threads, so a forgotten loader does not keep the JVM alive).
 */
public final class Loader implements Iterator<Loader.Batch>, AutoCloseable {

    /**
     * Where a loader stands: batch {@code batch} (from 0) of epoch {@code epoch} (from 0).
     */
    public record Position(int epoch, int batch) {

        /** The start of training. */
        public static final Position START = new Position(0, 0);

        public Position {
            if (epoch < 0 || batch < 0) {
                throw new IllegalArgumentException("position must not be negative, got epoch " + epoch + ", batch " + batch);
            }
        }
    }

    /**
     * One batch.
     *
     * @param position  where it comes in the sequence of batches
     * @param indices   the dataset index of each example
     * @param pixels    the images, (B, 3, S, S) in CHW order, values in [0, 1]
     * @param labels    the class of each example, {@link Example#UNLABELED} where there is none
     * @param imageSize S
     */
    public record Batch(Position position, int[] indices, float[] pixels, int[] labels, int imageSize) {

        /** The number of examples B (the batch size, or fewer in the last batch of an epoch without drop-last). */
        public int size() {
            return indices.length;
        }
    }

    /** The options of a loader; every one has a default except the dataset and the batch size. */
    public static final class Builder {
        private final Dataset dataset;
        private final int batchSize;
        private long seed = 42;
        private boolean shuffle = true;
        private boolean dropLast = true;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int prefetch = 4;
        private Position start = Position.START;
        private int epochs = Integer.MAX_VALUE;

        private Builder(Dataset dataset, int batchSize) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
            }
            this.batchSize = batchSize;
        }

        /** The seed of the shuffles and augmentations (default 42, the official seed). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Whether each epoch visits the examples in a fresh random order (default true) or in index order. */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Whether an incomplete last batch of an epoch is dropped (default true, as in the official training). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** The number of background threads (default: the available processors). */
        public Builder threads(int threads) {
            if (threads <= 0) {
                throw new IllegalArgumentException("threads must be positive, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** How many batches are prepared ahead of the caller (default 4). */
        public Builder prefetch(int prefetch) {
            if (prefetch <= 0) {
                throw new IllegalArgumentException("prefetch must be positive, got " + prefetch);
            }
            this.prefetch = prefetch;
            return this;
        }

        /** Where to begin: a {@link Loader#position()} saved earlier, to resume (default: epoch 0, batch 0). */
        public Builder startAt(Position position) {
            this.start = Objects.requireNonNull(position, "position");
            return this;
        }

        /** Stop after this many epochs, counted from epoch 0 (default: never stop). */
        public Builder epochs(int epochs) {
            if (epochs <= 0) {
                throw new IllegalArgumentException("epochs must be positive, got " + epochs);
            }
            this.epochs = epochs;
            return this;
        }

        /**
         * Starts the threads and the first batches.
         *
         * @throws TitokException when the dataset is too small for one batch with drop-last
         * @throws IllegalArgumentException when the start position lies beyond the end of its epoch
         */
        public Loader build() {
            return new Loader(this);
        }
    }

    /** The key part that separates the shuffle generator of an epoch from the augmentation generators (indices ≥ 0). */
    private static final long SHUFFLE_KEY = -1;

    /** A batch being prepared: its slices write into {@code pixels} and {@code labels} in disjoint ranges. */
    private record Pending(Batch batch, List<Future<?>> slices) {
    }

    private final Dataset dataset;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final int epochs;
    private final int threads;
    private final int prefetch;
    private final int batchesPerEpoch;
    private final ExecutorService workers;
    private final Deque<Pending> pending = new ArrayDeque<>();
    private Position next;
    private Position scheduled;
    private int orderEpoch = -1;
    private int[] order;
    private boolean closed;

    private Loader(Builder options) {
        this.dataset = options.dataset;
        this.batchSize = options.batchSize;
        this.seed = options.seed;
        this.shuffle = options.shuffle;
        this.epochs = options.epochs;
        this.threads = options.threads;
        this.prefetch = options.prefetch;
        int n = dataset.size();
        this.batchesPerEpoch = options.dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        if (batchesPerEpoch == 0) {
            throw new TitokException(dataset + " holds " + n + " examples: expected at least one batch of "
                    + batchSize + " (the incomplete last batch is dropped)");
        }
        if (options.start.batch() >= batchesPerEpoch) {
            throw new IllegalArgumentException("start position " + options.start + " is past the end of the epoch: "
                    + batchesPerEpoch + " batches of " + batchSize + " per epoch");
        }
        this.next = options.start;
        this.scheduled = options.start;
        this.workers = Executors.newFixedThreadPool(threads, daemonThreads());
        fill();
    }

    /** Options for loading {@code dataset} in batches of {@code batchSize}. */
    public static Builder builder(Dataset dataset, int batchSize) {
        return new Builder(dataset, batchSize);
    }

    /**
     * The order in which a shuffling loader with this seed visits {@code size} examples in epoch {@code epoch}: a
     * Fisher-Yates shuffle driven by SplitMix64 keyed by (seed, epoch), the same on every machine. Public so that
     * other batchers (pretokenized tokens) shuffle the same way.
     */
    public static int[] order(long seed, int epoch, int size) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        SplitMix64 random = SplitMix64.keyed(seed, epoch, SHUFFLE_KEY);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** The number of batches in each epoch. */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** The position of the batch that {@link #next()} returns next; save it to resume there later. */
    public Position position() {
        return next;
    }

    /** False after the last batch of the last epoch (never, unless {@link Builder#epochs} was set). */
    @Override
    public boolean hasNext() {
        return next.epoch() < epochs;
    }

    /**
     * The next batch, waiting for it if it is not ready yet.
     *
     * @throws TitokException (or another runtime exception) as thrown by {@link Dataset#get} for an example of
     *                        this batch; the batch is skipped and the position moves past it
     * @throws NoSuchElementException after the last epoch
     * @throws IllegalStateException after {@link #close()}
     * @throws CancellationException when the calling thread is interrupted while waiting
     */
    @Override
    public Batch next() {
        if (closed) {
            throw new IllegalStateException("the loader is closed");
        }
        if (!hasNext()) {
            throw new NoSuchElementException("no batch after the last of " + epochs + " epochs");
        }
        Pending head = pending.poll();
        next = following(next);
        fill();
        for (Future<?> slice : head.slices()) {
            try {
                slice.get();
            } catch (ExecutionException e) {
                head.slices().forEach(other -> other.cancel(false));
                throw rethrow(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                CancellationException cancelled = new CancellationException("interrupted while waiting for a batch");
                cancelled.initCause(e);
                throw cancelled;
            }
        }
        return head.batch();
    }

    /** Stops the threads and drops the prepared batches. Further calls to {@link #next()} fail. */
    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        pending.clear();
    }

    /** Schedules batches until {@code prefetch} are in preparation or the last epoch is scheduled. */
    private void fill() {
        while (pending.size() < prefetch && scheduled.epoch() < epochs) {
            pending.add(schedule(scheduled));
            scheduled = following(scheduled);
        }
    }

    private Pending schedule(Position position) {
        if (orderEpoch != position.epoch()) {
            order = shuffle ? order(seed, position.epoch(), dataset.size()) : null;
            orderEpoch = position.epoch();
        }
        int from = position.batch() * batchSize;
        int count = Math.min(batchSize, dataset.size() - from);
        int[] indices = new int[count];
        for (int i = 0; i < count; i++) {
            indices[i] = order == null ? from + i : order[from + i];
        }
        int imageFloats = 3 * dataset.imageSize() * dataset.imageSize();
        Batch batch = new Batch(position, indices, new float[count * imageFloats], new int[count], dataset.imageSize());
        int sliceCount = Math.min(threads, count);
        List<Future<?>> slices = new ArrayList<>(sliceCount);
        for (int s = 0; s < sliceCount; s++) {
            int start = s * count / sliceCount;
            int end = (s + 1) * count / sliceCount;
            slices.add(workers.submit(() -> load(batch, start, end)));
        }
        return new Pending(batch, slices);
    }

    /** Fills examples [start, end) of the batch; runs on a worker thread. */
    private void load(Batch batch, int start, int end) {
        int imageFloats = 3 * batch.imageSize() * batch.imageSize();
        for (int i = start; i < end; i++) {
            int index = batch.indices()[i];
            Example example = dataset.get(index, SplitMix64.keyed(seed, batch.position().epoch(), index));
            if (example.pixels().length != imageFloats) {
                throw new IllegalStateException(dataset + " returned " + example.pixels().length + " floats for example "
                        + index + ", expected 3 x " + batch.imageSize() + " x " + batch.imageSize());
            }
            System.arraycopy(example.pixels(), 0, batch.pixels(), i * imageFloats, imageFloats);
            batch.labels()[i] = example.label();
        }
    }

    private Position following(Position position) {
        return position.batch() + 1 < batchesPerEpoch
                ? new Position(position.epoch(), position.batch() + 1)
                : new Position(position.epoch() + 1, 0);
    }

    /** The worker's own exception, unwrapped, so that the caller sees the TitokException that names the file. */
    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IllegalStateException("loading a batch failed: " + cause, cause);
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger counter = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "titok-loader-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
