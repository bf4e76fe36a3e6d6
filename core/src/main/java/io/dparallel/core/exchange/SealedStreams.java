package io.dparallel.core.exchange;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

/**
 * Encrypted, authenticated framing of one direction of a connection: AES-256-GCM, one frame per write of up to
 * {@link #MAX_PLAIN} bytes ({@code int length, ciphertext with its 16-byte tag}). The key is fresh per connection
 * and direction (derived from the run's secret and the driver's challenge, see {@link Handshake}) and the GCM
 * nonce is the frame counter, so a frame cannot be altered, replayed, reordered, dropped mid-stream or moved to
 * another connection without the reader failing.
 *
 * <p>Why not TLS: the JDK's {@code SSLSocket} needs a certificate, and the JDK has no API to create one (the
 * keytool classes are internal); a pre-shared-key cipher suite is not in the JDK either. Both ends already
 * share a secret, so an AEAD channel keyed from it gives the same confidentiality and integrity without a PKI.
 */
final class SealedStreams {

    /** Largest plaintext per frame: one chunk of floats. */
    static final int MAX_PLAIN = 4 * WireFormat.CHUNK_FLOATS;
    private static final int TAG_BYTES = 16;
    private static final String CIPHER = "AES/GCM/NoPadding";

    private SealedStreams() {
    }

    static OutputStream output(OutputStream raw, byte[] key) {
        return new SealedOutput(raw, key);
    }

    static InputStream input(InputStream raw, byte[] key) {
        return new SealedInput(raw, key);
    }

    private static Cipher cipher(int mode, byte[] key, long counter) throws IOException {
        try {
            Cipher cipher = Cipher.getInstance(CIPHER);
            byte[] nonce = ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
            cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(8 * TAG_BYTES, nonce));
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new IOException("Cannot set up " + CIPHER + ": " + e, e);
        }
    }

    private static final class SealedOutput extends FilterOutputStream {
        private final byte[] key;
        private long counter;

        SealedOutput(OutputStream raw, byte[] key) {
            super(raw);
            this.key = key;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int from = off; from < off + len; from += MAX_PLAIN) {
                int n = Math.min(MAX_PLAIN, off + len - from);
                byte[] sealed;
                try {
                    sealed = cipher(Cipher.ENCRYPT_MODE, key, counter++).doFinal(b, from, n);
                } catch (GeneralSecurityException e) {
                    throw new IOException("Encrypting a frame failed: " + e, e);
                }
                out.write(ByteBuffer.allocate(4).putInt(sealed.length).array());
                out.write(sealed);
            }
        }
    }

    private static final class SealedInput extends InputStream {
        private final DataInputStream raw;
        private final byte[] key;
        private long counter;
        private byte[] plain = new byte[0];
        private int position;

        SealedInput(InputStream raw, byte[] key) {
            // Buffered below us, so that available() can tell whether a whole frame has arrived.
            this.raw = new DataInputStream(raw.markSupported() ? raw : new java.io.BufferedInputStream(raw));
            this.key = key;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (position == plain.length && !nextFrame(true)) {
                return -1;
            }
            int n = Math.min(len, plain.length - position);
            System.arraycopy(plain, position, b, off, n);
            position += n;
            return n;
        }

        /** The plaintext that can be read without blocking: decrypts a frame that has fully arrived. */
        @Override
        public int available() throws IOException {
            if (position == plain.length && raw.available() >= 4) {
                raw.mark(4);
                int length = raw.readInt();
                boolean whole = raw.available() >= length;
                raw.reset();
                if (whole) {
                    nextFrame(false);
                }
            }
            return plain.length - position;
        }

        private boolean nextFrame(boolean mayEnd) throws IOException {
            int length;
            try {
                length = raw.readInt();
            } catch (EOFException e) {
                if (mayEnd) {
                    return false;
                }
                throw e;
            }
            if (length < TAG_BYTES || length > MAX_PLAIN + TAG_BYTES) {
                throw new IOException("An encrypted frame claims " + length + " bytes; frames hold "
                        + TAG_BYTES + " to " + (MAX_PLAIN + TAG_BYTES));
            }
            byte[] sealed = new byte[length];
            raw.readFully(sealed);
            try {
                plain = cipher(Cipher.DECRYPT_MODE, key, counter++).doFinal(sealed);
            } catch (AEADBadTagException e) {
                throw new IOException("An encrypted frame failed its integrity check: it was altered, replayed or"
                        + " not sealed with this run's key", e);
            } catch (GeneralSecurityException e) {
                throw new IOException("Decrypting a frame failed: " + e, e);
            }
            position = 0;
            return true;
        }
    }
}
