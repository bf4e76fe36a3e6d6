package io.dparallel.core.report;

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
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * A PNG bar chart of the examples each device fitted over a run, one bar per device ({@code host:gpu1}) from
 * {@link RunReport#deviceUsage()}, titled with "devices used / devices assigned". Beside the JSON report it
 * shows at a glance whether every GPU did its share.
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
     * Where the chart of the JSON report {@code jsonReport} goes: beside it, {@code run.json -> run-devices.png}.
     *
     * @param jsonReport the JSON report's path
     * @return the chart's path
     */
    public static Path besideJson(Path jsonReport) {
        String name = jsonReport.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return jsonReport.resolveSibling(base + "-devices.png");
    }

    /**
     * Writes the chart of {@code report} to {@code file} (a temporary file beside it, then a rename, so a reader
     * never sees half an image), creating the directory when missing.
     *
     * @param report the run's report
     * @param file   the PNG to write
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void writePng(RunReport report, Path file) {
        byte[] png = pngBytes(report);
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                Files.write(tmp, png);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the device chart to " + file, e);
        }
    }

    /**
     * The chart of {@code report} as PNG bytes, for writers that are not local files (a Hadoop file system).
     *
     * @param report the run's report
     * @return the PNG image
     */
    public static byte[] pngBytes(RunReport report) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
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
