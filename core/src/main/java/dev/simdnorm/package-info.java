/**
 * Fast, exact normalization layers for float32 tensors on the JVM: batch normalization (statistics, the fused
 * normalize, the training step and its backward pass), LayerNorm and RMSNorm, on the Vector API where it is
 * available.
 *
 * <h2>The types</h2>
 * <ul>
 *   <li>{@link dev.simdnorm.BatchNorm}: a layer, training and inference, in any framework's {@link
 *       dev.simdnorm.Convention}; built by {@link dev.simdnorm.BatchNormBuilder}.</li>
 *   <li>{@link dev.simdnorm.Moments}: per-channel mean and variance, mergeable across slices, threads and
 *       machines.</li>
 *   <li>{@link dev.simdnorm.ChannelAffine}: the normalize map alone, {@code y = (x − center)·scale + shift}.</li>
 *   <li>{@link dev.simdnorm.FoldedLayer}: a layer folded into the convolution or dense layer before it.</li>
 *   <li>{@link dev.simdnorm.LayerNorm} and {@link dev.simdnorm.RmsNorm}: normalization along the last {@code size}
 *       floats of each row, for transformers.</li>
 *   <li>{@link dev.simdnorm.Parallelism}: where parallel calls run; {@link dev.simdnorm.KernelSelection}: which
 *       kernels run, and the warm-up.</li>
 * </ul>
 *
 * <pre>{@code
 * BatchNorm bn = BatchNorm.builder(64).build();                 // TensorFlow 1 defaults
 * Moments batch = bn.train(x, 0, y, 0, rows);                   // NHWC: rows = N·H·W
 * bn.inference(x, 0, y, 0, rows);                               // lock-free, allocation-free
 * bn.inference(x, 0, y, 0, TensorShape.nchw(n, 64, h * w));     // NCHW
 * }</pre>
 *
 * <h2>The overloads</h2>
 * Every operation takes its tensor in one of three forms, each with or without a {@link dev.simdnorm.Parallelism}:
 * <table>
 *   <caption>Forms of the tensor argument</caption>
 *   <tr><th>form</th><th>arguments</th><th>operations</th></tr>
 *   <tr><td>NHWC array</td><td>{@code float[] x, int xOffset, …, int rows}: rows of C floats, channels
 *       innermost</td><td>all</td></tr>
 *   <tr><td>shaped array</td><td>{@code float[] x, int xOffset, …, TensorShape shape}: NHWC or NCHW, the dimensions
 *       in memory order</td><td>{@code Moments.of}, {@code ChannelAffine.apply}, {@code BatchNorm.train},
 *       {@code BatchNorm.inference}</td></tr>
 *   <tr><td>segments</td><td>{@code MemorySegment x, …, long rows}: NHWC float32 in native order, on or off the
 *       heap, any size</td><td>{@code Moments.of}, {@code ChannelAffine.apply}, {@code BatchNorm.train},
 *       {@code BatchNorm.inference}</td></tr>
 * </table>
 * The backward passes take NHWC arrays. {@code BatchNorm.train} and {@code backward} also write into the caller's
 * arrays instead of returning objects, for training loops that allocate nothing. Every form and every parallelism
 * gives the same bits for the same values.
 *
 * <h2>Arguments and errors</h2>
 * An output ({@code y}, {@code dx}) may be the input at the same offset (in place) and must not overlap it otherwise.
 * Every argument is checked before anything is written, and the exception names it: {@code NullPointerException}
 * for a null, {@code IndexOutOfBoundsException} for a range past an array's end (int overflow included), {@code
 * IllegalArgumentException} for a bad count, length, value or overlap. <b>The failure rule:</b> a call that throws
 * for an argument changes nothing, not the layer's state and not the output; an exception or error from a {@link
 * dev.simdnorm.Parallelism}'s executor, or from the JVM, is rethrown after every task the call started has ended,
 * with the layer's state unchanged but the output possibly written. No task of the library touches the caller's memory
 * after the call has returned or thrown. NaN and ±Inf in the data propagate per IEEE into their channel's results.
 *
 * <h2>Threads and allocation</h2>
 * {@code Moments}, {@code ChannelAffine}, {@code FoldedLayer}, {@code TensorShape}, {@code Gradients},
 * {@code LayerNorm} and {@code RmsNorm} are immutable. {@code BatchNorm.inference} is lock-free and allocates nothing, also while another thread trains; {@code
 * train}, the setters and the backward passes hold the layer's lock. Sequential calls allocate nothing but what they
 * return; parallel calls allocate a few objects per task.
 *
 * <h2>Kernels</h2>
 * With {@code --add-modules jdk.incubator.vector} the vector kernels run, after a warm-up of a few seconds during
 * which calls run the scalar kernels (the same bits; see {@link dev.simdnorm.KernelSelection}); without it, the
 * scalar kernels, and one warning says how to enable the others.
 */
package dev.simdnorm;
