package io.dparallel.core.exchange;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The key that authenticates (and, when {@link #encrypt()}, encrypts) the connections of one training run.
 * It never crosses the exchange itself: connections prove they hold it with an HMAC-SHA256 answer to a fresh
 * challenge (see {@link Handshake}). Its {@link #toString()} hides the key, so it cannot end up in a log.
 *
 * <p>Serializable so that, when it is not derived from a secret both sides already hold, it can travel to the
 * workers inside the task closure, the way the cluster manager's own task data travel.
 */
public final class ExchangeSecret implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final String HMAC = "HmacSHA256";

    private final byte[] key;
    private final boolean encrypt;

    private ExchangeSecret(byte[] key, boolean encrypt) {
        this.key = key;
        this.encrypt = encrypt;
    }

    /** A fresh random 256-bit key. */
    public static ExchangeSecret random(boolean encrypt) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new ExchangeSecret(key, encrypt);
    }

    /**
     * A key derived from a secret both ends already hold (e.g. the cluster's authentication secret) and a
     * public context (e.g. the run's id): HMAC-SHA256(master, "dparallel-exchange|" + context).
     */
    public static ExchangeSecret derive(byte[] master, String context, boolean encrypt) {
        if (master == null || master.length == 0) {
            throw new IllegalArgumentException("The master secret to derive the exchange key from is empty");
        }
        return new ExchangeSecret(hmac(master, "dparallel-exchange|".getBytes(StandardCharsets.UTF_8),
                context.getBytes(StandardCharsets.UTF_8)), encrypt);
    }

    /** Whether the connections are encrypted (AES-GCM) after the handshake, not only authenticated. */
    public boolean encrypt() {
        return encrypt;
    }

    /** HMAC-SHA256 of the concatenated parts under this key. */
    byte[] mac(byte[]... parts) {
        return hmac(key, parts);
    }

    static byte[] hmac(byte[] key, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            for (byte[] part : parts) {
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The JDK lacks " + HMAC + ", which every Java 17 JDK has", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ExchangeSecret that && encrypt == that.encrypt && Arrays.equals(key, that.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "ExchangeSecret[key hidden, encrypt=" + encrypt + "]";
    }
}
