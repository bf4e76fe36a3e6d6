package io.dparallel.core.replica;

import io.dparallel.core.testing.TinyNetworks;
import io.dparallel.core.averaging.ModelState;
import io.dparallel.core.config.RoundAssignment;
import io.dparallel.core.device.DeviceIdentity;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The replica trainer on both DL4J network types, against plain DL4J fit. */
class ReplicaTrainerTest {

    private static final DeviceIdentity CPU = new DeviceIdentity("host", "driver", "cpu", 0, null);

    private static MultiLayerConfiguration mlp() {
        return TinyNetworks.mlp(4, 6, 3, new Adam(0.01), 7);
    }

    private static ComputationGraphConfiguration graph() {
        return TinyNetworks.graph(4, 6, 3, new Adam(0.01), 7);
    }

    enum Kind {
        MULTI_LAYER, GRAPH;

        NetworkSpec spec() {
            return this == MULTI_LAYER ? NetworkSpec.of(mlp()) : NetworkSpec.of(graph());
        }
    }

    private static List<DataSet> minibatches(int count, int size, long seed) {
        Random random = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            float[][] x = new float[size][4];
            float[][] y = new float[size][3];
            for (int i = 0; i < size; i++) {
                for (int f = 0; f < 4; f++) {
                    x[i][f] = (float) random.nextGaussian();
                }
                y[i][random.nextInt(3)] = 1;
            }
            out.add(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
        }
        return out;
    }

    private static void fit(Model network, DataSet minibatch) {
        if (network instanceof MultiLayerNetwork mln) {
            mln.fit(minibatch);
        } else {
            ((ComputationGraph) network).fit(minibatch);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void twoRoundsFromCapturedStatesEqualPlainFitOnTheSameMinibatches(Kind kind) {
        List<DataSet> data = minibatches(6, 5, 3);
        Model reference = kind.spec().build();
        ReplicaTrainer trainer = new ReplicaTrainer(kind.spec(), true);
        NetworkReplica referenceReplica = NetworkReplica.of(reference);
        ModelState start = referenceReplica.captureState(true);

        WorkerRoundResult first = trainer.trainRound(start, new RoundAssignment(0, 0, 0, 1L, 0, 3),
                new RoundWorker(0, CPU, 0, false), data.subList(0, 3).iterator());
        WorkerRoundResult second = trainer.trainRound(first.state(), new RoundAssignment(0, 1, 3, 2L, 3, 3),
                new RoundWorker(0, CPU, 0, true), data.subList(3, 6).iterator());
        double expectedLossSum = 0;
        for (DataSet minibatch : data) {
            fit(reference, minibatch);
            if (data.indexOf(minibatch) >= 3) {
                expectedLossSum += reference.score() * minibatch.numExamples();
            }
        }

        ModelState expected = referenceReplica.captureState(true);
        assertThat(second.state().parameters()).containsExactly(expected.parameters());
        assertThat(second.state().updaterState()).containsExactly(expected.updaterState());
        assertThat(second.report().examples()).isEqualTo(15);
        assertThat(second.report().minibatches()).isEqualTo(3);
        assertThat(second.report().lossSum()).isCloseTo(expectedLossSum, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(second.report().device()).isEqualTo(CPU);
        assertThat(second.report().replicaReused()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void loadingAStateOverwritesParametersAndUpdaterState(Kind kind) {
        NetworkReplica replica = NetworkReplica.of(kind.spec().build());
        ModelState original = replica.captureState(true);
        float[] parameters = new float[original.parameters().length];
        float[] updater = new float[original.updaterState().length];
        for (int i = 0; i < parameters.length; i++) {
            parameters[i] = i * 0.001f;
        }
        for (int i = 0; i < updater.length; i++) {
            updater[i] = -i * 0.002f;
        }

        replica.loadState(new ModelState(parameters, updater));

        // Read back through ND4J's own element access, independent of the bulk copy under test.
        org.nd4j.linalg.api.ndarray.INDArray params = replica.network().params();
        for (int i = 0; i < parameters.length; i++) {
            assertThat(params.getFloat(i)).isEqualTo(parameters[i]);
        }
        ModelState loaded = replica.captureState(true);
        assertThat(loaded.parameters()).containsExactly(parameters);
        assertThat(loaded.updaterState()).containsExactly(updater);
        // 4*6 + 6 + 6*3 + 3 parameters; Adam keeps two moments per parameter.
        assertThat(parameters).hasSize(51);
        assertThat(updater).hasSize(102);
    }

    @Test
    void aStateOfAnotherArchitectureIsRefused() {
        NetworkReplica replica = NetworkReplica.of(Kind.MULTI_LAYER.spec().build());
        assertThatThrownBy(() -> replica.loadState(new ModelState(new float[50], null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parameters length is 50 but this network has 51");
    }

    @Test
    void withoutUpdaterAveragingOnlyParametersTravel() {
        ReplicaTrainer trainer = new ReplicaTrainer(Kind.MULTI_LAYER.spec(), false);
        ModelState start = trainer.replica().captureState(false);
        WorkerRoundResult result = trainer.trainRound(start, new RoundAssignment(0, 0, 0, 1L, 0, 2),
                new RoundWorker(0, CPU, 0, false), minibatches(2, 4, 1).iterator());
        assertThat(result.state().hasUpdaterState()).isFalse();
        assertThat(result.state().parameters()).isNotEqualTo(start.parameters());
    }
}
