package dev.simdnorm.jmh;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.FileReader;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The charts of docs/performance.md (XChart, headless), from one JMH run's JSON and one cold-start run's JSON:
 * <ul>
 *   <li>{@code sweep-inference.png}, {@code sweep-moments.png}: GB/s against the working set, one panel per C, for
 *       {@code BatchNorm.inference} (also in place) and {@code Moments.of} on the vector and the scalar kernels, with
 *       the ceiling of the same run (arraycopy, the read-only sum);</li>
 *   <li>{@code cold-start.png}: the median call of every 50 ms window of a fresh JVM's first seconds, vector kernels
 *       (with the warm-up) against scalar, for train, inference and Moments.of on three shapes.</li>
 * </ul>
 * Arguments: the output folder, the JMH JSON, the cold-start JSON ({@link ColdStart}).
 */
public final class Charts {

    private static final int[] CHANNELS = {1, 3, 16, 17, 64, 100, 256, 1000};
    private static final int[] KIB = {16, 256, 4096, 262144};

    private Charts() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        Map<String, Double> s = scores(args[1]);
        sweep(s, "inference", new String[][] {
            {"ApiSweepBenchmark.inference", "vector"}, {"ApiSweepScalarBenchmark.inference", "scalar"},
            {"ApiSweepBenchmark.inferenceInPlace", "vector, in place"},
            {"SweepCeilingBenchmark.arraycopy", "arraycopy (ceiling)"}}, 2, out.resolve("sweep-inference"));
        sweep(s, "Moments.of", new String[][] {
            {"ApiSweepBenchmark.moments", "vector"}, {"ApiSweepScalarBenchmark.moments", "scalar"},
            {"SweepCeilingBenchmark.readSum", "read-only sum (ceiling)"}}, 1, out.resolve("sweep-moments"));
        if (args.length > 2) {
            coldStart(args[2], out.resolve("cold-start"));
        }
    }

    /**
     * The median of a row's measured iterations over its forks, as {@code jmh/report.py} takes it (JMH's own score is
     * their mean, which one slow iteration moves).
     */
    static double median(JsonObject row) {
        List<Double> values = new ArrayList<>();
        for (JsonElement fork : row.getAsJsonObject("primaryMetric").getAsJsonArray("rawData")) {
            for (JsonElement v : fork.getAsJsonArray()) {
                values.add(v.getAsDouble());
            }
        }
        if (values.isEmpty()) {
            return row.getAsJsonObject("primaryMetric").get("score").getAsDouble();
        }
        values.sort(null);
        int n = values.size();
        return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }

    /** Score (µs/op) by "Class.method|channels|kib"; other parameters ignored. */
    private static Map<String, Double> scores(String file) throws Exception {
        Map<String, Double> scores = new HashMap<>();
        try (Reader r = new FileReader(file)) {
            for (JsonElement e : JsonParser.parseReader(r).getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                if (!o.get("mode").getAsString().equals("avgt") || !o.has("params")) {
                    continue;
                }
                String[] name = o.get("benchmark").getAsString().split("\\.");
                JsonObject p = o.getAsJsonObject("params");
                if (!p.has("channels") || !p.has("kib")) {
                    continue;
                }
                String key = name[name.length - 2] + "." + name[name.length - 1] + "|" + p.get("channels")
                        .getAsString() + "|" + p.get("kib").getAsString();
                scores.put(key, median(o));
            }
        }
        return scores;
    }

    private static void sweep(Map<String, Double> s, String op, String[][] series, int passes, Path file)
            throws Exception {
        List<XYChart> panels = new ArrayList<>();
        for (int c : CHANNELS) {
            XYChart chart = new XYChartBuilder().width(420).height(300).title(op + ", C = " + c)
                    .xAxisTitle("working set (KiB)").yAxisTitle("GB/s").build();
            chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                    .setLegendPosition(Styler.LegendPosition.InsideSW);
            for (String[] one : series) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (int kib : KIB) {
                    Double us = s.get(one[0] + "|" + c + "|" + kib);
                    if (us != null) {
                        long rows = Math.max(1, kib * 1024L / (4L * c));
                        x.add((double) kib);
                        y.add(passes * 4.0 * rows * c / (us * 1e3));
                    }
                }
                if (!x.isEmpty()) {
                    chart.addSeries(one[1], x, y);
                }
            }
            panels.add(chart);
        }
        BitmapEncoder.saveBitmap(panels, 2, 4, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** One panel per shape and operation; the first repeat of each run. */
    private static void coldStart(String file, Path out) throws Exception {
        JsonArray runs;
        try (Reader r = new FileReader(file)) {
            runs = JsonParser.parseReader(r).getAsJsonArray();
        }
        String[] shapes = {"1x14x14x256", "8x28x28x256", "64x32x32x3"};
        String[] ops = {"train", "inference", "moments"};
        List<XYChart> panels = new ArrayList<>();
        for (String shape : shapes) {
            for (String op : ops) {
                XYChart chart = new XYChartBuilder().width(420).height(300).title(op + ", " + shape)
                        .xAxisTitle("seconds since the first call").yAxisTitle("median call (µs)").build();
                chart.getStyler().setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNE)
                        .setMarkerSize(0);
                for (JsonElement e : runs) {
                    JsonObject run = e.getAsJsonObject();
                    if (!run.has("windows")) { // the warm-up floor's and the warmed plain loops' entries
                        continue;
                    }
                    if (!run.get("shape").getAsString().equals(shape) || !run.get("op").getAsString().equals(op)
                            || run.get("repeat").getAsInt() != 0) {
                        continue;
                    }
                    List<Double> x = new ArrayList<>();
                    List<Double> y = new ArrayList<>();
                    for (JsonElement w : run.getAsJsonArray("windows")) {
                        x.add(w.getAsJsonArray().get(0).getAsDouble());
                        y.add(w.getAsJsonArray().get(1).getAsDouble());
                    }
                    chart.addSeries(run.get("kernels").getAsString(), x, y);
                }
                panels.add(chart);
            }
        }
        BitmapEncoder.saveBitmap(panels, 3, 3, out.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
