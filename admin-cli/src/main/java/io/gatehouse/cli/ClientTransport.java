package io.gatehouse.cli;

import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How the CLI talks to the control plane: TLS that verifies the control plane against a CA (its
 * certificate must name {@code spiffe://gatehouse/cp/...} and match the address dialled),
 * presenting an admin client certificate when one is configured; or plaintext, for a control plane
 * started with {@code --insecure-plaintext}. Immutable.
 *
 * @param ca          CA certificate the control plane's must chain to; empty = plaintext
 * @param certificate the admin certificate to present; empty = none
 * @param key         its private key (present exactly when {@code certificate} is)
 */
record ClientTransport(Optional<Path> ca, Optional<Path> certificate, Optional<Path> key) {

    static ClientTransport plaintext() {
        return new ClientTransport(Optional.empty(), Optional.empty(), Optional.empty());
    }

    static ClientTransport tls(Path ca, Optional<Path> certificate, Optional<Path> key) {
        return new ClientTransport(Optional.of(ca), certificate, key);
    }

    /**
     * The channel's credentials. The files are read once (a command lives seconds).
     *
     * @throws CliException (exit 2) when a file cannot be used
     */
    ChannelCredentials credentials() {
        if (ca.isEmpty()) {
            return InsecureChannelCredentials.create();
        }
        try {
            if (certificate.isEmpty()) {
                return ReloadingCredentials.anonymousChannelCredentials(ca.get(), HandshakeRefusal.Listener.NONE);
            }
            // Refusals of the control plane's certificate reach the user through the RPC's cause.
            return ReloadingCredentials.load(new TlsFiles(certificate.get(), key.orElseThrow(), ca.get()))
                    .channelCredentials(HandshakeRefusal.Listener.NONE);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot use the TLS files: " + e.getMessage(), e);
        }
    }

    /** For messages: "plaintext", "TLS as <cert>" or "TLS without a client certificate". */
    String describe() {
        if (ca.isEmpty()) {
            return "plaintext";
        }
        return certificate.map(c -> "TLS with client certificate " + c).orElse("TLS without a client certificate");
    }
}
