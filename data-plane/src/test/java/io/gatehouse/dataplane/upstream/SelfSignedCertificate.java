package io.gatehouse.dataplane.upstream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate made with the JDK's keytool in a directory: a PKCS12 key store for
 * test servers and the certificate as PEM for the gateway to trust.
 */
record SelfSignedCertificate(Path keyStore, char[] password, String pem) {

    /** For 127.0.0.1 and localhost. */
    static SelfSignedCertificate create(Path dir) throws Exception {
        return create(dir, "localhost", "SAN=ip:127.0.0.1,dns:localhost");
    }

    /** For the DNS name {@code host} only (files named after it, so several can share {@code dir}). */
    static SelfSignedCertificate forHost(Path dir, String host) throws Exception {
        return create(dir, host, "SAN=dns:" + host);
    }

    private static SelfSignedCertificate create(Path dir, String name, String subjectAltNames) throws Exception {
        Path store = dir.resolve(name + ".p12");
        String password = "changeit";
        run(List.of(keytool(), "-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=" + name,
                "-ext", subjectAltNames, "-validity", "2", "-keystore", store.toString(),
                "-storepass", password, "-storetype", "PKCS12"));
        Path pem = dir.resolve(name + ".pem");
        run(List.of(keytool(), "-exportcert", "-rfc", "-alias", "server", "-keystore", store.toString(),
                "-storepass", password, "-file", pem.toString()));
        return new SelfSignedCertificate(store, password.toCharArray(), Files.readString(pem));
    }

    /** A server-side SSL context presenting the certificate. */
    SSLContext serverContext() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    private static String keytool() {
        return Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
    }
}
