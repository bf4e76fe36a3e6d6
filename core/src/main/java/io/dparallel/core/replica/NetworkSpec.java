package io.dparallel.core.replica;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Objects;

/**
 * A network's architecture as DL4J's own JSON, small enough to ship to every worker once, from which
 * each worker builds its replica.
 *
 * @param kind whether the JSON is a {@link MultiLayerConfiguration} or a {@link ComputationGraphConfiguration}
 * @param json DL4J's configuration JSON
 */
public record NetworkSpec(Kind kind, String json) implements Serializable {

    /** The two DL4J network types this project trains, each knowing how to build and read its own kind. */
    public enum Kind {
        MULTI_LAYER {
            @Override
            Model build(String json) {
                MultiLayerNetwork network = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
                network.init();
                return network;
            }

            @Override
            public Model restore(InputStream modelZip, boolean withUpdater) throws IOException {
                return ModelSerializer.restoreMultiLayerNetwork(modelZip, withUpdater);
            }
        },
        GRAPH {
            @Override
            Model build(String json) {
                ComputationGraph graph = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
                graph.init();
                return graph;
            }

            @Override
            public Model restore(InputStream modelZip, boolean withUpdater) throws IOException {
                return ModelSerializer.restoreComputationGraph(modelZip, withUpdater);
            }
        };

        abstract Model build(String json);

        /**
         * Reads a network of this kind from a DL4J model zip ({@code ModelSerializer.writeModel}); the caller
         * closes the stream.
         *
         * @param withUpdater whether to restore the updater state too (to resume training)
         */
        public abstract Model restore(InputStream modelZip, boolean withUpdater) throws IOException;
    }

    public NetworkSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(json, "json");
    }

    /**
     * The spec of an existing network (its configuration, not its parameters).
     *
     * @throws IllegalArgumentException when the network is neither a MultiLayerNetwork nor a ComputationGraph
     */
    public static NetworkSpec of(Model network) {
        return NetworkReplica.of(network).spec();
    }

    /** The spec of a multi-layer configuration. */
    public static NetworkSpec of(MultiLayerConfiguration configuration) {
        return new NetworkSpec(Kind.MULTI_LAYER, configuration.toJson());
    }

    /** The spec of a computation graph configuration. */
    public static NetworkSpec of(ComputationGraphConfiguration configuration) {
        return new NetworkSpec(Kind.GRAPH, configuration.toJson());
    }

    /** Builds and initializes a fresh network (random parameters from the configuration's seed). */
    public Model build() {
        return kind.build(json);
    }
}
