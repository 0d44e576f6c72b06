package io.strata.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/** Runs one job per item on virtual threads, at most {@code concurrency} at once; the first failure cancels the rest. */
final class Parallel {
    private Parallel() {}

    interface Job<T> {
        void run(T item) throws IOException;
    }

    static <T> void forEach(List<T> items, int concurrency, Job<T> job) throws IOException {
        Semaphore slots = new Semaphore(concurrency);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> running = new ArrayList<>();
            for (T item : items) {
                running.add(pool.submit(() -> {
                    slots.acquire();
                    try {
                        job.run(item);
                    } finally {
                        slots.release();
                    }
                    return null;
                }));
            }
            for (Future<Void> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    running.forEach(r -> r.cancel(true));
                    if (e.getCause() instanceof IOException io) throw io;
                    throw new IOException(e.getCause());
                } catch (InterruptedException e) {
                    running.forEach(r -> r.cancel(true)); // each job unwinds as on a failure; the pool's close waits for them
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }
}
