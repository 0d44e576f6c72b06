package io.strata.builder;

/** A Containerfile that cannot be read: the file, the line and column, and what was wrong, in one line. */
public final class ParseException extends IllegalArgumentException {
    private final String file;
    private final int line;
    private final int column;

    public ParseException(String file, int line, int column, String message) {
        super(file + ":" + line + (column > 0 ? ":" + column : "") + ": " + message);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
