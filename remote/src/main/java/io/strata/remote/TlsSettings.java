package io.strata.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How registries' certificates are checked, docker's and podman's way: the system's CAs, plus for
 * each registry the files of {@code certs.d/HOST[:PORT]/} in each directory given: {@code *.crt}
 * are CAs to trust, a {@code NAME.cert} with its {@code NAME.key} is a client certificate.
 *
 * @param verify false to accept any certificate for any name (podman's --tls-verify=false)
 * @param certDir null, or a directory of this registry's files as certs.d/HOST holds them (skopeo's --src-cert-dir)
 */
public record TlsSettings(boolean verify, List<Path> certsDirs, Path certDir) {
    public static final TlsSettings DEFAULT = new TlsSettings(true, List.of());

    public TlsSettings {
        certsDirs = List.copyOf(certsDirs);
    }

    public TlsSettings(boolean verify, List<Path> certsDirs) {
        this(verify, certsDirs, null);
    }

    /** The same, with {@code dir} holding this registry's files directly (skopeo's --cert-dir), read before the certs.d ones. */
    public TlsSettings withCertDir(Path dir) {
        return new TlsSettings(verify, certsDirs, dir);
    }

    /**
     * The context of the client that speaks plain HTTP to a registry (loopback, --insecure). It needs
     * TLS only when the registry sends a download elsewhere over https (distribution with S3 and
     * redirects does), and then trusts what the system trusts, as docker and skopeo do. It is made
     * when a connection first needs it: the system's context reads every CA and sets up the JDK's TLS
     * provider, about 30 ms of a command on two cores that plain HTTP never uses. (The client is given
     * its SSL parameters, so that it does not ask the context for them when it is built.)
     */
    static SSLContext systemTrustWhenUsed() {
        return new SSLContext(new SSLContextSpi() {
            private SSLContext real() {
                return SystemTrust.CONTEXT;
            }

            @Override
            protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
                throw new UnsupportedOperationException("the system's context is used as it is");
            }

            @Override
            protected SSLSocketFactory engineGetSocketFactory() {
                return real().getSocketFactory();
            }

            @Override
            protected SSLServerSocketFactory engineGetServerSocketFactory() {
                return real().getServerSocketFactory();
            }

            @Override
            protected SSLEngine engineCreateSSLEngine() {
                return real().createSSLEngine();
            }

            @Override
            protected SSLEngine engineCreateSSLEngine(String host, int port) {
                return real().createSSLEngine(host, port);
            }

            @Override
            protected SSLSessionContext engineGetServerSessionContext() {
                return real().getServerSessionContext();
            }

            @Override
            protected SSLSessionContext engineGetClientSessionContext() {
                return real().getClientSessionContext();
            }

            @Override
            protected SSLParameters engineGetDefaultSSLParameters() {
                return real().getDefaultSSLParameters();
            }

            @Override
            protected SSLParameters engineGetSupportedSSLParameters() {
                return real().getSupportedSSLParameters();
            }
        }, null, "TLS") {};
    }

    /** The system's trust, naming the server whose certificate it refuses; made on first use. */
    private static final class SystemTrust {
        static final SSLContext CONTEXT;

        static {
            try {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((KeyStore) null);
                CONTEXT = SSLContext.getInstance("TLS");
                CONTEXT.init(null, PeerNaming.wrap(tmf.getTrustManagers()), null);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("no TLS in this JDK", e);
            }
        }
    }

    /** The TLS context for one registry host. */
    public SSLContext context(String host) {
        try {
            List<Path> files = files(host);
            if (verify && files.isEmpty()) return SystemTrust.CONTEXT;
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
            keys.load(null, null);
            boolean ownCas = false;
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(".crt")) {
                    int i = 0;
                    for (Certificate c : certificates(f)) trust.setCertificateEntry(name + "#" + i++, c);
                    ownCas = true;
                } else if (name.endsWith(".cert")) {
                    Path key = f.resolveSibling(name.substring(0, name.length() - ".cert".length()) + ".key");
                    if (!Files.isRegularFile(key)) throw new IOException(f + " has no " + key.getFileName() + " beside it");
                    keys.setKeyEntry(name, privateKey(key), new char[0], certificates(f).toArray(Certificate[]::new));
                }
            }
            TrustManager[] trustManagers;
            if (!verify) {
                trustManagers = new TrustManager[] {new AnyCertificate()};
            } else {
                if (ownCas) addSystemCas(trust);
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ownCas ? trust : null);
                trustManagers = PeerNaming.wrap(tmf.getTrustManagers());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), trustManagers, null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("TLS settings for " + host + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS settings for " + host + ": " + e.getMessage(), e);
        }
    }

    /** The files of every certs.d/HOST directory, in order. */
    private List<Path> files(String host) throws IOException {
        List<Path> out = new ArrayList<>();
        if (certDir != null) {
            if (!Files.isDirectory(certDir)) throw new IOException("no certificate directory " + certDir);
            try (Stream<Path> s = Files.list(certDir)) {
                s.filter(Files::isRegularFile).sorted().forEach(out::add);
            }
        }
        for (Path dir : certsDirs) {
            Path d = dir.resolve(host);
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                s.filter(Files::isRegularFile).sorted().forEach(out::add);
            }
        }
        return out;
    }

    private static List<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            var certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) throw new IOException(pem + " holds no certificate");
            return List.copyOf(certs);
        }
    }

    private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < 0) {
            throw new IOException(pem + " is not a PKCS#8 PEM key (convert it: openssl pkcs8 -topk8 -nocrypt -in KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new IOException(pem + ": not an RSA, EC or Ed25519 key");
    }

    /** The JDK's own CAs next to a registry's, so that its CA adds trust and takes none away. */
    private static void addSystemCas(KeyStore trust) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        int i = 0;
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof javax.net.ssl.X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) trust.setCertificateEntry("system#" + i++, c);
            }
        }
    }

    /**
     * A server's certificate refused, with the server it came from: the HTTP client follows redirects
     * itself (a registry sends blob downloads to a store), and its exceptions do not say where the
     * handshake failed.
     */
    static final class UntrustedPeer extends java.security.cert.CertificateException {
        /** HOST:PORT, as the client connected to it. */
        final String peer;

        UntrustedPeer(String peer, java.security.cert.CertificateException cause) {
            super(cause.getMessage(), cause);
            this.peer = peer;
        }
    }

    /** Checks as the JDK's trust manager does, and names the server in what it refuses. */
    private static final class PeerNaming extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;

        private PeerNaming(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        static TrustManager[] wrap(TrustManager[] managers) {
            TrustManager[] out = managers.clone();
            for (int i = 0; i < out.length; i++) if (out[i] instanceof X509ExtendedTrustManager x) out[i] = new PeerNaming(x);
            return out;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws java.security.cert.CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, engine);
            } catch (java.security.cert.CertificateException e) {
                String host = engine.getPeerHost();
                throw new UntrustedPeer((host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + engine.getPeerPort(), e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws java.security.cert.CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /** --tls-verify=false: no chain and, being an extended trust manager, no host name check either. */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        @Override public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
