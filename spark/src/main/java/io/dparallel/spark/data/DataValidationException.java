package io.dparallel.spark.data;

/**
 * The data cannot be trained on or evaluated as asked. The message names the column, shows a sample offending
 * row when there is one, and says how to fix it.
 */
public class DataValidationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, where, and the fix */
    public DataValidationException(String message) {
        super(message);
    }
}
