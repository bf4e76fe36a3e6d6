package io.dparallel.spark;

import io.dparallel.core.exchange.TaskAttempt;
import org.apache.spark.ExecutorAllocationClient;
import org.apache.spark.SparkContext;
import org.apache.spark.Success$;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import scala.collection.JavaConverters;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What Spark's scheduler says about a run's worker tasks, from a {@link SparkListener}: which stage attempt runs
 * each worker and on which executor (the driver accepts a connection only from that attempt), and whether one of
 * them failed or lost its executor (the driver then voids the round at once instead of waiting for a deadline).
 * Registered for the length of one {@link SparkTrainer#fit}.
 */
final class RunWatch extends SparkListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunWatch.class);

    /** One worker's task as the scheduler last started it. */
    private record Task(TaskAttempt attempt, String executor, String host, String failure) {
    }

    private final SparkContext sc;
    private final String jobGroup;
    private final int workers;
    /** Stages of the run's jobs that run the workers (every stage of a job but its final one). */
    private final Set<Integer> workerStages = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Task> tasks = new ConcurrentHashMap<>();

    RunWatch(SparkContext sc, String jobGroup, int workers) {
        this.sc = sc;
        this.jobGroup = jobGroup;
        this.workers = workers;
        sc.addSparkListener(this);
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) {
        if (start.properties() == null || !jobGroup.equals(start.properties().getProperty("spark.jobGroup.id"))) {
            return;
        }
        Set<Integer> stages = new HashSet<>();
        JavaConverters.seqAsJavaList(start.stageIds()).forEach(id -> stages.add((Integer) id));
        stages.stream().max(Integer::compare).ifPresent(stages::remove);
        workerStages.addAll(stages);
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        int worker = start.taskInfo().index();
        if (workerStages.contains(start.stageId()) && worker < workers) {
            tasks.put(worker, new Task(new TaskAttempt(start.stageId(), start.stageAttemptId()),
                    start.taskInfo().executorId(), start.taskInfo().host(), null));
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason() == Success$.MODULE$ || !workerStages.contains(end.stageId())) {
            return;
        }
        int worker = end.taskInfo().index();
        TaskAttempt attempt = new TaskAttempt(end.stageId(), end.stageAttemptId());
        String why = end.reason() instanceof TaskFailedReason failed ? failed.toErrorString() : end.reason().toString();
        tasks.computeIfPresent(worker, (w, task) -> task.attempt().equals(attempt) ? new Task(attempt, task.executor(),
                task.host(), "worker " + w + "'s task on executor " + task.executor() + " ended: " + firstLine(why))
                : task);
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        tasks.replaceAll((w, task) -> task.executor().equals(removed.executorId()) && task.failure() == null
                ? new Task(task.attempt(), task.executor(), task.host(), "executor " + removed.executorId()
                + " running worker " + w + " was removed: " + removed.reason()) : task);
    }

    /** The stage attempt running {@code worker} as Spark last reported it, null when none was reported. */
    TaskAttempt runningAttempt(int worker) {
        Task task = tasks.get(worker);
        return task == null ? null : task.attempt();
    }

    /** The host of the executor running {@code worker}'s task as Spark last reported it, null when none was. */
    String hostOf(int worker) {
        Task task = tasks.get(worker);
        return task == null ? null : task.host();
    }

    /** A failure of a running worker's task or executor, or null. */
    String failure() {
        for (int w = 0; w < workers; w++) {
            Task task = tasks.get(w);
            if (task != null && task.failure() != null) {
                return "Spark reports " + task.failure();
            }
        }
        return null;
    }

    /** Asks Spark to remove the executor running {@code worker}; says what was done. */
    String removeExecutorOf(int worker, String reason) {
        Task task = tasks.get(worker);
        if (task == null) {
            return "nothing (Spark reported no task for worker " + worker + ")";
        }
        LOG.warn("Asking Spark to remove executor {} on {} running worker {}: {}", task.executor(), task.host(),
                worker, reason);
        boolean accepted;
        if (sc.schedulerBackend() instanceof ExecutorAllocationClient client) {
            // Unlike SparkContext.killExecutor, this keeps the executor target, so the cluster manager starts a
            // replacement where it can; it also works with dynamic allocation on.
            accepted = !client.killExecutors(JavaConverters.asScalaBuffer(List.of(task.executor())).toList(),
                    false, false, true).isEmpty();
        } else {
            accepted = false;
        }
        return "executor " + task.executor() + " on host " + task.host()
                + (accepted ? "" : " (Spark's scheduler cannot remove executors here; its task stays until it ends)");
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
