package io.strata.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** .dockerignore as docker's reference describes it, example by example. */
class IgnorePatternsTest {
    @Test
    void theReferencesExample() {
        IgnorePatterns p = IgnorePatterns.parse("""
                # comment
                */temp*
                */*/temp*
                temp?
                """);
        assertTrue(p.excluded("somedir/temporary.txt"));
        assertTrue(p.excluded("somedir/temp"));
        assertFalse(p.excluded("temporary.txt"), "*/temp* is one level down only");
        assertTrue(p.excluded("somedir/subdir/temporary.txt"));
        assertTrue(p.excluded("tempa"));
        assertFalse(p.excluded("tempab"));
        assertFalse(p.excluded("comment"), "# lines are comments");
    }

    @Test
    void doubleStarsExceptionsAndParents() {
        IgnorePatterns p = IgnorePatterns.parse("""
                **/*.go
                *.md
                !README.md
                /build
                node_modules
                """);
        assertTrue(p.excluded("main.go"));
        assertTrue(p.excluded("a/b/c/main.go"), "** spans any number of directories, none too");
        assertTrue(p.excluded("CHANGES.md"));
        assertFalse(p.excluded("README.md"), "the exception undoes the match");
        assertTrue(p.excluded("build/out/x.o"), "a directory's pattern leaves out what is under it");
        assertTrue(p.excluded("node_modules/left-pad/index.js"));
        assertFalse(p.excluded("src/node_modules/x"), "a pattern is rooted at the context");
        assertEquals(Optional.of("*.md"), p.excludedBy("CHANGES.md"));
        assertEquals(Optional.empty(), p.excludedBy("src/App.java"));
        // The last matching line decides.
        IgnorePatterns order = IgnorePatterns.parse("!README.md\n*.md\n");
        assertTrue(order.excluded("README.md"));
        IgnorePatterns all = IgnorePatterns.parse("*\n!keep\n");
        assertFalse(all.excluded("keep"));
        assertTrue(all.excluded("other"));
    }

    @Test
    void cleaningAndClasses() {
        IgnorePatterns p = IgnorePatterns.parse("./docs//old/../draft*\n[a-c].txt\nfile\\*name\n  spaced  \n");
        assertTrue(p.excluded("docs/draft1"));
        assertTrue(p.excluded("b.txt"));
        assertFalse(p.excluded("d.txt"));
        assertTrue(p.excluded("file*name"));
        assertFalse(p.excluded("fileXname"));
        assertTrue(p.excluded("spaced"), "lines are trimmed");
        assertEquals("a/c", IgnorePatterns.clean("./a/b/../c/"));
    }
}
