package io.strata.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.strata.oci.ImageJson;
import io.strata.oci.JsonOut;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code --format} means in every verb, as docker and podman users type it: {@code table} (the
 * default: aligned columns), {@code json}, a Go-template-like line per row ({@code {{.Digest}}},
 * {@code {{.Architecture}}}, {@code {{json .Labels}}}), or {@code table} followed by such a
 * template (a header, then the rows). Field names are the JSON keys; a template may also write them
 * as Go does ({@code .CreatedBy} for {@code created_by}). Anything else is an error.
 */
final class Output {
    private static final Pattern ACTION = Pattern.compile("\\{\\{-?\\s*(.*?)\\s*-?}}");

    /** A column of the default table: its header, and the text of a row's cell. */
    record Column(String header, Function<Map<String, Object>, String> cell) {
        static Column of(String header, String key) {
            return new Column(header, row -> text(row.get(key)));
        }
    }

    private Output() {}

    /** Rows of a listing; {@code quiet} prints only each row's {@code idKey}. */
    static void rows(String format, boolean quiet, List<Map<String, Object>> rows, List<Column> table, String idKey) {
        StringBuilder out = new StringBuilder();
        if (quiet) {
            for (Map<String, Object> r : rows) out.append(text(r.get(idKey))).append('\n');
        } else if (format == null || format.equals("table")) {
            out.append(table(table, rows));
        } else if (format.equals("json")) {
            out.append(json(rows)).append('\n');
        } else if (format.startsWith("table ")) {
            String template = unescape(format.substring(6));
            List<Column> columns = new ArrayList<>();
            for (String cell : template.split("\t", -1)) {
                columns.add(new Column(header(cell), row -> render(cell, row)));
            }
            out.append(table(columns, rows));
        } else if (format.contains("{{")) {
            String template = unescape(format);
            for (Map<String, Object> r : rows) out.append(render(template, r)).append('\n');
        } else {
            throw unknown(format);
        }
        System.out.print(out);
    }

    /** One object (inspect, pull's result): JSON by default, or a template; {@code text} is the table form, if any. */
    static void one(String format, Map<String, Object> object, String text) {
        if (format == null || format.equals("table")) {
            if (text == null) {
                System.out.println(json(object));
                return;
            }
            System.out.println(text);
        } else if (format.equals("json")) {
            System.out.println(json(object));
        } else if (format.contains("{{")) {
            System.out.println(render(unescape(format), object));
        } else {
            throw unknown(format);
        }
    }

    /** Checks a --format before any work is done, so a typo costs nothing. */
    static void check(String format) {
        if (format == null || format.equals("table") || format.equals("json")) return;
        if (format.contains("{{")) {
            checkTemplate(format);
            return;
        }
        throw unknown(format);
    }

    /**
     * A template's braces must pair: an action left open ({@code {{.Names}}) or a stray {@code }}}
     * is an error, as Go's templates say, not text printed as it is.
     */
    static void checkTemplate(String template) {
        String rest = ACTION.matcher(template).replaceAll("");
        if (rest.contains("{{")) throw new IllegalArgumentException("template: unclosed action in " + template);
        if (rest.contains("}}")) throw new IllegalArgumentException("template: unexpected }} in " + template);
    }

    private static IllegalArgumentException unknown(String format) {
        return new IllegalArgumentException("unknown --format " + format + ": use table, json or a template such as '{{.Digest}}'");
    }

    /** An object's fields in the order given: key, value, key, value... */
    static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return out;
    }

    /**
     * Indented JSON. A tree of maps and lists (inspect's, pull's result) is written with jackson-core's
     * generator, as databind would write it, so that a command printing one builds no ObjectMapper;
     * anything else (records, beans) goes through databind.
     */
    static String json(Object value) {
        if (JsonOut.isTree(value)) return new String(JsonOut.tree(true, value), java.nio.charset.StandardCharsets.UTF_8);
        try {
            return ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String table(List<Column> columns, List<Map<String, Object>> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (Map<String, Object> r : rows) cells.add(columns.stream().map(c -> c.cell().apply(r)).toArray(String[]::new));
        int[] width = new int[columns.size()];
        for (String[] row : cells) for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        StringBuilder out = new StringBuilder();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) line.append(" ".repeat(width[i] - row[i].length() + 3));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** Fills a template's {{...}} actions from the object. */
    static String render(String template, Map<String, Object> object) {
        checkTemplate(template);
        Matcher m = ACTION.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String action = m.group(1);
            String value;
            if (action.startsWith("json ")) {
                value = compact(field(object, action.substring(5).trim()));
            } else if (action.startsWith(".")) {
                value = text(field(object, action));
            } else {
                throw new IllegalArgumentException("template: unknown action {{" + action + "}}: use {{.Field}} or {{json .Field}}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String compact(Object value) {
        if (JsonOut.isTree(value)) return new String(JsonOut.tree(false, value), java.nio.charset.StandardCharsets.UTF_8);
        try {
            return ImageJson.plain().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code .}, {@code .A}, {@code .A.B}: keys exactly, or as Go spells them (case and underscores aside). */
    @SuppressWarnings("unchecked")
    private static Object field(Map<String, Object> object, String path) {
        if (!path.startsWith(".")) throw new IllegalArgumentException("template: " + path + " is not a field (fields start with a dot)");
        Object current = object;
        if (path.equals(".")) return current;
        for (String part : path.substring(1).split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("template: " + path + ": " + part + " is not inside an object");
            }
            Object next = null;
            boolean found = false;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = e.getKey().toString();
                if (key.equals(part) || simple(key).equals(simple(part))) {
                    next = e.getValue();
                    found = true;
                    if (key.equals(part)) break;
                }
            }
            if (!found) {
                throw new IllegalArgumentException("template: no field " + part + " in " + path + " (fields: "
                        + String.join(", ", ((Map<String, Object>) map).keySet()) + ")");
            }
            current = next;
        }
        return current;
    }

    private static String simple(String key) {
        return key.replace("_", "").toLowerCase(Locale.ROOT);
    }

    /** A value as Go's templates print it: a list {@code [a b]}, a map {@code map[k:v]} (keys sorted); {{json .X}} gives JSON. */
    static String text(Object value) {
        if (value == null) return "<no value>";
        if (value instanceof List<?> list) return "[" + String.join(" ", list.stream().map(Output::text).toList()) + "]";
        if (value instanceof Map<?, ?> map) {
            return "map[" + String.join(" ", map.entrySet().stream().sorted(java.util.Comparator.comparing(e -> e.getKey().toString()))
                    .map(e -> e.getKey() + ":" + text(e.getValue())).toList()) + "]";
        }
        return value.toString();
    }

    /** A column header from a template cell: {{.CreatedBy}} → CREATED BY. */
    private static String header(String cell) {
        Matcher m = ACTION.matcher(cell);
        if (!m.find()) return cell.toUpperCase(Locale.ROOT);
        String name = m.group(1).replaceFirst("^json ", "").replaceFirst("^\\.", "");
        return name.replaceAll("([a-z])([A-Z])", "$1 $2").replace('_', ' ').replace('.', ' ').toUpperCase(Locale.ROOT);
    }

    private static String unescape(String format) {
        return format.replace("\\t", "\t").replace("\\n", "\n");
    }

    /** Decimal units, as docker prints sizes: 48.7MB (Go's %.3g: three significant digits, no trailing zeros). */
    static String size(long n) {
        return decimal(n, v -> new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString());
    }

    /** Bytes in decimal units (B, kB, MB, GB, TB), the number written by {@code digits}. */
    static String decimal(long n, java.util.function.DoubleFunction<String> digits) {
        if (n < 1000) return n + "B";
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return digits.apply(v) + units[u];
    }

    /** How long ago, as docker says it: "2 days ago", "About an hour ago". */
    static String ago(java.time.Instant then, java.time.Instant now) {
        return duration(then, now) + " ago";
    }

    /** A duration as docker says it (go-units' HumanDuration): "Less than a second", "1 second", "About a minute", "3 hours". */
    static String duration(java.time.Instant then, java.time.Instant now) {
        long s = java.time.Duration.between(then, now).getSeconds();
        if (s < 1) return "Less than a second";
        if (s == 1) return "1 second";
        if (s < 60) return s + " seconds";
        long min = s / 60;
        if (min == 1) return "About a minute";
        if (min < 60) return min + " minutes";
        long h = Math.round(s / 3600.0);
        if (h == 1) return "About an hour";
        if (h < 48) return h + " hours";
        long d = h / 24;
        if (d < 14) return d + " days";
        if (d < 60) return d / 7 + " weeks";
        if (d < 730) return d / 30 + " months";
        return d / 365 + " years";
    }

    /**
     * Asks on stderr before a prune removes things, as docker and podman ask; anything but y (and
     * no answer, as without a terminal) says no, and the command says nothing was removed.
     */
    static boolean confirmed(String what) throws java.io.IOException {
        System.err.print("WARNING! This will remove all " + what + ".\nAre you sure you want to continue? [y/N] ");
        System.err.flush();
        String answer = new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
        if (answer != null && answer.strip().equalsIgnoreCase("y")) return true;
        System.err.println("strata: nothing removed");
        return false;
    }

    /**
     * {@code --filter KEY=VALUE}s by key, as docker's ps and events take them (a key twice: either value;
     * different keys: all); a key not in {@code keys} is refused, naming those that are.
     */
    static Map<String, List<String>> filters(List<String> given, List<String> keys) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        for (String f : given) {
            int eq = f.indexOf('=');
            String key = eq < 0 ? f : f.substring(0, eq);
            if (eq < 0 || !keys.contains(key)) throw new IllegalArgumentException("invalid filter '" + f + "': give " + String.join("=, ", keys) + "=");
            out.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(f.substring(eq + 1));
        }
        return out;
    }

    /** {@code KEY=VALUE} labels as --label gives them (a bare KEY is an empty value, as docker's). */
    static Map<String, String> labels(List<String> given) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String kv : given) {
            int eq = kv.indexOf('=');
            out.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
        }
        return out;
    }
}
