package io.dparallel.spark;

import io.dparallel.spark.testing.LocalSpark;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.data.EpochPermutation;
import io.dparallel.core.data.MinibatchPrefetcher;
import io.dparallel.spark.data.ExampleRecords;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;
import scala.reflect.ClassTag$;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-epoch shuffle on local Spark: each worker streams exactly the examples its slots say, in order, its share
 * read in chunks of 3 minibatches (the last one shorter). The map side sorts its output by reduce partition (not the
 * one-file-per-partition writer) and spills every 17 records, so the shuffle's format is read back from both the
 * shuffle files and the spill files.
 */
class EpochShuffleTest {

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(LocalSpark.conf("local[2]", "EpochShuffleTest")
                .set("spark.shuffle.spill.numElementsForceSpillThreshold", "17")
                .set("spark.shuffle.sort.bypassMergeThreshold", "1"));
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
    }

    /** 103 examples whose single feature is their input index, in DataSets of uneven sizes over 3 partitions. */
    private static List<DataSet> indexedExamples(int n) {
        List<DataSet> sets = new ArrayList<>();
        int[] sizes = {1, 7, 3, 12};
        int next = 0;
        for (int s = 0; next < n; s++) {
            int size = Math.min(sizes[s % sizes.length], n - next);
            float[] features = new float[size];
            for (int i = 0; i < size; i++) {
                features[i] = next + i;
            }
            sets.add(new DataSet(Nd4j.create(features, new long[] {size, 1}, 'c'),
                    Nd4j.create(features, new long[] {size, 1}, 'c').neg()));
            next += size;
        }
        return sets;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void everyWorkerStreamsTheExamplesAtItsSlotsInOrder(boolean reshuffle) throws Exception {
        int n = 103;
        TrainingConfig config = TrainingConfig.builder().numWorkers(2).batchSizePerWorker(5).seed(9).build();
        // 8 bytes per example, 5 per minibatch: chunks of 120 bytes hold 3 minibatches, 4 chunks per worker.
        try (EpochShuffle shuffle = EpochShuffle.prepare(
                ExampleRecords.fromDataSets(sc.parallelize(indexedExamples(n), 3)), config, reshuffle, 120)) {
            TrainingPlan plan = shuffle.plan();
            assertThat(plan.numExamples()).isEqualTo(n);
            assertThat(plan.minibatchesPerWorker()).isEqualTo(10);
            assertThat(shuffle.exampleBytes()).isEqualTo(8);
            assertThat(shuffle.chunkMinibatches()).isEqualTo(3);
            List<long[]> orders = new ArrayList<>();
            MapStages mapStages = new MapStages();
            sc.sc().addSparkListener(mapStages);
            // As SparkTrainer does: the first epoch's shuffle is written before its job reads it, and each later
            // epoch's is started in the background when the previous epoch's job has ended.
            shuffle.writeAhead(0);
            for (int epoch = 0; epoch < 2; epoch++) {
                if (epoch > 0) {
                    shuffle.startWriteAhead(epoch);
                }
                JavaPairRDD<Long, byte[]> data = shuffle.epoch(epoch);
                List<List<Float>> streamed = streamInBarrierTasks(data, plan);
                long[] order = EpochPermutation.trainingOrder(n, 9, epoch, reshuffle);
                orders.add(order);
                for (int worker = 0; worker < 2; worker++) {
                    List<Float> expected = new ArrayList<>();
                    for (int m = 0; m < 10; m++) {
                        for (int offset = 0; offset < 5; offset++) {
                            expected.add((float) order[(m * 2 + worker) * 5 + offset]);
                        }
                    }
                    assertThat(streamed.get(worker)).as("worker %d, epoch %d", worker, epoch).isEqualTo(expected);
                }
                shuffle.release(data);
            }
            sc.sc().listenerBus().waitUntilEmpty();
            sc.sc().removeSparkListener(mapStages);
            // Each epoch's map stage ran once, whether written ahead or in the background; without reshuffling the
            // one shuffle serves both epochs.
            assertThat(mapStages.completed).as("map stages of the epoch shuffle run").hasSize(reshuffle ? 2 : 1);
            assertThat(mapStages.ownJob).as("stages run as a job of their own, before the epoch's job")
                    .containsAll(mapStages.completed);
            assertThat(mapStages.descriptions).as("descriptions of those jobs in the Spark UI").containsExactlyElementsOf(
                    reshuffle ? List.of("dparallel: deal the examples of epoch 1", "dparallel: deal the examples of epoch 2")
                            : List.of("dparallel: deal the examples of epoch 1"));
            if (reshuffle) {
                assertThat(orders.get(1)).isNotEqualTo(orders.get(0));
            } else {
                assertThat(shuffle.epoch(1)).isSameAs(shuffle.epoch(0));
            }
        }
    }

    /**
     * The completed stages that key the records by epoch position (the epoch shuffle's map stages), and the stages
     * that ran as a job of their own (a map stage written ahead, before the epoch's job) with those jobs' descriptions.
     */
    private static final class MapStages extends SparkListener {
        final List<Integer> completed = new CopyOnWriteArrayList<>();
        final Set<Integer> ownJob = ConcurrentHashMap.newKeySet();
        final List<String> descriptions = new CopyOnWriteArrayList<>();

        @Override
        public void onJobStart(SparkListenerJobStart job) {
            if (job.stageIds().size() == 1) {
                ownJob.add((Integer) job.stageIds().head());
                descriptions.add(String.valueOf(job.properties().getProperty("spark.job.description")));
            }
        }

        @Override
        public void onStageCompleted(SparkListenerStageCompleted stage) {
            if (stage.stageInfo().name().contains("EpochShuffle.java") && stage.stageInfo().failureReason().isEmpty()) {
                completed.add(stage.stageInfo().stageId());
            }
        }
    }

    /** Each worker's features as its barrier task streams them through the prefetcher, by worker. */
    private static List<List<Float>> streamInBarrierTasks(JavaPairRDD<Long, byte[]> data, TrainingPlan plan) {
        List<Tuple2<Integer, List<Float>>> byWorker = data.rdd().barrier().mapPartitions(
                new StreamFeatures(plan), false, ClassTag$.MODULE$.apply(Tuple2.class)).toJavaRDD()
                .map(tuple -> (Tuple2<Integer, List<Float>>) tuple).collect();
        List<List<Float>> out = new ArrayList<>(List.of(List.of(), List.of()));
        byWorker.forEach(tuple -> out.set(tuple._1(), tuple._2()));
        return out;
    }

    private static final class StreamFeatures extends scala.runtime.AbstractFunction1<
            scala.collection.Iterator<Tuple2<Long, byte[]>>, scala.collection.Iterator<Tuple2<Integer, List<Float>>>>
            implements java.io.Serializable {
        private final TrainingPlan plan;

        StreamFeatures(TrainingPlan plan) {
            this.plan = plan;
        }

        @Override
        public scala.collection.Iterator<Tuple2<Integer, List<Float>>> apply(
                scala.collection.Iterator<Tuple2<Long, byte[]>> partition) {
            int worker = org.apache.spark.BarrierTaskContext.get().partitionId();
            List<Float> features = new ArrayList<>();
            try (MinibatchPrefetcher stream = WorkerStream.open(scala.collection.JavaConverters.asJavaIterator(partition),
                    plan, 2, worker).start(0)) {
                while (stream.hasNext()) {
                    DataSet minibatch = stream.next();
                    for (float value : minibatch.getFeatures().data().asFloat()) {
                        features.add(value);
                    }
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return scala.collection.JavaConverters.asScalaIterator(List.of(new Tuple2<>(worker, features)).iterator());
        }
    }
}
