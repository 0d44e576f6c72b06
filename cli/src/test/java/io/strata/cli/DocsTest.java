package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.RegistryConfig;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The documents are checked against what they describe: docs/registry.md's configuration reference
 * names exactly the keys the registry reads, and every verb's section in docs/client.md,
 * docs/runner.md or docs/registry.md names exactly the options its --help does.
 */
class DocsTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final List<String> VERB_DOCS = List.of("docs/client.md", "docs/runner.md", "docs/registry.md");
    /** The heading of a verb's section: ### `strata VERB [SUBVERB]`. */
    static final Pattern VERB_HEADING = Pattern.compile("^#{3,4} `strata ([a-z-]+(?: [a-z-]+)?)`\\s*$", Pattern.MULTILINE);
    /** The heading of the options every verb takes. */
    static final String SHARED_HEADING = "### Options every verb takes";

    @Test
    void theConfigurationReferenceNamesExactlyTheKeysTheRegistryReads() throws Exception {
        Set<String> read = new TreeSet<>();
        keys(RegistryConfig.class, "", read);
        String doc = Files.readString(REPO.resolve("docs/registry.md"));
        String reference = section(doc, "## Configuration reference");
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `([A-Za-z0-9_.\\[\\]]+)` \\|", Pattern.MULTILINE).matcher(reference);
        while (m.find()) documented.add(m.group(1));
        Set<String> missing = new TreeSet<>(read);
        missing.removeAll(documented);
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(read);
        assertEquals(Set.of(), missing, "keys the registry reads that docs/registry.md's reference does not name");
        assertEquals(Set.of(), unknown, "keys docs/registry.md's reference names that the registry does not read");
        // Each row names the key's environment variable, as RegistryConfig maps it (one underscore per level).
        for (String key : read) {
            if (key.contains("[]")) continue; // list items are not set from the environment
            String env = "STRATA_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_');
            assertTrue(reference.contains("`" + env + "`"), key + "'s row names " + env);
        }
    }

    /** The keys of a configuration record, as the YAML spells them: a.b.c, and list items as a.b[].c. */
    private static void keys(Class<?> record, String prefix, Set<String> out) {
        for (RecordComponent c : record.getRecordComponents()) {
            var json = c.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            String name = prefix + (json != null && !json.value().isEmpty() ? json.value() : c.getName());
            Class<?> type = c.getType();
            if (type.isRecord()) {
                keys(type, name + ".", out);
            } else if (List.class.isAssignableFrom(type) && c.getGenericType() instanceof ParameterizedType p
                    && p.getActualTypeArguments()[0] instanceof Class<?> item && item.isRecord()) {
                out.add(name);
                keys(item, name + "[].", out);
            } else {
                out.add(name);
            }
        }
    }

    @Test
    void everyVerbsSectionNamesExactlyTheOptionsOfItsHelp() throws Exception {
        Map<String, String> sections = verbSections();
        CommandSpec root = Strata.commandLine().getCommandSpec();
        Set<String> shared = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        Map<String, CommandSpec> verbs = new LinkedHashMap<>();
        verbs(root, "", verbs);
        for (var e : verbs.entrySet()) {
            Set<String> own = new TreeSet<>();
            options(e.getValue(), own, shared);
            String section = sections.remove(e.getKey());
            if (section == null) {
                problems.add("strata " + e.getKey() + ": no section ### `strata " + e.getKey() + "` in " + VERB_DOCS);
                continue;
            }
            Set<String> documented = documentedOptions(section);
            if (!documented.equals(own)) {
                Set<String> missing = new TreeSet<>(own);
                missing.removeAll(documented);
                Set<String> extra = new TreeSet<>(documented);
                extra.removeAll(own);
                problems.add("strata " + e.getKey() + ": the section lacks " + missing + " and names " + extra + " that --help does not");
            }
        }
        for (String left : sections.keySet()) problems.add("a section for strata " + left + ", which is no verb");
        String sharedSection = section(Files.readString(REPO.resolve("docs/client.md")), SHARED_HEADING);
        if (!documentedOptions(sharedSection).equals(shared)) {
            problems.add("docs/client.md's " + SHARED_HEADING + " names " + documentedOptions(sharedSection) + ", the verbs' shared options are " + shared);
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** Every verb and sub-verb users see, by its words ("network create"); groups only through their sub-verbs. */
    static void verbs(CommandSpec spec, String prefix, Map<String, CommandSpec> out) {
        for (var e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (sub.usageMessage().hidden() || !e.getKey().equals(sub.name())) continue; // hidden verbs, aliases
            String words = prefix + e.getKey();
            if (sub.subcommands().isEmpty()) {
                out.put(words, sub);
            } else {
                verbs(sub, words + " ", out);
            }
        }
    }

    /** The verb's own option names into {@code own}; those of the mixins every verb shares into {@code shared}. */
    static void options(CommandSpec verb, Set<String> own, Set<String> shared) {
        Set<OptionSpec> fromShared = new java.util.HashSet<>();
        for (CommandSpec mixin : verb.mixins().values()) {
            Object o = mixin.userObject();
            if (o instanceof ClientOptions || o instanceof RemoteOptions) fromShared.addAll(mixin.options());
        }
        for (OptionSpec o : verb.options()) {
            if (o.usageHelp() || o.versionHelp()) continue;
            boolean isShared = fromShared.stream().anyMatch(s -> java.util.Arrays.equals(s.names(), o.names()));
            for (String n : o.names()) (isShared ? shared : own).add(n);
        }
    }

    /** The verb sections of the documents, by verb; a verb with two sections fails. */
    static Map<String, String> verbSections() throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        for (String doc : VERB_DOCS) {
            String text = Files.readString(REPO.resolve(doc));
            Matcher m = VERB_HEADING.matcher(text);
            while (m.find()) {
                String verb = m.group(1);
                assertTrue(out.put(verb, section(text, m.group(0).strip())) == null, "two sections for strata " + verb);
            }
        }
        return out;
    }

    /** The options a section's tables name: the backquoted names in the first cell of each row. */
    static Set<String> documentedOptions(String section) {
        Set<String> out = new TreeSet<>();
        Matcher row = Pattern.compile("^\\| ((?:[^|\\\\]|\\\\.)+?) \\|", Pattern.MULTILINE).matcher(section); // a cell may hold escaped bars
        while (row.find()) {
            Matcher name = Pattern.compile("`(--?[A-Za-z0-9][A-Za-z0-9-]*)").matcher(row.group(1));
            while (name.find()) out.add(name.group(1));
        }
        return out;
    }

    /** The text under {@code heading} up to the next heading of its level or above. */
    static String section(String doc, String heading) {
        int start = doc.indexOf(heading + "\n");
        assertTrue(start >= 0, "no heading " + heading);
        int level = heading.indexOf(' ');
        Matcher next = Pattern.compile("^#{1," + level + "} ", Pattern.MULTILINE).matcher(doc);
        int end = next.find(start + heading.length()) ? next.start() : doc.length();
        return doc.substring(start + heading.length(), end);
    }

    /** A verb's reference section as the documents write it (what a new verb's section starts from). */
    static String reference(String words, CommandSpec verb) {
        StringBuilder b = new StringBuilder("### `strata " + words + "`\n\n");
        b.append(String.join(" ", verb.usageMessage().description())).append("\n\n");
        Set<String> own = new TreeSet<>();
        options(verb, own, new TreeSet<>());
        List<OptionSpec> listed = verb.options().stream().filter(o -> java.util.Arrays.stream(o.names()).anyMatch(own::contains)).toList();
        if (!listed.isEmpty()) {
            b.append("| option | |\n|---|---|\n");
            for (OptionSpec o : listed) {
                String names = String.join(", ", java.util.Arrays.stream(o.names()).map(n -> "`" + n + "`").toList());
                String label = o.typeInfo().isBoolean() ? "" : " " + o.paramLabel();
                b.append("| ").append(names).append(label.isBlank() ? "" : " `" + label.strip().replace("|", "\\|") + "`").append(" | ")
                        .append(String.join(" ", o.description()).replace("|", "\\|")).append(" |\n");
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Prints every verb's reference section: {@code -Dstrata.docs.print=FILE} writes them there (for a maintainer). */
    @Test
    void referenceSectionsCanBePrinted() throws Exception {
        Map<String, CommandSpec> verbs = new LinkedHashMap<>();
        verbs(Strata.commandLine().getCommandSpec(), "", verbs);
        StringBuilder all = new StringBuilder();
        verbs.forEach((words, spec) -> all.append(reference(words, spec)));
        assertTrue(all.toString().contains("### `strata run`"), all.toString());
        String to = System.getProperty("strata.docs.print");
        if (to != null) Files.writeString(Path.of(to), all);
    }
}
