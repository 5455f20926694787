package io.gatehouse.pki;

import java.util.Locale;
import java.util.Optional;

/**
 * A TLS handshake this process refused because of the peer's certificate: what was presented and
 * why it was not good enough. Delivered to a {@link Listener} (metrics, security log) on the
 * handshake thread.
 *
 * @param reason   why
 * @param peerRole what the peer had to be: "client" (a data plane or admin calling the control
 *                 plane) or "control plane"
 * @param subject  the presented certificate's subject DN, "" when none was presented
 * @param identity the Gatehouse identity it names, if any
 * @param detail   the verifier's own message
 */
public record HandshakeRefusal(Reason reason, String peerRole, String subject, Optional<SpiffeId> identity,
                               String detail) {

    /** Why a certificate was refused; {@link #label()} is the metric label. */
    public enum Reason {
        /** Issued by a CA this process trusts, but past its notAfter (or before its notBefore). */
        EXPIRED_CERTIFICATE,
        /** Not issued by a CA this process trusts (or a broken chain, or a wrong host name). */
        UNTRUSTED_CERTIFICATE,
        /** Trusted, but for another role (e.g. a data plane certificate serving as a control plane). */
        WRONG_ROLE,
        /** Trusted, but its Gatehouse identity is malformed or ambiguous. */
        BAD_IDENTITY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Told about every refused handshake; must be fast, thread-safe and must not throw. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = refusal -> { };

        void refused(HandshakeRefusal refusal);
    }

    /** One line for logs and error messages. */
    public String describe() {
        return peerRole + " certificate refused (" + reason.label() + ")"
                + (subject.isEmpty() ? "" : ": subject '" + subject + "'")
                + identity.map(id -> ", identity " + id).orElse("")
                + (detail.isEmpty() ? "" : ": " + detail);
    }
}
