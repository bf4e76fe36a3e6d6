package io.dparallel.core.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The background reader: order, its bound on read-ahead, skipping, and failures reaching the trainer. */
class MinibatchPrefetcherTest {

    /** Records whose single feature is their index, counting how many were read. */
    private static Iterator<byte[]> counted(int n, AtomicInteger read) {
        return new Iterator<>() {
            int next;

            @Override
            public boolean hasNext() {
                return next < n;
            }

            @Override
            public byte[] next() {
                read.incrementAndGet();
                float value = next++;
                return ExampleCodec.encode(new float[] {value}, 0, new int[] {1}, new float[] {-value}, 0,
                        new int[] {1}, null, null);
            }
        };
    }

    @Test
    void deliversMinibatchesInOrderAndReadsAtMostDepthAhead() throws Exception {
        AtomicInteger read = new AtomicInteger();
        AtomicInteger setups = new AtomicInteger();
        try (MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(new MinibatchAssembler(counted(40, read), 4, 10),
                10, 2, setups::incrementAndGet, "test-reader").start(0)) {
            DataSet first = prefetcher.next();
            assertThat(first.getFeatures().data().asFloat()).containsExactly(0, 1, 2, 3);
            assertThat(first.getLabels().data().asFloat()).containsExactly(-0f, -1, -2, -3);
            Thread.sleep(300);
            // Taken 1; 2 ready in the queue; 1 more being assembled (blocked on put): at most 4 minibatches read.
            assertThat(read.get()).isLessThanOrEqualTo(4 * 4);
            for (int m = 1; m < 10; m++) {
                assertThat(prefetcher.next().getFeatures().getFloat(0)).isEqualTo(4f * m);
            }
            assertThat(prefetcher.hasNext()).isFalse();
            assertThat(setups.get()).isEqualTo(1);
        }
    }

    @Test
    void startsLaterAndSkipsForwardOnly() throws Exception {
        try (MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(
                new MinibatchAssembler(counted(40, new AtomicInteger()), 4, 10), 10, 1, () -> { }, "r").start(3)) {
            assertThat(prefetcher.position()).isEqualTo(3);
            prefetcher.skipTo(5);
            assertThat(prefetcher.next().getFeatures().getFloat(0)).isEqualTo(20f);
            assertThatThrownBy(() -> prefetcher.skipTo(2))
                    .hasMessage("Minibatch 2 was asked for but the stream is at 6 and reads forward only");
        }
    }

    @Test
    void anOpenedReaderRunsItsSetupButReadsNothingUntilStarted() throws Exception {
        AtomicInteger read = new AtomicInteger();
        CountDownLatch setUp = new CountDownLatch(1);
        try (MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(new MinibatchAssembler(counted(40, read), 4, 10),
                10, 2, setUp::countDown, "r").open()) {
            assertThat(setUp.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);
            assertThat(read.get()).as("records read before start").isZero();
            assertThat(prefetcher.isStarted()).isFalse();
            prefetcher.start(2);
            assertThat(prefetcher.next().getFeatures().getFloat(0)).isEqualTo(8f);
            assertThatThrownBy(() -> prefetcher.start(0)).hasMessage("The reader was already started");
        }
    }

    @Test
    void awaitOpenedWaitsForTheSetupAndRethrowsItsFailure() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger setUps = new AtomicInteger();
        Runnable slowSetup = () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            setUps.incrementAndGet();
        };
        try (MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(
                new MinibatchAssembler(counted(40, new AtomicInteger()), 4, 10), 10, 2, slowSetup, "r")) {
            FutureTask<MinibatchPrefetcher> waiting = new FutureTask<>(prefetcher::awaitOpened);
            new Thread(waiting).start();
            Thread.sleep(300);
            assertThat(waiting.isDone()).as("returned before the setup ran").isFalse();
            release.countDown();
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isSameAs(prefetcher);
            assertThat(setUps.get()).isEqualTo(1);
            assertThat(prefetcher.start(0).next().getFeatures().getFloat(0)).isEqualTo(0f);
        }
        Runnable failingSetup = () -> {
            throw new IllegalArgumentException("no such block");
        };
        try (MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(
                new MinibatchAssembler(counted(40, new AtomicInteger()), 4, 10), 10, 2, failingSetup, "r")) {
            assertThatThrownBy(prefetcher::awaitOpened).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("no such block");
            assertThatThrownBy(() -> prefetcher.start(0).next()).hasMessage("no such block");
        }
    }

    @Test
    void aReaderFailureIsThrownOnTheTrainersThread() throws Exception {
        Iterator<byte[]> failing = List.<byte[]>of(new byte[] {9}).iterator();
        try (MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(new MinibatchAssembler(failing, 1, 1), 1, 2,
                () -> { }, "r").start(0)) {
            assertThatThrownBy(prefetcher::next).hasMessageContaining("version 9");
        }
    }

    @Test
    void closeStopsAReaderBlockedOnAFullQueue() throws Exception {
        MinibatchPrefetcher prefetcher = new MinibatchPrefetcher(
                new MinibatchAssembler(counted(400, new AtomicInteger()), 4, 100), 100, 1, () -> { }, "r").start(0);
        prefetcher.next();
        long started = System.nanoTime();
        prefetcher.close();
        assertThat((System.nanoTime() - started) / 1e6).isLessThan(5000);
    }
}
