package io.strata.storage;

import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one place that says where things live in the backend. Keys are built only from validated
 * values (Digest, RepositoryName, Tag, upload ids that parse as UUIDs), and drivers check every key
 * again with {@link #requireSafe}.
 *
 * <pre>
 * blobs/sha256/ab/abcd…/data                                       blob bytes, global
 * uploads/&lt;uuid&gt;/state                                             upload session (JSON)
 * uploads/&lt;uuid&gt;/…                                                 upload bytes, driver-specific
 * repositories/&lt;name&gt;/_layers/sha256/&lt;hex&gt;/link                      blob linked into the repository
 * repositories/&lt;name&gt;/_manifests/revisions/sha256/&lt;hex&gt;/link          manifest in the repository (JSON)
 * repositories/&lt;name&gt;/_manifests/tags/&lt;tag&gt;/current/link             tag to manifest digest
 * repositories/&lt;name&gt;/_referrers/sha256/&lt;subject&gt;/sha256/&lt;hex&gt;/link referrer descriptor (JSON)
 * catalog/&lt;name&gt;/_repository                                       marks a repository that has content
 * </pre>
 * Name components never start with '_', so the underscore entries cannot collide with a name.
 */
public final class Keys {
    private Keys() {}

    public static final String BLOBS = "blobs/";
    public static final String UPLOADS = "uploads/";
    public static final String CATALOG = "catalog/";
    public static final String CATALOG_MARKER = "/_repository";

    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** Characters a key may hold: what the grammars of names, tags, digests and ids produce. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._/-]+");

    public static String blob(Digest d) {
        return BLOBS + digestPath(d) + "/data";
    }

    /** sha256/ab/abcd…: a two-character fan-out keeps directories small on filesystems. */
    private static String digestPath(Digest d) {
        return d.algorithm().id() + "/" + d.encoded().substring(0, 2) + "/" + d.encoded();
    }

    /** Parses the digest back out of a blob key, or null for any other key. */
    public static Digest blobDigest(String key) {
        String[] p = key.split("/");
        if (p.length != 5 || !p[0].equals("blobs") || !p[4].equals("data")) return null;
        try {
            Digest d = Digest.parse(p[1] + ":" + p[3]);
            return d.encoded().startsWith(p[2]) && p[2].length() == 2 ? d : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Upload ids are UUIDs we made; anything else never reaches a key. */
    public static String uploadDir(String uploadId) {
        if (uploadId == null || !UUID_TEXT.matcher(uploadId).matches()) {
            throw new StorageException.UploadUnknown(String.valueOf(uploadId));
        }
        return UPLOADS + uploadId + "/";
    }

    public static String newUploadId() {
        return UUID.randomUUID().toString();
    }

    public static String uploadState(String uploadId) {
        return uploadDir(uploadId) + "state";
    }

    static String repository(RepositoryName name) {
        return "repositories/" + name.value() + "/";
    }

    public static String layerLink(RepositoryName name, Digest d) {
        return repository(name) + "_layers/" + d.algorithm().id() + "/" + d.encoded() + "/link";
    }

    public static String layers(RepositoryName name) {
        return repository(name) + "_layers/";
    }

    public static String revision(RepositoryName name, Digest d) {
        return repository(name) + "_manifests/revisions/" + d.algorithm().id() + "/" + d.encoded() + "/link";
    }

    public static String revisions(RepositoryName name) {
        return repository(name) + "_manifests/revisions/";
    }

    /** When a pull-through cache last served the manifest (its eviction takes the least recent first). */
    public static String pulled(RepositoryName name, Digest d) {
        return repository(name) + "_proxy/pulled/" + d.algorithm().id() + "/" + d.encoded();
    }

    public static String tag(RepositoryName name, Tag tag) {
        return tags(name) + tag.value() + "/current/link";
    }

    public static String tags(RepositoryName name) {
        return repository(name) + "_manifests/tags/";
    }

    public static String referrers(RepositoryName name, Digest subject) {
        return repository(name) + "_referrers/" + subject.algorithm().id() + "/" + subject.encoded() + "/";
    }

    public static String referrer(RepositoryName name, Digest subject, Digest referrer) {
        return referrers(name, subject) + referrer.algorithm().id() + "/" + referrer.encoded() + "/link";
    }

    public static String catalogMarker(RepositoryName name) {
        return CATALOG + name.value() + CATALOG_MARKER;
    }

    /**
     * The drivers' last line of defence: a key is relative, made of non-empty components, none of
     * them "." or "..", in a small alphabet with no NUL, backslash, '%' or ':'.
     */
    public static String requireSafe(String key) {
        if (key == null || key.isEmpty() || key.length() > 1024 || !SAFE.matcher(key).matches()
                || key.startsWith("/")) {
            throw new IllegalArgumentException("unsafe storage key " + key);
        }
        for (String part : key.split("/", -1)) {
            if (part.isEmpty() && !key.endsWith("/")) throw new IllegalArgumentException("unsafe storage key " + key);
            if (part.equals(".") || part.equals("..")) throw new IllegalArgumentException("unsafe storage key " + key);
        }
        if (key.contains("//")) throw new IllegalArgumentException("unsafe storage key " + key);
        return key;
    }
}
