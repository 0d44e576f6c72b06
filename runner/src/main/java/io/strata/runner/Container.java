package io.strata.runner;

import java.util.List;

/** A container: an image plus its own active snapshot, run by an OCI runtime. Its state survives the CLI. */
public record Container(
        String id,
        String name,
        String image,
        String imageDigest,
        List<String> command,
        String created,
        Status status,
        Integer exitCode,
        String finished,
        String snapshot,
        String runtime,
        Long pid,
        boolean autoRemove) {

    public enum Status { CREATED, RUNNING, EXITED }

    public Container {
        command = command == null ? List.of() : List.copyOf(command);
    }

    Container with(Status newStatus, Integer newExitCode, String newFinished) {
        return new Container(id, name, image, imageDigest, command, created, newStatus, newExitCode, newFinished, snapshot, runtime, pid, autoRemove);
    }

    /** Removed by its supervisor once it exits (run --rm, detached). */
    Container removedWhenDone() {
        return new Container(id, name, image, imageDigest, command, created, status, exitCode, finished, snapshot, runtime, pid, true);
    }

    /** Running, supervised by process {@code supervisor} (the CLI in the foreground, a shim when detached). */
    Container running(long supervisor) {
        return new Container(id, name, image, imageDigest, command, created, Status.RUNNING, null, null, snapshot, runtime, supervisor, autoRemove);
    }
}
