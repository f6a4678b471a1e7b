package dev.simdnorm.jmh;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
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
 * The peers' charts, from JMH's JSON output (XChart, headless): {@code peers-inference.png} and
 * {@code peers-train.png}, ns per element for simdnorm and every peer per shape, from the peers run(s). The library's
 * own charts are {@code Charts}' (the {@code charts} profile). Arguments: the output folder, then one or more peers'
 * JSON files.
 */
public final class PeerCharts {

    private PeerCharts() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        List<String> peerFiles = List.of(args).subList(1, args.length);
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

    /** ns per element of every framework per shape, one bar each. */
    private static void peerChart(Map<String, Double> s, String op, Path file) throws Exception {
        List<String> shapes = List.of("1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3");
        CategoryChart chart = new CategoryChartBuilder().width(1150).height(450)
                .title(op + ", one thread: ns per element (lower is better)").xAxisTitle("shape (NHWC)")
                .yAxisTitle("ns per element").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisLogarithmic(true);
        double least = Double.MAX_VALUE;
        for (String framework : Peers.NAMES) {
            List<String> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (String shape : shapes) {
                Double us = s.get(op + "|framework=" + framework + "|shape=" + shape + "|threads=1");
                if (us != null) {
                    x.add(shape);
                    y.add(us * 1e3 / Shape.parse(shape).floats());
                    least = Math.min(least, y.getLast());
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
                least = Math.min(least, y.getLast());
            }
        }
        if (!x.isEmpty()) {
            chart.addSeries("arraycopy (ceiling)", x, y);
        }
        // Bars start from the axis minimum, which on a log axis XChart needs above 0: the power of ten below the
        // shortest bar, so that every bar shows (a fixed 0.1 hid simdnorm's and the copy's bars below 0.1 ns).
        chart.getStyler().setYAxisMin(least == Double.MAX_VALUE ? 0.1 : Math.pow(10, Math.floor(Math.log10(least))));
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
