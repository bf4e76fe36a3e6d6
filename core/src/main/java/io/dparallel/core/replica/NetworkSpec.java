package io.dparallel.core.replica;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

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

    /** The two DL4J network types this project trains. */
    public enum Kind { MULTI_LAYER, GRAPH }

    public NetworkSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(json, "json");
    }

    /** The spec of an existing network (its configuration, not its parameters). */
    public static NetworkSpec of(Model network) {
        if (network instanceof MultiLayerNetwork mln) {
            return new NetworkSpec(Kind.MULTI_LAYER, mln.getLayerWiseConfigurations().toJson());
        }
        if (network instanceof ComputationGraph graph) {
            return new NetworkSpec(Kind.GRAPH, graph.getConfiguration().toJson());
        }
        throw new IllegalArgumentException("Unsupported network type " + network.getClass().getName()
                + ": use a MultiLayerNetwork or a ComputationGraph");
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
        if (kind == Kind.MULTI_LAYER) {
            MultiLayerNetwork network = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
            network.init();
            return network;
        }
        ComputationGraph graph = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        graph.init();
        return graph;
    }
}
