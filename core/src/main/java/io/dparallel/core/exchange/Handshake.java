package io.dparallel.core.exchange;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * How a connection proves it belongs to the run, without the secret ever crossing the wire:
 *
 * <pre>
 * driver -> worker  CHALLENGE  magic, version, encrypt, nonce (32 fresh random bytes per connection)
 * worker -> driver  HELLO      magic, version, worker, stage, attempt, HMAC(secret, "hello" nonce worker stage attempt encrypt)
 * driver -> worker  WELCOME    HMAC(secret, "welcome" nonce hello-mac)   (the worker knows it reached the real driver)
 * </pre>
 *
 * A recorded handshake replayed on a new connection fails, as the new connection gets a new nonce. When the
 * secret asks for encryption, both directions then switch to {@link SealedStreams} with keys derived from the
 * secret and the nonce.
 */
final class Handshake {

    static final int NONCE_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] HELLO = bytes("hello");
    private static final byte[] WELCOME = bytes("welcome");
    private static final byte[] TO_WORKER = bytes("driver-to-worker");
    private static final byte[] TO_DRIVER = bytes("worker-to-driver");

    /** An authenticated worker: who it says it is (proved by the MAC) and the streams to talk to it. */
    record Hello(int worker, TaskAttempt attempt, DataInputStream in, DataOutputStream out) {
    }

    /** Thrown for a peer that is not a worker of this run. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    private Handshake() {
    }

    /** The driver's side: challenge, check the answer, welcome. */
    static Hello accept(DataInputStream in, DataOutputStream out, ExchangeSecret secret, int workers)
            throws IOException {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        out.writeInt(WireFormat.MAGIC);
        out.writeInt(WireFormat.VERSION);
        out.writeBoolean(secret.encrypt());
        out.write(nonce);
        out.flush();
        if (in.readInt() != WireFormat.MAGIC || in.readInt() != WireFormat.VERSION) {
            throw new Refused("it does not speak this version of the dparallel exchange");
        }
        int worker = in.readInt();
        int stage = in.readInt();
        int attempt = in.readInt();
        byte[] answer = new byte[32];
        in.readFully(answer);
        byte[] expected = secret.mac(HELLO, nonce, ints(worker, stage, attempt, secret.encrypt() ? 1 : 0));
        if (!MessageDigest.isEqual(expected, answer)) {
            throw new Refused("its answer to the challenge is not made with this run's secret");
        }
        if (worker < 0 || worker >= workers) {
            throw new Refused("it claims worker " + worker + " of " + workers);
        }
        out.write(secret.mac(WELCOME, nonce, answer));
        out.flush();
        return sealed(new Hello(worker, new TaskAttempt(stage, attempt), in, out), secret, nonce, false);
    }

    /** The worker's side: answer the challenge and check that the driver knows the secret too. */
    static Hello offer(DataInputStream in, DataOutputStream out, ExchangeSecret secret, int worker,
                       TaskAttempt attempt) throws IOException {
        if (in.readInt() != WireFormat.MAGIC || in.readInt() != WireFormat.VERSION) {
            throw new Refused("The peer at the driver's averaging port does not speak this version of the exchange");
        }
        boolean encrypt = in.readBoolean();
        if (encrypt != secret.encrypt()) {
            throw new Refused("The driver " + (encrypt ? "encrypts" : "does not encrypt") + " the exchange but this"
                    + " worker was told otherwise: driver and executors disagree on spark.dparallel.exchange.encrypt");
        }
        byte[] nonce = new byte[NONCE_BYTES];
        in.readFully(nonce);
        byte[] answer = secret.mac(HELLO, nonce, ints(worker, attempt.stage(), attempt.attempt(), encrypt ? 1 : 0));
        out.writeInt(WireFormat.MAGIC);
        out.writeInt(WireFormat.VERSION);
        out.writeInt(worker);
        out.writeInt(attempt.stage());
        out.writeInt(attempt.attempt());
        out.write(answer);
        out.flush();
        byte[] welcome = new byte[32];
        in.readFully(welcome);
        if (!MessageDigest.isEqual(secret.mac(WELCOME, nonce, answer), welcome)) {
            throw new Refused("The peer at the driver's averaging port does not hold this run's secret");
        }
        return sealed(new Hello(worker, attempt, in, out), secret, nonce, true);
    }

    /** Switches both directions to encrypted frames when the secret asks for it. */
    private static Hello sealed(Hello hello, ExchangeSecret secret, byte[] nonce, boolean workerSide) {
        if (!secret.encrypt()) {
            return hello;
        }
        byte[] toWorker = secret.mac(TO_WORKER, nonce);
        byte[] toDriver = secret.mac(TO_DRIVER, nonce);
        InputStream in = SealedStreams.input(hello.in(), workerSide ? toWorker : toDriver);
        OutputStream out = SealedStreams.output(hello.out(), workerSide ? toDriver : toWorker);
        return new Hello(hello.worker(), hello.attempt(), WireFormat.input(in), WireFormat.output(out));
    }

    private static byte[] ints(int... values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length);
        for (int value : values) {
            buffer.putInt(value);
        }
        return buffer.array();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
