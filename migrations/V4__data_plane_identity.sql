-- Mutual TLS between the planes (issue 12).
--
-- identity        the SPIFFE ID in the client certificate the data plane connected with
--                 (spiffe://gatehouse/dp/<region>[/<node-id>]); '' when it connected to a control
--                 plane running with --insecure-plaintext.
-- cert_not_after  when that certificate expires, taken from the TLS session by the control plane;
--                 `gatehouse dataplanes` warns when it is less than 14 days away. NULL without one.

ALTER TABLE data_planes
    ADD COLUMN identity       text NOT NULL DEFAULT '',
    ADD COLUMN cert_not_after timestamptz;
