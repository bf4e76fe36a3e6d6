package io.dparallel.spark.network;

import io.dparallel.spark.data.ImageShape;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

/**
 * The ready-made networks of every front door ({@code train --model mlp|cnn}, the Spark ML estimators' preset):
 * all float, Adam, with a softmax/cross-entropy output for classification or an identity/mean-squared-error
 * output for regression.
 */
public final class Presets {

    /** The preset names {@code train --model} takes. */
    public static final List<String> NAMES = List.of("mlp", "cnn");
    /** Adam's learning rate of the {@code mlp} preset when none is given (CLI and estimators alike). */
    public static final double MLP_LEARNING_RATE = 0.003;
    /** Adam's learning rate of the {@code cnn} preset when none is given. */
    public static final double CNN_LEARNING_RATE = 0.001;
    /** Hidden layer sizes of the {@code mlp} preset when none are given. */
    public static final int[] MLP_HIDDEN_LAYERS = {256, 256};
    /** Smallest image side the {@code cnn} preset takes (two 2x2 poolings). */
    public static final int CNN_MIN_SIDE = 4;

    private Presets() {
    }

    /** The {@code mlp} preset with its default hidden layers {@link #MLP_HIDDEN_LAYERS}. */
    public static MultiLayerConfiguration mlp(int nIn, int nOut, double learningRate, long seed, boolean classification) {
        return mlp(nIn, MLP_HIDDEN_LAYERS, nOut, learningRate, seed, classification);
    }

    /**
     * The {@code mlp} preset: {@code nIn}-hidden...-{@code nOut}, ReLU hidden layers, Xavier initialization.
     *
     * @param hidden         hidden layer sizes, each >= 1 (empty: no hidden layer)
     * @param classification softmax/cross-entropy output when true, identity/MSE (regression) when false
     */
    public static MultiLayerConfiguration mlp(int nIn, int[] hidden, int nOut, double learningRate, long seed,
                                              boolean classification) {
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
        return layers.layer(output(previous, nOut, classification)).build();
    }

    /**
     * The {@code cnn} preset, LeNet-style: 5x5 convolution (20 filters) and 2x2 max pooling, 5x5 convolution
     * (50 filters) and 2x2 max pooling, a dense layer of 500 ReLU units, then the output. Convolutions keep the
     * image size ({@code Same} mode), so any image of at least {@value #CNN_MIN_SIDE}x{@value #CNN_MIN_SIDE} fits.
     * Input: {@code [rows, channels, height, width]}.
     *
     * @throws IllegalArgumentException when the images are smaller than {@value #CNN_MIN_SIDE} pixels on a side
     */
    public static MultiLayerConfiguration cnn(ImageShape shape, int nOut, double learningRate, long seed,
                                              boolean classification) {
        if (shape.height() < CNN_MIN_SIDE || shape.width() < CNN_MIN_SIDE) {
            throw new IllegalArgumentException("The cnn preset needs images of at least " + CNN_MIN_SIDE + "x"
                    + CNN_MIN_SIDE + " pixels but the shape is " + shape + " (channels,height,width)");
        }
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(new Adam(learningRate))
                .convolutionMode(ConvolutionMode.Same)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                .layer(output(500, nOut, classification))
                .setInputType(InputType.convolutional(shape.height(), shape.width(), shape.channels()))
                .build();
    }

    private static OutputLayer output(int nIn, int nOut, boolean classification) {
        return classification
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(nIn).nOut(nOut)
                        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build()
                : new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(nIn).nOut(nOut)
                        .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).build();
    }
}
