package io.gatehouse.pki;

import io.grpc.util.CertificateUtils;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Reads PEM certificates and PKCS#8 private keys with the JDK and grpc-java's
 * {@link CertificateUtils} only, so the servers need no BouncyCastle at run time. Stateless.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /**
     * Every certificate in a PEM file, in file order.
     *
     * @throws IOException when the file cannot be read or holds no certificate
     */
    public static X509Certificate[] certificates(Path file) throws IOException {
        return certificates(read(file), file);
    }

    static X509Certificate[] certificates(byte[] pem, Path file) throws IOException {
        X509Certificate[] certificates;
        try {
            certificates = CertificateUtils.getX509Certificates(new ByteArrayInputStream(pem));
        } catch (CertificateException e) {
            throw new IOException(file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
        }
        if (certificates.length == 0) {
            throw new IOException(file + ": no certificate in it");
        }
        return certificates;
    }

    /**
     * The PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}) EC or RSA key in a PEM file.
     *
     * @throws IOException when the file cannot be read or holds no such key
     */
    public static PrivateKey privateKey(Path file) throws IOException {
        return privateKey(read(file), file);
    }

    static PrivateKey privateKey(byte[] pem, Path file) throws IOException {
        try {
            return CertificateUtils.getPrivateKey(new ByteArrayInputStream(pem));
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new IOException(file + ": not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----): "
                    + e.getMessage(), e);
        }
    }

    static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        }
    }
}
