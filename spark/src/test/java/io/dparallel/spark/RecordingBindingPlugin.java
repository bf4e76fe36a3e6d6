package io.dparallel.spark;

import io.dparallel.core.device.CpuDeviceBinding;
import io.dparallel.core.device.DeviceBinding;
import io.dparallel.core.device.DeviceIdentity;
import org.apache.spark.TaskContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.apache.spark.resource.ResourceInformation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * For tests on separate executor JVMs: listed in {@code spark.plugins} before {@link DeviceBindingPlugin}, it makes
 * each executor bind through ND4J's CPU binding while writing every bind to {@code <}{@value #LOG_DIR}{@code >/<executor
 * id>.binds}, one line per bind: task attempt id, executor id, the GPU addresses Spark granted the task (comma-joined,
 * "-" for none), the ordinal bound, and the binding thread's name.
 */
public final class RecordingBindingPlugin implements SparkPlugin {

    /** The directory the executors write their binds to. */
    public static final String LOG_DIR = "spark.dparallel.test.bindLog";

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                Path log = Path.of(ctx.conf().get(LOG_DIR)).resolve(ctx.executorID() + ".binds");
                TaskDevices.useBinding(new Recording(log));
            }
        };
    }

    private record Recording(Path log) implements DeviceBinding {
        private static final DeviceBinding CPU = new CpuDeviceBinding();

        @Override
        public DeviceIdentity bind(int ordinal, String host, String executorId) {
            TaskContext task = TaskContext.get();
            ResourceInformation gpus = task.resourcesJMap().get("gpu");
            String line = task.taskAttemptId() + " " + executorId + " " + (gpus == null ? "-" : String.join(",", gpus.addresses()))
                    + " " + ordinal + " " + Thread.currentThread().getName() + "\n";
            try {
                synchronized (this) {
                    Files.writeString(log, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return CPU.bind(ordinal, host, executorId);
        }

        @Override
        public String backend() {
            return CPU.backend();
        }

        @Override
        public int deviceCount() {
            return CPU.deviceCount();
        }
    }
}
