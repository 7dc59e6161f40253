package dev.walden.agent.codec;

import java.util.concurrent.LinkedBlockingDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Keeps up to {@code capacity} idle encoders or decoders (each a native context and two direct buffers), so a
 * segment costs no allocation; more are created when more threads work at once, and freed when they come back to a
 * full pool. Memory therefore stays bounded by the number of threads, which the configuration bounds. Last in,
 * first out: the context used most recently still has its tables in the CPU caches.
 */
final class CodecPool<T> {
    private final LinkedBlockingDeque<T> idle;
    private final Supplier<T> create;
    private final Consumer<T> free;

    CodecPool(int capacity, Supplier<T> create, Consumer<T> free) {
        this.idle = new LinkedBlockingDeque<>(capacity);
        this.create = create;
        this.free = free;
    }

    T borrow() {
        T item = idle.pollFirst();
        return item != null ? item : create.get();
    }

    void giveBack(T item) {
        if (!idle.offerFirst(item)) {
            free.accept(item);
        }
    }
}
