package io.dparallel.jobs.bench;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The benchmark's PNG charts. */
final class BenchmarkCharts {

    private BenchmarkCharts() {
    }

    /** Median examples/s against workers, one line per system. */
    static void throughput(List<BenchmarkReport.Throughput> throughput, String workload, Path file) throws IOException {
        Map<String, XYSeries> bySystem = new LinkedHashMap<>();
        for (BenchmarkReport.Throughput t : throughput) {
            bySystem.computeIfAbsent(t.system(), XYSeries::new).add(t.workers(), t.examplesPerSecond().median());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        bySystem.values().forEach(data::addSeries);
        save(ChartFactory.createXYLineChart(workload + ": training throughput", "workers", "examples/s", data,
                PlotOrientation.VERTICAL, true, false, false), file);
    }

    /** Test accuracy against training seconds, one line per system and worker count. */
    static void accuracy(List<Measurement> measurements, String workload, Path file) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Measurement m : measurements) {
            XYSeries series = new XYSeries(m.system() + " (" + m.workers() + ")");
            m.curve().forEach(point -> series.add(point[0], point[1]));
            data.addSeries(series);
        }
        save(ChartFactory.createXYLineChart(workload + ": test accuracy over training time", "seconds",
                "test accuracy", data, PlotOrientation.VERTICAL, true, false, false), file);
    }

    private static void save(JFreeChart chart, Path file) throws IOException {
        // Points as well as lines: a system measured at one worker count is a single point.
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        chart.getXYPlot().setRenderer(renderer);
        chart.getXYPlot().setBackgroundPaint(java.awt.Color.WHITE);
        chart.getXYPlot().setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
        chart.getXYPlot().setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 560);
    }
}
