package io.dparallel.jobs.bench;

import io.dparallel.jobs.data.LetterRecognition;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.Locale;

/**
 * A benchmark workload: an MLP on the shipped letter-recognition data, trained the same way by every system.
 *
 * @param name               how the command line names it
 * @param hidden             hidden layer sizes
 * @param learningRate       Adam's learning rate
 * @param batchSizePerWorker examples per minibatch per worker (the plain fit uses the same minibatch)
 * @param averagingFrequency minibatches between averagings (dparallel and DL4J Spark)
 * @param epochs             passes over the training examples
 * @param trainExamples      training examples used (0: all 16,000)
 * @param targetAccuracy     the test accuracy whose time-to-reach is reported
 */
public record Workload(String name, int[] hidden, double learningRate, int batchSizePerWorker, int averagingFrequency,
                       int epochs, int trainExamples, double targetAccuracy) {

    /** The letter MLP: 16-256-256-26 (77k parameters), many short rounds. */
    public static final Workload LETTER = new Workload("letter", new int[]{256, 256}, 1e-3, 32, 10, 5, 0, 0.85);
    /** A wide MLP, 16-2048-2400-26 (5.0M parameters): averaging and transfer dominate. */
    public static final Workload WIDE = new Workload("wide", new int[]{2048, 2400}, 1e-4, 32, 10, 1, 4096, 0.5);
    /** 16-300-300-26 (103k parameters), one example per minibatch, averaging every minibatch: the fixed cost per round. */
    public static final Workload ROUNDS = new Workload("rounds", new int[]{300, 300}, 1e-3, 1, 1, 1, 2048, 0.0);

    /** The workload called {@code name}. */
    public static Workload named(String name) {
        for (Workload w : new Workload[]{LETTER, WIDE, ROUNDS}) {
            if (w.name().equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("Unknown workload '" + name + "'; known: letter, wide, rounds");
    }

    /** Layer sizes from input to output, e.g. {@code [16, 256, 256, 26]}. */
    public int[] layers() {
        int[] layers = new int[hidden.length + 2];
        layers[0] = LetterRecognition.FEATURES;
        System.arraycopy(hidden, 0, layers, 1, hidden.length);
        layers[layers.length - 1] = LetterRecognition.CLASSES;
        return layers;
    }

    /** Number of parameters of the network. */
    public long parameters() {
        int[] layers = layers();
        long n = 0;
        for (int i = 1; i < layers.length; i++) {
            n += (long) layers[i - 1] * layers[i] + layers[i];
        }
        return n;
    }

    /** The DL4J configuration every DL4J-based system trains. */
    public MultiLayerConfiguration network(long seed) {
        int[] layers = layers();
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).updater(new Adam(learningRate)).list();
        for (int i = 1; i < layers.length - 1; i++) {
            list.layer(new DenseLayer.Builder().nIn(layers[i - 1]).nOut(layers[i]).activation(Activation.RELU).build());
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(layers[layers.length - 2])
                .nOut(layers[layers.length - 1]).activation(Activation.SOFTMAX).build());
        return list.build();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: MLP %s (%,d parameters), Adam %.0e, %d examples per worker per minibatch, "
                        + "averaging every %d, %d epoch(s)%s", name, Arrays.toString(layers()), parameters(), learningRate,
                batchSizePerWorker, averagingFrequency, epochs,
                trainExamples > 0 ? " on " + trainExamples + " training examples" : "");
    }
}
