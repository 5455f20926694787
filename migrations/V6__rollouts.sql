-- Progressive config delivery (issue 17).
--
-- rollouts        one row per staged rollout of a version (from apply or rollback with a plan).
--                 The whole state lives here so any replica can drive it: `current_wave` indexes
--                 the plan's steps (a leading shadow step is step 0), `waves` holds per step its
--                 selector, bake, state, nodes, start time and last gate result (JSON, written and
--                 read by the control plane only). `revision` grows with every change that alters
--                 which data planes get which version; with the id it orders the fleet's view.
--                 `driver` is the replica holding the rollout lease (a PostgreSQL advisory lock).
-- load_reports    the latest cumulative VersionLoad (protobuf bytes) per (node, incarnation,
--                 version), stored only while a rollout is not ended. `mark` is the report as it
--                 was when wave `mark_wave` of rollout `mark_rollout` started, so the gate judges
--                 counter deltas over the wave's window. Rows untouched for an hour are deleted.
-- shadow_reports  the latest ShadowLoad per (node, incarnation, rollout); deleted with the rollout
--                 row's age as load_reports.
-- data_planes.labels  Node.labels as the data plane reported them (validated, at most 16).

CREATE TABLE rollouts (
    id             bigserial   PRIMARY KEY,
    from_version   bigint      NOT NULL REFERENCES config_versions (version),
    to_version     bigint      NOT NULL REFERENCES config_versions (version),
    plan           text        NOT NULL,
    expect_changes text[]      NOT NULL DEFAULT '{}',
    state          text        NOT NULL
                   CHECK (state IN ('SHADOW', 'IN_PROGRESS', 'PAUSED', 'SUCCEEDED', 'FAILED', 'ABORTED')),
    current_wave   integer     NOT NULL DEFAULT 0 CHECK (current_wave >= 0),
    waves          jsonb       NOT NULL,
    reason         text        NOT NULL DEFAULT '',
    author         text        NOT NULL,
    revision       bigint      NOT NULL DEFAULT 1,
    driver         text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);

-- At most one rollout that has not ended: apply and rollback refuse while one is open.
CREATE UNIQUE INDEX rollouts_one_open_idx ON rollouts ((TRUE))
    WHERE state IN ('SHADOW', 'IN_PROGRESS', 'PAUSED');

CREATE TABLE load_reports (
    node_id      text        NOT NULL,
    incarnation  text        NOT NULL CHECK (length(incarnation) <= 64),
    version      bigint      NOT NULL,
    report       bytea       NOT NULL,
    mark         bytea,
    mark_rollout bigint      NOT NULL DEFAULT 0,
    mark_wave    integer     NOT NULL DEFAULT -1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, incarnation, version)
);

CREATE INDEX load_reports_version_idx ON load_reports (version);
CREATE INDEX load_reports_updated_idx ON load_reports (updated_at);

CREATE TABLE shadow_reports (
    node_id     text        NOT NULL,
    incarnation text        NOT NULL CHECK (length(incarnation) <= 64),
    rollout_id  bigint      NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    report      bytea       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, incarnation, rollout_id)
);

CREATE INDEX shadow_reports_updated_idx ON shadow_reports (updated_at);

ALTER TABLE data_planes ADD COLUMN labels jsonb NOT NULL DEFAULT '{}';
