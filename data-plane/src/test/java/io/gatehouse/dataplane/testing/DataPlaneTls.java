package io.gatehouse.dataplane.testing;

import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Mutual TLS for data plane tests, from the shared test CA ({@link TestPki#shared()}) that
 * {@code RunningControlPlane} also serves with: every data plane a test starts talks to its control
 * plane over mTLS, as in production.
 */
public final class DataPlaneTls {

    private DataPlaneTls() {
    }

    /** {@code settings} with the test CA's certificate for its node id and region. */
    public static DataPlaneSettings secure(DataPlaneSettings settings) {
        return settings.withControlPlaneTls(TestPki.shared().dataPlane(settings.nodeId(), settings.region()));
    }

    /** GATEHOUSE_TLS_CERT/_KEY/_CA for data plane {@code nodeId} in {@code region}. */
    public static Map<String, String> env(String nodeId, String region) {
        TlsFiles files = TestPki.shared().dataPlane(nodeId, region);
        return Map.of("GATEHOUSE_TLS_CERT", files.certificate().toString(),
                "GATEHOUSE_TLS_KEY", files.privateKey().toString(),
                "GATEHOUSE_TLS_CA", files.trustedCa().toString());
    }

    /** A channel to the control plane at {@code target} presenting the test admin certificate; the caller closes it. */
    public static ManagedChannel adminChannel(String target) {
        try {
            return Grpc.newChannelBuilder(target, ReloadingCredentials.load(TestPki.shared().admin())
                    .channelCredentials(HandshakeRefusal.Listener.NONE)).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
