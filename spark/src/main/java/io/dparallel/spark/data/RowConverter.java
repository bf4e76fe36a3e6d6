package io.dparallel.spark.data;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the rows of a validated DataFrame straight into the float buffers of ND4J arrays: a chunk of rows
 * fills one {@code float[]} of features (and one of labels), from which one INDArray each is created. No
 * INDArray, and no array, is made per row.
 *
 * <p>Built from a {@link DataProfile} (what validation found) and the schema of the rows it will be given
 * (column positions are resolved by name once). Rows are assumed valid: run {@link DataValidation} first.
 * Serializable, so Spark tasks use it on the executors.
 */
public final class RowConverter implements Serializable {

    private final int[] featureIndexes;
    private final ColumnKind[] featureKinds;
    private final int[] featureLengths;
    private final int featureSize;
    private final int labelIndex;
    private final ColumnKind labelColumnKind;
    private final LabelKind labelKind;
    private final int labelSize;
    private final ImageShape shape;
    private final Standardization scaling;

    private RowConverter(DataProfile profile, StructType schema, Standardization scaling, boolean withLabels) {
        DataColumns columns = profile.columns();
        int n = columns.featureColumns().size();
        featureIndexes = new int[n];
        featureKinds = new ColumnKind[n];
        featureLengths = new int[n];
        for (int c = 0; c < n; c++) {
            String name = columns.featureColumns().get(c);
            featureIndexes[c] = fieldIndex(schema, name);
            featureKinds[c] = ColumnKind.of(schema.fields()[featureIndexes[c]].dataType());
            // Only a single vector/array column has a length other than 1 (validation enforces it).
            featureLengths[c] = featureKinds[c] == ColumnKind.NUMBER ? 1 : profile.featureSize();
        }
        featureSize = profile.featureSize();
        if (withLabels && columns.labelColumn() != null) {
            labelIndex = fieldIndex(schema, columns.labelColumn());
            labelColumnKind = ColumnKind.of(schema.fields()[labelIndex].dataType());
            labelKind = profile.labelKind();
            labelSize = profile.labelSize();
        } else {
            labelIndex = -1;
            labelColumnKind = null;
            labelKind = null;
            labelSize = 0;
        }
        shape = columns.shape();
        if (scaling != null && scaling.size() != featureSize) {
            throw new IllegalArgumentException("The standardization has " + scaling.size()
                    + " features but the data have " + featureSize);
        }
        this.scaling = scaling;
    }

    /**
     * A converter of features and labels.
     *
     * @param profile what validation found
     * @param schema  the schema of the rows that will be converted
     * @param scaling standardization applied to features as they are written, or {@code null}
     */
    public static RowConverter of(DataProfile profile, StructType schema, Standardization scaling) {
        return new RowConverter(profile, schema, scaling, true);
    }

    /** A converter of features only (for prediction), ignoring any label column. */
    public static RowConverter featuresOnly(DataProfile profile, StructType schema, Standardization scaling) {
        return new RowConverter(profile, schema, scaling, false);
    }

    /** Feature values per row. */
    public int featureSize() {
        return featureSize;
    }

    /** Label values per row (classes of a class index), 0 without labels. */
    public int labelSize() {
        return labelSize;
    }

    /** Writes {@code row}'s features into {@code buffer} from {@code offset} ({@link #featureSize()} values). */
    public void writeFeatures(Row row, float[] buffer, int offset) {
        int position = offset;
        for (int c = 0; c < featureIndexes.length; c++) {
            featureKinds[c].write(row.get(featureIndexes[c]), featureLengths[c], buffer, position, scaling,
                    position - offset);
            position += featureLengths[c];
        }
    }

    /**
     * Writes {@code row}'s label into {@code buffer} from {@code offset} ({@link #labelSize()} values); a class
     * index sets its one-hot position to 1 and expects the others to be 0 already.
     */
    public void writeLabel(Row row, float[] buffer, int offset) {
        Object cell = row.get(labelIndex);
        switch (labelKind) {
            case CLASS_INDEX -> buffer[offset + (int) ((Number) cell).doubleValue()] = 1f;
            case VALUE -> buffer[offset] = (float) ((Number) cell).doubleValue();
            case VALUES -> labelColumnKind.write(cell, labelSize, buffer, offset, null, 0);
        }
    }

    /** The features of {@code rows} as one array: {@code [rows, features]} or {@code [rows, c, h, w]}. */
    public INDArray features(List<Row> rows) {
        float[] buffer = new float[rows.size() * featureSize];
        for (int r = 0; r < rows.size(); r++) {
            writeFeatures(rows.get(r), buffer, r * featureSize);
        }
        return featuresArray(buffer, rows.size());
    }

    /** Features and labels of {@code rows} as one DataSet. */
    public DataSet dataSet(List<Row> rows) {
        if (labelKind == null) {
            throw new IllegalStateException("This converter reads no labels");
        }
        float[] features = new float[rows.size() * featureSize];
        float[] labels = new float[rows.size() * labelSize];
        for (int r = 0; r < rows.size(); r++) {
            writeFeatures(rows.get(r), features, r * featureSize);
            writeLabel(rows.get(r), labels, r * labelSize);
        }
        return new DataSet(featuresArray(features, rows.size()),
                Nd4j.create(labels, new long[] {rows.size(), labelSize}, 'c'));
    }

    /** The shape of the features array of {@code rows} rows. */
    public long[] featureShape(int rows) {
        return shape == null ? new long[] {rows, featureSize}
                : new long[] {rows, shape.channels(), shape.height(), shape.width()};
    }

    private INDArray featuresArray(float[] buffer, int rows) {
        return Nd4j.create(buffer, featureShape(rows), 'c');
    }

    private static int fieldIndex(StructType schema, String name) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("No column '" + name + "' in the rows to convert; columns: "
                    + String.join(", ", schema.fieldNames()));
        }
        return schema.fieldIndex(name);
    }
}
