package io.gatehouse.dataplane.snapshot;

import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.ReloadingCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * How the {@link WatchClient} reaches the control plane: mutual TLS from reloading credentials, or
 * plaintext (explicit opt-in). Besides the channel credentials it can tell what is wrong with this
 * data plane's own TLS material, because a control plane that refuses a client certificate only
 * sends a TLS alert, which some TLS stacks reduce to "internal error".
 */
public interface ControlPlaneTransport {

    /** The channel's credentials; refused control plane certificates go to {@code refusals}. */
    ChannelCredentials credentials(HandshakeRefusal.Listener refusals);

    /** A known problem with this data plane's own certificate (expired, not yet valid, failed reload). */
    default Optional<String> ownProblem() {
        return Optional.empty();
    }

    /** No TLS at all. */
    static ControlPlaneTransport plaintext() {
        return refusals -> InsecureChannelCredentials.create();
    }

    /**
     * Mutual TLS with {@code tls}; {@code refusals} also hears about every refused control plane
     * certificate (metrics, security log).
     */
    static ControlPlaneTransport mutualTls(ReloadingCredentials tls, HandshakeRefusal.Listener refusals, Clock clock) {
        return new ControlPlaneTransport() {
            @Override
            public ChannelCredentials credentials(HandshakeRefusal.Listener watch) {
                return tls.channelCredentials(refusal -> {
                    refusals.refused(refusal);
                    watch.refused(refusal);
                });
            }

            @Override
            public Optional<String> ownProblem() {
                Instant now = clock.instant();
                String self = "this data plane's certificate (" + ReloadingCredentials.describe(tls.certificate()) + ")";
                if (tls.certificate().getNotAfter().toInstant().isBefore(now)) {
                    return Optional.of(self + " has expired; issue a new one (gatehouse certs issue data-plane)");
                }
                if (tls.certificate().getNotBefore().toInstant().isAfter(now)) {
                    return Optional.of(self + " is not valid yet (clock skew?)");
                }
                return tls.lastFailure().map(failure -> "its TLS files could not be reloaded: " + failure);
            }
        };
    }
}
