package io.strata.builder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed Containerfile: its parser directives ({@code # syntax=}, {@code # escape=}) and its
 * instructions, read as the Dockerfile reference (and BuildKit's parser) reads them: directives
 * only before anything else, comments only where a line starts with {@code #}, the escape
 * character continuing a line, here-documents after RUN, COPY and ADD. No I/O: text in, records out.
 */
public record Containerfile(String syntax, char escape, List<Instruction> instructions) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DIRECTIVE = Pattern.compile("^#\\s*([A-Za-z][A-Za-z0-9]*)\\s*=\\s*(.*?)\\s*$");
    private static final Set<String> DIRECTIVES = Set.of("syntax", "escape", "check");
    /** A here-document's marker: <<EOF, <<-EOF, <<"EOF", <<'EOF'. */
    private static final Pattern HEREDOC = Pattern.compile("<<(-?)(?:\"([A-Za-z0-9_.-]+)\"|'([A-Za-z0-9_.-]+)'|([A-Za-z0-9_.-]+))");
    private static final Map<String, Set<String>> FLAGS = Map.of(
            "FROM", Set.of("platform"),
            "RUN", Set.of("mount", "network", "security"),
            "COPY", Set.of("from", "chown", "chmod", "link", "parents", "exclude"),
            "ADD", Set.of("chown", "chmod", "checksum", "keep-git-dir", "link", "exclude"),
            "HEALTHCHECK", Set.of("interval", "timeout", "start-period", "start-interval", "retries"));

    public static Containerfile parse(String text, String file) {
        String[] lines = text.replace("\r\n", "\n").split("\n", -1);
        String syntax = null;
        char escape = '\\';
        int i = 0;
        // Parser directives: only at the top, each once; anything else ends them.
        Set<String> seen = new java.util.HashSet<>();
        for (; i < lines.length; i++) {
            Matcher m = DIRECTIVE.matcher(lines[i].strip());
            if (!m.matches()) break;
            String name = m.group(1).toLowerCase(Locale.ROOT);
            if (!DIRECTIVES.contains(name)) break; // an unknown directive is a comment, and ends them
            if (!seen.add(name)) throw new ParseException(file, i + 1, 1, "the " + name + " directive is given twice");
            switch (name) {
                case "syntax" -> syntax = m.group(2);
                case "escape" -> {
                    if (!m.group(2).equals("\\") && !m.group(2).equals("`")) {
                        throw new ParseException(file, i + 1, 1, "invalid escape character '" + m.group(2) + "': it is \\ or `");
                    }
                    escape = m.group(2).charAt(0);
                }
                default -> { } // check: lint settings, not the build's
            }
        }
        List<Instruction> out = new ArrayList<>();
        while (i < lines.length) {
            String first = lines[i];
            String stripped = first.strip();
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                i++;
                continue;
            }
            int start = i + 1;
            StringBuilder logical = new StringBuilder();
            String line = stripEnd(first);
            i++;
            // The escape character at a line's end continues it; comment and empty lines inside are skipped.
            while (endsWithEscape(line, escape)) {
                logical.append(line, 0, line.length() - 1);
                line = null;
                while (i < lines.length) {
                    String next = lines[i++];
                    String s = next.strip();
                    if (s.isEmpty() || s.startsWith("#")) continue;
                    line = stripEnd(next);
                    break;
                }
                if (line == null) break; // the file ended in a continuation: what came is the instruction
            }
            if (line != null) logical.append(line);
            String whole = logical.toString().strip();
            int sp = firstSpace(whole);
            String keyword = (sp < 0 ? whole : whole.substring(0, sp)).toUpperCase(Locale.ROOT);
            String args = sp < 0 ? "" : whole.substring(sp).strip();
            List<Instruction.Heredoc> heredocs = new ArrayList<>();
            if (keyword.equals("RUN") || keyword.equals("COPY") || keyword.equals("ADD")) {
                Matcher m = HEREDOC.matcher(args);
                while (m.find()) {
                    if (insideQuotes(args, m.start())) continue;
                    boolean stripTabs = !m.group(1).isEmpty();
                    String name = m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
                    boolean expand = m.group(4) != null;
                    StringBuilder body = new StringBuilder();
                    boolean closed = false;
                    while (i < lines.length) {
                        String l = lines[i++];
                        String cmp = stripTabs ? l.replaceFirst("^\t+", "") : l;
                        if (cmp.equals(name)) {
                            closed = true;
                            break;
                        }
                        body.append(cmp).append('\n');
                    }
                    if (!closed) throw new ParseException(file, start, m.start() + 1, "the here-document " + name + " is not closed by a line " + name);
                    heredocs.add(new Instruction.Heredoc(name, body.toString(), expand));
                }
            }
            out.add(instruction(file, start, keyword, args, whole, escape, heredocs));
        }
        return new Containerfile(syntax, escape, List.copyOf(out));
    }

    private static Instruction instruction(String file, int line, String keyword, String args, String text, char escape,
                                           List<Instruction.Heredoc> heredocs) {
        Flags flags = FLAGS.containsKey(keyword) ? flags(file, line, keyword, args) : new Flags(Map.of(), args);
        String rest = flags.rest();
        if (rest.isEmpty() && !keyword.equals("HEALTHCHECK")) {
            if (!FLAGS.containsKey(keyword) && !known(keyword)) throw unknown(file, line, keyword);
            throw new ParseException(file, line, 1, keyword + " needs arguments");
        }
        return switch (keyword) {
            case "FROM" -> {
                List<String> w = Words.split(rest, escape);
                if (w.size() != 1 && !(w.size() == 3 && w.get(1).equalsIgnoreCase("AS"))) {
                    throw new ParseException(file, line, 1, "FROM is FROM IMAGE [AS NAME], was FROM " + rest);
                }
                yield new Instruction.From(line, text, w.get(0), w.size() == 3 ? w.get(2).toLowerCase(Locale.ROOT) : null, single(flags));
            }
            case "RUN" -> new Instruction.Run(line, text, command(rest), flags.values(), List.copyOf(heredocs));
            case "COPY", "ADD" -> {
                List<String> w = jsonArray(rest);
                if (w == null) w = Words.split(rest, escape);
                if (w.size() < 2 && heredocs.isEmpty()) throw new ParseException(file, line, 1, keyword + " needs a source and a destination");
                List<String> sources = new ArrayList<>(w.subList(0, w.size() - 1));
                yield new Instruction.Copy(line, text, keyword.equals("ADD"), List.copyOf(sources), w.getLast(), flags.values(), List.copyOf(heredocs));
            }
            case "ENV" -> new Instruction.Env(line, text, pairs(file, line, "ENV", rest, escape, true));
            case "LABEL" -> new Instruction.Label(line, text, pairs(file, line, "LABEL", rest, escape, false));
            case "ARG" -> new Instruction.Arg(line, text, Words.split(rest, escape));
            case "WORKDIR" -> new Instruction.Workdir(line, text, rest);
            case "USER" -> new Instruction.User(line, text, rest);
            case "CMD" -> new Instruction.Cmd(line, text, command(rest));
            case "ENTRYPOINT" -> new Instruction.Entrypoint(line, text, command(rest));
            case "EXPOSE" -> new Instruction.Expose(line, text, Words.split(rest, escape));
            case "VOLUME" -> {
                List<String> json = jsonArray(rest);
                yield new Instruction.Volume(line, text, json != null ? json : Words.split(rest, escape));
            }
            case "STOPSIGNAL" -> new Instruction.StopSignal(line, text, rest);
            case "HEALTHCHECK" -> {
                if (rest.equalsIgnoreCase("NONE")) {
                    if (!flags.values().isEmpty()) throw new ParseException(file, line, 1, "HEALTHCHECK NONE takes no options");
                    yield new Instruction.Healthcheck(line, text, null, Map.of());
                }
                int sp = firstSpace(rest);
                if (sp < 0 || !rest.substring(0, sp).equalsIgnoreCase("CMD")) {
                    throw new ParseException(file, line, 1, "HEALTHCHECK is HEALTHCHECK NONE or HEALTHCHECK [OPTIONS] CMD COMMAND");
                }
                yield new Instruction.Healthcheck(line, text, command(rest.substring(sp).strip()), single(flags));
            }
            case "SHELL" -> {
                List<String> json = jsonArray(rest);
                if (json == null || json.isEmpty()) throw new ParseException(file, line, 1, "SHELL takes the exec form: a JSON array, e.g. [\"/bin/sh\", \"-c\"]");
                yield new Instruction.Shell(line, text, json);
            }
            case "ONBUILD" -> {
                int sp = firstSpace(rest);
                String trigger = (sp < 0 ? rest : rest.substring(0, sp)).toUpperCase(Locale.ROOT);
                if (trigger.equals("ONBUILD") || trigger.equals("FROM") || trigger.equals("MAINTAINER")) {
                    throw new ParseException(file, line, 1, "ONBUILD cannot trigger " + trigger);
                }
                if (!known(trigger)) throw unknown(file, line, trigger);
                yield new Instruction.OnBuild(line, text, rest);
            }
            case "MAINTAINER" -> new Instruction.Maintainer(line, text, rest);
            default -> throw unknown(file, line, keyword);
        };
    }

    private static boolean known(String keyword) {
        return Set.of("FROM", "RUN", "COPY", "ADD", "ENV", "LABEL", "ARG", "WORKDIR", "USER", "CMD", "ENTRYPOINT", "EXPOSE", "VOLUME",
                "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD", "MAINTAINER").contains(keyword);
    }

    private static ParseException unknown(String file, int line, String keyword) {
        return new ParseException(file, line, 1, "unknown instruction: " + keyword);
    }

    /** Leading --name=value (or --name) words, each an option the instruction takes; a name may repeat (RUN --mount). */
    private record Flags(Map<String, List<String>> values, String rest) {}

    private static Flags flags(String file, int line, String keyword, String args) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        String rest = args;
        while (rest.startsWith("--")) {
            int sp = firstSpace(rest);
            String word = sp < 0 ? rest : rest.substring(0, sp);
            int eq = word.indexOf('=');
            String name = word.substring(2, eq < 0 ? word.length() : eq);
            if (!FLAGS.get(keyword).contains(name)) {
                throw new ParseException(file, line, 1, "unknown option --" + name + " for " + keyword + " (it takes "
                        + FLAGS.get(keyword).stream().sorted().map(f -> "--" + f).toList() + ")");
            }
            values.computeIfAbsent(name, k -> new ArrayList<>()).add(eq < 0 ? "true" : word.substring(eq + 1));
            rest = sp < 0 ? "" : rest.substring(sp).strip();
        }
        values.replaceAll((k, v) -> List.copyOf(v));
        return new Flags(values, rest);
    }

    private static Map<String, String> single(Flags flags) {
        Map<String, String> out = new LinkedHashMap<>();
        flags.values().forEach((k, v) -> out.put(k, v.getLast()));
        return out;
    }

    /** The exec form when the arguments are a JSON array of strings; the shell form otherwise (as docker falls back). */
    private static Instruction.Command command(String rest) {
        List<String> json = jsonArray(rest);
        return json != null ? new Instruction.Command(json, null) : new Instruction.Command(null, rest);
    }

    private static List<String> jsonArray(String rest) {
        if (!rest.startsWith("[")) return null;
        try {
            JsonNode n = JSON.readTree(rest);
            if (!n.isArray()) return null;
            List<String> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) return null;
                out.add(e.asText());
            }
            return List.copyOf(out);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * ENV and LABEL pairs: KEY=VALUE words (quotes kept for the expansion), or ENV's legacy form
     * KEY VALUE, where the value is the rest of the line.
     */
    private static List<String> pairs(String file, int line, String keyword, String rest, char escape, boolean legacy) {
        List<String> words = Words.split(rest, escape);
        if (legacy && !words.getFirst().contains("=")) {
            int sp = firstSpace(rest);
            if (sp < 0) throw new ParseException(file, line, 1, keyword + " " + rest + " has no value: ENV KEY=VALUE");
            return List.of(rest.substring(0, sp) + "=" + rest.substring(sp).strip());
        }
        for (String w : words) {
            if (w.indexOf('=') <= 0) throw new ParseException(file, line, 1, keyword + " takes KEY=VALUE pairs, found " + w);
        }
        return words;
    }

    private static boolean endsWithEscape(String line, char escape) {
        return !line.isEmpty() && line.charAt(line.length() - 1) == escape;
    }

    private static String stripEnd(String s) {
        return s.stripTrailing();
    }

    private static int firstSpace(String s) {
        for (int k = 0; k < s.length(); k++) if (Character.isWhitespace(s.charAt(k))) return k;
        return -1;
    }

    /** Whether position {@code at} of {@code s} is inside single or double quotes. */
    private static boolean insideQuotes(String s, int at) {
        char quote = 0;
        for (int k = 0; k < at; k++) {
            char c = s.charAt(k);
            if (quote == 0 && (c == '"' || c == '\'')) quote = c;
            else if (quote == c) quote = 0;
        }
        return quote != 0;
    }
}
