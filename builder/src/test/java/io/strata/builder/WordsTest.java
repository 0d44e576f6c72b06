package io.strata.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Word splitting and expansion as the Dockerfile reference's environment-replacement section gives them. */
class WordsTest {
    private static final Map<String, String> ENV = Map.of("NAME", "world", "EMPTY", "", "PATH", "/bin");

    private static String x(String word) {
        return Words.expand(word, ENV, '\\');
    }

    @Test
    void variablesAndTheirModifiers() {
        assertEquals("hello world", x("hello\\ $NAME"));
        assertEquals("worlds", x("${NAME}s"));
        assertEquals("", x("$UNSET"));
        assertEquals("dflt", x("${UNSET:-dflt}"));
        assertEquals("dflt", x("${EMPTY:-dflt}"), ":- also takes the empty value for unset");
        assertEquals("", x("${EMPTY-dflt}"), "- only an unset one");
        assertEquals("alt", x("${NAME:+alt}"));
        assertEquals("", x("${UNSET:+alt}"));
        assertEquals("", x("${EMPTY:+alt}"));
        assertEquals("alt", x("${EMPTY+alt}"));
        assertEquals("/bin:/usr/bin", x("$PATH:/usr/bin"));
        assertEquals("world-nested", x("${UNSET:-${NAME}-nested}"));
        assertEquals("$", x("$"));
        assertEquals("a$ b", x("a$\\ b"));
        assertEquals("UNSET: must be given", assertThrows(IllegalArgumentException.class, () -> x("${UNSET:?must be given}")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> x("${NAME"));
        assertThrows(IllegalArgumentException.class, () -> x("${NAME/a/b}"), "pattern substitutions are refused, not guessed");
    }

    @Test
    void quotesAndEscapes() {
        assertEquals("$NAME", x("'$NAME'"), "single quotes: literal");
        assertEquals("world is here", x("\"$NAME is here\""));
        assertEquals("say \"hi\" $NAME \\n", x("\"say \\\"hi\\\" \\$NAME \\n\""), "in double quotes only \" $ and the escape are escaped");
        assertEquals("$NAME", x("\\$NAME"));
        assertEquals("a b", x("a\\ b"));
        assertEquals("$NAME and `world", Words.expand("`$NAME` and ``$NAME", ENV, '`'), "the escape directive's character");
        assertEquals("c:\\dir", Words.expand("c:\\dir", ENV, '`'), "with ` as the escape, \\ is a plain character");
        assertThrows(IllegalArgumentException.class, () -> x("\"unclosed"));
        assertThrows(IllegalArgumentException.class, () -> x("'unclosed"));
    }

    @Test
    void splittingKeepsWhatExpansionNeeds() {
        assertEquals(List.of("A=1", "B=\"two words\"", "C=three\\ words", "D='x y'"), Words.split("A=1  B=\"two words\" C=three\\ words D='x y'", '\\'));
        assertEquals(List.of("1", "two words", "three words", "x y"),
                Words.split("A=1 B=\"two words\" C=three\\ words D='x y'", '\\').stream().map(w -> x(w.substring(w.indexOf('=') + 1))).toList());
        assertEquals(List.of("80/tcp", "world"), Words.expandAll("80/tcp $NAME", ENV, '\\'));
    }

    @Test
    void hereDocumentsExpandVariablesAndKeepQuotes() {
        assertEquals("name=\"world\" '$literal' $ \\ /bin\n", Words.expandHeredoc("name=\"$NAME\" '\\$literal' $ \\\\ ${PATH}\n", ENV));
    }

    @Test
    void aRunOfHereDocumentsIsOneScript() {
        var only = (Instruction.Run) Containerfile.parse("FROM x\nRUN <<EOF\necho one\necho two\nEOF\n", "C").instructions().get(1);
        assertEquals("echo one\necho two\n", Build.script(only), "a RUN that is only a here-document runs its body");
        var fed = (Instruction.Run) Containerfile.parse("FROM x\nRUN cat <<A > /a && cat <<'B' > /b\n1 $X\nA\n2 $Y\nB\n", "C").instructions().get(1);
        assertEquals("cat <<A > /a && cat <<'B' > /b\n1 $X\nA\n2 $Y\nB\n", Build.script(fed), "the shell reads the documents after the line");
        var plain = (Instruction.Run) Containerfile.parse("FROM x\nRUN echo hi\n", "C").instructions().get(1);
        assertEquals("echo hi", Build.script(plain));
    }
}
