package io.gatehouse.controlplane.secrets;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.gatehouse.pki.KekKeyset;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * Envelope encryption of one secret value (Google Tink):
 * <ol>
 *   <li>a fresh data key (a Tink AES-256-GCM keyset) per stored value;</li>
 *   <li>the value encrypted with it (AES-256-GCM, random 96-bit nonce chosen by Tink);</li>
 *   <li>the data key encrypted ("wrapped") with the primary key of the key-encryption key
 *       ({@link KekKeyset}).</li>
 * </ol>
 * Both ciphertexts authenticate the associated data {@code gatehouse-secret|<name>|<version>}, so a
 * row's ciphertext cannot be moved to another secret name or replayed as another version without
 * failing to decrypt. Only the wrapped data key and the ciphertext are stored. Stateless apart from
 * the immutable KEK it is given.
 */
final class SecretCipher {

    /** A stored value: the wrapped data key and the value's ciphertext. */
    record Sealed(byte[] wrappedDek, byte[] ciphertext) {
        long kekKeyId() {
            return KekKeyset.keyIdOf(wrappedDek);
        }
    }

    private SecretCipher() {
    }

    static byte[] associatedData(String name, long version) {
        return ("gatehouse-secret|" + name + "|" + version).getBytes(StandardCharsets.UTF_8);
    }

    static Sealed seal(KekKeyset kek, String name, long version, byte[] value) throws GeneralSecurityException {
        KeysetHandle dek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
        byte[] aad = associatedData(name, version);
        byte[] ciphertext = dek.getPrimitive(RegistryConfiguration.get(), Aead.class).encrypt(value, aad);
        byte[] wrapped = kek.encrypt(TinkProtoKeysetFormat.serializeKeyset(dek, InsecureSecretKeyAccess.get()), aad);
        return new Sealed(wrapped, ciphertext);
    }

    static byte[] open(KekKeyset kek, String name, long version, Sealed sealed) throws GeneralSecurityException {
        byte[] aad = associatedData(name, version);
        KeysetHandle dek = unwrap(kek, aad, sealed.wrappedDek());
        return dek.getPrimitive(RegistryConfiguration.get(), Aead.class).decrypt(sealed.ciphertext(), aad);
    }

    /** The same value under the KEK's current primary key (the value's ciphertext is untouched). */
    static Sealed rewrap(KekKeyset kek, String name, long version, Sealed sealed) throws GeneralSecurityException {
        byte[] aad = associatedData(name, version);
        KeysetHandle dek = unwrap(kek, aad, sealed.wrappedDek());
        byte[] wrapped = kek.encrypt(TinkProtoKeysetFormat.serializeKeyset(dek, InsecureSecretKeyAccess.get()), aad);
        return new Sealed(wrapped, sealed.ciphertext());
    }

    private static KeysetHandle unwrap(KekKeyset kek, byte[] aad, byte[] wrapped) throws GeneralSecurityException {
        return TinkProtoKeysetFormat.parseKeyset(kek.decrypt(wrapped, aad), InsecureSecretKeyAccess.get());
    }
}
