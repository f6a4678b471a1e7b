package dev.simdnorm.internal;

import java.lang.System.Logger.Level;

/**
 * What {@link KernelProvider} reports, through {@link System.Logger} {@code dev.simdnorm}, never throwing: a log
 * handler's exception or error must not fail the kernels' choice (in a class initializer it would fail every later
 * call with {@code NoClassDefFoundError}) or a caller's call.
 */
final class ProviderLog {

    /** Null until the first message: a logger backend that fails to load must not fail the class that logs. */
    private static volatile System.Logger logger;

    private ProviderLog() {
    }

    /** Logs a message as it is. */
    static void log(Level level, String message) {
        try {
            logger().log(level, message);
        } catch (RuntimeException | Error e) {
            // The message is lost (a throwing handler, a stack overflow or OutOfMemoryError in it); the library goes on.
        }
    }

    /** Logs a {@link java.text.MessageFormat} pattern with its parameters. */
    static void log(Level level, String format, Object... params) {
        try {
            logger().log(level, format, params);
        } catch (RuntimeException | Error e) {
            // The message is lost; the library goes on.
        }
    }

    private static System.Logger logger() {
        System.Logger l = logger;
        if (l == null) {
            l = System.getLogger("dev.simdnorm"); // the same logger if two threads race here
            logger = l;
        }
        return l;
    }
}
