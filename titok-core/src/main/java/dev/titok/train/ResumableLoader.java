package dev.titok.train;

import dev.titok.data.Loader;
import java.util.function.Function;

/**
 * A {@link Loader} whose position is the checkpoint's data position: {@link #positionJson()} saves it, {@link #restore}
 * replaces the loader by one that starts where the saved one stood. Shared by the tokenizer jobs.
 */
final class ResumableLoader implements AutoCloseable {

    private final Function<Loader.Position, Loader> factory;
    private Loader loader;

    /** @param factory builds a loader starting at a position; called with {@link Loader.Position#START} first */
    ResumableLoader(Function<Loader.Position, Loader> factory) {
        this.factory = factory;
        this.loader = factory.apply(Loader.Position.START);
    }

    Loader.Batch next() {
        return loader.next();
    }

    String positionJson() {
        return TokenizerJobs.positionJson(loader.position());
    }

    void restore(String json) {
        Loader.Position position = TokenizerJobs.parsePosition(json);
        loader.close();
        loader = factory.apply(position);
    }

    @Override
    public void close() {
        loader.close();
    }
}
