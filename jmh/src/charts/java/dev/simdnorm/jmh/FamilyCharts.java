package dev.simdnorm.jmh;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.FileReader;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The normalization family's charts in docs/performance.md (XChart, headless), each from one JMH run's JSON:
 * <ul>
 *   <li>{@code rownorm.png}: from a {@code RowNormBenchmark} run, one panel per row size, the copy's time over
 *       LayerNorm's, RMSNorm's and LayerNorm's residual form's (for the latter the time of {@code residualCopy}, x
 *       into y and the residual into h, where the run has it, else two copies': it moves twice the bytes) against
 *       the working set, with the ceilings of the same run ({@code rowAffine}, {@code rowScale},
 *       {@code residualAffine}) and the targets (0.5 in cache, 0.85 at 256 MiB);</li>
 *   <li>{@code groupnorm.png}: from a {@code GroupNormBenchmark} run, GroupNorm's and InstanceNorm's time over the
 *       copy's on each shape and layout, with the target (2.2 from 256 KiB on).</li>
 * </ul>
 * Arguments: the output folder, the RowNormBenchmark JSON, the GroupNormBenchmark JSON. Ratios, not times: each is
 * of two rows of the same run, as the tables beside the charts.
 */
public final class FamilyCharts {

    private static final int[] SIZES = {64, 768, 4096, 16384};
    private static final int[] KIB = {16, 256, 4096, 262144};
    private static final String[] SHAPES = {"1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"};

    private FamilyCharts() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        rowNorm(scores(args[1], "RowNormBenchmark", "size", "kib"), out.resolve("rownorm"));
        groupNorm(scores(args[2], "GroupNormBenchmark", "shape", "layout"), out.resolve("groupnorm"));
    }

    /**
     * Score by "method|first|second" of two parameters, of benchmark class {@code cls} only (the scalar classes have
     * the same methods and parameters); rows without both parameters are skipped.
     */
    private static Map<String, Double> scores(String file, String cls, String first, String second) throws Exception {
        Map<String, Double> scores = new HashMap<>();
        try (Reader r = new FileReader(file)) {
            for (JsonElement e : JsonParser.parseReader(r).getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                JsonObject p = o.getAsJsonObject("params");
                if (!o.get("mode").getAsString().equals("avgt") || p == null || !p.has(first) || !p.has(second)) {
                    continue;
                }
                String[] name = o.get("benchmark").getAsString().split("\\.");
                if (!name[name.length - 2].equals(cls)) {
                    continue;
                }
                scores.put(name[name.length - 1] + "|" + p.get(first).getAsString() + "|"
                        + p.get(second).getAsString(), Charts.median(o)); // the median, as report.py
            }
        }
        return scores;
    }

    private static void rowNorm(Map<String, Double> s, Path file) throws Exception {
        String[][] series = {
            {"layerNorm", "LayerNorm", "1"}, {"rmsNorm", "RMSNorm", "1"},
            {"layerNormResidual", "LayerNorm's residual form", "2"},
            {"rowAffine", "rowAffine (LayerNorm's map alone)", "1"},
            {"rowScale", "rowScale (RMSNorm's map alone)", "1"},
            {"residualAffine", "residualAffine (the residual form's streams)", "2"}};
        List<XYChart> panels = new ArrayList<>();
        for (int size : SIZES) {
            XYChart chart = new XYChartBuilder().width(460).height(470).title("rows of " + size + " floats")
                    .xAxisTitle("working set (KiB)").yAxisTitle("copy's time / its time").build();
            chart.getStyler().setXAxisLogarithmic(true).setYAxisMin(0.0).setYAxisMax(1.5)
                    .setLegendPosition(Styler.LegendPosition.OutsideS);
            for (String[] one : series) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (int kib : KIB) {
                    Double copy = s.get("arraycopy|" + size + "|" + kib);
                    Double it = s.get(one[0] + "|" + size + "|" + kib);
                    if (copy != null && it != null) {
                        // The residual form's bytes: its measured copy where the run has one, as family_report.py.
                        Double pair = s.get("residualCopy|" + size + "|" + kib);
                        double bytes = one[2].equals("2") && pair != null ? pair : Integer.parseInt(one[2]) * copy;
                        x.add(Math.max(kib, size * 4.0 / 1024)); // at least one row: 64 KiB for 16384 floats
                        y.add(bytes / it);
                    }
                }
                if (!x.isEmpty()) {
                    chart.addSeries(one[1], x, y);
                }
            }
            // 0.5 in cache (to 4 MiB), 0.85 at 256 MiB: the step drawn between the two.
            chart.addSeries("target (the residual form: 0.5 throughout)", List.of(16.0, 32768.0, 32768.0, 262144.0),
                            List.of(0.5, 0.5, 0.85, 0.85))
                    .setMarker(SeriesMarkers.NONE).setLineColor(Color.BLACK).setLineStyle(SeriesLines.DASH_DASH);
            panels.add(chart);
        }
        BitmapEncoder.saveBitmap(panels, 2, 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void groupNorm(Map<String, Double> s, Path file) throws Exception {
        CategoryChart chart = new CategoryChartBuilder().width(920).height(440)
                .title("GroupNorm and InstanceNorm, one thread").yAxisTitle("its time / copy's time").build();
        chart.getStyler().setYAxisMin(0.0).setXAxisLabelRotation(20)
                .setLegendPosition(Styler.LegendPosition.OutsideS);
        List<String> labels = new ArrayList<>();
        List<Double> group = new ArrayList<>();
        List<Double> instance = new ArrayList<>();
        List<Double> target = new ArrayList<>();
        for (String shape : SHAPES) {
            for (String layout : new String[] {"NHWC", "NCHW"}) {
                Double copy = s.get("arraycopy|" + shape + "|" + layout);
                Double g = s.get("groupNorm|" + shape + "|" + layout);
                Double i = s.get("instanceNorm|" + shape + "|" + layout);
                if (copy == null || g == null || i == null) {
                    continue;
                }
                labels.add(shape + " " + layout);
                group.add(g / copy);
                instance.add(i / copy);
                target.add(2.2);
            }
        }
        chart.addSeries("GroupNorm (32 groups; 3 on 64x32x32x3)", labels, group);
        chart.addSeries("InstanceNorm", labels, instance);
        chart.addSeries("target from 256 KiB (2.2)", labels, target)
                .setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line)
                .setMarker(SeriesMarkers.NONE).setLineColor(Color.BLACK).setLineStyle(SeriesLines.DASH_DASH);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
