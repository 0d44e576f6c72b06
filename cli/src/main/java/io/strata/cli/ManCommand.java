package io.strata.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * strata man DIR: a man page per verb, from the same annotations as --help (picocli's
 * ManPageGenerator writes AsciiDoc; asciidoctor, when installed, turns it into man1/*.1).
 */
@Command(name = "man", mixinStandardHelpOptions = true,
        description = "Write man pages for strata and every verb into DIR (man1/*.1 when asciidoctor is installed).")
final class ManCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Where to write them, e.g. ~/.local/share/man.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        Path adoc = Files.createDirectories(dir.resolve("adoc"));
        int rc = ManPageGenerator.generateManPage(adoc.toFile(), null, new boolean[0], true, Strata.commandLine().getCommandSpec());
        if (rc != 0) throw new IllegalStateException("man page generation failed (" + rc + ")");
        List<String> pages;
        try (var s = Files.list(adoc)) {
            pages = s.filter(p -> p.toString().endsWith(".adoc")).map(Path::toString).sorted().toList();
        }
        Path man1 = Files.createDirectories(dir.resolve("man1"));
        List<String> cmd = new ArrayList<>(List.of("asciidoctor", "-b", "manpage", "-D", man1.toString()));
        cmd.addAll(pages);
        Process p;
        try {
            p = new ProcessBuilder(cmd).inheritIO().start();
        } catch (java.io.IOException e) {
            System.err.println("wrote " + pages.size() + " AsciiDoc pages to " + adoc + "; install asciidoctor to make man pages of them");
            return 0;
        }
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IllegalStateException("asciidoctor failed");
        System.err.println("wrote " + pages.size() + " man pages to " + man1 + " (MANPATH=" + dir.toAbsolutePath() + " man strata)");
        return 0;
    }
}
