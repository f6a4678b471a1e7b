package dev.simdnorm.jmh;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * TensorFlow has no LayerNorm, RMSNorm or GroupNorm kernel: Keras composes them from raw ops, and so does this peer,
 * as Keras 3's TensorFlow backend does. LayerNorm and GroupNorm: {@code tf.nn.moments} (the mean, then the mean of
 * the squared difference), {@code inv = rsqrt(var + ε)·γ}, {@code y = x·inv + (β − mean·inv)}; GroupNorm on x viewed
 * as [N, G, C/G, H·W] with γ and β as [1, G, C/G, 1]. RMSNorm: {@code x·rsqrt(mean(x²) + ε)·γ}. One graph, fed
 * tensors made once, y allocated per run as TensorFlow does.
 */
final class TensorFlowNormPeer implements NormPeer {

    private final int threads;
    private Graph graph;
    private Session session;
    private Placeholder<TFloat32> x;
    private Placeholder<TFloat32> scale;
    private Placeholder<TFloat32> offset;
    private TFloat32[] tensors;
    private Operand<TFloat32> y;

    public TensorFlowNormPeer(int threads) {
        this.threads = threads;
    }

    @Override
    public String name() {
        return "TensorFlow, Keras's composition of raw ops, oneDNN " + TensorFlowInputs.onednn();
    }

    @Override
    public boolean supports(Op op) {
        return !op.skip(); // no fused residual form, and composing one is not the operator
    }

    @Override
    public void load(Case c, float[] xs, float[] gamma, float[] beta, float epsilon) {
        graph = new Graph();
        Ops tf = Ops.create(graph);
        boolean group = c.op() == Op.GROUP_NORM;
        int perGroup = group ? c.channels() / c.groups() : 0;
        org.tensorflow.ndarray.Shape dims = group
                ? org.tensorflow.ndarray.Shape.of(c.n(), c.groups(), perGroup, c.spatial())
                : org.tensorflow.ndarray.Shape.of(c.rows(), c.size());
        org.tensorflow.ndarray.Shape p = group ? org.tensorflow.ndarray.Shape.of(1, c.groups(), perGroup, 1)
                : org.tensorflow.ndarray.Shape.of(c.size());
        x = tf.placeholder(TFloat32.class, Placeholder.shape(dims));
        scale = tf.placeholder(TFloat32.class, Placeholder.shape(p));
        offset = tf.placeholder(TFloat32.class, Placeholder.shape(p));
        tensors = new TFloat32[]{
                TFloat32.tensorOf(dims, DataBuffers.of(xs, true, false)),
                TFloat32.tensorOf(p, DataBuffers.of(gamma, true, false)),
                TFloat32.tensorOf(p, DataBuffers.of(beta, true, false))};
        Operand<TFloat32> eps = tf.constant(epsilon);
        Operand<org.tensorflow.types.TInt32> axes = group ? tf.constant(new int[]{2, 3}) : tf.constant(new int[]{-1});
        if (c.op() == Op.RMS_NORM) {
            Operand<TFloat32> meanSquare = tf.math.mean(tf.math.square(x), axes, Mean.keepDims(true));
            y = tf.math.mul(tf.math.mul(x, tf.math.rsqrt(tf.math.add(meanSquare, eps))), scale);
        } else {
            Operand<TFloat32> mean = tf.math.mean(x, axes, Mean.keepDims(true));
            Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, tf.stopGradient(mean)), axes,
                    Mean.keepDims(true));
            Operand<TFloat32> inv = tf.math.mul(tf.math.rsqrt(tf.math.add(variance, eps)), scale);
            y = tf.math.add(tf.math.mul(x, inv), tf.math.sub(offset, tf.math.mul(mean, inv)));
        }
        ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads)
                .setInterOpParallelismThreads(1).build();
        session = new Session(graph, config);
    }

    private Session.Runner feed() {
        return session.runner().feed(x, tensors[0]).feed(scale, tensors[1]).feed(offset, tensors[2]);
    }

    @Override
    public void run() {
        feed().fetch(y).run().close();
    }

    @Override
    public float[] y() {
        try (Result r = feed().fetch(y).run()) {
            return TensorFlowInputs.read(r, 0);
        }
    }

    @Override
    public void close() {
        if (graph == null) {
            return; // never loaded: an operator it lacks
        }
        for (TFloat32 t : tensors) {
            t.close();
        }
        session.close();
        graph.close();
    }
}
