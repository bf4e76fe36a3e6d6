package io.dparallel.core.exchange;

import io.dparallel.core.config.RoundAssignment;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;

/**
 * The driver's view of the members behind one host leader in the current round, from the MEMBER_BEATs that follow
 * the leader's heartbeats ({@link MemberWatch} writes them): each member's progress and how long the leader had not
 * heard from it. The driver applies to each member the rules it applies to a worker of its own, so that it blames
 * the one stuck or frozen worker, not its whole host.
 *
 * <p>A member's figures hold as of the leader's last heartbeat: when the leader itself goes silent, the driver
 * blames the leader, never a member it can no longer see. A leader may only speak of the members the driver put in
 * its group.
 */
final class MemberBeats {

    private final int leader;
    private final List<Integer> members;
    private final int[] memberProgress;
    /** When each member's progress last grew, by the driver's clock ({@link System#nanoTime}). */
    private final long[] progressNanos;
    /** How long the leader had not heard from each member at its last heartbeat; -1 once it has its result. */
    private final int[] silentMillis;

    /**
     * @param group the leader's group, the leader first
     */
    MemberBeats(List<Integer> group) {
        this.leader = group.get(0);
        this.members = List.copyOf(group.subList(1, group.size()));
        this.memberProgress = new int[members.size()];
        this.progressNanos = new long[members.size()];
        this.silentMillis = new int[members.size()];
    }

    /** The round was sent: no member has progressed yet, and each counts as heard from now. */
    void roundSent(long now) {
        for (int i = 0; i < members.size(); i++) {
            memberProgress[i] = 0;
            progressNanos[i] = now;
            silentMillis[i] = 0;
        }
    }

    /**
     * Reads a MEMBER_BEAT whose type byte was already consumed.
     *
     * @throws IOException when it names a worker outside the leader's group or carries impossible figures: the
     *                     round is void, as for any message that breaks the protocol
     */
    void read(DataInputStream in, long now) throws IOException {
        int worker = in.readInt();
        int progress = in.readInt();
        int silent = in.readInt();
        int index = members.indexOf(worker);
        if (index < 0) {
            throw new IOException("host leader " + leader + " reported on worker " + worker + ", which is not in its"
                    + " host group " + members + " (nothing a worker says is trusted for more than the driver"
                    + " assigned it)");
        }
        if (progress < 0 || silent < -1) {
            throw new IOException("host leader " + leader + " reported worker " + worker + " at " + progress
                    + " minibatches, silent for " + silent + " ms; neither may be negative (-1 ms: answered)");
        }
        if (progress > memberProgress[index]) {
            memberProgress[index] = progress;
            progressNanos[index] = now;
        }
        silentMillis[index] = silent;
    }

    /**
     * Applies the liveness rules to each member that has not answered its leader.
     *
     * @param leaderHeardNanos when the driver last heard from the leader: the members' figures hold as of then
     */
    void check(long leaderHeardNanos, long silenceMillis, long roundDeadline, RoundAssignment sent)
            throws WorkerLostException {
        for (int i = 0; i < members.size(); i++) {
            int worker = members.get(i);
            if (silentMillis[i] > silenceMillis) {
                throw WorkerLostException.silent(worker, "sent its host's leader (worker " + leader + ") nothing for "
                        + silentMillis[i] / 1000 + " s (no heartbeat; limit " + silenceMillis / 1000 + " s): its"
                        + " executor is frozen or cut off");
            }
            long stuckMillis = (leaderHeardNanos - progressNanos[i]) / 1_000_000;
            if (silentMillis[i] >= 0 && stuckMillis > roundDeadline) {
                throw WorkerLostException.silent(worker, "made no progress for " + stuckMillis / 1000 + " s (round"
                        + " deadline " + roundDeadline / 1000 + " s, as its host's leader, worker " + leader
                        + ", reports it) after " + memberProgress[i] + " of " + sent.minibatches()
                        + " minibatches of epoch " + (sent.epoch() + 1) + ", round " + (sent.round() + 1)
                        + ": its training thread is stuck");
            }
        }
    }
}
