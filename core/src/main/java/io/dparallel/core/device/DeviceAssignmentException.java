package io.dparallel.core.device;

/**
 * A Spark GPU configuration under which training workers cannot each get a device of their own, found
 * before training starts (driver preflight) or when a task picks its device. The message names the
 * setting, its value and what to set instead.
 */
public class DeviceAssignmentException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the setting, its value and the fix
     */
    public DeviceAssignmentException(String message) {
        super(message);
    }
}
