package io.dparallel.spark.network;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.core.replica.NetworkSpec;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Where a network to train comes from, for every front door: a {@link Presets preset} configuration or a
 * user's DL4J configuration JSON ({@code MultiLayerConfiguration} or {@code ComputationGraphConfiguration}),
 * and the checks that its first and last layers fit the data, with messages naming both sizes and the fix.
 */
public final class NetworkSources {

    private static final ObjectMapper JSON = new ObjectMapper();

    private NetworkSources() {
    }

    /** An initialized network of {@code configuration} (random parameters from its seed). */
    public static MultiLayerNetwork build(MultiLayerConfiguration configuration) {
        MultiLayerNetwork network = new MultiLayerNetwork(configuration);
        network.init();
        return network;
    }

    /**
     * The spec of a user's DL4J configuration JSON: a {@code MultiLayerConfiguration} (it has {@code "confs"})
     * or a {@code ComputationGraphConfiguration} (it has {@code "vertices"}).
     *
     * @param source how the user gave the JSON, for messages ({@code networkJson}, {@code --model net.json})
     * @throws IllegalArgumentException naming {@code source} and what is wrong
     */
    public static NetworkSpec parseJson(String source, String json) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject() || !(tree.has("confs") || tree.has("vertices"))) {
            throw new IllegalArgumentException(source + " must be the JSON of a DL4J MultiLayerConfiguration "
                    + "(MultiLayerConfiguration.toJson()) or ComputationGraphConfiguration; it has neither \"confs\" "
                    + "nor \"vertices\"");
        }
        try {
            return tree.has("vertices")
                    ? NetworkSpec.of(ComputationGraphConfiguration.fromJson(json))
                    : NetworkSpec.of(MultiLayerConfiguration.fromJson(json));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + " is not a DL4J configuration DL4J can read: " + e.getMessage(), e);
        }
    }

    /**
     * Feature values per row the network's first layer takes, or -1 when its configuration does not say (a
     * graph, a convolutional first layer, an input preprocessor): then DL4J checks when data arrive.
     */
    public static long inputSize(Model network) {
        return NetworkReplica.of(network).inputSize();
    }

    /**
     * Values per row of the network's (single) output.
     *
     * @throws IllegalArgumentException when a ComputationGraph has more than one input or output
     */
    public static int outputSize(Model network) {
        return (int) NetworkReplica.of(network).outputSize();
    }

    /**
     * Checks that the network's first layer takes {@code featureSize} values (when its configuration says).
     *
     * @param source   how the user gave the network ({@code networkJson}, {@code --model net.json})
     * @param features what holds the features ({@code featuresCol 'features'}, {@code columns [a, b]})
     */
    public static void requireInputs(Model network, int featureSize, String source, String features) {
        long inputs = inputSize(network);
        if (inputs >= 0 && inputs != featureSize) {
            throw new IllegalArgumentException(source + ": the first layer takes " + inputs + " inputs but the features ("
                    + features + ") have " + featureSize + " values per row; set the first layer's nIn to "
                    + featureSize + " or choose other feature columns");
        }
    }

    /**
     * Checks that the network's output gives exactly {@code labelSize} values per row.
     *
     * @param labels what holds the labels ({@code labelCol 'label'}, {@code column label})
     */
    public static void requireOutputs(Model network, int labelSize, boolean classification, String source,
                                      String labels) {
        int outputs = outputSize(network);
        if (outputs != labelSize) {
            throw new IllegalArgumentException(source + ": the output layer gives " + outputs + " values but the labels ("
                    + labels + ") have " + labelSize + (classification ? " classes" : " values per row")
                    + "; set the output layer's nOut to " + labelSize);
        }
    }
}
