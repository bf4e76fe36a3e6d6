package io.dparallel.spark.network;

import io.dparallel.spark.data.DataColumns;
import io.dparallel.spark.data.DataProfile;
import io.dparallel.spark.data.ImageShape;
import io.dparallel.spark.data.LabelKind;

import java.util.List;

/**
 * What a trained model expects and gives, stored as JSON inside its {@code model.zip} (see {@link ModelBundle})
 * so that {@code evaluate}, {@code predict} and the Spark ML models read data the way training did.
 *
 * @param model          the preset name or the configuration (file) the model was built from
 * @param featureColumns the feature column(s) it was trained on
 * @param labelColumn    the label column it was trained on
 * @param labelKind      how the label was read
 * @param featureSize    feature values per row
 * @param outputs        network outputs: classes, or regression values
 * @param shape          the image shape features were reshaped to, or {@code null}
 * @param classNames     class names by index (empty when the labels were numbers)
 */
public record ModelInfo(String model, List<String> featureColumns, String labelColumn, LabelKind labelKind,
                        int featureSize, int outputs, ImageShape shape, List<String> classNames) {

    public ModelInfo {
        featureColumns = List.copyOf(featureColumns);
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
    }

    /** The description of a model trained on data of {@code profile}. */
    public static ModelInfo of(String model, DataProfile profile) {
        DataColumns columns = profile.columns();
        return new ModelInfo(model, columns.featureColumns(), columns.labelColumn(), profile.labelKind(),
                profile.featureSize(), profile.labelSize(), columns.shape(), profile.classNames());
    }

    /** Whether the model classifies. */
    public boolean classification() {
        return labelKind == LabelKind.CLASS_INDEX;
    }

    /** The columns to read data with, as in training. */
    public DataColumns columns() {
        return new DataColumns(featureColumns, labelColumn, labelKind, classification() ? outputs : 0, shape);
    }
}
