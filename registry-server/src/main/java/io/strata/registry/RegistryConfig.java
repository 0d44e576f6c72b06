package io.strata.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.strata.storage.StorageConfig;
import io.strata.storage.driver.S3Driver;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The registry's configuration: a YAML file (every key optional), then environment overrides
 * ({@code STRATA_LISTEN}, {@code STRATA_STORAGE_DRIVER}, {@code STRATA_STORAGE_S3_BUCKET}, … one
 * underscore per level, case-insensitive), then command-line flags. The defaults serve a newcomer:
 * port 5000, filesystem storage under ./data, no auth.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record RegistryConfig(String listen, Storage storage, Uploads uploads, Limits limits, Tls tls, Log log, Auth auth,
                             Boolean readOnly, Gc gc, Proxy proxy) {

    /**
     * Pull-through caches: a repository under an upstream's prefix is that upstream's repository of
     * the rest of the name, fetched on first pull and served from storage afterwards.
     *
     * @param spoolDir where blobs wait while they arrive (null: the system's temporary directory)
     * @param maxBytes what the cached repositories may hold ("50GiB", "500MB", bytes; null: no cap)
     */
    public record Proxy(java.util.List<Upstream> upstreams, String spoolDir, String maxBytes) {}

    /** @param tagTTL how long a tag fetched from the upstream is served before the upstream is asked again */
    public record Upstream(String prefix, String url, String username, String password, String tagTTL) {}

    /** Online garbage collection: every {@code interval} (off when null), blobs younger than {@code grace} stay. */
    public record Gc(String interval, String grace, Boolean untagged) {}

    public record Storage(String driver, Filesystem filesystem, S3 s3, Delete delete) {}

    /** Whether DELETE of manifests, tags and blobs is allowed (distribution's storage.delete.enabled). */
    public record Delete(Boolean enabled) {}

    public record Filesystem(String root) {}

    public record S3(String bucket, String region, String endpoint, Boolean pathStyle, String accessKey,
                     String secretKey, String prefix, Long partSize, String spoolDir) {}

    /** Abandoned upload sessions are removed after {@code expiry}; the sweep runs every {@code purgeInterval}. */
    public record Uploads(String expiry, String purgeInterval) {}

    /**
     * @param requestsPerSecond per client address, 0 for no limit
     * @param failedLoginsPerMinute per client address, before its logins are answered 429
     */
    public record Limits(Long manifestBytes, Double requestsPerSecond, Integer failedLoginsPerMinute, String idleTimeout,
                         Integer maxOpenUploadsPerClient) {}

    /** Who may do what: none (everyone everything), htpasswd (Basic) or token (Docker's bearer tokens). */
    public record Auth(String mode, Htpasswd htpasswd, Token token, Issuer issuer, String policy) {}

    public record Htpasswd(String path, String realm) {}

    public record Token(String realm, String service, String issuer, java.util.List<String> publicKeys) {}

    public record Issuer(Boolean enabled, String privateKey, String expiry) {}

    public record Tls(String cert, String key) {}

    /** @param format text (key=value lines) or json (one JSON object a line) */
    public record Log(String level, Boolean access, String format) {}

    private static final String DEFAULTS = """
            listen: 0.0.0.0:5000
            storage:
              driver: filesystem
              filesystem:
                root: ./data
              s3:
                bucket: null
                region: us-east-1
                endpoint: null
                pathStyle: false
                accessKey: null
                secretKey: null
                prefix: ""
                partSize: 16777216
                spoolDir: null
              delete:
                enabled: true
            uploads:
              expiry: 24h
              purgeInterval: 1h
            limits:
              manifestBytes: 4194304
              requestsPerSecond: 0
              failedLoginsPerMinute: 10
              idleTimeout: 60s
              maxOpenUploadsPerClient: 1000
            tls:
              cert: null
              key: null
            log:
              level: info
              access: true
              format: text
            readOnly: false
            proxy:
              upstreams: []
              spoolDir: null
              maxBytes: null
            gc:
              interval: null
              grace: 1h
              untagged: false
            auth:
              mode: none
              htpasswd:
                path: null
                realm: strata
              token:
                realm: null
                service: strata
                issuer: strata-token
                publicKeys: []
              issuer:
                enabled: false
                privateKey: null
                expiry: 5m
              policy: null
            """;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One line for a file that is not YAML: where, and what the parser expected (its own message
     * spans several lines, a caret drawing and a second position counted in a string of its own).
     */
    private static String yamlProblem(com.fasterxml.jackson.core.JsonProcessingException e) {
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
            return "not valid YAML at line " + (m.getProblemMark().getLine() + 1) + ", column " + (m.getProblemMark().getColumn() + 1)
                    + ": " + m.getProblem();
        }
        return "not valid YAML: " + e.getOriginalMessage();
    }

    /** Defaults, then the file (if any), then {@code STRATA_*} variables from {@code env}. */
    public static RegistryConfig load(Path file, Map<String, String> env) throws IOException {
        ObjectNode tree = (ObjectNode) YAML.readTree(DEFAULTS);
        if (file != null) {
            JsonNode fromFile;
            try {
                fromFile = YAML.readTree(Files.readString(file));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(file + ": " + yamlProblem(e), e);
            }
            if (fromFile != null && !fromFile.isMissingNode() && !fromFile.isNull()) {
                if (!fromFile.isObject()) throw new IllegalArgumentException(file + ": the configuration must be a YAML mapping");
                merge(tree, (ObjectNode) fromFile, "");
            }
        }
        for (var e : env.entrySet()) {
            if (e.getKey().startsWith("STRATA_") && !e.getKey().equals("STRATA_JAVA_HOME")) {
                override(tree, e.getKey().substring("STRATA_".length()), e.getValue());
            }
        }
        RegistryConfig config = YAML.treeToValue(tree, RegistryConfig.class);
        config.validate();
        return config;
    }

    public static RegistryConfig defaults() {
        try {
            return load(null, Map.of());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies {@code from} into {@code into}; an unknown key is an error that names it. */
    private static void merge(ObjectNode into, ObjectNode from, String path) {
        for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
            var e = it.next();
            String where = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            JsonNode existing = into.get(e.getKey());
            if (existing == null) throw new IllegalArgumentException("unknown configuration key: " + where);
            if (existing.isObject() && e.getValue().isObject()) {
                merge((ObjectNode) existing, (ObjectNode) e.getValue(), where);
            } else if (existing.isObject()) {
                throw new IllegalArgumentException("configuration key " + where + " must be a mapping");
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    /** STORAGE_S3_ACCESSKEY → storage.s3.accessKey, matched case-insensitively against the known keys. */
    private static void override(ObjectNode tree, String name, String value) {
        String[] parts = name.toLowerCase(Locale.ROOT).split("_");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length; i++) {
            String key = findKey(node, parts[i]);
            if (key == null) return; // not ours (e.g. STRATA_HOME for the launcher)
            if (i == parts.length - 1) {
                if (node.get(key).isObject()) return;
                if (node.get(key).isArray()) {
                    // A list from the environment: comma-separated (STRATA_AUTH_TOKEN_PUBLICKEYS=a.pem,b.pem).
                    var list = node.putArray(key);
                    for (String item : value.split(",")) if (!item.isBlank()) list.add(item.trim());
                    return;
                }
                node.put(key, value);
            } else if (node.get(key) instanceof ObjectNode child) {
                node = child;
            } else {
                return;
            }
        }
    }

    private static String findKey(ObjectNode node, String lower) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.toLowerCase(Locale.ROOT).equals(lower)) return k;
        }
        return null;
    }

    private void validate() {
        host();
        port();
        switch (auth.mode()) {
            case "none" -> { }
            case "htpasswd" -> {
                if (auth.htpasswd().path() == null) throw new IllegalArgumentException("auth.mode htpasswd needs auth.htpasswd.path");
            }
            case "token" -> {
                boolean issuing = Boolean.TRUE.equals(auth.issuer().enabled());
                if (issuing && auth.issuer().privateKey() == null) {
                    throw new IllegalArgumentException("auth.issuer.enabled needs auth.issuer.privateKey");
                }
                if (issuing && auth.htpasswd().path() == null) {
                    throw new IllegalArgumentException("the built-in token issuer checks passwords against auth.htpasswd.path");
                }
                if (!issuing && (auth.token().publicKeys() == null || auth.token().publicKeys().isEmpty())) {
                    throw new IllegalArgumentException("auth.mode token needs auth.token.publicKeys (or auth.issuer.enabled)");
                }
                if (!issuing && auth.token().realm() == null) throw new IllegalArgumentException("auth.mode token needs auth.token.realm");
                tokenExpiry();
            }
            default -> throw new IllegalArgumentException("auth.mode must be none, htpasswd or token, was " + auth.mode());
        }
        storageConfig();
        uploadExpiry();
        purgeInterval();
        idleTimeout();
        gcGrace();
        gcInterval();
        if (!java.util.Set.of("text", "json").contains(log.format())) {
            throw new IllegalArgumentException("log.format must be text or json, was " + log.format());
        }
        if (limits.manifestBytes() == null || limits.manifestBytes() < 1024) {
            throw new IllegalArgumentException("limits.manifestBytes must be at least 1024");
        }
        validateProxy();
        if ((tls.cert() == null) != (tls.key() == null)) {
            throw new IllegalArgumentException("tls.cert and tls.key go together");
        }
    }

    private void validateProxy() {
        java.util.Set<String> prefixes = new java.util.HashSet<>();
        for (Upstream u : upstreams()) {
            String prefix = u.prefix() == null ? "" : u.prefix();
            if (!prefix.isEmpty() && !io.strata.oci.RepositoryName.isValid(prefix)) {
                throw new IllegalArgumentException("proxy.upstreams: prefix " + prefix + " is not a repository name path");
            }
            if (!prefixes.add(prefix)) throw new IllegalArgumentException("proxy.upstreams: prefix \"" + prefix + "\" named twice");
            URI url;
            try {
                url = URI.create(u.url() == null ? "" : u.url());
            } catch (IllegalArgumentException e) {
                url = URI.create("");
            }
            if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null
                    || !(url.getRawPath() == null || url.getRawPath().isEmpty() || url.getRawPath().equals("/"))) {
                throw new IllegalArgumentException("proxy.upstreams: url must be http(s)://HOST[:PORT], was " + u.url());
            }
            if ((u.username() == null) != (u.password() == null)) {
                throw new IllegalArgumentException("proxy.upstreams: username and password go together (prefix \"" + prefix + "\")");
            }
            tagTtl(u);
        }
        proxyMaxBytes();
    }

    /** The pull-through cache's cap in bytes, or 0 for none. */
    public long proxyMaxBytes() {
        String text = proxy == null ? null : proxy.maxBytes();
        if (text == null) return 0;
        var m = java.util.regex.Pattern.compile("(\\d+)\\s*(|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("proxy.maxBytes must be a size like 50GiB, 500MB or a number of bytes, was " + text);
        }
        long unit = switch (m.group(2)) {
            case "", "B" -> 1;
            case "KB" -> 1000L;
            case "MB" -> 1000L * 1000;
            case "GB" -> 1000L * 1000 * 1000;
            case "TB" -> 1000L * 1000 * 1000 * 1000;
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            default -> 1L << 40;
        };
        return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    }

    /** The upstreams, each with its prefix ("" when none). */
    public java.util.List<Upstream> upstreams() {
        if (proxy == null || proxy.upstreams() == null) return java.util.List.of();
        return proxy.upstreams().stream().map(u -> u.prefix() == null
                ? new Upstream("", u.url(), u.username(), u.password(), u.tagTTL()) : u).toList();
    }

    /** How long a fetched tag is trusted: 5 minutes unless the upstream says otherwise; 0 asks every time. */
    public static Duration tagTtl(Upstream u) {
        return u.tagTTL() == null ? Duration.ofMinutes(5) : durationOrZero("proxy.upstreams.tagTTL", u.tagTTL());
    }

    public String host() {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("listen must be HOST:PORT, was " + listen);
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return host.isEmpty() ? "0.0.0.0" : host;
    }

    public int port() {
        try {
            int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
            if (port < 0 || port > 65535) throw new NumberFormatException();
            return port;
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("listen must be HOST:PORT with a port 0-65535, was " + listen);
        }
    }

    public boolean deleteEnabled() {
        return storage.delete() == null || !Boolean.FALSE.equals(storage.delete().enabled());
    }

    /** Where the storage is, for people: a directory, or s3://bucket/prefix at an endpoint. */
    public String storageLocation() {
        return switch (storage.driver()) {
            case "filesystem" -> Path.of(storage.filesystem().root()).toAbsolutePath().normalize().toString();
            case "s3" -> "s3://" + storage.s3().bucket() + "/" + (storage.s3().prefix() == null ? "" : storage.s3().prefix())
                    + (storage.s3().endpoint() == null ? "" : " at " + storage.s3().endpoint());
            default -> storage.driver();
        };
    }

    public StorageConfig storageConfig() {
        return switch (storage.driver()) {
            case "filesystem" -> new StorageConfig.Filesystem(Path.of(storage.filesystem().root()));
            case "s3" -> {
                S3 s3 = storage.s3();
                yield new StorageConfig.S3(new S3Driver.Options(s3.bucket(), s3.region(),
                        s3.endpoint() == null || s3.endpoint().isBlank() ? null : URI.create(s3.endpoint()),
                        Boolean.TRUE.equals(s3.pathStyle()), s3.accessKey(), s3.secretKey(), s3.prefix(),
                        s3.partSize() == null ? 0 : s3.partSize(), 0,
                        s3.spoolDir() == null ? null : Path.of(s3.spoolDir())));
            }
            default -> throw new IllegalArgumentException(
                    "storage.driver must be filesystem or s3, was " + storage.driver());
        };
    }

    public Duration uploadExpiry() {
        return duration("uploads.expiry", uploads.expiry());
    }

    public Duration purgeInterval() {
        return duration("uploads.purgeInterval", uploads.purgeInterval());
    }

    /** "90s", "15m", "24h", "7d", or ISO-8601 ("PT1H"). */
    public static Duration duration(String key, String text) {
        try {
            if (text.startsWith("P") || text.startsWith("p")) return Duration.parse(text);
            long n = Long.parseLong(text.substring(0, text.length() - 1));
            Duration d = switch (text.charAt(text.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException();
            };
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException();
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be a positive duration like 90s, 15m, 24h or 7d, was " + text);
        }
    }

    /** A copy with command-line flags applied (null: keep). */
    public RegistryConfig withFlags(String listenFlag, String rootFlag) {
        return withFlags(listenFlag, rootFlag, null);
    }

    /** ... and {@code --auth-htpasswd FILE}, which selects htpasswd mode. */
    public RegistryConfig withFlags(String listenFlag, String rootFlag, String htpasswdFlag) {
        RegistryConfig c = this;
        if (listenFlag != null) c = new RegistryConfig(listenFlag, c.storage, c.uploads, c.limits, c.tls, c.log, c.auth, c.readOnly, c.gc, c.proxy);
        if (rootFlag != null) {
            c = new RegistryConfig(c.listen, new Storage("filesystem", new Filesystem(rootFlag), c.storage.s3(), c.storage.delete()),
                    c.uploads, c.limits, c.tls, c.log, c.auth, c.readOnly, c.gc, c.proxy);
        }
        if (htpasswdFlag != null) {
            c = new RegistryConfig(c.listen, c.storage, c.uploads, c.limits, c.tls, c.log, new Auth("htpasswd",
                    new Htpasswd(htpasswdFlag, c.auth.htpasswd().realm()), c.auth.token(), c.auth.issuer(), c.auth.policy()), c.readOnly, c.gc, c.proxy);
        }
        c.validate();
        return c;
    }

    public Duration gcGrace() {
        return gc.grace() == null ? Duration.ofHours(1) : durationOrZero("gc.grace", gc.grace());
    }

    /** Null when the server runs no garbage collection of its own. */
    public Duration gcInterval() {
        return gc.interval() == null ? null : duration("gc.interval", gc.interval());
    }

    private static Duration durationOrZero(String key, String text) {
        return text.equals("0") || text.equals("0s") ? Duration.ZERO : duration(key, text);
    }

    public boolean isReadOnly() {
        return Boolean.TRUE.equals(readOnly);
    }

    /** How long a connection may send and receive nothing before it is closed. */
    public Duration idleTimeout() {
        return duration("limits.idleTimeout", limits.idleTimeout());
    }

    /** The token lifetime the built-in issuer gives. */
    public Duration tokenExpiry() {
        return duration("auth.issuer.expiry", auth.issuer().expiry());
    }
}
