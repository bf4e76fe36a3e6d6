package io.dparallel.spark.ml;

/**
 * Hands a uid to a Java subclass of Spark ML's Scala base classes while their constructors run.
 *
 * <p>{@code Predictor}, {@code ProbabilisticClassificationModel} and the others create their own params
 * ({@code featuresCol}, {@code probabilityCol}, ...) in their constructors, each owned by {@code uid()}. A Scala
 * subclass has its {@code uid} constructor parameter assigned before that; a Java subclass cannot assign a field
 * before {@code super()}, so its {@code uid()} would return {@code null} and the params would belong to no one
 * ({@code "Param null__featuresCol does not belong to ..."}). The Java constructors here therefore call
 * {@link #of} in their {@code this(...)} arguments (evaluated before {@code super()}), answer {@code uid()} from
 * {@link #pending()} until their field is set, and {@link #take()} it afterwards.
 */
final class ConstructionUid {

    private static final ThreadLocal<String> PENDING = new ThreadLocal<>();

    private final String uid;

    private ConstructionUid(String uid) {
        this.uid = uid;
    }

    /** Makes {@code uid} this thread's pending uid, until {@link #take()}. */
    static ConstructionUid of(String uid) {
        if (uid == null || uid.isEmpty()) {
            throw new IllegalArgumentException("uid is " + (uid == null ? "null" : "empty") + " but must name the stage");
        }
        PENDING.set(uid);
        return new ConstructionUid(uid);
    }

    /** The uid of the object under construction on this thread. */
    static String pending() {
        String uid = PENDING.get();
        if (uid == null) {
            throw new IllegalStateException("uid() was called during construction outside ConstructionUid.of");
        }
        return uid;
    }

    /** Ends the construction: returns the uid and clears the pending one. */
    String take() {
        PENDING.remove();
        return uid;
    }
}
