package io.dparallel.jobs.models;

import io.dparallel.jobs.io.HadoopFiles;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.network.NetworkSources;
import io.dparallel.spark.network.Presets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;

import java.util.List;

/**
 * Builds the network {@code train --model} asks for, through {@link NetworkSources}: a {@link Presets preset}
 * ({@code mlp}, {@code cnn}) sized to the data, or a DL4J configuration JSON file
 * ({@code MultiLayerConfiguration.toJson()} or {@code ComputationGraphConfiguration.toJson()}) on any Hadoop
 * file system, checked against the data.
 */
public final class ModelFactory {

    /** The preset names ({@link Presets#NAMES}). */
    public static final List<String> PRESETS = Presets.NAMES;

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
                return NetworkSources.build(Presets.mlp(profile.featureSize(), profile.labelSize(),
                        learningRate == null ? Presets.MLP_LEARNING_RATE : learningRate, seed, classification));
            }
            case "cnn" -> {
                if (profile.columns().shape() == null) {
                    throw new IllegalArgumentException("The cnn preset needs the image shape of the features: pass "
                            + "--shape channels,height,width (e.g. 1,28,28), or prepare the data from IDX files, "
                            + "which records it");
                }
                return NetworkSources.build(Presets.cnn(profile.columns().shape(), profile.labelSize(),
                        learningRate == null ? Presets.CNN_LEARNING_RATE : learningRate, seed, classification));
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
        String source = "--model " + file;
        Model network = NetworkSources.parseJson(source, HadoopFiles.readString(path, conf)).build();
        if (profile.columns().shape() == null) {
            NetworkSources.requireInputs(network, profile.featureSize(), source,
                    "columns " + profile.columns().featureColumns());
        }
        NetworkSources.requireOutputs(network, profile.labelSize(), profile.classification(), source,
                "column " + profile.columns().labelColumn());
        return network;
    }
}
