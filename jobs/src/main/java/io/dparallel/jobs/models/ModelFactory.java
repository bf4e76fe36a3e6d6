package io.dparallel.jobs.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.data.DataProfile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.IOException;
import java.util.List;

/**
 * Builds the network {@code train --model} asks for: a preset ({@code mlp}, {@code cnn}) sized to the data, or a
 * DL4J configuration JSON file ({@code MultiLayerConfiguration.toJson()} or
 * {@code ComputationGraphConfiguration.toJson()}) on any Hadoop file system.
 */
public final class ModelFactory {

    /** The preset names. */
    public static final List<String> PRESETS = List.of("mlp", "cnn");

    private ModelFactory() {
    }

    /**
     * An initialized network for data of {@code profile}.
     *
     * @param model        {@code mlp}, {@code cnn} or the path of a configuration JSON file
     * @param learningRate Adam's learning rate for a preset, or {@code null} for the preset's default; a
     *                     configuration file keeps its own
     * @throws IllegalArgumentException when the model does not fit the data (the message says why)
     */
    public static Model build(String model, DataProfile profile, Double learningRate, long seed, Configuration conf) {
        boolean classification = profile.classification();
        switch (model) {
            case "mlp" -> {
                return init(new MultiLayerNetwork(Presets.mlp(profile.featureSize(), profile.labelSize(),
                        learningRate == null ? Presets.MLP_LEARNING_RATE : learningRate, seed, classification)));
            }
            case "cnn" -> {
                if (profile.columns().shape() == null) {
                    throw new IllegalArgumentException("The cnn preset needs the image shape of the features: pass "
                            + "--shape channels,height,width (e.g. 1,28,28), or prepare the data from IDX files, "
                            + "which records it");
                }
                return init(new MultiLayerNetwork(Presets.cnn(profile.columns().shape(), profile.labelSize(),
                        learningRate == null ? Presets.CNN_LEARNING_RATE : learningRate, seed, classification)));
            }
            default -> {
                return fromJson(model, profile, conf);
            }
        }
    }

    private static Model fromJson(String file, DataProfile profile, Configuration conf) {
        Path path = new Path(file);
        if (!HadoopFiles.exists(path, conf)) {
            throw new IllegalArgumentException("--model is '" + file + "', which is neither a preset " + PRESETS
                    + " nor an existing DL4J configuration JSON file");
        }
        String json = HadoopFiles.readString(path, conf);
        JsonNode tree;
        try {
            tree = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("--model " + file + " is not JSON: " + e.getMessage(), e);
        }
        if (tree.has("vertices")) {
            ComputationGraphConfiguration configuration;
            try {
                configuration = ComputationGraphConfiguration.fromJson(json);
            } catch (RuntimeException e) {
                throw notAConfiguration(file, e);
            }
            return init(new ComputationGraph(configuration));
        }
        MultiLayerConfiguration configuration;
        try {
            configuration = MultiLayerConfiguration.fromJson(json);
        } catch (RuntimeException e) {
            throw notAConfiguration(file, e);
        }
        checkFits(configuration, profile, file);
        return init(new MultiLayerNetwork(configuration));
    }

    private static IllegalArgumentException notAConfiguration(String file, RuntimeException cause) {
        return new IllegalArgumentException("--model " + file + " is not a DL4J MultiLayerConfiguration or "
                + "ComputationGraphConfiguration JSON: " + cause.getMessage(), cause);
    }

    /** Fails early, with sizes, when the first or last layer does not match the data. */
    private static void checkFits(MultiLayerConfiguration configuration, DataProfile profile, String file) {
        List<Layer> layers = configuration.getConfs().stream().map(c -> c.getLayer()).toList();
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("--model " + file + " has no layers");
        }
        if (layers.get(0) instanceof FeedForwardLayer first && profile.columns().shape() == null
                && configuration.getInputPreProcess(0) == null && first.getNIn() != profile.featureSize()) {
            throw new IllegalArgumentException("--model " + file + ": the first layer takes " + first.getNIn()
                    + " inputs but the data have " + profile.featureSize() + " feature values per row");
        }
        if (layers.get(layers.size() - 1) instanceof FeedForwardLayer last && last.getNOut() != profile.labelSize()) {
            throw new IllegalArgumentException("--model " + file + ": the last layer gives " + last.getNOut()
                    + " outputs but the labels have " + profile.labelSize()
                    + (profile.classification() ? " classes" : " values per row"));
        }
    }

    private static Model init(MultiLayerNetwork network) {
        network.init();
        return network;
    }

    private static Model init(ComputationGraph graph) {
        graph.init();
        return graph;
    }
}
