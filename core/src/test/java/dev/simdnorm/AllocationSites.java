package dev.simdnorm;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where a loop of calls allocates, for the message of a failed allocation test: a JFR recording of the allocation
 * samples over more calls, started only once the calls were seen to allocate. Started earlier, JFR changed what C2
 * compiled and hid the boxing it was to find (docs/testing.md); this way a failure in CI says which method boxed.
 */
final class AllocationSites {

    private static final int FRAMES = 16;

    private AllocationSites() {
    }

    /**
     * The heaviest allocating stacks over {@code calls} more calls, each with its sampled weight (JFR's estimate of the
     * bytes, not an exact count); a line saying why where JFR is not available.
     */
    static String of(Runnable call, int calls) {
        // The tests run patched into the module dev.simdnorm, which does not read jdk.jfr (surefire adds no such edge).
        Module jfr = ModuleLayer.boot().findModule("jdk.jfr").orElse(null);
        if (jfr == null) {
            return "(no JFR allocation profile: the module jdk.jfr is not in the boot layer)";
        }
        AllocationSites.class.getModule().addReads(jfr);
        return recorded(call, calls);
    }

    private static String recorded(Runnable call, int calls) {
        try (Recording recording = new Recording()) {
            // Samples only: their weights estimate the bytes allocated at a stack (a TLAB event's is one object's).
            recording.enable("jdk.ObjectAllocationSample").with("throttle", "100000/s").withStackTrace();
            recording.start();
            for (int i = 0; i < calls; i++) {
                call.run();
            }
            recording.stop();
            Path file = Files.createTempFile("simdnorm-allocation", ".jfr");
            try {
                recording.dump(file);
                return summary(RecordingFile.readAllEvents(file));
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException | RuntimeException e) {
            return "(no JFR allocation profile: " + e + ")";
        }
    }

    private static String summary(List<RecordedEvent> events) {
        long thread = Thread.currentThread().threadId();
        Map<String, Long> bytesByStack = new HashMap<>();
        for (RecordedEvent e : events) {
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || e.getThread() == null || e.getThread().getJavaThreadId() != thread) {
                continue;
            }
            String where = e.getClass("objectClass").getName() + " at " + stack.getFrames().stream().limit(FRAMES)
                    .map(AllocationSites::frame).collect(Collectors.joining(" < "));
            bytesByStack.merge(where, e.getLong("weight"), Long::sum);
        }
        if (bytesByStack.isEmpty()) {
            // Starting a recording may deoptimize and recompile the calls, which can drop an allocation that one JIT
            // state made; a recording started with the JVM found such a site (docs/design-log.md, 2026-12-07).
            return "(JFR sampled no allocation in this thread; a recording started now may recompile the calls: to see"
                    + " a site, start one with the JVM,"
                    + " JDK_JAVA_OPTIONS=-XX:StartFlightRecording=filename=/tmp/r%p.jfr,settings=profile)";
        }
        return bytesByStack.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
                .map(s -> "~" + s.getValue() + " B sampled: " + s.getKey())
                .collect(Collectors.joining("\n", "\nallocating:\n", ""));
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber() + " ("
                + f.getType() + ")";
    }
}
