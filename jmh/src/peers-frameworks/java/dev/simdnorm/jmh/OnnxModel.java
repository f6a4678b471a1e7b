package dev.simdnorm.jmh;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One-graph ONNX models for ONNX Runtime, written as protobuf bytes by hand (no ONNX or protobuf artifact): a
 * BatchNormalization node, for NHWC data between two Transposes (ONNX has no NHWC batch norm), or alone on NCHW data.
 * Field numbers are those of onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto).
 */
final class OnnxModel {

    private OnnxModel() {
    }

    /**
     * The model bytes. Inputs X (the tensor), scale, B, mean, var ([C]); outputs Y and, when training, running_mean
     * and running_var.
     *
     * @param nhwc     X and Y are NHWC, transposed around the node; otherwise NCHW
     * @param dims     X's dimensions in its layout
     * @param training training_mode = 1 (batch statistics, running statistics as outputs)
     */
    static byte[] batchNorm(boolean nhwc, long[] dims, boolean training, float epsilon, float momentum) {
        long channels = nhwc ? dims[3] : dims[1];
        Message graph = new Message();
        String bnIn = "X";
        String bnOut = "Y";
        if (nhwc) {
            graph.message(1, node("Transpose", new String[]{"X"}, new String[]{"Xt"}, ints("perm", 0, 3, 1, 2)));
            bnIn = "Xt";
            bnOut = "Yt";
        }
        Message bn = training
                ? node("BatchNormalization", new String[]{bnIn, "scale", "B", "mean", "var"},
                        new String[]{bnOut, "running_mean", "running_var"}, floatAttr("epsilon", epsilon),
                        floatAttr("momentum", momentum), intAttr("training_mode", 1))
                : node("BatchNormalization", new String[]{bnIn, "scale", "B", "mean", "var"}, new String[]{bnOut},
                        floatAttr("epsilon", epsilon), floatAttr("momentum", momentum));
        graph.message(1, bn);
        if (nhwc) {
            graph.message(1, node("Transpose", new String[]{"Yt"}, new String[]{"Y"}, ints("perm", 0, 2, 3, 1)));
        }
        graph.string(2, "bn");
        graph.message(11, valueInfo("X", dims));
        for (String p : new String[]{"scale", "B", "mean", "var"}) {
            graph.message(11, valueInfo(p, new long[]{channels}));
        }
        graph.message(12, valueInfo("Y", dims));
        if (training) {
            graph.message(12, valueInfo("running_mean", new long[]{channels}));
            graph.message(12, valueInfo("running_var", new long[]{channels}));
        }
        Message opset = new Message().string(1, "").varint(2, 15);
        return new Message().varint(1, 8).string(2, "simdnorm").message(7, graph).message(8, opset).bytes();
    }

    /**
     * A one-node normalization model: LayerNormalization (opset 17) or RMSNormalization (opset 23) over the last
     * axis, GroupNormalization (opset 21, per-channel scale and bias) on NCHW data, or the contrib operators
     * SkipLayerNormalization and SkipSimplifiedLayerNormalization (domain com.microsoft) on [1, rows, size]. Inputs
     * X, scale and, but for the RMS forms, B (the skip forms: X, skip, gamma, beta); output Y (the skip forms also H,
     * their {@code input_skip_bias_sum}).
     *
     * @param dims       X's dimensions: [rows, size], [1, rows, size] for the skip forms, or [N, C, H·W] for
     *                   GroupNormalization
     * @param parameters the length of scale and B
     * @param groups     GroupNormalization's num_groups (ignored by the others)
     */
    static byte[] normalization(NormPeer.Op op, long[] dims, long parameters, float epsilon, int groups) {
        Message graph = new Message();
        String[] inputs = switch (op) {
            case RMS_NORM -> new String[]{"X", "scale"};
            case LAYER_NORM, GROUP_NORM -> new String[]{"X", "scale", "B"};
            case SKIP_LAYER_NORM -> new String[]{"X", "skip", "gamma", "beta"};
            case SKIP_RMS_NORM -> new String[]{"X", "skip", "gamma"};
        };
        // The skip forms' outputs: output, mean and inv_std_var (left out, as empty names), input_skip_bias_sum.
        String[] outputs = op.skip() ? new String[]{"Y", "", "", "H"} : new String[]{"Y"};
        int opset = switch (op) {
            case LAYER_NORM, SKIP_LAYER_NORM, SKIP_RMS_NORM -> 17;
            case RMS_NORM -> 23;
            case GROUP_NORM -> 21;
        };
        Message node = switch (op) {
            case LAYER_NORM -> node("LayerNormalization", inputs, outputs, intAttr("axis", -1),
                    floatAttr("epsilon", epsilon));
            case RMS_NORM -> node("RMSNormalization", inputs, outputs, intAttr("axis", -1),
                    floatAttr("epsilon", epsilon));
            case GROUP_NORM -> node("GroupNormalization", inputs, outputs, intAttr("num_groups", groups),
                    floatAttr("epsilon", epsilon));
            case SKIP_LAYER_NORM -> node("SkipLayerNormalization", inputs, outputs, floatAttr("epsilon", epsilon))
                    .string(7, "com.microsoft");
            case SKIP_RMS_NORM -> node("SkipSimplifiedLayerNormalization", inputs, outputs,
                    floatAttr("epsilon", epsilon)).string(7, "com.microsoft");
        };
        graph.message(1, node);
        graph.string(2, "norm");
        for (int i = 0; i < inputs.length; i++) {
            boolean parameter = op.skip() ? i >= 2 : i >= 1;
            graph.message(11, valueInfo(inputs[i], parameter ? new long[]{parameters} : dims));
        }
        graph.message(12, valueInfo("Y", dims));
        if (op.skip()) {
            graph.message(12, valueInfo("H", dims));
        }
        Message model = new Message().varint(1, 11).string(2, "simdnorm").message(7, graph)
                .message(8, new Message().string(1, "").varint(2, opset));
        if (op.skip()) {
            model.message(8, new Message().string(1, "com.microsoft").varint(2, 1));
        }
        return model.bytes();
    }

    private static Message node(String op, String[] inputs, String[] outputs, Message... attributes) {
        Message m = new Message();
        for (String i : inputs) {
            m.string(1, i);
        }
        for (String o : outputs) {
            m.string(2, o);
        }
        m.string(4, op);
        for (Message a : attributes) {
            m.message(5, a);
        }
        return m;
    }

    private static Message floatAttr(String name, float value) {
        return new Message().string(1, name).fixed32(2, Float.floatToIntBits(value)).varint(20, 1);
    }

    private static Message intAttr(String name, long value) {
        return new Message().string(1, name).varint(3, value).varint(20, 2);
    }

    private static Message ints(String name, long... values) {
        Message m = new Message().string(1, name);
        for (long v : values) {
            m.varint(8, v);
        }
        return m.varint(20, 7);
    }

    private static Message valueInfo(String name, long[] dims) {
        Message shape = new Message();
        for (long d : dims) {
            shape.message(1, new Message().varint(1, d));
        }
        Message tensor = new Message().varint(1, 1).message(2, shape); // elem_type FLOAT
        return new Message().string(1, name).message(2, new Message().message(1, tensor));
    }

    /** A protobuf message being written: fields in the order given. */
    private static final class Message {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Message varint(int field, long value) {
            tag(field, 0);
            raw(value);
            return this;
        }

        Message fixed32(int field, int bits) {
            tag(field, 5);
            for (int i = 0; i < 4; i++) {
                out.write(bits >>> (8 * i));
            }
            return this;
        }

        Message string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Message message(int field, Message m) {
            return bytes(field, m.bytes());
        }

        private Message bytes(int field, byte[] b) {
            tag(field, 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
