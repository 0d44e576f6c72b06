package io.strata.storage;

import io.strata.storage.driver.S3Driver;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server (S3Proxy on a filesystem blob store) in the test JVM, with one bucket. One server
 * serves every test class of a JVM ({@link #shared()}); tests isolate themselves by key prefix.
 */
public final class S3ProxyFixture implements AutoCloseable {
    private static S3ProxyFixture shared;

    /** The JVM's server, started on first use and stopped when the JVM exits. */
    public static synchronized S3ProxyFixture shared() {
        if (shared == null) {
            try {
                shared = new S3ProxyFixture();
            } catch (Exception e) {
                throw new IllegalStateException("S3Proxy did not start", e);
            }
            S3ProxyFixture s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    s.close();
                } catch (Exception ignored) {
                    // the JVM is exiting
                }
            }));
        }
        return shared;
    }

    public static final String ACCESS_KEY = "strata-test";
    public static final String SECRET_KEY = "strata-test-secret";
    public static final String BUCKET = "strata";

    private final S3Proxy proxy;
    private final Path dir;
    private final URI endpoint;

    private S3ProxyFixture() throws Exception {
        dir = Files.createTempDirectory("s3proxy-");
        Properties props = new Properties();
        props.setProperty("jclouds.identity", ACCESS_KEY);
        props.setProperty("jclouds.credential", SECRET_KEY);
        props.setProperty("jclouds.filesystem.basedir", dir.toString());
        proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem", props))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        for (int i = 0; i < 200 && !"STARTED".equals(proxy.getState()); i++) Thread.sleep(25);
        if (!"STARTED".equals(proxy.getState())) throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(BUCKET));
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Driver options for this server; each {@code prefix} is an isolated store in the one bucket. */
    public S3Driver.Options options(String prefix, long copyPartSize) {
        return new S3Driver.Options(BUCKET, "us-east-1", endpoint, true, ACCESS_KEY, SECRET_KEY, prefix,
                S3Driver.MIN_PART_SIZE, copyPartSize, null);
    }

    public S3Client client() {
        return S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
