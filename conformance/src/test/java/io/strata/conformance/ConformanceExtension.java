package io.strata.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Holds each target to its expected-failure list (a listed test must fail, an unlisted one must
 * pass) and counts outcomes per target and workflow for the summary in conformance/target/.
 */
final class ConformanceExtension implements InvocationInterceptor, TestWatcher, AfterAllCallback {
    /** target → workflow → outcome → count, across every suite class of this JVM. */
    private static final Map<String, Map<String, Map<String, Integer>>> COUNTS = new TreeMap<>();

    /** The suite's target; interop tests run against embedded Strata on the filesystem. */
    private static String target(ExtensionContext ctx) {
        return ctx.getRequiredTestInstance() instanceof ConformanceSuite suite ? suite.target().name() : "strata-filesystem";
    }

    /** The workflow tag (pull, push, …) or, for interop tests, "interop: <client>". */
    private static String workflow(ExtensionContext ctx) {
        return ctx.getTags().stream().filter(t -> !t.equals("interop")).findFirst()
                .map(t -> t.startsWith("client-") ? "interop: " + t.substring("client-".length()) : t)
                .orElse("other");
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
                                    ExtensionContext ctx) throws Throwable {
        Optional<String> expected = ExpectedFailures.reason(target(ctx), call.getExecutable().getName());
        if (expected.isEmpty()) {
            invocation.proceed();
            return;
        }
        try {
            invocation.proceed();
        } catch (Throwable failure) {
            count(ctx, "expected failures");
            ctx.publishReportEntry("expected failure", expected.get() + ": " + failure.getMessage());
            return;
        }
        throw new AssertionError("listed as failing on " + target(ctx) + " (" + expected.get()
                + ") but passed: remove it from ExpectedFailures");
    }

    @Override
    public void testSuccessful(ExtensionContext ctx) {
        if (ExpectedFailures.reason(target(ctx), ctx.getRequiredTestMethod().getName()).isEmpty()) count(ctx, "passed");
    }

    @Override
    public void testFailed(ExtensionContext ctx, Throwable cause) {
        count(ctx, "failed");
    }

    @Override
    public void testAborted(ExtensionContext ctx, Throwable cause) {
        count(ctx, "skipped");
    }

    private static synchronized void count(ExtensionContext ctx, String outcome) {
        COUNTS.computeIfAbsent(target(ctx), t -> new TreeMap<>())
                .computeIfAbsent(workflow(ctx), w -> new TreeMap<>())
                .merge(outcome, 1, Integer::sum);
    }

    /** Rewrites the summary after each suite class, so it holds every target run so far. */
    @Override
    public synchronized void afterAll(ExtensionContext ctx) {
        String path = System.getProperty("conformance.report");
        if (path == null) return;
        StringBuilder md = new StringBuilder("| target | workflow | passed | failed | expected failures | skipped |\n"
                + "|---|---|---|---|---|---|\n");
        COUNTS.forEach((target, workflows) -> workflows.forEach((workflow, c) -> md.append("| ").append(target)
                .append(" | ").append(workflow)
                .append(" | ").append(c.getOrDefault("passed", 0))
                .append(" | ").append(c.getOrDefault("failed", 0))
                .append(" | ").append(c.getOrDefault("expected failures", 0))
                .append(" | ").append(c.getOrDefault("skipped", 0)).append(" |\n")));
        try {
            Files.createDirectories(Path.of(path).getParent());
            Files.writeString(Path.of(path), md.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
