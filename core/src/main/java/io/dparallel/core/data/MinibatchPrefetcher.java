package io.dparallel.core.data;

import io.dparallel.core.replica.OffHeapMemory;
import org.nd4j.linalg.dataset.DataSet;

import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

/**
 * A worker's minibatches read ahead by a background thread: it assembles at most {@code depth} minibatches on the
 * heap ahead of the trainer ({@link MinibatchAssembler}), while the trainer's thread turns each into ND4J arrays
 * when it takes it ({@link #next()}), on its own bound device. So the data path holds at most
 * {@code depth + 1} minibatches of heap buffers and one minibatch of device arrays at a time, whatever the data
 * size.
 *
 * <p>Lifecycle: optionally {@link #open} the reader early (it runs its setup, e.g. opening the stream, while the
 * caller still waits to learn where to start) and {@link #awaitOpened} its setup, {@link #start} it, take
 * minibatches in order ({@link #next}, {@link #skipTo}), then {@link #close()} (also on failure): it stops the
 * reader and lets it end. A failure of the reader (a corrupt record, a lost shuffle block) is rethrown by the next
 * {@link #next()} on the trainer's thread, and a failure of its setup also by {@link #awaitOpened}. Not
 * thread-safe: one consumer.
 */
public final class MinibatchPrefetcher implements AutoCloseable {

    /** Minibatches the reader keeps ready by default. */
    public static final int DEFAULT_DEPTH = 2;

    private static final Object END = new Object();

    private final MinibatchAssembler assembler;
    private final BlockingQueue<Object> ready;
    private final Thread reader;
    private final int minibatches;
    /** Released by {@link #start}: the reader knows {@link #skipUntil} then. */
    private final CountDownLatch started = new CountDownLatch(1);
    /** Released when the reader's setup returned or threw. */
    private final CountDownLatch setUp = new CountDownLatch(1);
    private volatile Throwable setupFailure;
    private int taken;
    private long peakOffHeapBytes;
    private volatile int skipUntil;

    /**
     * @param assembler   the worker's stream of minibatches
     * @param minibatches minibatches the stream holds (as the assembler was told)
     * @param depth       minibatches assembled ahead at most, >= 1
     * @param readerSetup run first on the reader thread (e.g. to give it the task's context)
     * @param name        the reader thread's name
     */
    public MinibatchPrefetcher(MinibatchAssembler assembler, int minibatches, int depth, Runnable readerSetup,
                               String name) {
        if (depth < 1) {
            throw new IllegalArgumentException("prefetch depth is " + depth + " but must be >= 1");
        }
        this.assembler = assembler;
        this.minibatches = minibatches;
        this.ready = new ArrayBlockingQueue<>(depth);
        this.reader = new Thread(() -> read(readerSetup), name);
        this.reader.setDaemon(true);
    }

    /**
     * Starts the reader thread now: it runs its setup, then waits for {@link #start}. Calling it is optional;
     * {@link #start} opens the reader when it was not opened.
     */
    public MinibatchPrefetcher open() {
        if (reader.getState() == Thread.State.NEW) {
            reader.start();
        }
        return this;
    }

    /**
     * Opens the reader if needed and waits until its setup ran, rethrowing the setup's failure (a
     * {@link RuntimeException} as it is, anything else wrapped in an {@link IllegalStateException}).
     */
    public MinibatchPrefetcher awaitOpened() throws InterruptedException {
        open();
        setUp.await();
        if (setupFailure != null) {
            throw unchecked(setupFailure);
        }
        return this;
    }

    /** Lets the reader read from minibatch {@code first} on (the earlier ones are read past, not built). */
    public MinibatchPrefetcher start(int first) {
        if (first < 0 || first > minibatches) {
            throw new IllegalArgumentException("first minibatch is " + first + " but must be in [0, " + minibatches + "]");
        }
        if (isStarted()) {
            throw new IllegalStateException("The reader was already started");
        }
        skipUntil = first;
        taken = first;
        started.countDown();
        return open();
    }

    /** Whether {@link #start} was called. */
    public boolean isStarted() {
        return started.getCount() == 0;
    }

    /** Index of the minibatch the next {@link #next()} returns. */
    public int position() {
        return taken;
    }

    /** Whether a minibatch is left. */
    public boolean hasNext() {
        return taken < minibatches;
    }

    /**
     * Discards minibatches until {@link #position()} is {@code minibatch}.
     *
     * @throws IllegalStateException when {@code minibatch} was already passed: the stream only goes forward
     */
    public void skipTo(int minibatch) throws InterruptedException {
        if (minibatch < taken) {
            throw new IllegalStateException("Minibatch " + minibatch + " was asked for but the stream is at " + taken
                    + " and reads forward only");
        }
        while (taken < minibatch) {
            take();
        }
    }

    /** The next minibatch as ND4J arrays, created on the calling thread. */
    public DataSet next() throws InterruptedException {
        DataSet minibatch = take().toDataSet();
        peakOffHeapBytes = Math.max(peakOffHeapBytes, OffHeapMemory.residentOutsideHeap());
        return minibatch;
    }

    /**
     * The most memory this JVM held outside its heap ({@link OffHeapMemory#residentOutsideHeap()}, all workers of
     * the executor together) when a minibatch was created: the models, their updaters, the minibatches then alive
     * and the JVM's own native memory.
     */
    public long peakOffHeapBytes() {
        return peakOffHeapBytes;
    }

    private HostMinibatch take() throws InterruptedException {
        if (!hasNext()) {
            throw new NoSuchElementException("All " + minibatches + " minibatches were taken");
        }
        Object item = ready.take();
        if (item instanceof Throwable failure) {
            ready.put(failure);
            throw unchecked(failure);
        }
        if (item == END) {
            ready.put(END);
            throw new IllegalStateException("The example stream ended after " + taken + " of " + minibatches
                    + " minibatches");
        }
        taken++;
        return (HostMinibatch) item;
    }

    /** A reader's failure as thrown on the trainer's thread. */
    private static RuntimeException unchecked(Throwable failure) {
        return failure instanceof RuntimeException e ? e : new IllegalStateException(
                "Reading the worker's examples failed: " + failure, failure);
    }

    private void read(Runnable setup) {
        try {
            try {
                setup.run();
            } catch (Throwable failure) {
                setupFailure = failure;
                throw failure;
            } finally {
                setUp.countDown();
            }
            started.await();
            for (int m = 0; m < minibatches; m++) {
                if (m < skipUntil) {
                    assembler.skip();
                    continue;
                }
                ready.put(assembler.next());
            }
            ready.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable failure) {
            ready.clear();
            ready.offer(failure);
        }
    }

    /** Stops the reader (it may be blocked on a full queue or a read) and waits briefly for it to end. */
    @Override
    public void close() {
        reader.interrupt();
        ready.clear();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
