package dev.simdnorm.jmh;

import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * What the TensorFlow peers share: a graph with placeholders for x (NHWC) and the four per-channel parameters, the
 * tensors fed to them (made once), and the session, opened with the thread counts once the ops are in the graph.
 */
final class TensorFlowInputs implements AutoCloseable {

    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final Placeholder<TFloat32> x;
    final Placeholder<TFloat32> scale;
    final Placeholder<TFloat32> offset;
    final Placeholder<TFloat32> mean;
    final Placeholder<TFloat32> variance;
    private final TFloat32[] tensors;
    private Session session;

    TensorFlowInputs(Shape shape, float[] xs, float[] gamma, float[] beta, float[] runningMean,
                     float[] runningVariance) {
        org.tensorflow.ndarray.Shape dims = org.tensorflow.ndarray.Shape.of(shape.n(), shape.h(), shape.w(), shape.c());
        org.tensorflow.ndarray.Shape c = org.tensorflow.ndarray.Shape.of(shape.c());
        x = tf.placeholder(TFloat32.class, Placeholder.shape(dims));
        scale = tf.placeholder(TFloat32.class, Placeholder.shape(c));
        offset = tf.placeholder(TFloat32.class, Placeholder.shape(c));
        mean = tf.placeholder(TFloat32.class, Placeholder.shape(c));
        variance = tf.placeholder(TFloat32.class, Placeholder.shape(c));
        tensors = new TFloat32[]{
                TFloat32.tensorOf(dims, DataBuffers.of(xs, true, false)),
                TFloat32.tensorOf(c, DataBuffers.of(gamma, true, false)),
                TFloat32.tensorOf(c, DataBuffers.of(beta, true, false)),
                TFloat32.tensorOf(c, DataBuffers.of(runningMean, true, false)),
                TFloat32.tensorOf(c, DataBuffers.of(runningVariance, true, false))};
    }

    /** Opens the session, after the ops are in the graph. */
    void open(int threads) {
        ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads)
                .setInterOpParallelismThreads(1).build();
        session = new Session(graph, config);
    }

    /** A run with every placeholder fed. */
    Session.Runner feed() {
        return feed(tensors[0]);
    }

    /** A run with x fed from {@code xs} and the parameters from the tensors made once. */
    Session.Runner feed(TFloat32 xs) {
        return session.runner().feed(x, xs).feed(scale, tensors[1]).feed(offset, tensors[2])
                .feed(mean, tensors[3]).feed(variance, tensors[4]);
    }

    /** x's shape. */
    org.tensorflow.ndarray.Shape xShape() {
        return tensors[0].shape();
    }

    /** Output i of a run, copied out. */
    static float[] read(Result r, int i) {
        TFloat32 t = (TFloat32) r.get(i);
        float[] out = new float[(int) t.size()];
        t.copyTo(DataBuffers.of(out, false, false));
        return out;
    }

    /** What TensorFlow's oneDNN switch was for this process (read when its library loads). */
    static String onednn() {
        return "0".equals(System.getenv("TF_ENABLE_ONEDNN_OPTS")) ? "off" : "on";
    }

    @Override
    public void close() {
        for (TFloat32 t : tensors) {
            t.close();
        }
        session.close();
        graph.close();
    }
}
