package io.dparallel.spark.ml;

import io.dparallel.spark.TaskDeviceBinding;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.nd4j.evaluation.classification.ConfusionMatrix;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.evaluation.classification.ROC;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * Classification metrics, accumulated chunk by chunk on the executors and merged on the driver: DL4J's
 * {@link Evaluation} (accuracy, per-class precision, recall and F1, confusion matrix), DL4J's exact {@link ROC}
 * for two classes (ROC AUC and PR AUC), and the log-loss. The one definition behind both
 * {@link DParallelClassificationModel#evaluate} and the {@code dparallel evaluate} job.
 *
 * <p>The weighted metrics weigh each class's metric by its share of the actual labels, and the log-loss clips
 * the true class's probability to {@code [1e-15, 1 - 1e-15]}, as Spark's {@code MulticlassMetrics} define them.
 */
public final class ClassificationMetrics implements Serializable {

    /** The log-loss's clipping of probabilities, Spark's {@code MulticlassMetrics.logLoss} default. */
    static final double LOG_LOSS_EPSILON = 1e-15;
    /** Rows converted into one array when metrics are computed from a DataFrame. */
    private static final int CHUNK_ROWS = 4096;

    private final int numClasses;
    private final Evaluation evaluation;
    private final ROC roc;
    private double logLossSum;
    private long examples;

    private ClassificationMetrics(int numClasses) {
        this.numClasses = numClasses;
        evaluation = new Evaluation(numClasses);
        // Exact (no threshold bins): the AUCs of all the examples, not of a binned curve.
        roc = numClasses == 2 ? new ROC(0) : null;
    }

    /** No examples yet, for {@code numClasses} classes. */
    public static ClassificationMetrics empty(int numClasses) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses is " + numClasses + " but must be >= 2");
        }
        return new ClassificationMetrics(numClasses);
    }

    /**
     * The metrics of a DataFrame's rows, computed on the executors in one Spark job.
     *
     * @param rows the label (a class index, double), the predicted class (double) and the class probabilities
     *             (a vector), in this order
     */
    public static ClassificationMetrics of(Dataset<Row> rows, int numClasses, String labelCol) {
        ClassificationMetrics none = empty(numClasses);
        return rows.javaRDD().mapPartitions((Iterator<Row> partition) -> {
            TaskDeviceBinding.requireBound("compute classification metrics");
            ClassificationMetrics part = empty(numClasses);
            List<Row> chunk = new ArrayList<>(CHUNK_ROWS);
            while (partition.hasNext()) {
                chunk.add(partition.next());
                if (chunk.size() == CHUNK_ROWS || !partition.hasNext()) {
                    part.addRows(chunk, labelCol);
                    chunk.clear();
                }
            }
            return List.of(part).iterator();
        }).fold(none, ClassificationMetrics::merge);
    }

    /** Adds examples: one-hot {@code labels}, and the class {@code probabilities}; the prediction is their argmax. */
    public void add(INDArray labels, INDArray probabilities) {
        add(labels, probabilities, probabilities);
    }

    /**
     * Adds examples.
     *
     * @param labels        one-hot actual classes, one row per example
     * @param predictions   the predicted classes: one-hot (or any scores whose argmax is the prediction)
     * @param probabilities the class probabilities
     */
    public void add(INDArray labels, INDArray predictions, INDArray probabilities) {
        evaluation.eval(labels, predictions);
        if (roc != null) {
            roc.eval(labels, probabilities);
        }
        double[] trueClass = probabilities.castTo(DataType.DOUBLE).mul(labels.castTo(DataType.DOUBLE)).sum(1).toDoubleVector();
        for (double p : trueClass) {
            logLossSum += -Math.log(Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON));
        }
        examples += labels.rows();
    }

    /** Adds {@code other}'s examples to these; returns this. */
    public ClassificationMetrics merge(ClassificationMetrics other) {
        if (other.numClasses != numClasses) {
            throw new IllegalArgumentException("Cannot merge metrics of " + other.numClasses + " classes into " + numClasses);
        }
        if (other.examples > 0) {
            evaluation.merge(other.evaluation);
            if (roc != null) {
                roc.merge(other.roc);
            }
            logLossSum += other.logLossSum;
            examples += other.examples;
        }
        return this;
    }

    public int numClasses() {
        return numClasses;
    }

    public long examples() {
        return examples;
    }

    /** DL4J's evaluation, for per-class figures. */
    public Evaluation evaluation() {
        return evaluation;
    }

    /** Fraction of examples predicted right. */
    public double accuracy() {
        return evaluation.accuracy();
    }

    /** Per-class precision weighted by the class's share of the actual labels (Spark's {@code weightedPrecision}). */
    public double weightedPrecision() {
        return weighted(evaluation::precision);
    }

    /** Per-class recall weighted by the class's share of the actual labels (equals the accuracy). */
    public double weightedRecall() {
        return weighted(evaluation::recall);
    }

    /** Per-class F1 weighted by the class's share of the actual labels (Spark's {@code weightedFMeasure}). */
    public double weightedF1() {
        return weighted(evaluation::f1);
    }

    /** Counts by actual class (rows) and predicted class (columns). */
    public long[][] confusionMatrix() {
        ConfusionMatrix<Integer> confusion = evaluation.getConfusionMatrix();
        long[][] counts = new long[numClasses][numClasses];
        for (int actual = 0; actual < numClasses; actual++) {
            for (int predicted = 0; predicted < numClasses; predicted++) {
                counts[actual][predicted] = confusion.getCount(actual, predicted);
            }
        }
        return counts;
    }

    /** Mean negative log of the probability given to the actual class (clipped to [1e-15, 1 - 1e-15]). */
    public double logLoss() {
        return logLossSum / examples;
    }

    /** Whether there are two classes, the case with ROC and PR curves. */
    public boolean binary() {
        return roc != null;
    }

    /** Area under the ROC curve of class 1's probability (DL4J's exact ROC); NaN unless {@link #binary()}. */
    public double areaUnderROC() {
        return roc == null ? Double.NaN : roc.calculateAUC();
    }

    /** Area under the precision-recall curve of class 1's probability (DL4J's exact ROC); NaN unless {@link #binary()}. */
    public double areaUnderPR() {
        return roc == null ? Double.NaN : roc.calculateAUCPR();
    }

    private double weighted(IntToDoubleFunction perClass) {
        ConfusionMatrix<Integer> confusion = evaluation.getConfusionMatrix();
        double sum = 0;
        for (int c = 0; c < numClasses; c++) {
            int support = confusion.getActualTotal(c);
            sum += support == 0 ? 0 : support * perClass.applyAsDouble(c);
        }
        return sum / examples;
    }

    private void addRows(List<Row> chunk, String labelCol) {
        double[][] labels = new double[chunk.size()][numClasses];
        double[][] predicted = new double[chunk.size()][numClasses];
        double[][] probabilities = new double[chunk.size()][];
        for (int r = 0; r < chunk.size(); r++) {
            Row row = chunk.get(r);
            if (row.isNullAt(0)) {
                throw new IllegalArgumentException("labelCol '" + labelCol + "' is null in a row; drop such rows first");
            }
            double label = row.getDouble(0);
            if (label != Math.rint(label) || label < 0 || label >= numClasses) {
                throw new IllegalArgumentException("labelCol '" + labelCol + "' holds " + label + " but the model has "
                        + numClasses + " classes: labels must be class indices 0.." + (numClasses - 1));
            }
            labels[r][(int) label] = 1;
            predicted[r][(int) row.getDouble(1)] = 1;
            probabilities[r] = ((Vector) row.get(2)).toArray();
        }
        add(Nd4j.create(labels), Nd4j.create(predicted), Nd4j.create(probabilities));
    }
}
