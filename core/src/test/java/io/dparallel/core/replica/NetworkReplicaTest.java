package io.dparallel.core.replica;

import io.dparallel.core.testing.TinyData;
import io.dparallel.core.testing.TinyNetworks;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static io.dparallel.core.testing.ExactFloats.assertSameFloats;
import static io.dparallel.core.testing.ExactFloats.assertSameState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each network kind's replica against the same call on the plain DL4J type. */
class NetworkReplicaTest {

    private static final DataSet DATA = DataSet.merge(TinyData.examples(12, 4, 3, 1, x -> x[0] > 0 ? 0 : x[1] > 0 ? 1 : 2));

    @Test
    void aMultiLayerNetworkIsSeenThroughItsReplica() throws IOException {
        MultiLayerNetwork network = TinyNetworks.init(TinyNetworks.mlp(4, 5, 3, new Adam(0.01), 2));
        NetworkReplica replica = NetworkReplica.of(network);

        assertThat(replica).isInstanceOf(MultiLayerReplica.class);
        assertThat(replica.spec()).isEqualTo(new NetworkSpec(NetworkSpec.Kind.MULTI_LAYER,
                network.getLayerWiseConfigurations().toJson()));
        assertThat(replica.inputSize()).isEqualTo(4);
        assertThat(replica.outputSize()).isEqualTo(3);
        assertThat(replica.score(DATA)).isEqualTo(network.score(DATA, false));
        assertSameFloats("output", replica.output(DATA.getFeatures()), network.output(DATA.getFeatures(), false));
        replica.fit(DATA);
        replica.setCounters(7, 2);
        assertThat(network.getIterationCount()).isEqualTo(replica.iterationCount()).isEqualTo(7);
        assertThat(network.getEpochCount()).isEqualTo(replica.epochCount()).isEqualTo(2);
        assertSameState(NetworkSpec.Kind.MULTI_LAYER.restore(zip(network), true), network);
    }

    @Test
    void aComputationGraphIsSeenThroughItsReplica() throws IOException {
        ComputationGraph graph = TinyNetworks.init(TinyNetworks.graph(4, 5, 3, new Adam(0.01), 2));
        NetworkReplica replica = NetworkReplica.of(graph);

        assertThat(replica).isInstanceOf(GraphReplica.class);
        assertThat(NetworkSpec.of(graph)).isEqualTo(new NetworkSpec(NetworkSpec.Kind.GRAPH,
                graph.getConfiguration().toJson()));
        assertThat(replica.inputSize()).isEqualTo(-1);
        assertThat(replica.outputSize()).isEqualTo(3);
        assertThat(replica.score(DATA)).isEqualTo(graph.score(DATA, false));
        assertSameFloats("output", replica.output(DATA.getFeatures()), graph.outputSingle(false, DATA.getFeatures()));
        replica.fit(DATA);
        replica.setCounters(7, 2);
        assertThat(graph.getIterationCount()).isEqualTo(replica.iterationCount()).isEqualTo(7);
        assertThat(graph.getEpochCount()).isEqualTo(replica.epochCount()).isEqualTo(2);
        Model restored = NetworkSpec.Kind.GRAPH.restore(zip(graph), true);
        assertThat(restored).isInstanceOf(ComputationGraph.class);
        assertSameState(restored, graph);
    }

    @Test
    void otherModelsAreRefusedWithTheTwoSupportedTypesNamed() {
        Model layer = TinyNetworks.init(TinyNetworks.mlp(4, 5, 3, new Adam(0.01), 2)).getLayer(0);
        assertThatThrownBy(() -> NetworkReplica.of(layer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use a MultiLayerNetwork or a ComputationGraph");
    }

    private static ByteArrayInputStream zip(Model network) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelSerializer.writeModel(network, out, true);
        return new ByteArrayInputStream(out.toByteArray());
    }
}
