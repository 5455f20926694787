package io.gatehouse.controlplane.validate;

import io.gatehouse.pki.CertificateIssuer;
import io.gatehouse.pki.PemWriter;
import io.gatehouse.proto.config.v1.Certificate;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.TlsSettings;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * HTTPS certificates at apply: every problem of the entries and of the PEM material in their secrets,
 * each at its path, without the material in any text; an expiring certificate is a warning only.
 */
class CertificateRulesTest {

    private static final CertificateIssuer CA = CertificateIssuer.newCa("edge CA", Duration.ofDays(365), Clock.systemUTC());
    private final ConfigValidator validator = new ConfigValidator();
    private final Map<String, byte[]> secrets = new HashMap<>();
    private final SecretLookup lookup = name -> Optional.ofNullable(secrets.get(name));

    private static GatewayConfig config(Certificate... certificates) {
        return yaml("""
                upstreams: [{name: a, targets: [{url: "http://10.0.0.1:8080"}]}]
                routes: [{id: r, upstream: a, match: {pathPrefix: /}}]
                """).toBuilder().addAllCertificates(List.of(certificates)).build();
    }

    private static Certificate entry(String name, String... hosts) {
        return Certificate.newBuilder().setName(name).addAllHosts(List.of(hosts)).setCertSecret(name + "-cert")
                .setKeySecret(name + "-key").build();
    }

    private void store(String name, CertificateIssuer.IssuedCertificate issued, X509Certificate... chain) {
        secrets.put(name + "-cert", PemWriter.certificates(chain.length == 0 ? List.of(issued.certificate())
                : List.of(chain)).getBytes(StandardCharsets.US_ASCII));
        secrets.put(name + "-key", PemWriter.privateKey(issued.key()).getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void acceptsAValidCertificateForItsHosts() {
        store("api", CA.issueServer(List.of("api.example.com", "*.api.example.com"), List.of(), Duration.ofDays(90)));
        GatewayConfig config = config(entry("api", "api.example.com", "v1.api.example.com"));
        assertThat(validator.validate(config, lookup)).isEmpty();
        assertThat(ConfigValidator.warnings(config, lookup)).isEmpty();
    }

    @Test
    void reportsEveryProblemOfTheMaterialAtItsPath() {
        CertificateIssuer.IssuedCertificate api = CA.issueServer(List.of("api.example.com"), List.of(), Duration.ofDays(90));
        CertificateIssuer.IssuedCertificate other = CA.issueServer(List.of("other.example.com"), List.of(), Duration.ofDays(90));
        store("api", api); // fine, but a host outside its SANs
        secrets.put("swapped-cert", secrets.get("api-cert"));
        secrets.put("swapped-key", PemWriter.privateKey(other.key()).getBytes(StandardCharsets.US_ASCII));
        CertificateIssuer past = CertificateIssuer.newCa("old CA", Duration.ofDays(365),
                Clock.fixed(Instant.now().minus(Duration.ofDays(60)), ZoneOffset.UTC));
        store("expired", past.issueServer(List.of("old.example.com"), List.of(), Duration.ofDays(30)));
        store("reversed", api, CA.caCertificate(), api.certificate());
        secrets.put("garbage-cert", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
                .getBytes(StandardCharsets.US_ASCII));
        secrets.put("garbage-key", "not a key".getBytes(StandardCharsets.US_ASCII));

        List<ValidationProblem> problems = validator.validate(config(
                entry("api", "api.example.com", "www.example.com"),
                entry("swapped", "swapped.example.com"),
                entry("expired", "old.example.com"),
                entry("reversed", "r.example.com"),
                entry("garbage", "g.example.com"),
                entry("missing", "m.example.com")), lookup);

        assertThat(problems).extracting(ValidationProblem::path).contains(
                "certificates[0].hosts[1]",
                "certificates[1].keySecret",
                "certificates[2].certSecret",
                "certificates[3].certSecret",
                "certificates[4].certSecret", "certificates[4].keySecret",
                "certificates[5].certSecret", "certificates[5].keySecret");
        assertThat(problems).filteredOn(p -> p.path().equals("certificates[0].hosts[1]")).extracting(ValidationProblem::reason)
                .containsExactly("'www.example.com' is not covered by the certificate's DNS names [api.example.com]");
        assertThat(problems).filteredOn(p -> p.path().equals("certificates[1].keySecret")).extracting(ValidationProblem::reason)
                .containsExactly("secret 'swapped-key': is not the private key of the certificate in certSecret");
        assertThat(problems).filteredOn(p -> p.path().equals("certificates[2].certSecret"))
                .allSatisfy(p -> assertThat(p.reason()).contains("expired at"));
        assertThat(problems).filteredOn(p -> p.path().equals("certificates[3].certSecret"))
                .anySatisfy(p -> assertThat(p.reason()).contains("the chain must be the leaf first"));
        assertThat(problems).filteredOn(p -> p.path().equals("certificates[5].certSecret")).extracting(ValidationProblem::reason)
                .containsExactly("secret 'missing-cert' does not exist (create it with gatehouse secrets set missing-cert"
                        + " --from-file cert.pem)");
        assertThat(problems.toString()).as("no material in any text").doesNotContain("MII").doesNotContain("bm90")
                .doesNotContain("not a key");
    }

    @Test
    void reportsEntriesThatAreWrongWithoutLookingAtSecrets() {
        GatewayConfig config = config(
                Certificate.newBuilder().setName("Bad Name").addHosts("*.*.example.com").build(),
                entry("a", "api.example.com"),
                entry("b", "API.example.com"),
                Certificate.newBuilder().setName("c").build()).toBuilder()
                .setSettings(GatewaySettings.newBuilder().setTls(TlsSettings.newBuilder().setDefaultCertificate("nope")))
                .build();
        assertThat(validator.validate(config)).extracting(ValidationProblem::path, ValidationProblem::reason).contains(
                tuple("certificates[0].name", "certificate name 'Bad Name' must match [a-z0-9][a-z0-9-_.]{0,62}"),
                tuple("certificates[0].hosts[0]", "a wildcard is allowed only as the whole first label ('*.example.com')"),
                tuple("certificates[0].certSecret", "is required (the name of a secret: gatehouse secrets set NAME"
                        + " --from-file FILE.pem)"),
                tuple("certificates[2].hosts[0]", "host 'api.example.com' is also served by certificates[1]"
                        + " (each host name picks one certificate)"),
                tuple("certificates[3].hosts", "must list at least one host name"),
                tuple("settings.tls.defaultCertificate", "unknown certificate 'nope'"));
    }

    @Test
    void aCertificateExpiringWithinFourteenDaysIsAWarningNotAProblem() {
        store("soon", CA.issueServer(List.of("soon.example.com"), List.of(), Duration.ofDays(10)));
        GatewayConfig config = config(entry("soon", "soon.example.com"));
        assertThat(validator.validate(config, lookup)).isEmpty();
        assertThat(ConfigValidator.warnings(config, lookup)).singleElement().satisfies(w -> {
            assertThat(w.path()).isEqualTo("certificates[0].certSecret");
            assertThat(w.reason()).startsWith("secret 'soon-cert': the certificate expires at").endsWith("in less than 14 days");
        });
    }
}
