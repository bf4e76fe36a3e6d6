package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.replica.WorkerRoundResult;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A worker's end of the parameter exchange: connects to the driver's {@link AveragingServer}, authenticates,
 * then trains every round the driver assigns until the driver ends the epoch. While it trains, a side thread
 * sends the driver a heartbeat with the minibatches fitted so far every {@code heartbeatMillis}, so a long round
 * is not taken for a stuck worker and a stuck one is. Every read and write has a deadline, and the socket is
 * closed as soon as {@code cancelled} says the task was cancelled, which wakes a thread blocked on it.
 */
public final class AveragingClient {

    /** Trains one round from the given start state. */
    @FunctionalInterface
    public interface RoundWork {
        /**
         * @param assignment    what to train
         * @param start         the state to start from; its arrays are reused for the next round, so do not keep them
         * @param minibatchDone to call after each minibatch fitted: the progress the heartbeats report
         */
        WorkerRoundResult train(RoundAssignment assignment, ModelState start, Runnable minibatchDone) throws Exception;
    }

    /**
     * Where and how to reach the driver.
     *
     * @param host     the driver's host
     * @param port     the driver's exchange port
     * @param secret   the run's secret
     * @param timeouts the deadlines
     */
    public record Driver(String host, int port, ExchangeSecret secret, ExchangeTimeouts timeouts) implements Serializable {
    }

    private AveragingClient() {
    }

    /**
     * Serves rounds until the driver ends the epoch.
     *
     * @param driver    the driver to connect to
     * @param worker    this worker's index
     * @param attempt   the scheduler's numbering of this task's run (the driver accepts only the one it expects)
     * @param maxFloats the most floats a state may have (this worker's parameters plus updater state)
     * @param cancelled true once the task is cancelled: the connection is then closed
     * @param work      trains one round
     * @return the number of rounds trained
     * @throws Exception from {@code work}, or an IOException when the driver is unreachable, refuses this worker,
     *                   went silent or went away
     */
    public static int serve(Driver driver, int worker, TaskAttempt attempt, long maxFloats, BooleanSupplier cancelled,
                            RoundWork work) throws Exception {
        ExchangeTimeouts timeouts = driver.timeouts();
        try (Socket socket = connect(driver.host(), driver.port(), timeouts)) {
            return serveRounds(socket, driver, worker, attempt, maxFloats, cancelled, work);
        }
    }

    /**
     * Authenticates on {@code socket} (to the driver, or to the host's leader), then trains the rounds that arrive
     * on it until the epoch ends. A driver that groups the workers by host tells a worker instead to lead its host
     * ({@link HostLeader}) or to join its host's leader, whose rounds it then serves.
     */
    private static int serveRounds(Socket socket, Driver driver, int worker, TaskAttempt attempt, long maxFloats,
                                   BooleanSupplier cancelled, RoundWork work) throws Exception {
        ExchangeTimeouts timeouts = driver.timeouts();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeouts.handshakeMillis()));
        Handshake.Hello hello = Handshake.offer(WireFormat.input(socket.getInputStream()),
                WireFormat.output(socket.getOutputStream()), driver.secret(), worker, attempt);
        DataInputStream in = hello.in();
        Heartbeat heartbeat = new Heartbeat(socket, hello.out(), timeouts, cancelled);
        try {
            byte[] scratch = WireFormat.scratch();
            ModelState buffer = new ModelState(new float[0], null);
            int rounds = 0;
            while (true) {
                socket.setSoTimeout((int) timeouts.driverSilenceMillis());
                byte type = in.readByte();
                socket.setSoTimeout((int) timeouts.ioMillis());
                if (type == WireFormat.END) {
                    return rounds;
                }
                if (type == WireFormat.LEAD && rounds == 0) {
                    return HostLeader.lead(socket, in, heartbeat, driver, worker, maxFloats, cancelled, work);
                }
                if (type == WireFormat.JOIN && rounds == 0) {
                    int port = in.readInt();
                    try (Socket leader = connect(InetAddress.getLoopbackAddress().getHostAddress(), port, timeouts)) {
                        return serveRounds(leader, driver, worker, attempt, maxFloats, cancelled, work);
                    }
                }
                if (type != WireFormat.ROUND) {
                    throw new IOException("Unexpected message type " + type + " from the driver");
                }
                RoundAssignment assignment = WireFormat.readAssignment(in);
                buffer = WireFormat.readState(in, buffer, maxFloats, scratch);
                heartbeat.roundStarted();
                WorkerRoundResult result = work.train(assignment, buffer, heartbeat.progress::incrementAndGet);
                ModelState state = result.state();
                heartbeat.sendResult(out -> {
                    WireFormat.writeReport(out, result.report());
                    WireFormat.writeState(out, state, scratch);
                });
                rounds++;
            }
        } finally {
            heartbeat.stop();
        }
    }

    static Socket connect(String host, int port, ExchangeTimeouts timeouts)
            throws IOException, InterruptedException {
        IOException last = null;
        // The driver listens before it submits the job, so a refusal is rare and brief (e.g. a slow DNS).
        for (int attempt = 0; attempt < 5; attempt++) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeouts.handshakeMillis()));
                return socket;
            } catch (ConnectException e) {
                socket.close();
                last = e;
                Thread.sleep(200L << attempt);
            }
        }
        throw new IOException("Could not reach the driver's averaging port " + host + ":" + port, last);
    }

    /**
     * The side threads of a connection: one sends heartbeats while a round trains, one watches that no write
     * takes longer than the I/O deadline and that the task was not cancelled, and closes the socket otherwise
     * (nothing else releases a blocked socket write). Every write goes through {@link #send}, one at a time.
     */
    static final class Heartbeat {
        @FunctionalInterface
        interface Message {
            void write(DataOutputStream out) throws IOException;
        }

        final AtomicInteger progress = new AtomicInteger();
        /** What follows each heartbeat: nothing, or a host leader's news of its members ({@link HostLeader}). */
        volatile Message memberBeats = stream -> { };
        private final Socket socket;
        private final DataOutputStream out;
        private final ExchangeTimeouts timeouts;
        private final ScheduledExecutorService threads;
        private volatile boolean training;
        private volatile long writingSince;

        Heartbeat(Socket socket, DataOutputStream out, ExchangeTimeouts timeouts, BooleanSupplier cancelled) {
            this.socket = socket;
            this.out = out;
            this.timeouts = timeouts;
            this.threads = Executors.newScheduledThreadPool(2, runnable -> {
                Thread thread = new Thread(runnable, "dparallel-worker-heartbeat");
                thread.setDaemon(true);
                return thread;
            });
            threads.scheduleWithFixedDelay(this::beat, timeouts.heartbeatMillis(), timeouts.heartbeatMillis(),
                    TimeUnit.MILLISECONDS);
            threads.scheduleWithFixedDelay(() -> {
                long since = writingSince;
                if (cancelled.getAsBoolean()
                        || (since != 0 && System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(timeouts.ioMillis()))) {
                    WorkerConnection.closeQuietly(socket);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
        }

        void roundStarted() {
            progress.set(0);
            training = true;
        }

        private void beat() {
            if (!training) {
                return;
            }
            try {
                send(stream -> {
                    if (training) {
                        WireFormat.writeHeartbeat(stream, progress.get());
                        memberBeats.write(stream);
                    }
                });
            } catch (IOException e) {
                // The main thread sees the broken connection at its next read or write.
                training = false;
            }
        }

        /** Ends the round's heartbeats (none follows the result), then writes the result. */
        void sendResult(Message result) throws IOException {
            training = false;
            send(result);
        }

        /** Writes a message, one writer at a time, under the watch of the I/O deadline. */
        synchronized void send(Message message) throws IOException {
            writingSince = System.nanoTime();
            try {
                message.write(out);
                out.flush();
            } finally {
                writingSince = 0;
            }
        }

        void stop() {
            training = false;
            threads.shutdownNow();
        }
    }
}
