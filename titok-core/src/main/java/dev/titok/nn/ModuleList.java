package dev.titok.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntFunction;

/** Children named {@code 0, 1, …} like {@code nn.ModuleList}, so their parameters get the official indexed keys. */
public final class ModuleList<M extends Module> extends Module {

    private final List<M> items;

    public ModuleList(int count, IntFunction<M> factory) {
        List<M> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(child(Integer.toString(i), factory.apply(i)));
        }
        this.items = Collections.unmodifiableList(list);
    }

    /** The children in index order. */
    public List<M> items() {
        return items;
    }
}
