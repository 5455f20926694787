package io.gatehouse.pki;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

/**
 * The control plane's key-encryption key (KEK): a Google Tink keyset of AES-256-GCM keys, kept as
 * Tink's JSON keyset format in one owner-only file ({@code GATEHOUSE_KEK_FILE}) or variable. It
 * only ever encrypts data keys (see the control plane's {@code SecretCipher}); secret values are
 * encrypted by those.
 *
 * <p>Rotation is Tink's: {@link #withNewPrimary} adds a fresh key and makes it the one that wraps
 * from now on, while the older keys still unwrap (every Tink ciphertext starts with the id of the
 * key that made it); once every data key has been re-wrapped ({@code gatehouse secrets rotate-kek}),
 * {@link #withoutOldKeys} drops the old ones. Immutable and thread-safe.
 */
public final class KekKeyset {

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final KeysetHandle handle;
    private final Aead aead;

    private KekKeyset(KeysetHandle handle) throws GeneralSecurityException {
        this.handle = handle;
        this.aead = handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    /** A new keyset with one AES-256-GCM key, as JSON. */
    public static String newKeysetJson() {
        try {
            return TinkJsonProtoKeysetFormat.serializeKeyset(
                    KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM), InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an AES-256-GCM key", e);
        }
    }

    /** Parses a JSON keyset. The message of a failure never contains key material. */
    public static KekKeyset parse(String json) throws GeneralSecurityException {
        KeysetHandle handle;
        try {
            handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new GeneralSecurityException("not a Tink JSON keyset (make one with `gatehouse kek create FILE`)");
        }
        for (int i = 0; i < handle.size(); i++) {
            if (!(handle.getAt(i).getKey().getParameters() instanceof com.google.crypto.tink.aead.AesGcmParameters p)
                    || p.getKeySizeBytes() != 32) {
                throw new GeneralSecurityException("the KEK keyset must hold AES-256-GCM keys only (key "
                        + handle.getAt(i).getId() + " is not)");
            }
        }
        return new KekKeyset(handle);
    }

    /** Reads the keyset file. */
    public static KekKeyset read(Path file) throws IOException, GeneralSecurityException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** {@code json} with a new AES-256-GCM key that becomes the primary; the others stay for decryption. */
    public static String withNewPrimary(String json) throws GeneralSecurityException {
        KeysetHandle current = parse(json).handle;
        KeysetHandle rotated = KeysetHandle.newBuilder(current)
                .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                        .withRandomId().makePrimary())
                .build();
        return TinkJsonProtoKeysetFormat.serializeKeyset(rotated, InsecureSecretKeyAccess.get());
    }

    /** {@code json} with the primary key only. */
    public static String withoutOldKeys(String json) throws GeneralSecurityException {
        KeysetHandle current = parse(json).handle;
        KeysetHandle.Builder builder = KeysetHandle.newBuilder(current);
        for (int i = builder.size() - 1; i >= 0; i--) {
            if (!builder.getAt(i).isPrimary()) {
                builder.deleteAt(i);
            }
        }
        return TinkJsonProtoKeysetFormat.serializeKeyset(builder.build(), InsecureSecretKeyAccess.get());
    }

    /** Writes a JSON keyset to {@code file}, atomically, mode 0600. */
    public static void write(Path file, String json) throws IOException {
        OwnerOnlyFiles.write(file, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Encrypts with the primary key; {@code associatedData} is authenticated, not encrypted. */
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return aead.encrypt(plaintext, associatedData);
    }

    /** Decrypts with whichever key of the keyset made {@code ciphertext}. */
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        return aead.decrypt(ciphertext, associatedData);
    }

    /** The Tink key id of the primary key (what new wraps are made with). */
    public long primaryKeyId() {
        return Integer.toUnsignedLong(handle.getPrimary().getId());
    }

    /** Every key id in the keyset, primary first. */
    public List<Long> keyIds() {
        List<Long> ids = new ArrayList<>();
        ids.add(primaryKeyId());
        for (int i = 0; i < handle.size(); i++) {
            long id = Integer.toUnsignedLong(handle.getAt(i).getId());
            if (id != primaryKeyId()) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** The id of the key that made a Tink ciphertext (its first byte is 0x01, then the id, big-endian). */
    public static long keyIdOf(byte[] ciphertext) {
        if (ciphertext.length < 5 || ciphertext[0] != 0x01) {
            return 0;
        }
        return ((ciphertext[1] & 0xFFL) << 24) | ((ciphertext[2] & 0xFFL) << 16) | ((ciphertext[3] & 0xFFL) << 8)
                | (ciphertext[4] & 0xFFL);
    }

    @Override
    public String toString() {
        return "KekKeyset[primary=" + primaryKeyId() + ", keys=" + keyIds() + "]";
    }
}
