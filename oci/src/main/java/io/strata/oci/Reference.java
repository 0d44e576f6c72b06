package io.strata.oci;

import java.util.regex.Pattern;

/**
 * An image reference, {@code [host[:port]/]path[:tag][@digest]}, with Docker Hub's defaults: no
 * host means {@code docker.io}, and a one-component path there means {@code library/<path>}.
 * With neither tag nor digest the tag is {@code latest}.
 */
public record Reference(String registry, RepositoryName repository, Tag tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern HOST = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?"
                    + "|\\[[0-9a-fA-F:]+\\](?::[0-9]{1,5})?");

    public Reference {
        if (registry == null || !HOST.matcher(registry).matches()) {
            throw new InvalidValueException(InvalidValueException.Kind.REFERENCE,
                    "invalid registry host " + InvalidValueException.quote(registry));
        }
        int colon = registry.lastIndexOf(':');
        if (colon > registry.lastIndexOf(']')) {
            int port = Integer.parseInt(registry.substring(colon + 1)); // at most 5 digits: the pattern says so
            if (port < 1 || port > 65535) {
                throw new InvalidValueException(InvalidValueException.Kind.REFERENCE,
                        "invalid registry host " + InvalidValueException.quote(registry) + ": port " + port + " is not 1-65535");
            }
        }
        if (repository == null) throw new InvalidValueException(InvalidValueException.Kind.REFERENCE, "no repository");
        if (tag == null && digest == null) tag = Tag.of("latest");
    }

    public static Reference parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 512) {
            throw new InvalidValueException(InvalidValueException.Kind.REFERENCE,
                    "invalid image reference " + InvalidValueException.quote(text));
        }
        String rest = text;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        Tag tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = Tag.of(rest.substring(colon + 1));
            rest = rest.substring(0, colon);
        }
        if (registry.equals(DOCKER_HUB) || registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
            if (!rest.contains("/")) rest = "library/" + rest;
        }
        try {
            return new Reference(registry, RepositoryName.of(rest), tag, digest);
        } catch (InvalidValueException e) {
            throw new InvalidValueException(InvalidValueException.Kind.REFERENCE,
                    "invalid image reference " + InvalidValueException.quote(text) + ": " + e.getMessage());
        }
    }

    /** The host that serves the registry API (Docker Hub's differs from its name). */
    public String apiHost() {
        return apiHost(registry);
    }

    /** The API host of a registry name, e.g. docker.io's is registry-1.docker.io. */
    public static String apiHost(String registry) {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** What to ask the registry for: the digest when known, else the tag. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag.value();
    }

    public Reference withDigest(Digest d) {
        return new Reference(registry, repository, tag, d);
    }

    /** The familiar form: {@code host/path:tag@digest}, tag or digest omitted when absent. */
    @Override
    public String toString() {
        return registry + "/" + repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }
}
