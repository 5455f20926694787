-- Fleet drift (issue 5).
--
-- behind_since   when the data plane stopped running the active version: set to the creation time
--                of the first version newer than the one it ACKed, cleared once it ACKs the active
--                version. `gatehouse dataplanes --check --max-drift` compares it with now().
-- admin_address  "host:port" of the data plane's admin listener (Node.admin_address), so the control
--                plane status page can read its /metrics.

ALTER TABLE data_planes
    ADD COLUMN behind_since  timestamptz,
    ADD COLUMN admin_address text NOT NULL DEFAULT '';
