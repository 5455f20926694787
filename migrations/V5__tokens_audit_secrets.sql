-- Authenticated admin API, audit trail and secrets (issue 12).
--
-- admin_tokens  one row per admin API bearer token ever created. Only the SHA-256 of the token is
--               stored (it is shown once). Revoking sets revoked_at; every replica checks the row
--               on every call, so a revocation holds everywhere from the next call.
-- audit_log     append-only: who (the authenticated principal), when, what, on what, and why, for
--               every write through the admin API (and `gatehouse tokens create --db-url`).
-- secrets       one row per named secret: its value encrypted with a data key of its own
--               (AES-256-GCM, Tink), that data key wrapped by the control plane's key-encryption
--               key (KEK). Neither the value nor the data key is ever stored in the clear.
--               Setting or removing a secret bumps api_key_revision (what travels beside the
--               config), so data planes get a new snapshot.

CREATE TABLE admin_tokens (
    token_id     text        PRIMARY KEY CHECK (token_id ~ '^[0-9a-f]{16}$'),
    sha256       text        NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    name         text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    role         text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    -- NULL = never expires.
    expires_at   timestamptz,
    -- NULL while the token is valid.
    revoked_at   timestamptz,
    revoked_by   text,
    last_used_at timestamptz
);

-- A name identifies one live token (revoked ones keep theirs for the record).
CREATE UNIQUE INDEX admin_tokens_live_name_idx ON admin_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    principal text        NOT NULL,
    action    text        NOT NULL,
    target    text        NOT NULL DEFAULT '',
    reason    text        NOT NULL DEFAULT ''
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% rejected)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE secrets (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    -- 1 for the first value, +1 per change; part of the associated data of both ciphertexts.
    version     bigint      NOT NULL CHECK (version >= 1),
    -- The data key (a Tink AES-256-GCM keyset), encrypted by the KEK.
    wrapped_dek bytea       NOT NULL,
    -- The value, encrypted by the data key.
    ciphertext  bytea       NOT NULL,
    -- Id of the KEK key that wrapped the data key (Tink key id), for `secrets list` and rotation.
    kek_key_id  bigint      NOT NULL,
    size_bytes  integer     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL
);
