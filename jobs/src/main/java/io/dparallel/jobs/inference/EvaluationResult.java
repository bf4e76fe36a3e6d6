package io.dparallel.jobs.inference;

import io.dparallel.spark.ml.ClassificationMetrics;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.evaluation.regression.RegressionEvaluation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics of a model on labelled data, merged from all executors: {@link ClassificationMetrics} (DL4J's
 * {@link Evaluation} and ROC, and the log-loss; the same as the Spark ML model's {@code evaluate}) or DL4J's
 * {@link RegressionEvaluation}, plus the mean loss.
 *
 * @param examples       rows evaluated
 * @param loss           mean loss per example (the network's score, regularization included)
 * @param metrics        the classification metrics, or {@code null} for regression
 * @param regression     the regression evaluation, or {@code null} for classification
 * @param classNames     class names by index (empty: indexes are used as names)
 */
public record EvaluationResult(long examples, double loss, ClassificationMetrics metrics, RegressionEvaluation regression,
                               List<String> classNames) {

    /** DL4J's classification evaluation, or {@code null} for regression. */
    public Evaluation classification() {
        return metrics == null ? null : metrics.evaluation();
    }

    /** Accuracy (classification), else NaN. */
    public double accuracy() {
        return metrics == null ? Double.NaN : metrics.accuracy();
    }

    /** The class names by index: the given ones, else the indexes. */
    public List<String> classLabels() {
        List<String> labels = new ArrayList<>();
        for (int c = 0; c < metrics.numClasses(); c++) {
            labels.add(name(c));
        }
        return labels;
    }

    /** Coefficient of determination of regression output {@code column}: {@code 1 - SSres / SStot}. */
    public double r2(int column) {
        // From DL4J's sums rather than RegressionEvaluation.rSquared: in 1.0.0-M2.1 that uses a running label mean
        // which evaluating in several batches, or merging partitions, leaves wrong.
        double n = regression.getExampleCountPerColumn().getDouble(column);
        double sum = regression.getLabelsSumPerColumn().getDouble(column);
        double total = regression.getSumSquaredLabels().getDouble(column) - sum * sum / n;
        return 1 - regression.getSumSquaredErrorsPerColumn().getDouble(column) / total;
    }

    /** {@link #r2(int)} averaged over the regression outputs. */
    public double r2() {
        double sum = 0;
        for (int column = 0; column < regression.numColumns(); column++) {
            sum += r2(column);
        }
        return sum / regression.numColumns();
    }

    /**
     * The metrics as a JSON-ready tree. Classification: {@code accuracy}; macro-averaged {@code precision},
     * {@code recall} and {@code f1}; {@code weightedPrecision}, {@code weightedRecall} and {@code weightedF1}
     * (weighted by class support, as Spark's); {@code logLoss}; for two classes {@code rocAuc} and {@code prAuc}
     * (of class 1's probability); per class ({@code classes}) precision, recall, F1 and support; and the
     * {@code confusionMatrix} (rows: actual class, columns: predicted class). Regression: {@code mse},
     * {@code mae}, {@code rmse} and {@code r2}, averaged over the outputs, and per output ({@code outputs}).
     */
    public Map<String, Object> toJsonTree() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("task", metrics != null ? "classification" : "regression");
        tree.put("examples", examples);
        tree.put("loss", loss);
        if (metrics != null) {
            Evaluation e = metrics.evaluation();
            int n = metrics.numClasses();
            long[][] confusion = metrics.confusionMatrix();
            tree.put("accuracy", e.accuracy());
            tree.put("precision", e.precision());
            tree.put("recall", e.recall());
            tree.put("f1", e.f1());
            tree.put("weightedPrecision", metrics.weightedPrecision());
            tree.put("weightedRecall", metrics.weightedRecall());
            tree.put("weightedF1", metrics.weightedF1());
            tree.put("logLoss", metrics.logLoss());
            if (metrics.binary()) {
                tree.put("rocAuc", metrics.areaUnderROC());
                tree.put("prAuc", metrics.areaUnderPR());
            }
            List<Map<String, Object>> classes = new ArrayList<>();
            List<List<Long>> counts = new ArrayList<>();
            for (int actual = 0; actual < n; actual++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("index", actual);
                row.put("name", name(actual));
                row.put("precision", e.precision(actual));
                row.put("recall", e.recall(actual));
                row.put("f1", e.f1(actual));
                row.put("support", e.getConfusionMatrix().getActualTotal(actual));
                classes.add(row);
                List<Long> line = new ArrayList<>();
                for (int predicted = 0; predicted < n; predicted++) {
                    line.add(confusion[actual][predicted]);
                }
                counts.add(line);
            }
            tree.put("classes", classes);
            Map<String, Object> matrix = new LinkedHashMap<>();
            matrix.put("rows", "actual");
            matrix.put("columns", "predicted");
            matrix.put("labels", classes.stream().map(c -> c.get("name")).toList());
            matrix.put("counts", counts);
            tree.put("confusionMatrix", matrix);
        } else {
            RegressionEvaluation r = regression;
            tree.put("mse", r.averageMeanSquaredError());
            tree.put("mae", r.averageMeanAbsoluteError());
            tree.put("rmse", r.averagerootMeanSquaredError());
            tree.put("r2", r2());
            List<Map<String, Object>> outputs = new ArrayList<>();
            for (int column = 0; column < r.numColumns(); column++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("index", column);
                row.put("mse", r.meanSquaredError(column));
                row.put("mae", r.meanAbsoluteError(column));
                row.put("rmse", r.rootMeanSquaredError(column));
                row.put("r2", r2(column));
                outputs.add(row);
            }
            tree.put("outputs", outputs);
        }
        return tree;
    }

    private String name(int index) {
        return index < classNames.size() ? classNames.get(index) : Integer.toString(index);
    }
}
