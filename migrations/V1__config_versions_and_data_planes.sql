-- Gatehouse control plane schema, version 1.
--
-- config_versions  immutable history of every config document ever made active
-- active_config    single-row pointer to the version in force (locked FOR UPDATE by apply/rollback
--                  so concurrent writers on different control plane replicas serialize)
-- data_planes      last known state of every data plane that ever connected (ACK/NACK, owner)
-- control_plane_replicas  heartbeat per control plane replica; a data plane counts as connected
--                  only while the replica holding its stream keeps heartbeating

CREATE TABLE config_versions (
    version          bigint      PRIMARY KEY CHECK (version >= 1),
    document         jsonb       NOT NULL,
    sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    author           text        NOT NULL,
    message          text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- The version that was active when this one was created; NULL for the first.
    parent_version   bigint      REFERENCES config_versions (version),
    -- Set when made by a rollback: the version whose content this one copies.
    rolled_back_from bigint      REFERENCES config_versions (version)
);

CREATE INDEX config_versions_sha256_idx ON config_versions (sha256);

-- History is never rewritten: a version, once stored, cannot be changed or removed.
CREATE FUNCTION config_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'config_versions is append-only (% rejected)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER config_versions_no_update_delete
    BEFORE UPDATE OR DELETE ON config_versions
    FOR EACH ROW EXECUTE FUNCTION config_versions_immutable();

CREATE TRIGGER config_versions_no_truncate
    BEFORE TRUNCATE ON config_versions
    FOR EACH STATEMENT EXECUTE FUNCTION config_versions_immutable();

CREATE TABLE active_config (
    -- Exactly one row: the primary key can only ever be TRUE.
    singleton  boolean     PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    -- NULL until the first apply.
    version    bigint      REFERENCES config_versions (version),
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO active_config (singleton, version) VALUES (TRUE, NULL);

CREATE TABLE control_plane_replicas (
    id             text        PRIMARY KEY,
    started_at     timestamptz NOT NULL DEFAULT now(),
    last_heartbeat timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_planes (
    id                text        PRIMARY KEY,
    region            text        NOT NULL DEFAULT '',
    build_version     text        NOT NULL DEFAULT '',
    -- Replica holding the open watch stream; NULL when disconnected. Not a foreign key: a
    -- replica row may be cleaned up while stale ownership is still being reconciled.
    control_plane_id  text,
    -- Identifies the stream that owns the row, so a late disconnect of an old stream cannot
    -- mark a newer stream of the same data plane as disconnected.
    stream_id         text,
    acked_version     bigint      NOT NULL DEFAULT 0,
    last_nack_version bigint      NOT NULL DEFAULT 0,
    last_nack_error   text        NOT NULL DEFAULT '',
    first_seen        timestamptz NOT NULL DEFAULT now(),
    connected_at      timestamptz,
    disconnected_at   timestamptz,
    last_seen         timestamptz NOT NULL DEFAULT now()
);
