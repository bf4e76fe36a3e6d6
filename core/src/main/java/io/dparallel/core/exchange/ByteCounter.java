package io.dparallel.core.exchange;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes that cross one socket in each direction, as they reach or leave the socket (below any
 * buffering and encryption), so that the driver's traffic in the report is what its network card moves.
 * Sender threads write while the driver thread reads the counts, hence the atomics.
 */
final class ByteCounter {

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    /** Bytes written to the socket so far. */
    long sent() {
        return sent.get();
    }

    /** Bytes read from the socket so far. */
    long received() {
        return received.get();
    }

    /** {@code raw} (a socket's input), counting what is read from it. */
    InputStream input(InputStream raw) {
        return new FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    received.incrementAndGet();
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    received.addAndGet(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long skipped = super.skip(n);
                received.addAndGet(skipped);
                return skipped;
            }
        };
    }

    /** {@code raw} (a socket's output), counting what is written to it. */
    OutputStream output(OutputStream raw) {
        return new FilterOutputStream(raw) {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                sent.incrementAndGet();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                sent.addAndGet(len);
            }
        };
    }
}
