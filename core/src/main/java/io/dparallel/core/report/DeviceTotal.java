package io.dparallel.core.report;

import io.dparallel.core.device.DeviceIdentity;

/**
 * The examples one device fitted over a run, as one executor saw it (a device reached from two executors,
 * e.g. after a retry, has a total for each).
 *
 * @param device   the device and the executor that used it
 * @param examples examples fitted there (0: the device was bound but trained nothing)
 */
public record DeviceTotal(DeviceIdentity device, long examples) {
}
