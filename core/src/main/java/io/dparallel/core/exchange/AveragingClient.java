package io.dparallel.core.exchange;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.replica.WorkerRoundResult;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A worker's end of the parameter exchange: connects to the driver's {@link AveragingServer}, then trains
 * every round the driver assigns until the driver ends the epoch.
 */
public final class AveragingClient {

    /** Trains one round from the given start state. */
    @FunctionalInterface
    public interface RoundWork {
        /**
         * @param assignment what to train
         * @param start      the state to start from; its arrays are reused for the next round, so do not keep them
         */
        WorkerRoundResult train(RoundAssignment assignment, ModelState start) throws Exception;
    }

    private AveragingClient() {
    }

    /**
     * Serves rounds until the driver ends the epoch.
     *
     * @param host    the driver's host
     * @param port    the driver's averaging port
     * @param token   the run's token
     * @param worker  this worker's index
     * @param attempt a number that grows with every retry of this worker's task (newer connections win)
     * @param work    trains one round
     * @return the number of rounds trained
     * @throws Exception from {@code work}, or an IOException when the driver is unreachable or went away
     */
    public static int serve(String host, int port, String token, int worker, int attempt, RoundWork work)
            throws Exception {
        try (Socket socket = connect(host, port)) {
            socket.setTcpNoDelay(true);
            DataInputStream in = WireFormat.input(socket.getInputStream());
            DataOutputStream out = WireFormat.output(socket.getOutputStream());
            byte[] scratch = WireFormat.scratch();
            WireFormat.writeHello(out, token, worker, attempt);
            ModelState buffer = new ModelState(new float[0], null);
            int rounds = 0;
            while (true) {
                byte type = in.readByte();
                if (type == WireFormat.END) {
                    return rounds;
                }
                if (type != WireFormat.ROUND) {
                    throw new IOException("Unexpected message type " + type + " from the driver");
                }
                RoundAssignment assignment = WireFormat.readAssignment(in);
                buffer = WireFormat.readState(in, buffer, scratch);
                WorkerRoundResult result = work.train(assignment, buffer);
                WireFormat.writeReport(out, result.report());
                WireFormat.writeState(out, result.state(), scratch);
                out.flush();
                rounds++;
            }
        }
    }

    private static Socket connect(String host, int port) throws IOException, InterruptedException {
        IOException last = null;
        // The driver listens before it submits the job, so a refusal is rare and brief (e.g. a slow DNS).
        for (int attempt = 0; attempt < 5; attempt++) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(host, port), 30_000);
                return socket;
            } catch (ConnectException e) {
                socket.close();
                last = e;
                Thread.sleep(200L << attempt);
            }
        }
        throw new IOException("Could not reach the driver's averaging port " + host + ":" + port, last);
    }
}
