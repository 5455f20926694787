// The demo's identity provider, as one single-file Java program using only the JDK (no class path).
// Not part of the build. The demo's traced route authenticates with a JWT whose key the data plane
// fetches from a JWKS URL, so the trace it prints has a policy stage span (jwks.fetch).
//
//   java scripts/demo/DemoIdp.java JWKS_FILE HEADER_FILE ISSUER AUDIENCE
//       a new RSA-2048 key: its public half as a JWKS (kid demo-1, RS256) in JWKS_FILE, and an RS256
//       token (sub demo-user, 10 minutes) as the line "Authorization: Bearer <token>" in HEADER_FILE
//       (mode 0600), for `gatehouse traces request --header-file`. The private key is never written.
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

public class DemoIdp {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: DemoIdp JWKS_FILE HEADER_FILE ISSUER AUDIENCE");
            System.exit(2);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        RSAPublicKey key = (RSAPublicKey) pair.getPublic();
        Files.writeString(Path.of(args[0]), "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"demo-1\",\"alg\":\"RS256\",\"use\":\"sig\",\"n\":\""
                + unsigned(key.getModulus()) + "\",\"e\":\"" + unsigned(key.getPublicExponent()) + "\"}]}\n");

        long now = System.currentTimeMillis() / 1000;
        String header = B64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"demo-1\"}".getBytes(StandardCharsets.UTF_8));
        String claims = B64.encodeToString(("{\"iss\":\"" + args[2] + "\",\"aud\":\"" + args[3] + "\",\"sub\":\"demo-user\",\"iat\":"
                + now + ",\"exp\":" + (now + 600) + "}").getBytes(StandardCharsets.UTF_8));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(pair.getPrivate());
        signer.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        String token = header + "." + claims + "." + B64.encodeToString(signer.sign());

        Path headerFile = Path.of(args[1]);
        Files.deleteIfExists(headerFile);
        Files.createFile(headerFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(headerFile, "Authorization: Bearer " + token + "\n");
    }

    /** A JWK number: big-endian bytes without the sign byte BigInteger adds, base64url. */
    private static String unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes[0] == 0 && bytes.length > 1) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return B64.encodeToString(bytes);
    }
}
