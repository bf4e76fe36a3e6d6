package io.dparallel.spark.network;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * Cosine annealing (Loshchilov and Hutter's SGDR without restarts), which ND4J 1.0.0-M2.1's
 * {@code org.nd4j.linalg.schedule} lacks ({@code CycleSchedule} is a linear one-cycle policy):
 * {@code value(t) = minimum + (initial - minimum) * (1 + cos(pi * min(t, period) / period)) / 2}, where {@code t}
 * is the iteration or the epoch by {@link ScheduleType}; after {@code period} the value stays at {@code minimum}.
 *
 * <p>Serialized to JSON like ND4J's own schedules (the class name and the four properties), so it travels
 * inside a network's configuration JSON to every worker.
 */
public final class CosineSchedule implements ISchedule {

    private static final long serialVersionUID = 1L;

    private final ScheduleType scheduleType;
    private final double initialValue;
    private final double minimumValue;
    private final int period;

    /**
     * @param scheduleType whether {@code t} counts iterations or epochs
     * @param initialValue the value at {@code t = 0}
     * @param minimumValue the value reached at {@code t = period} and kept after it
     * @param period       iterations or epochs from the initial to the minimum value, >= 1
     */
    public CosineSchedule(@JsonProperty("scheduleType") ScheduleType scheduleType,
                          @JsonProperty("initialValue") double initialValue,
                          @JsonProperty("minimumValue") double minimumValue,
                          @JsonProperty("period") int period) {
        if (period < 1) {
            throw new IllegalArgumentException("the cosine schedule's period is " + period + " but must be >= 1");
        }
        this.scheduleType = Objects.requireNonNull(scheduleType, "scheduleType");
        this.initialValue = initialValue;
        this.minimumValue = minimumValue;
        this.period = period;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        int t = Math.min(scheduleType == ScheduleType.ITERATION ? iteration : epoch, period);
        return minimumValue + (initialValue - minimumValue) * (1 + Math.cos(Math.PI * t / period)) / 2;
    }

    @Override
    public ISchedule clone() {
        return new CosineSchedule(scheduleType, initialValue, minimumValue, period);
    }

    @JsonProperty("scheduleType")
    public ScheduleType getScheduleType() {
        return scheduleType;
    }

    @JsonProperty("initialValue")
    public double getInitialValue() {
        return initialValue;
    }

    @JsonProperty("minimumValue")
    public double getMinimumValue() {
        return minimumValue;
    }

    @JsonProperty("period")
    public int getPeriod() {
        return period;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CosineSchedule that && scheduleType == that.scheduleType
                && Double.compare(initialValue, that.initialValue) == 0
                && Double.compare(minimumValue, that.minimumValue) == 0 && period == that.period;
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheduleType, initialValue, minimumValue, period);
    }

    @Override
    public String toString() {
        return "CosineSchedule(" + scheduleType + ", initial " + initialValue + ", minimum " + minimumValue
                + ", period " + period + ")";
    }
}
