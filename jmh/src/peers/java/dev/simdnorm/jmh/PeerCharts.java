package dev.simdnorm.jmh;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.FileReader;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The README's charts, from JMH's JSON output (XChart, headless):
 * <ul>
 *   <li>{@code sweep-normalize.png}, {@code sweep-statistics.png}: GB/s against the working set, one panel per C,
 *       vector and scalar kernels with the ceiling of the same run (arraycopy, read sum), from the sweep run;</li>
 *   <li>{@code peers-inference.png}, {@code peers-train.png}: ns per element for simdnorm and every peer per shape,
 *       from the peers run(s).</li>
 * </ul>
 * Arguments: the output folder, the sweep's JSON, then one or more peers' JSON files.
 */
public final class PeerCharts {

    private static final int[] CHANNELS = {1, 3, 16, 17, 64, 100, 256, 1000};
    private static final int[] KIB = {16, 256, 4096, 262144};

    private PeerCharts() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        Map<String, Double> sweep = scores(List.of(args[1]));
        sweepChart(sweep, "normalize", "arraycopy", 2, out.resolve("sweep-normalize"));
        sweepChart(sweep, "statistics", "readSum", 1, out.resolve("sweep-statistics"));
        List<String> peerFiles = List.of(args).subList(2, args.length);
        if (!peerFiles.isEmpty()) {
            Map<String, Double> peers = scores(peerFiles);
            peerChart(peers, "inference", out.resolve("peers-inference"));
            peerChart(peers, "train", out.resolve("peers-train"));
        }
    }

    /** Every result's score (µs/op) keyed by "method|param=value|…", params in JMH's order; the first file wins. */
    private static Map<String, Double> scores(List<String> files) throws Exception {
        Map<String, Double> scores = new LinkedHashMap<>();
        for (String file : files) {
            try (Reader r = new FileReader(file)) {
                for (JsonElement e : JsonParser.parseReader(r).getAsJsonArray()) {
                    JsonObject o = e.getAsJsonObject();
                    String name = o.get("benchmark").getAsString();
                    StringBuilder key = new StringBuilder(name.substring(name.lastIndexOf('.') + 1));
                    if (o.has("params")) {
                        for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
                            key.append('|').append(p.getKey()).append('=').append(p.getValue().getAsString());
                        }
                    }
                    scores.putIfAbsent(key.toString(), o.getAsJsonObject("primaryMetric").get("score").getAsDouble());
                }
            }
        }
        return scores;
    }

    /** One panel per C: GB/s of the vector and scalar kernels and of the ceiling against the working set. */
    private static void sweepChart(Map<String, Double> s, String op, String ceiling, int passes, Path file)
            throws Exception {
        List<XYChart> panels = new ArrayList<>();
        for (int c : CHANNELS) {
            XYChart chart = new XYChartBuilder().width(420).height(300).title(op + ", C = " + c)
                    .xAxisTitle("working set (KiB)").yAxisTitle("GB/s").build();
            chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                    .setLegendPosition(Styler.LegendPosition.InsideNE);
            for (String series : new String[]{"vector", "scalar", ceiling}) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (int kib : KIB) {
                    String key = series.equals(ceiling)
                            ? ceiling + "|channels=" + c + "|kib=" + kib
                            : op + "|channels=" + c + "|impl=" + series + "|kib=" + kib; // JMH sorts params by name
                    Double us = s.get(key);
                    if (us != null) {
                        long rows = Math.max(1, kib * 1024L / (4L * c));
                        x.add((double) kib);
                        y.add(passes * 4.0 * rows * c / (us * 1e3));
                    }
                }
                if (!x.isEmpty()) {
                    chart.addSeries(series.equals(ceiling) ? ceiling + " (ceiling)" : series, x, y);
                }
            }
            panels.add(chart);
        }
        BitmapEncoder.saveBitmap(panels, 2, 4, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** ns per element of every framework per shape, one bar each. */
    private static void peerChart(Map<String, Double> s, String op, Path file) throws Exception {
        List<String> shapes = List.of("1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3");
        CategoryChart chart = new CategoryChartBuilder().width(1150).height(450)
                .title(op + ", one thread: ns per element (lower is better)").xAxisTitle("shape (NHWC)")
                .yAxisTitle("ns per element").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        // Bars start from the axis minimum; on a log axis XChart needs it above 0.
        chart.getStyler().setYAxisLogarithmic(true).setYAxisMin(0.1);
        for (String framework : Peers.NAMES) {
            List<String> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (String shape : shapes) {
                Double us = s.get(op + "|framework=" + framework + "|shape=" + shape + "|threads=1");
                if (us != null) {
                    x.add(shape);
                    y.add(us * 1e3 / Shape.parse(shape).floats());
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(framework, x, y);
            }
        }
        List<String> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (String shape : shapes) {
            Double us = s.get("arraycopy|shape=" + shape);
            if (us != null) {
                x.add(shape);
                y.add(us * 1e3 / Shape.parse(shape).floats());
            }
        }
        if (!x.isEmpty()) {
            chart.addSeries("arraycopy (ceiling)", x, y);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
