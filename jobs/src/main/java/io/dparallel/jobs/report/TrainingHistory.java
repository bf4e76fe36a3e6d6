package io.dparallel.jobs.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The per-epoch history of a training run: {@code history.csv} and PNG line charts of loss and accuracy per
 * epoch (JFreeChart, rendered off-screen). The CSV's last column, {@code kept}, is {@code true} on the epoch
 * whose model the run keeps: the best one under early stopping, else the last.
 */
public final class TrainingHistory {

    /** Chart width, pixels. */
    public static final int WIDTH = 800;
    /** Chart height, pixels. */
    public static final int HEIGHT = 500;

    private static final String HEADER = "epoch,loss,examples_per_second,seconds,validation_loss,"
            + "validation_accuracy,validation_f1,validation_mse,validation_r2,kept";

    private final List<EpochRecord> epochs = new ArrayList<>();
    private int keptEpoch;

    /**
     * Adds the record of a finished epoch, which is kept unless {@link #keep} says otherwise. An epoch run
     * again (after a resume from a checkpoint older than the history) replaces its record and drops later ones.
     */
    public void add(EpochRecord epoch) {
        epochs.removeIf(existing -> existing.epoch() >= epoch.epoch());
        epochs.add(epoch);
        keptEpoch = epoch.epoch();
    }

    /** Marks {@code epoch} (1-based) as the one whose model is kept. */
    public void keep(int epoch) {
        keptEpoch = epoch;
    }

    /** The epoch whose model is kept (1-based), 0 before any epoch. */
    public int keptEpoch() {
        return keptEpoch;
    }

    /** The epochs so far, in order. */
    public List<EpochRecord> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** The CSV: a header line, then a line per epoch; metrics that do not apply are empty. */
    public String toCsv() {
        StringBuilder csv = new StringBuilder(HEADER).append('\n');
        for (EpochRecord e : epochs) {
            csv.append(e.epoch());
            for (double value : new double[] {e.loss(), e.examplesPerSecond(), e.seconds(), e.validationLoss(),
                    e.validationAccuracy(), e.validationF1(), e.validationMse(), e.validationR2()}) {
                csv.append(',').append(Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.6g", value));
            }
            csv.append(',').append(e.epoch() == keptEpoch).append('\n');
        }
        return csv.toString();
    }

    /** PNG of training loss (and validation loss, when measured) per epoch. */
    public byte[] lossChartPng() {
        XYSeriesCollection series = new XYSeriesCollection();
        series.addSeries(series("training loss", EpochRecord::loss));
        if (epochs.stream().anyMatch(e -> !Double.isNaN(e.validationLoss()))) {
            series.addSeries(series("validation loss", EpochRecord::validationLoss));
        }
        return png("Loss per epoch", "loss", series);
    }

    /** PNG of validation accuracy per epoch (classification with validation data). */
    public byte[] accuracyChartPng() {
        XYSeriesCollection series = new XYSeriesCollection();
        series.addSeries(series("validation accuracy", EpochRecord::validationAccuracy));
        return png("Validation accuracy per epoch", "accuracy", series);
    }

    private XYSeries series(String name, ToDoubleFunction<EpochRecord> value) {
        XYSeries series = new XYSeries(name);
        for (EpochRecord e : epochs) {
            double y = value.applyAsDouble(e);
            if (!Double.isNaN(y)) {
                series.add(e.epoch(), y);
            }
        }
        return series;
    }

    private static byte[] png(String title, String yLabel, XYSeriesCollection series) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "epoch", yLabel, series, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setRenderer(new XYLineAndShapeRenderer(true, true));
        ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not render the chart '" + title + "'", e);
        }
        return out.toByteArray();
    }
}
