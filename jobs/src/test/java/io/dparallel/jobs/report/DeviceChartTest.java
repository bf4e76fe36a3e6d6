package io.dparallel.jobs.report;

import io.dparallel.core.config.TrainingConfig;
import io.dparallel.core.config.TrainingPlan;
import io.dparallel.core.device.DeviceIdentity;
import io.dparallel.core.report.RoundPhases;
import io.dparallel.core.report.RoundSummary;
import io.dparallel.core.report.RunReport;
import io.dparallel.core.report.WorkerRoundReport;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceChartTest {

    private static final int BAR_RGB = 0x1f77b4;

    /** Three devices fitting 300, 100 and 200 examples over two rounds. */
    private static RunReport report() {
        TrainingConfig config = TrainingConfig.builder().numWorkers(3).batchSizePerWorker(50).build();
        RunReport report = new RunReport(config, TrainingPlan.of(600, config));
        DeviceIdentity a = new DeviceIdentity("hostA", "1", "cuda", 0, null);
        DeviceIdentity b = new DeviceIdentity("hostA", "2", "cuda", 1, null);
        DeviceIdentity c = new DeviceIdentity("hostB", "3", "cuda", 0, null);
        for (int round = 0; round < 2; round++) {
            List<WorkerRoundReport> workers = List.of(
                    new WorkerRoundReport(0, round, 0, a, 150, 3, 15.0, 40, 1, round > 0),
                    new WorkerRoundReport(0, round, 1, b, 50, 1, 5.0, 20, 1, round > 0),
                    new WorkerRoundReport(0, round, 2, c, 100, 2, 10.0, 30, 1, round > 0));
            report.addRound(new RoundSummary(0, round, 60, 300, 0.1, workers, new RoundPhases(0, 0, 0, 0)));
        }
        return report;
    }

    /** The bars are read back from the pixels: one per device, in device order, heights in the examples' ratio. */
    @Test
    void thePngHasOneBarPerDeviceProportionalToItsExamples() throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(DeviceChart.pngBytes(report())));
        assertThat(image.getWidth()).isEqualTo(DeviceChart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(DeviceChart.HEIGHT);
        List<Integer> heights = barHeights(image);
        assertThat(heights).hasSize(3);
        // hostA:gpu0 300, hostA:gpu1 100, hostB:gpu0 200 examples (device keys sort in that order).
        int tallest = heights.get(0);
        assertThat(tallest).isGreaterThan(200);
        assertThat(heights.get(1)).isCloseTo(Math.round(tallest / 3.0f), org.assertj.core.api.Assertions.within(2));
        assertThat(heights.get(2)).isCloseTo(Math.round(tallest * 2 / 3.0f), org.assertj.core.api.Assertions.within(2));
    }

    /** Heights, left to right, of the runs of columns holding bar-coloured pixels. */
    private static List<Integer> barHeights(BufferedImage image) {
        List<Integer> heights = new ArrayList<>();
        int current = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            int column = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                if ((image.getRGB(x, y) & 0xffffff) == BAR_RGB) {
                    column++;
                }
            }
            if (column > 0) {
                current = Math.max(current, column);
            } else if (current > 0) {
                heights.add(current);
                current = 0;
            }
        }
        if (current > 0) {
            heights.add(current);
        }
        return heights;
    }
}
