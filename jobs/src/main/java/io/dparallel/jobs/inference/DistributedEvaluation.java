package io.dparallel.jobs.inference;

import io.dparallel.core.replica.NetworkReplica;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.evaluation.regression.RegressionEvaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

/**
 * Evaluates a network on labelled DataSets on the executors: each task builds the network on its device,
 * evaluates its partition into a DL4J evaluation and a loss sum, and the driver merges the partitions' results.
 */
public final class DistributedEvaluation {

    private DistributedEvaluation() {
    }

    /**
     * Evaluates {@code network} (its current parameters) on {@code data}, in one Spark job.
     *
     * @param classes    number of classes for classification, or 0 for regression
     * @param classNames class names by index (may be empty)
     * @param description the Spark job description (shown in the Spark UI)
     */
    public static EvaluationResult evaluate(JavaSparkContext sc, Model network, JavaRDD<DataSet> data, int classes,
                                            List<String> classNames, String description) {
        ExecutorModel shipped = ExecutorModel.of(sc, network);
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription(description);
        try {
            Part merged = data.mapPartitions(datasets -> evaluatePartition(shipped, datasets, classes))
                    .reduce(Part::merge);
            return new EvaluationResult(merged.examples, merged.lossSum / merged.examples, merged.classification,
                    merged.regression, classNames);
        } finally {
            sc.setJobDescription(previous);
            shipped.release();
        }
    }

    private static Iterator<Part> evaluatePartition(ExecutorModel shipped, Iterator<DataSet> datasets, int classes) {
        if (!datasets.hasNext()) {
            return List.<Part>of().iterator();
        }
        Model network = shipped.buildInTask();
        Part part = new Part();
        while (datasets.hasNext()) {
            DataSet data = datasets.next();
            INDArray output = NetworkReplica.of(network).output(data.getFeatures());
            if (classes > 0) {
                if (part.classification == null) {
                    part.classification = new Evaluation(classes);
                }
                part.classification.eval(data.getLabels(), output);
            } else {
                if (part.regression == null) {
                    part.regression = new RegressionEvaluation(data.getLabels().size(1));
                }
                part.regression.eval(data.getLabels(), output);
            }
            int n = data.numExamples();
            part.lossSum += ExecutorModel.score(network, data) * n;
            part.examples += n;
        }
        return List.of(part).iterator();
    }

    /** One partition's evaluation, or several merged. */
    private static final class Part implements Serializable {
        Evaluation classification;
        RegressionEvaluation regression;
        double lossSum;
        long examples;

        Part merge(Part other) {
            if (classification != null) {
                classification.merge(other.classification);
            } else {
                regression.merge(other.regression);
            }
            lossSum += other.lossSum;
            examples += other.examples;
            return this;
        }
    }
}
