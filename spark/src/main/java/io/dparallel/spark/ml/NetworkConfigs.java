package io.dparallel.spark.ml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.core.replica.NetworkSpec;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;

/** Network configurations for the estimators: the preset MLP, user JSON, and shape questions about a network. */
final class NetworkConfigs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private NetworkConfigs() {
    }

    /**
     * The preset: {@code nIn}-hidden...-{@code nOut} dense network, ReLU hidden layers, Adam, Xavier
     * initialization, float; softmax with cross-entropy for a classifier, identity with squared error for
     * a regressor.
     */
    static MultiLayerConfiguration preset(int nIn, int[] hidden, int nOut, boolean classifier, double learningRate,
                                          long seed) {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(new Adam(learningRate))
                .list();
        int previous = nIn;
        for (int size : hidden) {
            layers.layer(new DenseLayer.Builder().nIn(previous).nOut(size).activation(Activation.RELU).build());
            previous = size;
        }
        OutputLayer output = classifier
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nIn(previous).nOut(nOut).build()
                : new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(previous).nOut(nOut).build();
        return layers.layer(output).build();
    }

    /**
     * The spec of a user's DL4J configuration JSON: a {@code MultiLayerConfiguration} (it has
     * {@code "confs"}) or a {@code ComputationGraphConfiguration} (it has {@code "vertices"}).
     *
     * @throws IllegalArgumentException naming {@code param} and what is wrong
     */
    static NetworkSpec parse(String param, String json) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(param + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject() || !(tree.has("confs") || tree.has("vertices"))) {
            throw new IllegalArgumentException(param + " must be the JSON of a DL4J MultiLayerConfiguration "
                    + "(MultiLayerConfiguration.toJson()) or ComputationGraphConfiguration; it has neither \"confs\" "
                    + "nor \"vertices\"");
        }
        try {
            return tree.has("vertices")
                    ? NetworkSpec.of(ComputationGraphConfiguration.fromJson(json))
                    : NetworkSpec.of(MultiLayerConfiguration.fromJson(json));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(param + " is not a DL4J configuration DL4J can read: " + e.getMessage(), e);
        }
    }

    /** Whether a DL4J configuration JSON is a ComputationGraphConfiguration (else a MultiLayerConfiguration). */
    static boolean isGraph(String json) {
        try {
            return JSON.readTree(json).has("vertices");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The network configuration is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A Spark param validator: empty (use the preset) or a configuration {@link #parse} accepts. */
    static final class JsonCheck extends AbstractFunction1<String, Object> implements Serializable {
        private final String param;

        JsonCheck(String param) {
            this.param = param;
        }

        @Override
        public Object apply(String json) {
            if (json == null) {
                throw new IllegalArgumentException(param + " is null but must be a DL4J configuration JSON or empty");
            }
            if (!json.isEmpty()) {
                parse(param, json);
            }
            return Boolean.TRUE;
        }
    }

    /** Builds a network from a spec with the given parameters (not copied: inference only reads them). */
    static Model withParams(NetworkSpec spec, INDArray params) {
        if (spec.kind() == NetworkSpec.Kind.MULTI_LAYER) {
            MultiLayerNetwork network = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(spec.json()));
            network.init(params, false);
            return network;
        }
        ComputationGraph graph = new ComputationGraph(ComputationGraphConfiguration.fromJson(spec.json()));
        graph.init(params, false);
        return graph;
    }

    /** Size of the network's (single) output. */
    static int outputSize(Model network) {
        if (network instanceof MultiLayerNetwork mln) {
            return mln.layerSize(mln.getnLayers() - 1);
        }
        ComputationGraph graph = (ComputationGraph) network;
        if (graph.getConfiguration().getNetworkOutputs().size() != 1 || graph.getConfiguration().getNetworkInputs().size() != 1) {
            throw new IllegalArgumentException("The ComputationGraph has inputs " + graph.getConfiguration().getNetworkInputs()
                    + " and outputs " + graph.getConfiguration().getNetworkOutputs()
                    + " but a Spark ML model needs exactly one of each (one features column, one prediction)");
        }
        return (int) graph.layerSize(graph.getConfiguration().getNetworkOutputs().get(0));
    }

    /** Features the network's first layer takes, or -1 when its type does not say (then DL4J checks). */
    static long inputSize(Model network) {
        if (network instanceof MultiLayerNetwork mln
                && mln.getLayerWiseConfigurations().getConf(0).getLayer() instanceof FeedForwardLayer first) {
            return first.getNIn();
        }
        return -1;
    }
}
