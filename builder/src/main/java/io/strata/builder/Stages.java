package io.strata.builder;

import io.strata.oci.Platform;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Containerfile's stages and which of them a build needs: the ARGs before the first FROM (the
 * only ones FROM lines may use), each FROM starting a stage (named by AS, or by its index), and the
 * stages the target needs through FROM, COPY --from and RUN --mount from=, in the order they must
 * be built. Stages nothing needs are not built, as BuildKit leaves them.
 */
public final class Stages {
    /**
     * A stage: its index, its name (or null), its base as expanded (an image, another stage, or
     * scratch), the platform it is built for (FROM --platform, else the build's --platform; null when
     * neither says: the host's, as the base image offers it), and its steps.
     */
    public record Stage(int index, String name, String base, Platform platform, Instruction.From from, List<Instruction> steps) {
        /** How other stages name this one: its name, and its index. */
        boolean named(String ref) {
            return ref.equalsIgnoreCase(name == null ? "" : name) || ref.equals(String.valueOf(index));
        }
    }

    /** The stages to build, in order (the target last), and the global ARGs' values. */
    public record Plan(List<Stage> stages, Map<String, String> globalArgs) {
        public Stage target() {
            return stages.getLast();
        }
    }

    private Stages() {}

    /** The proxy variables every build knows without an ARG (the Dockerfile reference's predefined ARGs). */
    public static final Set<String> PREDEFINED_ARGS = Set.of("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
            "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy");

    /**
     * The platform ARGs every build defines in the global scope (the Dockerfile reference's
     * "automatic platform ARGs"): the platform built for and the one building.
     */
    public static Map<String, String> platformArgs(Platform target, Platform build) {
        Map<String, String> args = new LinkedHashMap<>();
        for (var p : List.of(Map.entry("TARGET", target), Map.entry("BUILD", build))) {
            Platform v = p.getValue();
            args.put(p.getKey() + "PLATFORM", v.toString());
            args.put(p.getKey() + "OS", v.os());
            args.put(p.getKey() + "ARCH", v.architecture());
            args.put(p.getKey() + "VARIANT", v.variant() == null ? "" : v.variant());
        }
        return args;
    }

    /** The plan when no platform is asked for. */
    public static Plan plan(Containerfile file, String name, Map<String, String> buildArgs, String target) {
        return plan(file, name, buildArgs, target, null);
    }

    /** The plan for {@code platform} (--platform; null for the host's). */
    public static Plan plan(Containerfile file, String name, Map<String, String> buildArgs, String target, Platform platform) {
        Map<String, String> global = new LinkedHashMap<>(platformArgs(platform == null ? Platform.host() : platform, Platform.host()));
        Map<String, String> automatic = Map.copyOf(global);
        List<Stage> all = new ArrayList<>();
        Instruction.From from = null;
        List<Instruction> steps = null;
        for (Instruction in : file.instructions()) {
            if (in instanceof Instruction.From f) {
                if (from != null) all.add(stage(name, all, from, steps, global, platform, file.escape()));
                from = f;
                steps = new ArrayList<>();
            } else if (from == null) {
                if (!(in instanceof Instruction.Arg a)) {
                    throw new ParseException(name, in.line(), 1, "only ARG may come before the first FROM, found " + keyword(in));
                }
                for (String d : a.declarations()) {
                    // ARG TARGETARCH before FROM keeps the automatic value, as a redeclaration in a stage does.
                    if (!d.contains("=") && automatic.containsKey(d) && !buildArgs.containsKey(d)) continue;
                    declare(d, global, buildArgs, file.escape());
                }
            } else {
                steps.add(in);
            }
        }
        if (from == null) throw new ParseException(name, 1, 0, "no FROM: a Containerfile starts its first stage with FROM");
        all.add(stage(name, all, from, steps, global, platform, file.escape()));

        Stage wanted = all.getLast();
        if (target != null) {
            wanted = all.stream().filter(s -> s.name() != null && s.name().equals(target.toLowerCase(Locale.ROOT))).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no stage named " + target + " (stages: "
                            + all.stream().map(s -> s.name() == null ? String.valueOf(s.index()) : s.name()).toList() + ")"));
        }
        Set<Stage> needed = new LinkedHashSet<>();
        need(wanted, all, needed);
        List<Stage> ordered = all.stream().filter(needed::contains).toList();
        return new Plan(ordered, Map.copyOf(global));
    }

    private static Stage stage(String name, List<Stage> before, Instruction.From from, List<Instruction> steps, Map<String, String> global,
                               Platform platform, char escape) {
        String base = Words.expand(from.image(), global, escape);
        if (base.isEmpty()) throw new ParseException(name, from.line(), 1, "FROM " + from.image() + " names no image: the ARG is empty");
        if (from.flags().containsKey("platform")) {
            String asked = Words.expand(from.flags().get("platform"), global, escape);
            try {
                platform = Platform.parse(asked);
            } catch (IllegalArgumentException e) {
                throw new ParseException(name, from.line(), 1, "FROM --platform=" + from.flags().get("platform") + ": " + e.getMessage());
            }
        }
        if (from.stage() != null && before.stream().anyMatch(s -> from.stage().equals(s.name()))) {
            throw new ParseException(name, from.line(), 1, "the stage name " + from.stage() + " is used twice");
        }
        return new Stage(before.size(), from.stage(), base, platform, from, List.copyOf(steps));
    }

    /** ARG NAME[=DEFAULT]: the build's --build-arg, else the default, else unset. */
    static void declare(String declaration, Map<String, String> into, Map<String, String> buildArgs, char escape) {
        int eq = declaration.indexOf('=');
        String key = eq < 0 ? declaration : declaration.substring(0, eq);
        if (buildArgs.containsKey(key)) {
            into.put(key, buildArgs.get(key));
        } else if (eq >= 0) {
            into.put(key, Words.expand(declaration.substring(eq + 1), into, escape));
        } else {
            into.remove(key);
        }
    }

    /** The stages {@code s} depends on, then {@code s}. */
    private static void need(Stage s, List<Stage> all, Set<Stage> needed) {
        if (needed.contains(s)) return;
        for (String ref : references(s)) {
            for (Stage other : all) {
                if (other.index() < s.index() && other.named(ref)) need(other, all, needed);
            }
        }
        needed.add(s);
    }

    /** What a stage names of others: its base, COPY --from, RUN --mount from=. */
    public static List<String> references(Stage s) {
        List<String> refs = new ArrayList<>(List.of(s.base()));
        for (Instruction in : s.steps()) {
            if (in instanceof Instruction.Copy c && c.flags().containsKey("from")) refs.add(c.flags().get("from").getLast());
            if (in instanceof Instruction.Run r) {
                for (String mount : r.flags().getOrDefault("mount", List.of())) {
                    for (String part : mount.split(",")) {
                        if (part.startsWith("from=")) refs.add(part.substring(5));
                    }
                }
            }
        }
        return refs;
    }

    /** The stage {@code ref} names among those before {@code index}, if it names one (else it is an image). */
    public static java.util.Optional<Stage> stageNamed(List<Stage> stages, String ref, int index) {
        return stages.stream().filter(s -> s.index() < index && s.named(ref)).reduce((a, b) -> b);
    }

    static String keyword(Instruction in) {
        return in.getClass().getSimpleName().toUpperCase(Locale.ROOT);
    }
}
