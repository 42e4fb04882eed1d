package dev.gantry.agent.logs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Replaces a task's secret values with {@code ***} in what the agent serves or writes about it (its log, the last
 * stderr line in a failure's reason), as GitHub Actions masks secrets in a run's log. Besides each value as it is,
 * the value without surrounding whitespace (a file's trailing newline is rarely printed back) and, for a multi-line
 * value, each of its lines of {@link #MIN_LINE} characters or more are masked. What a job transforms (encodes,
 * splits, reverses) is not caught: masking is a safety net, not a reason to print secrets.
 */
public final class SecretMask {
    static final int MIN_LINE = 4;
    private static final byte[] MASK = "***".getBytes(StandardCharsets.UTF_8);

    /** Longest first: where two overlap, the longer is masked whole. */
    private final List<byte[]> values;

    private SecretMask(List<byte[]> values) {
        this.values = values;
    }

    public static SecretMask of(Collection<String> secretValues) {
        Set<String> masked = new LinkedHashSet<>();
        for (String value : secretValues) {
            masked.add(value);
            masked.add(value.strip());
            if (value.strip().contains("\n")) {
                value.lines().map(String::strip).filter(line -> line.length() >= MIN_LINE).forEach(masked::add);
            }
        }
        masked.removeIf(String::isEmpty);
        return new SecretMask(masked.stream().map(v -> v.getBytes(StandardCharsets.UTF_8))
                .sorted(Comparator.comparingInt((byte[] v) -> v.length).reversed()).toList());
    }

    /** {@code text} with every secret value replaced. */
    public String apply(String text) {
        if (values.isEmpty()) {
            return text;
        }
        ByteArrayOutputStream masked = new ByteArrayOutputStream();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        mask(bytes, true, masked);
        return masked.toString(StandardCharsets.UTF_8);
    }

    /**
     * A stream that writes to {@code out} what it is given, masked. A value may arrive split across writes, so bytes
     * that could begin one are held back until the next write shows whether they do, or until {@link Stream#finish()}.
     */
    public Stream wrap(OutputStream out) {
        return new Stream(out);
    }

    /**
     * Writes {@code bytes} masked to {@code out}; returns how many it consumed. Unless {@code end}, it stops at the
     * first byte where a value could begin but the bytes run out before it would end.
     */
    private int mask(byte[] bytes, boolean end, ByteArrayOutputStream out) {
        int length = bytes.length;
        int i = 0;
        int plain = 0; // start of the bytes not yet written
        scan:
        while (i < length) {
            for (byte[] value : values) {
                int available = Math.min(value.length, length - i);
                if (bytes[i] == value[0] && regionMatches(bytes, i, value, available)) {
                    if (available == value.length) {
                        out.write(bytes, plain, i - plain);
                        out.write(MASK, 0, MASK.length);
                        i += value.length;
                        plain = i;
                        continue scan;
                    }
                    if (!end) {
                        break scan; // the start of a value, perhaps: wait for what follows
                    }
                }
            }
            i++;
        }
        out.write(bytes, plain, i - plain);
        return i;
    }

    private static boolean regionMatches(byte[] bytes, int from, byte[] value, int length) {
        for (int k = 0; k < length; k++) {
            if (bytes[from + k] != value[k]) {
                return false;
            }
        }
        return true;
    }

    /** See {@link #wrap}. */
    public final class Stream extends OutputStream {
        private final OutputStream out;
        private byte[] pending = new byte[0];

        private Stream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            byte[] bytes = new byte[pending.length + len];
            System.arraycopy(pending, 0, bytes, 0, pending.length);
            System.arraycopy(b, off, bytes, pending.length, len);
            drain(bytes, false);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        /** Writes what was held back (no value can complete it now) and flushes. */
        public void finish() throws IOException {
            drain(pending, true);
            out.flush();
        }

        private void drain(byte[] bytes, boolean end) throws IOException {
            ByteArrayOutputStream masked = new ByteArrayOutputStream(bytes.length);
            int consumed = mask(bytes, end, masked);
            masked.writeTo(out);
            pending = Arrays.copyOfRange(bytes, consumed, bytes.length);
        }
    }
}
