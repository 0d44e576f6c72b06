package io.strata.builder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Dockerfile's shell-like words (BuildKit's lexer): splitting on whitespace outside quotes,
 * and expanding a word: single quotes literal, double quotes with variables, the escape character
 * taking the next character as it is, {@code $NAME}, {@code ${NAME}} and {@code ${NAME:-word}},
 * {@code ${NAME-word}}, {@code ${NAME:+word}}, {@code ${NAME+word}}, {@code ${NAME:?message}},
 * {@code ${NAME?message}}. Nothing runs: it is text substitution, as docker build does it.
 */
public final class Words {
    private Words() {}

    /** The words of {@code text}, split on whitespace outside quotes, as written (quotes and escapes kept). */
    public static List<String> split(String text, char escape) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (any) out.add(w.toString());
                w.setLength(0);
                any = false;
                continue;
            }
            any = true;
            w.append(c);
            if (c == escape && quote != '\'' && i + 1 < text.length()) {
                w.append(text.charAt(++i));
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            }
        }
        if (any) out.add(w.toString());
        return out;
    }

    /** {@code word} with its quotes removed, its escapes applied and its variables expanded from {@code env}. */
    public static String expand(String word, Map<String, String> env, char escape) {
        return new Expansion(word, env, escape, false).word();
    }

    /**
     * A here-document's body with its variables expanded as a shell expands an unquoted one: {@code $NAME}
     * and {@code ${…}} replaced, {@code \$} and {@code \\} escaped; quotes are text.
     */
    public static String expandHeredoc(String body, Map<String, String> env) {
        return new Expansion(body, env, '\\', true).word();
    }

    /** Each word of {@code text}, expanded. */
    public static List<String> expandAll(String text, Map<String, String> env, char escape) {
        return split(text, escape).stream().map(w -> expand(w, env, escape)).toList();
    }

    private static final class Expansion {
        private final String s;
        private final Map<String, String> env;
        private final char escape;
        private final boolean quotesAreText;
        private int i;

        Expansion(String s, Map<String, String> env, char escape, boolean quotesAreText) {
            this.s = s;
            this.env = env;
            this.escape = escape;
            this.quotesAreText = quotesAreText;
        }

        String word() {
            StringBuilder out = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (quotesAreText && c == escape) {
                    // a here-document: only $ and the escape itself are escaped
                    if (i + 1 < s.length() && (s.charAt(i + 1) == '$' || s.charAt(i + 1) == escape)) i++;
                    out.append(s.charAt(i++));
                } else if (quotesAreText && c != '$') {
                    out.append(c);
                    i++;
                } else if (c == '\'') {
                    int end = s.indexOf('\'', i + 1);
                    if (end < 0) throw new IllegalArgumentException("unexpected end of " + s + " while looking for the matching single quote");
                    out.append(s, i + 1, end);
                    i = end + 1;
                } else if (c == '"') {
                    i++;
                    doubleQuoted(out);
                } else if (c == escape) {
                    i++;
                    if (i < s.length()) out.append(s.charAt(i++));
                } else if (c == '$') {
                    out.append(dollar());
                } else {
                    out.append(c);
                    i++;
                }
            }
            return out.toString();
        }

        private void doubleQuoted(StringBuilder out) {
            while (true) {
                if (i >= s.length()) throw new IllegalArgumentException("unexpected end of " + s + " while looking for the matching double quote");
                char c = s.charAt(i);
                if (c == '"') {
                    i++;
                    return;
                }
                if (c == '$') {
                    out.append(dollar());
                    continue;
                }
                i++;
                if (c == escape && i < s.length() && (s.charAt(i) == '"' || s.charAt(i) == '$' || s.charAt(i) == escape)) {
                    c = s.charAt(i++); // only these are escaped inside double quotes; other escapes stay as written
                }
                out.append(c);
            }
        }

        private String dollar() {
            i++; // the $
            if (i >= s.length()) return "$";
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                String name = name();
                if (name.isEmpty()) throw new IllegalArgumentException("bad substitution in " + s + ": a variable name was expected after ${");
                if (i >= s.length()) throw new IllegalArgumentException("bad substitution in " + s + ": missing }");
                char next = s.charAt(i);
                if (next == '}') {
                    i++;
                    return env.getOrDefault(name, "");
                }
                boolean colon = next == ':';
                if (colon) i++;
                if (i >= s.length()) throw new IllegalArgumentException("bad substitution in " + s);
                char op = s.charAt(i++);
                String word = until('}');
                String value = env.get(name);
                boolean unset = value == null || colon && value.isEmpty();
                return switch (op) {
                    case '-' -> unset ? new Expansion(word, env, escape, quotesAreText).word() : value;
                    case '+' -> unset ? "" : new Expansion(word, env, escape, quotesAreText).word();
                    case '?' -> {
                        if (unset) throw new IllegalArgumentException(name + ": " + (word.isEmpty() ? "is not set" : new Expansion(word, env, escape, quotesAreText).word()));
                        yield value;
                    }
                    default -> throw new IllegalArgumentException("unsupported substitution ${" + name + (colon ? ":" : "") + op + "…} in " + s);
                };
            }
            String name = name();
            if (name.isEmpty()) return "$"; // a $ before no name is itself
            return env.getOrDefault(name, "");
        }

        private String name() {
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) i++;
            return s.substring(start, i);
        }

        /** The text up to the matching close brace (nested braces counted), which is consumed. */
        private String until(char close) {
            int depth = 0;
            int start = i;
            for (; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == escape) {
                    i++;
                } else if (c == '{') {
                    depth++;
                } else if (c == close) {
                    if (depth == 0) {
                        String word = s.substring(start, i);
                        i++;
                        return word;
                    }
                    depth--;
                }
            }
            throw new IllegalArgumentException("bad substitution in " + s + ": missing }");
        }
    }
}
