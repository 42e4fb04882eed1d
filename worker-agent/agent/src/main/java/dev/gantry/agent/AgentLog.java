package dev.gantry.agent;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The agent's log: one line per record on stderr, in the server's format ({@code 2026-11-21 08:10:11,123 INFO
 * [dev.gantry.agent.Agent] (thread) message}). The agent runs outside Quarkus (before it would start), where
 * java.util.logging has no handler that prints anything useful.
 */
final class AgentLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    private AgentLog() {
    }

    static void toStderr(PrintStream err) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Handler handler = new StreamHandler(err, new Formatter() {
            @Override
            public String format(LogRecord record) {
                String level = record.getLevel() == Level.WARNING ? "WARN" : record.getLevel() == Level.SEVERE ? "ERROR"
                        : record.getLevel().getName();
                String line = String.format("%s %-5s [%s] (%s) %s%n", LocalDateTime.now().format(TIME), level,
                        record.getLoggerName(), Thread.currentThread().getName(), formatMessage(record));
                if (record.getThrown() != null) {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    record.getThrown().printStackTrace(new java.io.PrintWriter(trace));
                    line += trace;
                }
                return line;
            }
        }) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        handler.setLevel(Level.INFO);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        // gRPC and Netty are chatty at INFO about reconnects the client already handles.
        Logger.getLogger("io.grpc").setLevel(Level.WARNING);
        Logger.getLogger("io.netty").setLevel(Level.WARNING);
    }
}
