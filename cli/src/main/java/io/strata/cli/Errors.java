package io.strata.cli;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** One line that says what failed and why, never a bare path or a Java class name. */
final class Errors {
    private Errors() {}

    static String describe(Throwable e) {
        while ((e instanceof UncheckedIOException || e instanceof java.util.concurrent.ExecutionException
                || e instanceof java.util.concurrent.CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        // A file's error as the others read: the path, then what went wrong in lower case (the JDK gives
        // strerror's "Not a directory", or nothing for some exception types).
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String why = switch (f) {
                case AccessDeniedException a -> "permission denied";
                case NoSuchFileException n -> "no such file or directory";
                case FileAlreadyExistsException x -> "already exists";
                case DirectoryNotEmptyException d -> "directory not empty";
                case NotDirectoryException d -> "not a directory";
                default -> f.getReason() == null || f.getReason().isEmpty() ? "failed"
                        : Character.toLowerCase(f.getReason().charAt(0)) + f.getReason().substring(1);
            };
            String hint = f instanceof AccessDeniedException ? " (is the store another user's? set --root or STRATA_ROOT)" : "";
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + why + hint;
        }
        if (e.getMessage() == null || e.getMessage().isBlank()) return e.getClass().getSimpleName().replaceAll("(?<=[a-z])(?=[A-Z])", " ").toLowerCase();
        return e.getMessage();
    }
}
