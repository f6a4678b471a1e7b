package dev.simdnorm.jmh;

import java.util.SplittableRandom;

/**
 * The family's accuracy table: each framework's y against a double-precision oracle of the operator's definition
 * (biased variance, ε inside the root), on data far from zero and on long rows:
 * <ul>
 *   <li>LayerNorm, 16 rows of 4096 floats of mean 1e4 and sd 1 (the bar: y within 1e-5);</li>
 *   <li>RMSNorm, one row of 2²⁰ floats N(0, 1) and 16 rows of 4096 of mean 1e4 and sd 1 (bar: 4 float roundings
 *   relative);</li>
 *   <li>GroupNorm, 2x16x16x64 NCHW with 32 groups, mean 1e4 and sd 1.</li>
 * </ul>
 * Prints a Markdown table of the largest |y − exact| (and, for RMSNorm, whose y has the sign and size of x, the
 * largest relative error in float roundings, 2⁻²⁴); NaNs are counted. Data of mean 2 check each peer's model.
 * Run: {@code ./mvnw -q -f jmh/pom.xml -Ppeers compile exec:exec@norm-peer-accuracy}.
 */
public final class NormPeerAccuracy {

    private NormPeerAccuracy() {
    }

    private record Row(String label, NormPeer.Case c, double mean, double sd) {
    }

    public static void main(String[] args) throws Exception {
        Row[] rows = {
            new Row("LayerNorm 16×4096, mean 1e4, sd 1", new NormPeer.Case(NormPeer.Op.LAYER_NORM, 16, 4096, 0, 0, 0,
                    0), 1e4, 1),
            new Row("LayerNorm 16×4096, N(2, 1)", new NormPeer.Case(NormPeer.Op.LAYER_NORM, 16, 4096, 0, 0, 0, 0), 2,
                    1),
            new Row("RMSNorm 1×2²⁰, N(0, 1)", new NormPeer.Case(NormPeer.Op.RMS_NORM, 1, 1 << 20, 0, 0, 0, 0), 0, 1),
            new Row("RMSNorm 16×4096, mean 1e4, sd 1", new NormPeer.Case(NormPeer.Op.RMS_NORM, 16, 4096, 0, 0, 0, 0),
                    1e4, 1),
            new Row("LayerNorm + residual 16×4096, x and residual mean 1e4, sd 1",
                    new NormPeer.Case(NormPeer.Op.SKIP_LAYER_NORM, 16, 4096, 0, 0, 0, 0), 1e4, 1),
            new Row("RMSNorm + residual 16×4096, x and residual mean 1e4, sd 1",
                    new NormPeer.Case(NormPeer.Op.SKIP_RMS_NORM, 16, 4096, 0, 0, 0, 0), 1e4, 1),
            new Row("GroupNorm 2x16x16x64 NCHW, 32 groups, N(2, 1)", new NormPeer.Case(NormPeer.Op.GROUP_NORM, 0, 0,
                    2, 64, 256, 32), 2, 1),
            new Row("GroupNorm 2x16x16x64 NCHW, 32 groups, mean 1e4, sd 1", new NormPeer.Case(NormPeer.Op.GROUP_NORM,
                    0, 0, 2, 64, 256, 32), 1e4, 1),
        };
        StringBuilder out = new StringBuilder("| case | framework | max abs error of y "
                + "| max relative error (RMSNorm), float roundings |\n|---|---|---|---|\n");
        for (Row row : rows) {
            float[] x = data(row);
            SplittableRandom random = new SplittableRandom(7);
            float[] gamma = new float[row.c().parameters()];
            float[] beta = new float[row.c().parameters()];
            for (int j = 0; j < gamma.length; j++) {
                gamma[j] = (float) (1 + 0.1 * random.nextGaussian());
                beta[j] = (float) (0.1 * random.nextGaussian());
            }
            double[] exact = oracle(row.c(), x, gamma, beta, 1e-5);
            for (String name : NormPeers.NAMES) {
                NormPeer peer;
                try {
                    peer = NormPeers.create(name, 1);
                } catch (IllegalStateException notOnTheClassPath) {
                    continue; // the other profile's run has its rows
                }
                if (!peer.supports(row.c().op())) {
                    out.append("| ").append(row.label()).append(" | ").append(peer.name())
                            .append(" | no such operator | – |\n");
                    peer.close();
                    continue;
                }
                try {
                    peer.load(row.c(), x, gamma, beta, 1e-5f);
                } catch (LinkageError notOnTheClassPath) {
                    continue; // compiled under the other profile: that run has its rows
                }
                peer.run();
                float[] y = peer.y();
                double abs = 0;
                double rel = 0;
                int nan = 0;
                for (int i = 0; i < y.length; i++) {
                    double e = Math.abs(y[i] - exact[i]);
                    if (Double.isNaN(e)) {
                        nan++;
                        continue;
                    }
                    abs = Math.max(abs, e);
                    rel = Math.max(rel, e / Math.abs(exact[i]));
                }
                String absolute = nan > 0 ? String.format("NaN in %d of %d", nan, y.length)
                        : String.format("%.2e", abs);
                NormPeer.Op op = row.c().op();
                String relative = (op == NormPeer.Op.RMS_NORM || op == NormPeer.Op.SKIP_RMS_NORM) && nan == 0
                        ? String.format("%.1f", rel / 0x1p-24) : "–";
                out.append(String.format("| %s | %s | %s | %s |%n", row.label(), peer.name(), absolute, relative));
                peer.close();
            }
        }
        System.out.print(out);
    }

    private static float[] data(Row row) {
        SplittableRandom random = new SplittableRandom(11);
        float[] x = new float[row.c().floats()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (row.mean() + row.sd() * random.nextGaussian());
        }
        return x;
    }

    /**
     * y of the operator's definition, in double from the float inputs; for a skip form, of h = x + residual rounded
     * to float, as the operator writes h and every framework rounds it.
     */
    static double[] oracle(NormPeer.Case c, float[] x, float[] gamma, float[] beta, double epsilon) {
        if (c.op().skip()) {
            int n = c.rows() * c.size();
            float[] h = new float[n];
            for (int i = 0; i < n; i++) {
                h[i] = x[i] + x[n + i];
            }
            NormPeer.Op op = c.op() == NormPeer.Op.SKIP_LAYER_NORM ? NormPeer.Op.LAYER_NORM : NormPeer.Op.RMS_NORM;
            return oracle(new NormPeer.Case(op, c.rows(), c.size(), 0, 0, 0, 0), h, gamma, beta, epsilon);
        }
        double[] y = new double[x.length];
        if (c.op() == NormPeer.Op.GROUP_NORM) {
            int run = c.channels() / c.groups() * c.spatial();
            for (int g = 0; g < c.n() * c.groups(); g++) {
                int from = g * run;
                double[] m = moments(x, from, run);
                double inv = 1 / Math.sqrt(m[1] + epsilon);
                for (int i = from; i < from + run; i++) {
                    int channel = (i / c.spatial()) % c.channels();
                    y[i] = (x[i] - m[0]) * inv * gamma[channel] + beta[channel];
                }
            }
            return y;
        }
        int size = c.size();
        for (int r = 0; r < c.rows(); r++) {
            int from = r * size;
            if (c.op() == NormPeer.Op.LAYER_NORM) {
                double[] m = moments(x, from, size);
                double inv = 1 / Math.sqrt(m[1] + epsilon);
                for (int j = 0; j < size; j++) {
                    y[from + j] = (x[from + j] - m[0]) * inv * gamma[j] + beta[j];
                }
            } else {
                double squares = 0;
                for (int j = 0; j < size; j++) {
                    squares += (double) x[from + j] * x[from + j]; // exact products; the sum to ~1e-16 relative
                }
                double inv = 1 / Math.sqrt(squares / size + epsilon);
                for (int j = 0; j < size; j++) {
                    y[from + j] = x[from + j] * inv * gamma[j];
                }
            }
        }
        return y;
    }

    /** Mean and biased variance in double, two passes. */
    private static double[] moments(float[] x, int from, int count) {
        double sum = 0;
        for (int i = from; i < from + count; i++) {
            sum += x[i];
        }
        double mean = sum / count;
        double squares = 0;
        for (int i = from; i < from + count; i++) {
            double d = x[i] - mean;
            squares += d * d;
        }
        return new double[]{mean, squares / count};
    }
}
