package io.strata.builder;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@code .containerignore} / {@code .dockerignore}: which context paths a build leaves out, with
 * the rules of docker's pattern matcher (moby/patternmatcher): one pattern a line, {@code #}
 * comments, {@code *} and {@code ?} within one path segment, {@code **} across any number,
 * {@code [...]} classes, {@code \} escaping; a leading {@code /} is the context's root; {@code !}
 * makes an exception; the last pattern that matches a path or one of its parents decides.
 */
public final class IgnorePatterns {
    /** One line: the pattern as written (cleaned), whether it is an exception, and its compiled form. */
    public record Rule(String pattern, boolean exception, Pattern regex) {}

    private final List<Rule> rules;

    private IgnorePatterns(List<Rule> rules) {
        this.rules = rules;
    }

    private static final IgnorePatterns NONE = new IgnorePatterns(List.of());

    /** No patterns: nothing is left out (another stage's or an image's tree). */
    public static IgnorePatterns none() {
        return NONE;
    }

    public static IgnorePatterns parse(String text) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : text.replace("\r\n", "\n").split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            boolean exception = line.startsWith("!");
            if (exception) line = line.substring(1).strip();
            if (line.isEmpty()) continue;
            String cleaned = clean(line);
            if (cleaned.length() > 1 && cleaned.startsWith("/")) cleaned = cleaned.substring(1);
            rules.add(new Rule(cleaned, exception, compile(cleaned)));
        }
        return new IgnorePatterns(List.copyOf(rules));
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Whether the context path {@code path} (relative, / separated) is left out. */
    public boolean excluded(String path) {
        return excludedBy(path).isPresent();
    }

    /** The pattern that leaves {@code path} out, when one does: what an error about a missing COPY source names. */
    public Optional<String> excludedBy(String path) {
        String file = clean(path);
        if (file.startsWith("/")) file = file.substring(1);
        String[] parents = file.contains("/") ? file.substring(0, file.lastIndexOf('/')).split("/") : new String[0];
        Rule decided = null;
        boolean matched = false;
        for (Rule r : rules) {
            // An exception can only undo a match, and a pattern only add one.
            if (r.exception() != matched) continue;
            boolean match = r.regex().matcher(file).matches();
            for (int k = 1; !match && k <= parents.length; k++) {
                match = r.regex().matcher(String.join("/", java.util.Arrays.copyOf(parents, k))).matches();
            }
            if (match) {
                matched = !r.exception();
                decided = r;
            }
        }
        return matched ? Optional.of(decided.pattern()) : Optional.empty();
    }

    /** Go's filepath.Clean on a / separated path: no empty, . or resolvable .. segments. */
    static String clean(String path) {
        boolean rooted = path.startsWith("/");
        List<String> out = new ArrayList<>();
        for (String seg : path.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) continue;
            if (seg.equals("..") && !out.isEmpty() && !out.getLast().equals("..")) {
                out.removeLast();
            } else if (seg.equals("..") && rooted) {
                continue; // nothing above the root
            } else {
                out.add(seg);
            }
        }
        String joined = String.join("/", out);
        return rooted ? "/" + joined : joined.isEmpty() ? "." : joined;
    }

    /** The pattern as a regular expression, as patternmatcher builds it. */
    private static Pattern compile(String pattern) {
        StringBuilder re = new StringBuilder("^");
        boolean inClass = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (inClass) {
                // a class, as filepath.Match reads it: ranges and ^ pass through, ] ends it
                if (c == '\\' && i + 1 < pattern.length()) re.append('\\').append(pattern.charAt(++i));
                else re.append(c);
                if (c == ']') inClass = false;
            } else if (c == '[') {
                inClass = true;
                re.append(c);
            } else if (c == '*') {
                if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '/') i++; // **/ is **
                    re.append(i + 1 >= pattern.length() ? ".*" : "(.*/)?");
                } else {
                    re.append("[^/]*");
                }
            } else if (c == '?') {
                re.append("[^/]");
            } else if (c == '\\') {
                if (i + 1 < pattern.length()) re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (Character.isLetterOrDigit(c) || c == '/' || c == '_') {
                re.append(c);
            } else {
                re.append('\\').append(c);
            }
        }
        if (inClass) throw new IllegalArgumentException("syntax error in pattern " + pattern + ": [ without ]");
        return Pattern.compile(re.append('$').toString());
    }
}
