package io.strata.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.oci.ImageJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Container Network Interface (CNI spec 1.0), as a runtime calls it: each plugin of a network
 * configuration list is executed with {@code CNI_COMMAND}, {@code CNI_CONTAINERID},
 * {@code CNI_NETNS}, {@code CNI_IFNAME} and {@code CNI_PATH} in its environment and its
 * configuration on stdin, the previous plugin's result as {@code prevResult}, and the runtime
 * arguments it declares a capability for (port mappings) as {@code runtimeConfig}. The plugins
 * (Debian's containernetworking-plugins) do the netlink, IPAM and iptables work.
 */
final class Cni {
    /** Where the plugins are looked for, in order: Debian's package, then the usual upstream place. */
    static final List<Path> PLUGIN_DIRS = List.of(Path.of("/usr/lib/cni"), Path.of("/opt/cni/bin"));

    private Cni() {}

    /** What ADD, CHECK and DEL are told about the container. */
    record Target(String containerId, Path netns, String ifName, Map<String, Object> runtimeConfig) {}

    /** A plugin's refusal, with the code and message the spec's error JSON carries. */
    static final class PluginException extends IOException {
        PluginException(String plugin, String command, String message) {
            super("CNI plugin " + plugin + " (" + command + "): " + message);
        }
    }

    /** ADD: each plugin in order; returns the last one's result, which DEL and CHECK are given back. */
    static JsonNode add(JsonNode list, Target target) throws IOException {
        JsonNode result = null;
        for (JsonNode plugin : list.path("plugins")) {
            result = exec("ADD", list, plugin, target, result);
        }
        return result;
    }

    /** DEL: each plugin in reverse order, with ADD's result; what is already gone is not an error (the spec's DEL is idempotent). */
    static void del(JsonNode list, Target target, JsonNode added) throws IOException {
        IOException first = null;
        for (JsonNode plugin : delOrder(list)) {
            try {
                exec("DEL", list, plugin, target, added);
            } catch (IOException e) {
                if (first == null) first = e; // the rest still clean up what they made
            }
        }
        if (first != null) throw first;
    }

    /** The plugin's executable, found as CNI_PATH says. */
    static Path binary(JsonNode plugin) throws IOException {
        String type = plugin.path("type").asText();
        if (!type.matches("[A-Za-z0-9_.-]+")) throw new IOException("CNI plugin type " + type + " is not a plugin name");
        return PLUGIN_DIRS.stream().map(d -> d.resolve(type)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IOException("CNI plugin " + type + " not found in " + PLUGIN_DIRS
                        + " (Debian: apt-get install containernetworking-plugins)"));
    }

    /** The plugins of a list in DEL's order (the reverse of ADD's). */
    static List<JsonNode> delOrder(JsonNode list) {
        List<JsonNode> plugins = new ArrayList<>();
        list.path("plugins").forEach(plugins::add);
        return plugins.reversed();
    }

    /** What a plugin of the list reads on stdin: its configuration with the list's name and version, prevResult and runtimeConfig. */
    static byte[] stdin(JsonNode list, JsonNode plugin, Target target, JsonNode prevResult) throws IOException {
        ObjectNode conf = plugin.deepCopy();
        conf.put("cniVersion", list.path("cniVersion").asText("1.0.0"));
        conf.put("name", list.path("name").asText());
        if (prevResult != null) conf.set("prevResult", prevResult);
        ObjectNode runtimeConfig = ImageJson.plain().createObjectNode();
        plugin.path("capabilities").properties().forEach(cap -> {
            Object value = target.runtimeConfig().get(cap.getKey());
            if (cap.getValue().asBoolean() && value != null) runtimeConfig.set(cap.getKey(), ImageJson.plain().valueToTree(value));
        });
        if (!runtimeConfig.isEmpty()) conf.set("runtimeConfig", runtimeConfig);
        return ImageJson.plain().writeValueAsBytes(conf);
    }

    /** The environment the spec gives a plugin. */
    static Map<String, String> environment(String command, Target target) {
        return Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", target.containerId(), "CNI_NETNS", target.netns().toString(),
                "CNI_IFNAME", target.ifName(), "CNI_PATH", String.join(":", PLUGIN_DIRS.stream().map(Path::toString).toList()));
    }

    private static JsonNode exec(String command, JsonNode list, JsonNode plugin, Target target, JsonNode prevResult) throws IOException {
        String type = plugin.path("type").asText();
        Path binary = binary(plugin);
        byte[] stdin = stdin(list, plugin, target, prevResult);
        ProcessBuilder pb = new ProcessBuilder(binary.toString());
        pb.environment().putAll(environment(command, target));
        Process p = pb.redirectError(ProcessBuilder.Redirect.PIPE).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new PluginException(type, command, "did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            String message = err.strip();
            try {
                JsonNode e = ImageJson.plain().readTree(out);
                message = e.path("msg").asText(message) + (e.path("details").asText("").isEmpty() ? "" : ": " + e.path("details").asText());
            } catch (IOException notJson) {
                // the plugin wrote no error JSON: its stderr says why
            }
            throw new PluginException(type, command, message.isEmpty() ? "exit code " + p.exitValue() : message);
        }
        if (!command.equals("ADD")) return prevResult;
        JsonNode result = ImageJson.plain().readTree(out);
        if (result == null || !result.isObject()) throw new PluginException(type, command, "no result");
        return result;
    }
}
