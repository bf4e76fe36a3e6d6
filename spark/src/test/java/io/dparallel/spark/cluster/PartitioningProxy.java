package io.dparallel.spark.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of one port, which can cut the connections it carries without closing them,
 * as a network partition of that port would: {@link #partition()} makes every connection open at that moment stop
 * forwarding in both directions, while both of its sockets stay open (no end-of-stream, no reset reaches either
 * peer, and what they send piles up in the socket buffers). Connections accepted later are forwarded normally,
 * so a partition hits the connections of the moment and not, say, the next epoch's.
 *
 * <p>Plain blocking sockets, two daemon threads per connection. Everything is closed by {@link #close()}.
 */
final class PartitioningProxy implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    /** One proxied connection: the client's socket and the one to the target. */
    private static final class Link {
        final Socket client;
        final Socket target;
        volatile boolean cut;

        Link(Socket client, Socket target) {
            this.client = client;
            this.target = target;
        }
    }

    private final int targetPort;
    private final ServerSocket server;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private final AtomicLong droppedBytes = new AtomicLong();
    private volatile boolean closed;

    /** Listens on a free port of 127.0.0.1 and forwards every connection to {@code 127.0.0.1:targetPort}. */
    PartitioningProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
        daemon("proxy-accept-" + port(), this::acceptLoop).start();
    }

    /** The port clients connect to. */
    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    int connections() {
        return links.size();
    }

    /** Bytes forwarded so far (or being written to their peer), both directions together. */
    long forwardedBytes() {
        return forwardedBytes.get();
    }

    /** Bytes read from a connection after it was cut and never delivered (at most a read in flight when cut). */
    long droppedBytes() {
        return droppedBytes.get();
    }

    /**
     * Cuts every connection open now: nothing more is forwarded on them either way and they stay open until
     * {@link #close()}. A chunk already being written when this is called may still arrive.
     *
     * @return how many connections were cut
     */
    int partition() {
        int cut = 0;
        for (Link link : links) {
            if (!link.cut && !link.client.isClosed()) {
                link.cut = true;
                cut++;
            }
        }
        return cut;
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Link link : links) {
            closeQuietly(link.client);
            closeQuietly(link.target);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                Socket target = new Socket(LOOPBACK, targetPort);
                Link link = new Link(client, target);
                links.add(link);
                daemon("proxy-up-" + client.getPort(), () -> pump(link, client, target)).start();
                daemon("proxy-down-" + client.getPort(), () -> pump(link, target, client)).start();
            } catch (IOException e) {
                // The target refused: the client sees its connection closed, as it would without the proxy.
                closeQuietly(client);
            }
        }
    }

    /** Copies {@code from} to {@code to} until end-of-stream, or until the link is cut (then holds both open). */
    private void pump(Link link, Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (!link.cut) {
                int n = in.read(buffer);
                if (link.cut) {
                    droppedBytes.addAndGet(Math.max(0, n));
                    break;
                }
                if (n < 0) {
                    // A clean end passes through, as without the proxy.
                    to.shutdownOutput();
                    return;
                }
                // Counted before the write: a peer that has read the bytes must also see them counted.
                forwardedBytes.addAndGet(n);
                out.write(buffer, 0, n);
                out.flush();
            }
            // Cut: read no more (the sender's buffers fill up, as across a partition) and close nothing.
            while (!closed) {
                Thread.sleep(100);
            }
        } catch (IOException e) {
            // A peer reset the connection, or close() closed the sockets: unless the link is cut, the other
            // peer learns of it, as it would without the proxy.
            if (!link.cut) {
                closeQuietly(from);
                closeQuietly(to);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // Closing for cleanup: nothing to do.
        }
    }
}
