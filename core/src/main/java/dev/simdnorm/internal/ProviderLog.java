package dev.simdnorm.internal;

import java.lang.System.Logger.Level;

/**
 * What {@link KernelProvider} reports, through {@link System.Logger} {@code dev.simdnorm}, never throwing: a log
 * handler's exception must not fail the kernels' choice (in a class initializer it would fail every later call with
 * {@code NoClassDefFoundError}) or a caller's call.
 */
final class ProviderLog {

    private static final System.Logger LOG = System.getLogger("dev.simdnorm");

    private ProviderLog() {
    }

    /** Logs a message as it is. */
    static void log(Level level, String message) {
        try {
            LOG.log(level, message);
        } catch (RuntimeException e) {
            // The message is lost; the library goes on.
        }
    }

    /** Logs a {@link java.text.MessageFormat} pattern with its parameters. */
    static void log(Level level, String format, Object... params) {
        try {
            LOG.log(level, format, params);
        } catch (RuntimeException e) {
            // The message is lost; the library goes on.
        }
    }
}
