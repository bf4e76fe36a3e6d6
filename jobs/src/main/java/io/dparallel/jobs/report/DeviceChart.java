package io.dparallel.jobs.report;

import io.dparallel.core.report.DeviceUsage;
import io.dparallel.core.report.RunReport;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.Color;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * A PNG bar chart of the examples each device fitted over a run, one bar per device ({@code host:gpu1}) from
 * {@link RunReport#deviceUsage()}, titled with "devices used / devices assigned". The train job writes it beside
 * its JSON report ({@code report-devices.png}): it shows at a glance whether every GPU did its share.
 *
 * <p>Rendered off-screen: {@code java.awt.headless} is set to {@code true} unless the JVM already chose.
 */
public final class DeviceChart {

    /** Width of the image, in pixels. */
    public static final int WIDTH = 800;
    /** Height of the image, in pixels. */
    public static final int HEIGHT = 500;

    private DeviceChart() {
    }

    /**
     * The chart of {@code report} as PNG bytes (the train job writes them to any Hadoop file system).
     *
     * @param report the run's report
     * @return the PNG image
     */
    public static byte[] pngBytes(RunReport report) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ChartUtils.writeChartAsPNG(out, chart(report), WIDTH, HEIGHT);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not render the device chart", e);
        }
    }

    private static JFreeChart chart(RunReport report) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (DeviceUsage device : report.deviceUsage()) {
            String label = String.format(Locale.ROOT, "%s (%.1f%%)", device.key(), 100 * device.share());
            data.addValue(device.examples(), "examples", label);
        }
        String title = String.format(Locale.ROOT, "Examples per device: %d / %d devices used",
                report.devicesUsed(), report.devicesAssigned());
        JFreeChart chart = ChartFactory.createBarChart(title, "device (share of examples)", "examples fitted", data,
                PlotOrientation.VERTICAL, false, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setSeriesPaint(0, new Color(0x1f, 0x77, 0xb4));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
}
