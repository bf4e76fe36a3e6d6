package io.dparallel.jobs.inference;

import io.dparallel.core.replica.NetworkReplica;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.RowConverter;
import io.dparallel.spark.data.Standardization;
import io.dparallel.spark.network.ChunkedOutput;
import io.dparallel.spark.network.ExecutorNetwork;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.evaluation.regression.RegressionEvaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates a network on labelled rows on the executors: each task converts its rows in chunks
 * ({@link ChunkedOutput}, on the task's device), evaluates each chunk into a DL4J evaluation and a loss sum,
 * and the driver merges the results.
 */
public final class DistributedEvaluation {

    private DistributedEvaluation() {
    }

    /**
     * Evaluates {@code network} (its current parameters) on {@code data}, in one Spark job.
     *
     * @param data         rows validated into {@code profile}, with labels
     * @param scaling      the standardization the network was trained with, or {@code null}
     * @param rowsPerBatch rows a task feeds the network at once
     * @param classNames   class names by index (may be empty)
     * @param description  the Spark job description (shown in the Spark UI)
     */
    public static EvaluationResult evaluate(Model network, Dataset<Row> data, DataProfile profile,
                                            Standardization scaling, int rowsPerBatch, List<String> classNames,
                                            String description) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        List<Column> columns = new ArrayList<>();
        profile.columns().featureColumns().forEach(name -> columns.add(functions.col(name)));
        columns.add(functions.col(profile.columns().labelColumn()));
        Dataset<Row> rows = data.select(columns.toArray(new Column[0]));
        RowConverter converter = RowConverter.of(profile, rows.schema(), scaling);
        boolean classification = profile.classification();
        ExecutorNetwork shipped = ExecutorNetwork.broadcast(sc, network);
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription(description);
        try {
            Part merged = rows.javaRDD().mapPartitions(partition -> ChunkedOutput.map(partition, rowsPerBatch, shipped,
                    (model, chunk) -> List.of(Part.of(model, converter.dataSet(chunk), classification))))
                    .reduce(Part::merge);
            return new EvaluationResult(merged.examples, merged.lossSum / merged.examples, merged.classification,
                    merged.regression, classNames);
        } finally {
            sc.setJobDescription(previous);
            shipped.release();
        }
    }

    /** One chunk's evaluation, or several merged. */
    private static final class Part implements Serializable {
        Evaluation classification;
        RegressionEvaluation regression;
        double lossSum;
        long examples;

        static Part of(Model network, DataSet data, boolean classification) {
            INDArray output = NetworkReplica.of(network).output(data.getFeatures());
            Part part = new Part();
            if (classification) {
                part.classification = new Evaluation((int) data.getLabels().size(1));
                part.classification.eval(data.getLabels(), output);
            } else {
                part.regression = new RegressionEvaluation(data.getLabels().size(1));
                part.regression.eval(data.getLabels(), output);
            }
            part.examples = data.numExamples();
            // The network's mean loss in inference mode, with regularization as in training.
            double score = NetworkReplica.of(network).score(data);
            part.lossSum = score * part.examples;
            return part;
        }

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
