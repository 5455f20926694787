-- Gatehouse control plane schema, version 2: API keys.
--
-- api_keys          one row per key ever created. Only the SHA-256 of the key is stored (the key
--                   is shown once, by `gatehouse keys create`). Revoking sets revoked_at; rows
--                   are kept for audit.
-- api_key_revision  single-row counter bumped by every create/revoke (under its row lock, so
--                   writers on different replicas serialize). Data planes receive the key set
--                   together with this revision; snapshots carry it as Snapshot.keys_revision.

CREATE TABLE api_keys (
    key_id     text        PRIMARY KEY CHECK (key_id ~ '^[a-z0-9]{8,64}$'),
    sha256     text        NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    consumer   text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    scopes     text[]      NOT NULL DEFAULT '{}',
    routes     text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    -- NULL while the key is active.
    revoked_at timestamptz
);

CREATE INDEX api_keys_consumer_idx ON api_keys (consumer);

CREATE TABLE api_key_revision (
    -- Exactly one row.
    singleton  boolean     PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    revision   bigint      NOT NULL DEFAULT 0 CHECK (revision >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO api_key_revision (singleton, revision) VALUES (TRUE, 0);
