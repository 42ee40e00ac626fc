package org.soupofexperts.examples.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.soupofexperts.core.io.AtomicFile;

/** PNG plots of the experiments (XChart), written atomically. */
public final class Charts {

    private Charts() {}

    /** Grouped bars: one group per category, one bar per series (a NaN value is drawn as a bar of 0). */
    public static void bars(
            Path png, String title, String yTitle, List<String> categories, Map<String, double[]> series)
            throws IOException {
        CategoryChart chart = new CategoryChartBuilder()
                .width(1400)
                .height(600)
                .title(title)
                .xAxisTitle("")
                .yAxisTitle(yTitle)
                .build();
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            List<Double> ys = new ArrayList<>();
            for (double v : e.getValue()) {
                ys.add(Double.isNaN(v) ? 0.0 : v);
            }
            chart.addSeries(e.getKey(), categories, ys);
        }
        chart.getStyler().setXAxisLabelRotation(45);
        save(png, chart);
    }

    /** Per-step training losses, smoothed by a moving average of {@code window} steps. */
    public static void trainingCurves(Path png, Map<String, float[]> curves, int window) throws IOException {
        Map<String, double[][]> xy = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : curves.entrySet()) {
            float[] l = e.getValue();
            double[] x = new double[l.length];
            double[] y = new double[l.length];
            double acc = 0;
            for (int s = 0; s < l.length; s++) {
                acc += l[s];
                if (s >= window) {
                    acc -= l[s - window];
                }
                x[s] = s + 1;
                y[s] = acc / Math.min(s + 1, window);
            }
            xy.put(e.getKey(), new double[][] {x, y});
        }
        lines(png, "Training loss (moving average of " + window + " steps)", "step", "nats per token", xy, false);
    }

    /** Lines through (x, y) points, one series each; markers when the points are few. */
    public static void lines(
            Path png, String title, String xTitle, String yTitle, Map<String, double[][]> series, boolean markers)
            throws IOException {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(500)
                .title(title)
                .xAxisTitle(xTitle)
                .yAxisTitle(yTitle)
                .build();
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            var s = chart.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]);
            if (!markers) {
                s.setMarker(SeriesMarkers.NONE);
            }
        }
        save(png, chart);
    }

    private static void save(Path png, org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) throws IOException {
        String name = png.getFileName().toString().replaceFirst("\\.png$", "");
        Path tmp = png.resolveSibling(name + ".tmp.png");
        BitmapEncoder.saveBitmap(chart, tmp.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
        AtomicFile.rename(tmp, png);
    }
}
