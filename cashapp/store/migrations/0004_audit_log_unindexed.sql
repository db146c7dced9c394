-- 0004: the audit log without a primary-key index.
--
-- The log is append-only and its ids come from a sequence, so they are unique by
-- construction; the index only cost time: a match run writes one audit row per
-- application (~0.9 s and a larger checkpoint per million rows, measured). Readers look
-- rows up by entity and time, never by id.

CREATE TABLE audit_log_new (
    audit_id       BIGINT NOT NULL DEFAULT nextval('audit_seq'),
    occurred_at    TIMESTAMPTZ NOT NULL,
    actor          VARCHAR NOT NULL,             -- a user id, or 'system:<job>' / 'rule:<id>'
    action         VARCHAR NOT NULL,
    entity         VARCHAR NOT NULL,
    entity_id      VARCHAR NOT NULL,
    detail         VARCHAR NOT NULL DEFAULT '{}'
);
INSERT INTO audit_log_new SELECT * FROM audit_log ORDER BY audit_id;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
