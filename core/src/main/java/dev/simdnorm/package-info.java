/**
 * Fast, exact normalization layers for float32 tensors on the JVM: batch normalization (statistics, the fused
 * normalize, the training step and its backward pass), LayerNorm, RMSNorm, GroupNorm and InstanceNorm, on the Vector
 * API where it is available.
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
 *       floats of each row, for transformers; built by {@link dev.simdnorm.LayerNormBuilder} and
 *       {@link dev.simdnorm.RmsNormBuilder}.</li>
 *   <li>{@link dev.simdnorm.GroupNorm}: group and instance normalization of images, NHWC or NCHW
 *       ({@link dev.simdnorm.TensorLayout}); built by {@link dev.simdnorm.GroupNormBuilder}.</li>
 *   <li>{@link dev.simdnorm.Parallelism}: where parallel calls run; {@link dev.simdnorm.KernelSelection}: which
 *       kernels run, and the warm-up.</li>
 * </ul>
 *
 * <pre>{@code
 * BatchNorm bn = BatchNorm.builder(64).build();                 // TensorFlow 1 defaults
 * Moments batch = bn.train(x, 0, y, 0, rows);                   // NHWC: rows = N·H·W
 * bn.inference(x, 0, y, 0, rows);                               // lock-free, allocation-free when warm
 * bn.inference(x, 0, y, 0, TensorShape.nchw(n, 64, h * w));     // NCHW
 * }</pre>
 *
 * <h2>The overloads</h2>
 * Every BatchNorm operation takes its tensor in one of three forms, each with or without a
 * {@link dev.simdnorm.Parallelism}. {@code GroupNorm.apply} takes arrays with a {@link dev.simdnorm.TensorLayout}
 * and {@code (n, spatial)} or a {@link dev.simdnorm.TensorShape}, or segments with {@code (n, spatial)} (NHWC) or a
 * layout and {@code (n, spatial)}, each with or without a {@code Parallelism}; {@code LayerNorm.apply} and
 * {@code RmsNorm.apply} take rows of {@code size} floats in arrays or in segments, with or without a
 * {@code Parallelism}.
 * <table>
 *   <caption>Forms of the tensor argument</caption>
 *   <tr><th>form</th><th>arguments</th><th>operations</th></tr>
 *   <tr><td>NHWC array</td><td>{@code float[] x, int xOffset, …, int rows}: rows of C floats, channels
 *       innermost</td><td>all</td></tr>
 *   <tr><td>shaped array</td><td>{@code float[] x, int xOffset, …, TensorShape shape}: NHWC or NCHW, the dimensions
 *       in memory order</td><td>{@code Moments.of}, {@code ChannelAffine.apply}, {@code BatchNorm.train},
 *       {@code BatchNorm.inference}, {@code BatchNorm.backward}, {@code BatchNorm.backwardInference}</td></tr>
 *   <tr><td>segments</td><td>{@code MemorySegment x, …, long rows}: NHWC float32 in native order, on or off the
 *       heap, any size</td><td>{@code Moments.of}, {@code ChannelAffine.apply}, {@code BatchNorm.train},
 *       {@code BatchNorm.inference}</td></tr>
 * </table>
 * The backward passes take NHWC arrays, and shaped ones (an NCHW tensor staged a slice at a time through per-thread
 * NHWC buffers). {@code BatchNorm.train}, {@code backward} and {@code backwardInference} also write into the caller's
 * arrays instead of returning objects, for training loops that allocate nothing. Every form and every parallelism
 * gives the same bits for the same values.
 *
 * <h2>Arguments and errors</h2>
 * An output ({@code y}, {@code dx}) may be the input at the same offset (in place) and must not overlap it otherwise.
 * Every argument is checked before anything is written, and the exception names it: {@code NullPointerException}
 * for a null, {@code IndexOutOfBoundsException} for a range past an array's end (int overflow included), {@code
 * IllegalArgumentException} for a bad count, length, value or overlap. <b>The failure rule:</b> a call that throws
 * for an argument changes nothing, not the layer's state and not the output; an exception thrown by the work,
 * anything but a {@code RuntimeException} from a {@link dev.simdnorm.Parallelism}'s executor (which counts as a
 * rejection: the caller does the rest), or an error from the JVM, is rethrown after every task the call started has
 * ended, with the layer's state unchanged but the output possibly written. No task of the library touches the
 * caller's memory after the call has returned or thrown. NaN and ±Inf in the data propagate per IEEE into their
 * channel's results.
 *
 * <h2>Threads and allocation</h2>
 * {@code Moments}, {@code ChannelAffine}, {@code FoldedLayer}, {@code TensorShape}, {@code Gradients},
 * {@code LayerNorm}, {@code RmsNorm} and {@code GroupNorm} are immutable. {@code BatchNorm.inference} is lock-free,
 * also while another thread trains; {@code train}, the setters and the backward passes hold the layer's lock.
 * Sequential calls allocate nothing but what they return, once warm: a layer's first inference after a training step
 * or setter folds a new snapshot of its parameters, and a thread's first call of a segment overload, LayerNorm,
 * RMSNorm, GroupNorm or an NCHW backward pass makes its working arrays; an NCHW backward pass also allocates two
 * small work objects. Parallel calls allocate a few objects per task.
 *
 * <h2>Kernels</h2>
 * With {@code --add-modules jdk.incubator.vector} the vector kernels run, after a warm-up of a few seconds during
 * which calls run the scalar kernels (the same bits; see {@link dev.simdnorm.KernelSelection}); without it, the
 * scalar kernels, and one warning says how to enable the others.
 */
package dev.simdnorm;
