package io.strata.registry.auth;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may do what, from a YAML file:
 * <pre>
 * groups:
 *   team-a: [alice, bob]
 * rules:
 *   - repositories: ["team-a/**"]   # * is one path segment, ** any number
 *     groups: [team-a]
 *     actions: [pull, push, delete]
 *   - repositories: ["public/*"]
 *     anonymous: true              # no credentials needed
 *     actions: [pull]
 *   - catalog: true                # registry:catalog:* (the listing shows only what the caller may pull)
 *     users: ["*"]                 # every authenticated user
 * </pre>
 * Rules add up; nothing is allowed that no rule allows. Without a file, authenticated users may do
 * everything and anonymous callers nothing.
 */
public final class Policy {
    public static final Set<String> REPOSITORY_ACTIONS = Set.of("pull", "push", "delete");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @JsonIgnoreProperties(ignoreUnknown = false)
    record File(Map<String, List<String>> groups, List<Rule> rules) {}

    @JsonIgnoreProperties(ignoreUnknown = false)
    record Rule(List<String> repositories, Boolean catalog, List<String> users, List<String> groups, Boolean anonymous,
                List<String> actions) {}

    private record Compiled(List<Pattern> repositories, boolean catalog, Set<String> users, Set<String> groups, boolean anonymous,
                            Set<String> actions) {}

    private final Map<String, List<String>> groups;
    private final List<Compiled> rules;

    private Policy(Map<String, List<String>> groups, List<Compiled> rules) {
        this.groups = groups;
        this.rules = rules;
    }

    /** Authenticated users may do everything, anonymous callers nothing. */
    public static final Policy AUTHENTICATED = new Policy(Map.of(), List.of(new Compiled(List.of(Pattern.compile(".*")), true,
            Set.of("*"), Set.of(), false, REPOSITORY_ACTIONS)));

    public static Policy parse(Path path) throws IOException {
        File f = YAML.readValue(path.toFile(), File.class);
        if (f == null) throw new IOException(path + " is empty");
        List<Compiled> compiled = new ArrayList<>();
        int i = 0;
        for (Rule r : f.rules() == null ? List.<Rule>of() : f.rules()) {
            i++;
            Set<String> actions = new LinkedHashSet<>(r.actions() == null ? List.of() : r.actions());
            for (String a : actions) {
                if (!REPOSITORY_ACTIONS.contains(a)) throw new IOException(path + ": rule " + i + ": unknown action " + a + " (pull, push, delete)");
            }
            boolean catalog = Boolean.TRUE.equals(r.catalog());
            List<String> repos = r.repositories() == null ? List.of() : r.repositories();
            if (repos.isEmpty() && !catalog) throw new IOException(path + ": rule " + i + " names no repositories and no catalog");
            if (!repos.isEmpty() && actions.isEmpty()) throw new IOException(path + ": rule " + i + " gives no actions");
            if (r.users() == null && r.groups() == null && !Boolean.TRUE.equals(r.anonymous())) {
                throw new IOException(path + ": rule " + i + " names no users, groups or anonymous");
            }
            compiled.add(new Compiled(repos.stream().map(Policy::glob).toList(), catalog,
                    Set.copyOf(r.users() == null ? List.of() : r.users()), Set.copyOf(r.groups() == null ? List.of() : r.groups()),
                    Boolean.TRUE.equals(r.anonymous()), Set.copyOf(actions)));
        }
        return new Policy(f.groups() == null ? Map.of() : Map.copyOf(f.groups()), List.copyOf(compiled));
    }

    /** team-a/* → team-a/[^/]*, team-a/** → team-a/.* ; everything else literal. */
    static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                    re.append(".*");
                    i++;
                } else {
                    re.append("[^/]*");
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    private boolean applies(Compiled r, String user) {
        if (user == null) return r.anonymous();
        if (r.anonymous() || r.users().contains("*") || r.users().contains(user)) return true;
        for (String g : r.groups()) if (groups.getOrDefault(g, List.of()).contains(user)) return true;
        return false;
    }

    /** The actions {@code user} (null: anonymous) may perform on a repository. */
    public Set<String> allowed(String user, String repository) {
        Set<String> out = new LinkedHashSet<>();
        for (Compiled r : rules) {
            if (!applies(r, user)) continue;
            for (Pattern p : r.repositories()) {
                if (p.matcher(repository).matches()) {
                    out.addAll(r.actions());
                    break;
                }
            }
        }
        return out;
    }

    /** Whether {@code user} may list the catalog (registry:catalog:*). */
    public boolean catalog(String user) {
        for (Compiled r : rules) if (r.catalog() && applies(r, user)) return true;
        return false;
    }
}
