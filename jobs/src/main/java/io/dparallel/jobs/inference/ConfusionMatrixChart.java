package io.dparallel.jobs.inference;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The confusion matrix as a PNG heat map (JFreeChart, off-screen): actual class down, predicted class across,
 * each cell shaded by its share of the actual class (the recall on the diagonal) and labelled with its count
 * (when the matrix is small enough to read).
 */
public final class ConfusionMatrixChart {

    /** Most classes whose cells carry their counts as text. */
    static final int MAX_LABELLED_CLASSES = 30;
    private static final int SHADES = 10;

    private ConfusionMatrixChart() {
    }

    /**
     * @param counts counts by actual class (rows) and predicted class (columns)
     * @param names  the class names by index
     */
    public static byte[] png(long[][] counts, List<String> names) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        int n = counts.length;
        double[] x = new double[n * n];
        double[] y = new double[n * n];
        double[] share = new double[n * n];
        for (int actual = 0; actual < n; actual++) {
            long total = 0;
            for (long count : counts[actual]) {
                total += count;
            }
            for (int predicted = 0; predicted < n; predicted++) {
                int cell = actual * n + predicted;
                x[cell] = predicted;
                y[cell] = actual;
                share[cell] = total == 0 ? 0 : counts[actual][predicted] / (double) total;
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("share of the actual class", new double[][] {x, y, share});

        String[] labels = names.toArray(new String[0]);
        SymbolAxis predictedAxis = new SymbolAxis("predicted", labels);
        SymbolAxis actualAxis = new SymbolAxis("actual", labels);
        actualAxis.setInverted(true); // first class at the top, as the JSON's rows read
        predictedAxis.setGridBandsVisible(false);
        actualAxis.setGridBandsVisible(false);
        LookupPaintScale scale = new LookupPaintScale(0, 1.0000001, Color.WHITE);
        for (int s = 0; s < SHADES; s++) {
            float level = (float) s / (SHADES - 1);
            scale.add(s / (double) SHADES, new Color(1 - 0.8f * level, 1 - 0.6f * level, 1f));
        }
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, predictedAxis, actualAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        if (n <= MAX_LABELLED_CLASSES) {
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, n <= 10 ? 14 : 9);
            for (int actual = 0; actual < n; actual++) {
                for (int predicted = 0; predicted < n; predicted++) {
                    XYTextAnnotation text = new XYTextAnnotation(Long.toString(counts[actual][predicted]), predicted, actual);
                    text.setFont(font);
                    plot.addAnnotation(text);
                }
            }
        }
        JFreeChart chart = new JFreeChart("Confusion matrix", plot);
        chart.removeLegend();
        chart.setBackgroundPaint(Color.WHITE);
        PaintScaleLegend legend = new PaintScaleLegend(scale, new NumberAxis("share of the actual class"));
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        chart.addSubtitle(legend);
        int side = Math.max(500, 40 + 28 * n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, side + 120, side);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not render the confusion matrix chart", e);
        }
        return out.toByteArray();
    }
}
