package io.dparallel.core.loop;

import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.exchange.AveragingClient;
import io.dparallel.core.exchange.AveragingServer;
import io.dparallel.core.exchange.Combining;
import io.dparallel.core.exchange.ExchangeSecret;
import io.dparallel.core.exchange.ExchangeTimeouts;
import io.dparallel.core.exchange.PortRange;
import io.dparallel.core.exchange.TaskAttempt;
import io.dparallel.core.replica.WorkerRoundResult;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.WorkerRoundReport;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The exchange at cluster scale, simulated in one JVM (not a test: a measurement the coordinator or a reader runs
 * by hand, see docs/benchmarks.md "At cluster scale"). W workers are threads running the real
 * {@link AveragingClient} over real loopback sockets to the real {@link AveragingServer} and {@link RoundLoop};
 * the scheduler places them on H fake hosts (workers {@code [h W/H, (h+1) W/H)} on host h). Training is free
 * (a worker returns the state it got), so a round is all exchange: the driver's traffic, the leaders' relaying,
 * and the folding. Every configuration runs flat and host-combined.
 *
 * <p>Usage: {@code ClusterSimulation <floats in the state> <rounds> W:H [W:H ...]}; prints one line per run:
 * workers, hosts, mode, driver bytes per round, the median round in ms and the mean turnaround in ms, then a
 * least-squares fit of round time = a + b x driver bytes + c x relayed bytes.
 */
public final class ClusterSimulation {

    private static final ExchangeSecret SECRET = ExchangeSecret.random(false);

    private ClusterSimulation() {
    }

    /** One run's figures. */
    record Point(int workers, int hosts, Combining mode, long stateBytes, double driverBytesPerRound,
                 double medianRoundMillis, double turnaroundMillis) {

        /** Bytes the leaders pass to and collect from their members per round (0 flat): 2 (W - H) states. */
        double relayedBytes() {
            return mode == Combining.FLAT ? 0 : 2.0 * (workers - hosts) * stateBytes;
        }
    }

    public static void main(String[] args) throws Exception {
        int floats = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        List<Point> points = new ArrayList<>();
        System.out.println("workers hosts mode  driverMB/round  round_ms  turnaround_ms");
        for (String config : Arrays.copyOfRange(args, 2, args.length)) {
            String[] wh = config.split(":");
            int workers = Integer.parseInt(wh[0]);
            int hosts = Integer.parseInt(wh[1]);
            for (Combining mode : List.of(Combining.FLAT, Combining.HOST)) {
                Point point = run(workers, hosts, mode, floats, rounds);
                points.add(point);
                System.out.printf(Locale.ROOT, "%7d %5d %-5s %14.2f %9.1f %14.3f%n", workers, hosts, mode,
                        point.driverBytesPerRound() / 1e6, point.medianRoundMillis(), point.turnaroundMillis());
            }
        }
        double[] fit = fit(points);
        System.out.printf(Locale.ROOT, "fit: round ms = %.2f + %.4f ms/MB x driver MB + %.4f ms/MB x relayed MB%n",
                fit[0], fit[1] * 1e6, fit[2] * 1e6);
        for (Point p : points) {
            double predicted = fit[0] + fit[1] * p.driverBytesPerRound() + fit[2] * p.relayedBytes();
            System.out.printf(Locale.ROOT, "%3d:%d %-5s measured %8.1f ms, model %8.1f ms (%+.0f%%)%n", p.workers(),
                    p.hosts(), p.mode(), p.medianRoundMillis(), predicted,
                    100 * (predicted - p.medianRoundMillis()) / p.medianRoundMillis());
        }
    }

    static Point run(int workers, int hosts, Combining mode, int floats, int rounds) throws Exception {
        TrainingPlan plan = TrainingPlan.of((long) workers * (rounds + 1), TrainingConfig.builder().numWorkers(workers)
                .batchSizePerWorker(1).averagingFrequency(1).epochs(1).build());
        ModelState state = new ModelState(new float[floats], new float[2 * floats]);
        Arrays.fill(state.parameters(), 0.5f);
        ExecutorService pool = Executors.newCachedThreadPool();
        List<RoundSummary> summaries = new ArrayList<>();
        try (AveragingServer server = new AveragingServer(InetAddress.getLoopbackAddress(), PortRange.ANY, workers,
                SECRET, ExchangeTimeouts.DEFAULTS, mode)) {
            RoundLoop loop = new RoundLoop(server, plan, new RoundLoop.Settings(false, true, 60_000, 0), warning -> {
            });
            loop.startEpoch(new Job(pool, server.port(), workers, hosts, floats));
            for (int round = 0; round < plan.roundsPerEpoch(); round++) {
                RoundAssignment assignment = plan.assignment(0, round, round);
                summaries.add(loop.runRound(assignment, state));
            }
            loop.endEpoch();
        } finally {
            pool.shutdownNow();
        }
        // The first round includes connecting and forming the groups.
        List<RoundSummary> measured = summaries.subList(1, summaries.size());
        double[] walls = measured.stream().mapToDouble(s -> s.phases().sendMillis() + s.phases().collectMillis()
                + s.phases().averageMillis() + s.phases().turnaroundMillis()).sorted().toArray();
        double bytes = measured.stream().mapToDouble(s -> s.driverSentBytes() + s.driverReceivedBytes()).average()
                .orElse(0);
        double turnaround = measured.stream().mapToDouble(s -> s.phases().turnaroundMillis()).average().orElse(0);
        return new Point(workers, hosts, mode, 12L * floats, bytes, walls[walls.length / 2], turnaround);
    }

    /** Least squares for t = a + b x driver bytes + c x relayed bytes (normal equations, 3 x 3). */
    static double[] fit(List<Point> points) {
        double[][] a = new double[3][4];
        for (Point p : points) {
            double[] x = {1, p.driverBytesPerRound(), p.relayedBytes()};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    a[i][j] += x[i] * x[j];
                }
                a[i][3] += x[i] * p.medianRoundMillis();
            }
        }
        for (int i = 0; i < 3; i++) {
            int pivot = i;
            for (int r = i + 1; r < 3; r++) {
                pivot = Math.abs(a[r][i]) > Math.abs(a[pivot][i]) ? r : pivot;
            }
            double[] swap = a[i];
            a[i] = a[pivot];
            a[pivot] = swap;
            for (int r = 0; r < 3; r++) {
                if (r != i) {
                    double f = a[r][i] / a[i][i];
                    for (int c = i; c < 4; c++) {
                        a[r][c] -= f * a[i][c];
                    }
                }
            }
        }
        return new double[]{a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
    }

    /** The workers as one job, all on attempt 0, worker w on host {@code w * hosts / workers}. */
    private static final class Job implements WorkerJob {
        private final CompletableFuture<Void> outcome = new CompletableFuture<>();
        private final int workers;
        private final int hosts;

        Job(ExecutorService pool, int port, int workers, int hosts, int floats) {
            this.workers = workers;
            this.hosts = hosts;
            List<Future<Integer>> tasks = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                tasks.add(pool.submit(() -> AveragingClient.serve(new AveragingClient.Driver("127.0.0.1", port, SECRET,
                        ExchangeTimeouts.DEFAULTS), worker, new TaskAttempt(0, 0), 3L * floats, () -> false,
                        (assignment, start, done) -> {
                            done.run();
                            return new WorkerRoundResult(start, new WorkerRoundReport(assignment.epoch(),
                                    assignment.round(), worker, new DeviceIdentity(hostOf(worker), "e" + worker, "cpu",
                                    worker, null), assignment.minibatches(), assignment.minibatches(), 0, 0, 0, true));
                        })));
            }
            pool.submit(() -> {
                try {
                    for (Future<Integer> task : tasks) {
                        task.get();
                    }
                    outcome.complete(null);
                } catch (ExecutionException e) {
                    outcome.completeExceptionally(e.getCause());
                }
                return null;
            });
        }

        @Override
        public boolean isDone() {
            return outcome.isDone();
        }

        @Override
        public TaskAttempt runningAttempt(int worker) {
            return new TaskAttempt(0, 0);
        }

        @Override
        public String hostOf(int worker) {
            return "host" + (worker * hosts / workers);
        }

        @Override
        public String failure() {
            return null;
        }

        @Override
        public String removeWorker(int worker, String reason) {
            return "nothing";
        }

        @Override
        public void await() throws ExecutionException, InterruptedException {
            outcome.get();
        }
    }
}
