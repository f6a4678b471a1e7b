package dev.simdnorm.jmh;

/**
 * One framework's LayerNorm, RMSNorm or GroupNorm, for the family's side-by-side benchmarks and accuracy table.
 * {@link #load} puts x and the parameters into the framework's memory once, so that {@link #run} times the op alone;
 * {@link #y} copies the result out afterwards.
 */
interface NormPeer extends AutoCloseable {

    /**
     * The operators compared; the skip forms are the fused residual step, {@code h = x + residual} then LayerNorm or
     * RMSNorm of h, writing y and h (ONNX Runtime's SkipLayerNormalization and SkipSimplifiedLayerNormalization).
     */
    enum Op {
        LAYER_NORM, RMS_NORM, GROUP_NORM, SKIP_LAYER_NORM, SKIP_RMS_NORM;

        /** Whether this is a skip form, whose x holds the input rows and then the residual's. */
        boolean skip() {
            return this == SKIP_LAYER_NORM || this == SKIP_RMS_NORM;
        }
    }

    /**
     * One row of the tables: LayerNorm or RMSNorm over {@code rows} rows of {@code size} floats, or GroupNorm over
     * an NCHW tensor of {@code n} images of {@code channels} planes of {@code spatial} floats in {@code groups}.
     */
    record Case(Op op, int rows, int size, int n, int channels, int spatial, int groups) {

        /**
         * Parses {@code layer:SIZE:KIB} and {@code rms:SIZE:KIB} (rows of SIZE floats filling KIB KiB of x, at least
         * one row, as {@code RowNormBenchmark}), the same with {@code skip-layer} and {@code skip-rms} (KIB of x, and
         * as much of the residual), and {@code group:NxHxWxC:G}.
         */
        static Case parse(String s) {
            String[] p = s.split(":");
            return switch (p[0]) {
                case "layer", "rms", "skip-layer", "skip-rms" -> {
                    int size = Integer.parseInt(p[1]);
                    int rows = Math.max(1, Integer.parseInt(p[2]) * 1024 / (4 * size));
                    Op op = switch (p[0]) {
                        case "layer" -> Op.LAYER_NORM;
                        case "rms" -> Op.RMS_NORM;
                        case "skip-layer" -> Op.SKIP_LAYER_NORM;
                        default -> Op.SKIP_RMS_NORM;
                    };
                    yield new Case(op, rows, size, 0, 0, 0, 0);
                }
                case "group" -> {
                    Shape shape = Shape.parse(p[1]);
                    yield new Case(Op.GROUP_NORM, 0, 0, shape.n(), shape.c(), shape.spatial(), Integer.parseInt(p[2]));
                }
                default -> throw new IllegalArgumentException("no case " + s);
            };
        }

        /** The floats of x: for the skip forms, the input rows and then the residual's. */
        int floats() {
            return op == Op.GROUP_NORM ? n * channels * spatial : op.skip() ? 2 * rows * size : rows * size;
        }

        /** γ's and β's length: the normalized size, or the channels. */
        int parameters() {
            return op == Op.GROUP_NORM ? channels : size;
        }
    }

    /** What is measured, e.g. "ONNX Runtime LayerNormalization (opset 17)". */
    String name();

    /** Whether the framework has this operator as one op (the others are not timed, and not composed here). */
    boolean supports(Op op);

    /** Loads x (NCHW for GroupNorm) and the parameters (β ignored by RMSNorm and its skip form). */
    void load(Case c, float[] x, float[] gamma, float[] beta, float epsilon) throws Exception;

    /** Runs the op on the loaded x. */
    void run() throws Exception;

    /** The last y, in x's layout (for the skip forms, y alone, without h). */
    float[] y() throws Exception;

    @Override
    void close() throws Exception;
}
