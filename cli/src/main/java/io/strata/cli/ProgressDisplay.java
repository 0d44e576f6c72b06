package io.strata.cli;

import io.strata.client.Puller;
import io.strata.oci.Digest;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.Status;

/**
 * What a pull or push shows as it goes, on stderr: on a terminal, one live line per layer with a bar,
 * bytes and rate (JLine's Status keeps them at the bottom of the screen); otherwise plain lines, a
 * few per layer, so logs stay readable. {@code --quiet} shows nothing.
 */
final class ProgressDisplay implements Puller.Events, AutoCloseable {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final boolean quiet;
    private final PrintStream plain;
    private final Terminal terminal;
    private final Status status;
    private final Map<Digest, Line> lines = new LinkedHashMap<>();
    private long lastDraw;

    private static final class Line {
        String state = "Waiting";
        long done;
        long total;
        long started = System.nanoTime();
        long lastPlainStep = -1;
    }

    private ProgressDisplay(boolean quiet, Terminal terminal) {
        this.quiet = quiet;
        this.plain = System.err;
        this.terminal = terminal;
        this.status = terminal == null ? null : Status.getStatus(terminal);
    }

    /** Live lines when stderr is a terminal that can draw them, plain lines otherwise. */
    static ProgressDisplay open(boolean quiet) {
        if (quiet || System.console() == null || !System.console().isTerminal()) return new ProgressDisplay(quiet, null);
        try {
            Terminal t = TerminalBuilder.builder().system(true).systemOutput(TerminalBuilder.SystemOutput.SysErr)
                    .dumb(false).build();
            if (Terminal.TYPE_DUMB.equals(t.getType()) || Terminal.TYPE_DUMB_COLOR.equals(t.getType())) {
                t.close();
                return new ProgressDisplay(false, null);
            }
            return new ProgressDisplay(false, t);
        } catch (IOException | RuntimeException e) {
            return new ProgressDisplay(false, null);
        }
    }

    @Override
    public synchronized void layer(Digest digest, String state) {
        if (quiet) return;
        Line line = lines.computeIfAbsent(digest, d -> new Line());
        if (state.equals("Pulling") || state.equals("Pushing") || state.equals("Extracting")) line.started = System.nanoTime();
        line.state = state;
        if (status == null) plain.println(short12(digest) + ": " + state);
        else draw(true);
    }

    @Override
    public synchronized void progress(Digest digest, long done, long total) {
        if (quiet) return;
        Line line = lines.computeIfAbsent(digest, d -> new Line());
        line.done = done;
        line.total = total;
        line.state = "Downloading";
        if (status == null) {
            long step = total <= 0 ? 0 : done * 4 / total; // a line per quarter
            if (step > line.lastPlainStep && step < 4) {
                line.lastPlainStep = step;
                plain.println(short12(digest) + ": Downloading " + bytes(done) + "/" + bytes(total));
            }
            return;
        }
        draw(false);
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        int width = Math.max(40, terminal.getWidth());
        List<AttributedString> out = new ArrayList<>();
        lines.forEach((d, l) -> out.add(new AttributedString(render(d, l.state, l.done, l.total,
                rate(l.done, now - l.started), width))));
        // Status repaints only what changed since its last picture of the screen, and that picture goes
        // stale when lines are added; at ten frames a second a full repaint is cheap and always right.
        status.reset();
        status.update(out);
    }

    private static double rate(long bytes, long nanos) {
        return nanos <= 0 ? 0 : bytes / (nanos / 1e9);
    }

    /** One layer's line: {@code 1a2b3c4d5e6f: Downloading [=====>    ] 12.0MB/45.0MB 10.2MB/s}, cut to {@code width}. */
    static String render(Digest digest, String state, long done, long total, double bytesPerSecond, int width) {
        StringBuilder sb = new StringBuilder(short12(digest)).append(": ").append(state);
        if (state.equals("Downloading") && total > 0) {
            int bar = 24;
            int filled = (int) Math.min(bar, done * bar / total);
            sb.append(" [").append("=".repeat(Math.max(0, filled - 1))).append(filled > 0 ? (filled == bar ? "=" : ">") : "")
                    .append(" ".repeat(bar - filled)).append("] ")
                    .append(bytes(done)).append('/').append(bytes(total))
                    .append(' ').append(bytes((long) bytesPerSecond)).append("/s");
        }
        return sb.length() > width ? sb.substring(0, width) : sb.toString();
    }

    private static String short12(Digest d) {
        return d.encoded().substring(0, 12);
    }

    /** Decimal units with one decimal, as docker's progress lines print them: 12.0MB. */
    static String bytes(long n) {
        return Output.decimal(n, v -> String.format(Locale.ROOT, "%.1f", v));
    }

    /** A line of its own (a retry, a warning), above the live lines; shown even with --quiet when it is a warning. */
    synchronized void notice(String message) {
        if (status == null) {
            plain.println(message);
            return;
        }
        status.update(List.of());
        terminal.writer().println(message);
        terminal.flush();
        draw(true);
    }

    @Override
    public void warning(String message) {
        notice("WARNING: " + message);
    }

    /** Retries are news on a terminal; in logs and scripts the final error says enough. */
    void retry(String message) {
        if (!quiet && System.console() != null) notice(message);
    }

    /** Leaves the final state of every layer in the scrollback. */
    @Override
    public synchronized void close() {
        if (status == null) return;
        List<String> last = new ArrayList<>();
        lines.forEach((d, l) -> last.add(render(d, l.state, l.done, l.total, 0, Integer.MAX_VALUE)));
        status.update(List.of());
        status.close();
        last.forEach(terminal.writer()::println);
        terminal.flush();
        try {
            terminal.close();
        } catch (IOException ignored) {
            // the process is about to exit
        }
    }
}
