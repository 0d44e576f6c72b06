package io.strata.runner;

import io.strata.oci.ImageJson;
import io.strata.oci.JsonIn;
import io.strata.oci.JsonOut;
import java.io.IOException;
import java.util.List;
import java.util.Map;

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
        boolean autoRemove,
        boolean openStdin,
        String started) {

    public enum Status { CREATED, RUNNING, EXITED }

    public Container {
        command = command == null ? List.of() : List.copyOf(command);
    }

    /** container.json: every member, nulls too, indented (as databind wrote it before). */
    byte[] toJson() {
        return JsonOut.object(true, out -> out.nullable("id", id).nullable("name", name).nullable("image", image)
                .nullable("imageDigest", imageDigest).stringArray("command", command).nullable("created", created)
                .nullable("status", status == null ? null : status.name())
                .nullableNumber("exitCode", exitCode == null ? null : exitCode.longValue())
                .nullable("finished", finished).nullable("snapshot", snapshot).nullable("runtime", runtime)
                .nullableNumber("pid", pid).bool("autoRemove", autoRemove).bool("openStdin", openStdin)
                .nullable("started", started));
    }

    /**
     * Its members as container.json holds them (strings, numbers, lists, nulls), for ps's table and
     * templates: the names and values databind gave a record, without building an ObjectMapper.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> members() {
        try {
            return (Map<String, Object>) ImageJson.read(toJson(), "container", JsonIn::any);
        } catch (IOException e) {
            throw new IllegalStateException("container.json written here did not read back", e);
        }
    }

    static Container parse(byte[] json, String what) throws IOException {
        return ImageJson.read(json, what, in -> {
            var f = new Object() {
                String id, name, image, imageDigest, created, status, finished, snapshot, runtime, started;
                List<String> command;
                Long exitCode, pid;
                boolean autoRemove, openStdin;
            };
            in.object((member, v) -> {
                switch (member) {
                    case "id" -> f.id = v.string();
                    case "name" -> f.name = v.string();
                    case "image" -> f.image = v.string();
                    case "imageDigest" -> f.imageDigest = v.string();
                    case "command" -> f.command = v.strings();
                    case "created" -> f.created = v.string();
                    case "status" -> f.status = v.string();
                    case "exitCode" -> f.exitCode = v.optionalNumber();
                    case "finished" -> f.finished = v.string();
                    case "snapshot" -> f.snapshot = v.string();
                    case "runtime" -> f.runtime = v.string();
                    case "pid" -> f.pid = v.optionalNumber();
                    case "autoRemove" -> f.autoRemove = v.bool();
                    case "openStdin" -> f.openStdin = v.bool();
                    case "started" -> f.started = v.string();
                    default -> v.skip();
                }
            });
            return new Container(f.id, f.name, f.image, f.imageDigest, f.command, f.created,
                    f.status == null ? null : Status.valueOf(f.status), f.exitCode == null ? null : Math.toIntExact(f.exitCode),
                    f.finished, f.snapshot, f.runtime, f.pid, f.autoRemove, f.openStdin, f.started);
        });
    }

    Container with(Status newStatus, Integer newExitCode, String newFinished) {
        return new Container(id, name, image, imageDigest, command, created, newStatus, newExitCode, newFinished, snapshot, runtime, pid, autoRemove, openStdin, started);
    }

    /** Removed by its supervisor once it exits (run --rm, detached). */
    Container removedWhenDone() {
        return new Container(id, name, image, imageDigest, command, created, status, exitCode, finished, snapshot, runtime, pid, true, openStdin, started);
    }

    /** Named {@code newName} (rename). */
    Container named(String newName) {
        return new Container(id, newName, image, imageDigest, command, created, status, exitCode, finished, snapshot, runtime, pid, autoRemove,
                openStdin, started);
    }

    /** Running, supervised by process {@code monitor} (its conmon). */
    Container running(long monitor) {
        return new Container(id, name, image, imageDigest, command, created, Status.RUNNING, null, null, snapshot, runtime, monitor, autoRemove,
                openStdin, java.time.Instant.now().toString());
    }
}
