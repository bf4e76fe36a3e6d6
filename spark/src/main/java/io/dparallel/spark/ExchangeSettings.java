package io.dparallel.spark;

import io.dparallel.core.exchange.Combining;
import io.dparallel.core.exchange.ExchangeSecret;
import io.dparallel.core.exchange.ExchangeTimeouts;
import io.dparallel.core.exchange.PortRange;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * The exchange's settings for one run, read from the Spark configuration (see docs/operations.md):
 *
 * <ul>
 *   <li>{@value #PORT}: the port or range ({@code 40000}, {@code 40000-40010}) the driver listens on; default any.
 *   <li>{@value #ENCRYPT}: encrypt the exchange (AES-GCM); on by default when {@code spark.network.crypto.enabled}
 *       or {@code spark.ssl.enabled} is.
 *   <li>{@value #ROUND_DEADLINE}: longest a worker may train without progress; default the larger of 2 minutes
 *       and 20 times the median round.
 *   <li>{@value #SILENCE}: longest a training worker may send nothing, not even a heartbeat (default 30 s).
 *   <li>{@value #COMBINE}: {@code auto} (default), {@code flat} or {@code host}: whether the workers on one host
 *       combine their results there (a leader per host talks to the driver), see {@link Combining}; auto is flat in
 *       local mode (every worker in the driver's JVM) and otherwise combines
 *       when some host runs more than one worker.
 * </ul>
 *
 * The secret: with {@code spark.authenticate} on it is derived from Spark's own secret and the run's id on both
 * sides, so it never travels; otherwise it is a random key per run that travels to the tasks in the task closure.
 * It is never put into a job group, a job description or a log.
 */
final class ExchangeSettings {

    static final String PORT = "spark.dparallel.exchange.port";
    static final String ENCRYPT = "spark.dparallel.exchange.encrypt";
    static final String ROUND_DEADLINE = "spark.dparallel.exchange.roundDeadline";
    static final String SILENCE = "spark.dparallel.exchange.heartbeatTimeout";
    static final String COMBINE = "spark.dparallel.exchange.combine";

    final PortRange ports;
    final ExchangeTimeouts timeouts;
    final long roundDeadlineMillis;
    final Combining combining;
    final ExchangeSecret driverSecret;
    final TaskSecret taskSecret;

    private ExchangeSettings(PortRange ports, ExchangeTimeouts timeouts, long roundDeadlineMillis, Combining combining,
                             ExchangeSecret driverSecret, TaskSecret taskSecret) {
        this.ports = ports;
        this.combining = combining;
        this.timeouts = timeouts;
        this.roundDeadlineMillis = roundDeadlineMillis;
        this.driverSecret = driverSecret;
        this.taskSecret = taskSecret;
    }

    /** Reads the settings and makes the run's secret (on the driver). */
    static ExchangeSettings of(SparkConf conf, String runId) {
        PortRange ports = PortRange.parse(PORT, conf.get(PORT, "0"));
        boolean encrypt = conf.getBoolean(ENCRYPT, conf.getBoolean("spark.network.crypto.enabled", false)
                || conf.getBoolean("spark.ssl.enabled", false));
        ExchangeTimeouts defaults = ExchangeTimeouts.DEFAULTS;
        long silence = conf.getTimeAsMs(SILENCE, defaults.silenceMillis() + "ms");
        ExchangeTimeouts timeouts = new ExchangeTimeouts(Math.min(defaults.heartbeatMillis(), Math.max(1, silence / 5)),
                silence, defaults.ioMillis(), defaults.handshakeMillis(), defaults.driverSilenceMillis());
        long roundDeadline = conf.getTimeAsMs(ROUND_DEADLINE, "0ms");
        TaskSecret taskSecret;
        ExchangeSecret driverSecret;
        byte[] sparkSecret = conf.getBoolean("spark.authenticate", false) ? sparkSecret() : null;
        if (sparkSecret != null) {
            taskSecret = new TaskSecret(null, runId, encrypt);
            driverSecret = ExchangeSecret.derive(sparkSecret, runId, encrypt);
        } else {
            driverSecret = ExchangeSecret.random(encrypt);
            taskSecret = new TaskSecret(driverSecret, runId, encrypt);
        }
        Combining combining = Combining.parse(COMBINE, conf.get(COMBINE, "auto"));
        if (combining == Combining.AUTO && isLocalMode(conf)) {
            // Every worker runs in the driver's own JVM: no byte crosses a network card, and a leader's relay would
            // only add a hop to each round (measured: 0.83x the flat exchange's examples/s on letter, 2 workers).
            combining = Combining.FLAT;
        }
        return new ExchangeSettings(ports, timeouts, roundDeadline, combining, driverSecret, taskSecret);
    }

    /** Whether the master is {@code local} or {@code local[N]} (not {@code local-cluster}, whose executors are JVMs). */
    private static boolean isLocalMode(SparkConf conf) {
        String master = conf.get("spark.master", "");
        return master.equals("local") || master.startsWith("local[");
    }

    /** Spark's authentication secret in this JVM (driver or executor), null when there is none. */
    private static byte[] sparkSecret() {
        SparkEnv env = SparkEnv.get();
        String secret = env == null ? null : env.securityManager().getSecretKey();
        return secret == null ? null : secret.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The secret as the tasks get it: the key itself (a random per-run key, carried in the closure), or only how
     * to derive it from the executor's copy of Spark's authentication secret.
     */
    static final class TaskSecret implements Serializable {
        private static final long serialVersionUID = 1L;
        private final ExchangeSecret carried;
        private final String runId;
        private final boolean encrypt;

        private TaskSecret(ExchangeSecret carried, String runId, boolean encrypt) {
            this.carried = carried;
            this.runId = runId;
            this.encrypt = encrypt;
        }

        /** The run's secret, on an executor. */
        ExchangeSecret resolve() {
            if (carried != null) {
                return carried;
            }
            byte[] sparkSecret = sparkSecret();
            if (sparkSecret == null) {
                throw new IllegalStateException("spark.authenticate is on on the driver, but this executor has no"
                        + " Spark authentication secret to derive the exchange key from");
            }
            return ExchangeSecret.derive(sparkSecret, runId, encrypt);
        }

        @Override
        public String toString() {
            return "TaskSecret[hidden]";
        }
    }
}
