-- 0001: the data model of DESIGN §4.
-- Money is DECIMAL(18,4) beside a currency column; Python quantizes before insert.
-- Timestamps are TIMESTAMPTZ (UTC); business dates are DATE.

CREATE TABLE source_files (
    file_id        VARCHAR PRIMARY KEY,          -- 'file_' + first 20 hex of sha256
    sha256         VARCHAR NOT NULL UNIQUE,      -- of the decompressed content
    connector      VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    record_count   INTEGER,
    payment_count  INTEGER NOT NULL,             -- records the connector produced
    new_count      INTEGER NOT NULL,             -- of which were new to the database
    control_total  DECIMAL(18,4),
    status         VARCHAR NOT NULL,             -- accepted
    issues         VARCHAR NOT NULL DEFAULT '[]' -- JSON list of warnings
);

CREATE TABLE payments (
    payment_id     VARCHAR PRIMARY KEY,          -- 'pay_' + digest(source, dedupe_key)
    source         VARCHAR NOT NULL,
    source_ref     VARCHAR NOT NULL,
    dedupe_key     VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    amount         DECIMAL(18,4) NOT NULL,
    currency       VARCHAR NOT NULL,
    value_date     DATE NOT NULL,
    payer_name     VARCHAR NOT NULL DEFAULT '',
    payer_account  VARCHAR NOT NULL DEFAULT '',
    remittance     VARCHAR NOT NULL DEFAULT '',
    refs           VARCHAR[] NOT NULL DEFAULT [],
    related_ref    VARCHAR NOT NULL DEFAULT '',
    reason_code    VARCHAR NOT NULL DEFAULT '',
    account        VARCHAR NOT NULL DEFAULT '',
    type_code      VARCHAR NOT NULL DEFAULT '',
    status         VARCHAR NOT NULL DEFAULT 'unapplied',
    customer_id    VARCHAR,                      -- set when the matcher identifies the payer
    file_id        VARCHAR NOT NULL,
    location       VARCHAR NOT NULL DEFAULT '',
    raw            VARCHAR NOT NULL DEFAULT '',
    ingested_at    TIMESTAMPTZ NOT NULL,
    matched_at     TIMESTAMPTZ,                  -- NULL until the matcher has decided
    match_run_id   VARCHAR
);

CREATE TABLE remittance_lines (
    payment_id     VARCHAR NOT NULL,
    line_no        INTEGER NOT NULL,
    qualifier      VARCHAR NOT NULL,
    reference      VARCHAR NOT NULL,
    paid           DECIMAL(18,4),
    invoice_total  DECIMAL(18,4),
    discount       DECIMAL(18,4),
    currency       VARCHAR NOT NULL,
    PRIMARY KEY (payment_id, line_no)
);

CREATE TABLE account_balances (
    account        VARCHAR NOT NULL,
    currency       VARCHAR NOT NULL,
    as_of          DATE NOT NULL,
    kind           VARCHAR NOT NULL,             -- opening, closing, available, other
    type_code      VARCHAR NOT NULL DEFAULT '',
    amount         DECIMAL(18,4) NOT NULL,
    file_id        VARCHAR NOT NULL,
    PRIMARY KEY (account, currency, as_of, kind, type_code)
);

CREATE TABLE customers (
    customer_id    VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    email          VARCHAR NOT NULL DEFAULT '',
    currency       VARCHAR NOT NULL,
    terms          VARCHAR NOT NULL DEFAULT '',
    name_key       VARCHAR NOT NULL,             -- normalized name for exact matching
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE customer_aliases (
    customer_id    VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,             -- name, account
    value          VARCHAR NOT NULL,             -- normalized name key or account fingerprint
    learned_from   VARCHAR NOT NULL DEFAULT '',  -- payment_id or 'import'
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     VARCHAR NOT NULL,
    PRIMARY KEY (kind, value, customer_id)
);

CREATE TABLE invoices (
    invoice_number   VARCHAR PRIMARY KEY,
    ref_key          VARCHAR NOT NULL,           -- normalized number used by reference matching
    customer_id      VARCHAR NOT NULL,
    invoice_date     DATE NOT NULL,
    due_date         DATE NOT NULL,
    amount           DECIMAL(18,4) NOT NULL,
    settled_outside  DECIMAL(18,4) NOT NULL,     -- amount - open amount at first import (paid in the ERP before cashapp)
    open_amount      DECIMAL(18,4) NOT NULL,     -- amount - settled_outside - active applications
    currency         VARCHAR NOT NULL,
    po_number        VARCHAR NOT NULL DEFAULT '',
    terms            VARCHAR NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE applications (
    application_id VARCHAR PRIMARY KEY,
    payment_id     VARCHAR NOT NULL,
    invoice_number VARCHAR,                      -- NULL for cash left on account
    customer_id    VARCHAR,
    amount         DECIMAL(18,4) NOT NULL,       -- a reversal row carries the negated amount
    currency       VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,             -- payment, discount, writeoff, unapplied, fee
    method         VARCHAR NOT NULL,             -- auto, manual
    rule           VARCHAR NOT NULL DEFAULT '',
    confidence     DECIMAL(5,4) NOT NULL DEFAULT 1,
    evidence       VARCHAR NOT NULL DEFAULT '{}', -- JSON: why this application was made
    status         VARCHAR NOT NULL,             -- active, reversed
    reverses       VARCHAR,                      -- for a reversal row: the application it undoes
    reversed_by    VARCHAR,                      -- for a reversed row: its reversal row
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     VARCHAR NOT NULL,
    run_id         VARCHAR
);

CREATE TABLE exceptions (
    exception_id   VARCHAR PRIMARY KEY,
    payment_id     VARCHAR,
    invoice_number VARCHAR,
    customer_id    VARCHAR,
    type           VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,             -- open, in_review, resolved, dismissed
    amount         DECIMAL(18,4) NOT NULL,
    currency       VARCHAR NOT NULL,
    reason_code    VARCHAR NOT NULL DEFAULT '',
    detail         VARCHAR NOT NULL DEFAULT '',  -- one sentence a person can act on
    assignee       VARCHAR,
    suggestions    VARCHAR NOT NULL DEFAULT '[]', -- JSON: ranked candidates with score and evidence
    notes          VARCHAR NOT NULL DEFAULT '[]', -- JSON: [{at, by, text}]
    resolution     VARCHAR NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1,   -- optimistic locking for the queue
    opened_at      TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    run_id         VARCHAR
);

CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    audit_id       BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    occurred_at    TIMESTAMPTZ NOT NULL,
    actor          VARCHAR NOT NULL,             -- a user id, or 'system:<job>' / 'rule:<id>'
    action         VARCHAR NOT NULL,
    entity         VARCHAR NOT NULL,
    entity_id      VARCHAR NOT NULL,
    detail         VARCHAR NOT NULL DEFAULT '{}'
);

CREATE TABLE journal_entries (
    entry_id       VARCHAR PRIMARY KEY,
    entry_date     DATE NOT NULL,
    memo           VARCHAR NOT NULL DEFAULT '',
    payment_id     VARCHAR,
    application_id VARCHAR,
    export_batch   VARCHAR,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE journal_lines (
    entry_id       VARCHAR NOT NULL,
    line_no        INTEGER NOT NULL,
    account        VARCHAR NOT NULL,
    debit          DECIMAL(18,4) NOT NULL DEFAULT 0,
    credit         DECIMAL(18,4) NOT NULL DEFAULT 0,
    currency       VARCHAR NOT NULL,
    memo           VARCHAR NOT NULL DEFAULT '',
    invoice_number VARCHAR,
    PRIMARY KEY (entry_id, line_no)
);

CREATE TABLE daily_signoffs (
    day            DATE NOT NULL,
    currency       VARCHAR NOT NULL,
    signed_by      VARCHAR NOT NULL,
    signed_at      TIMESTAMPTZ NOT NULL,
    totals         VARCHAR NOT NULL,             -- JSON snapshot of v_daily_totals at sign-off
    PRIMARY KEY (day, currency)
);

CREATE TABLE runs (
    run_id         VARCHAR PRIMARY KEY,
    kind           VARCHAR NOT NULL,             -- ingest, import, match, daily
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    actor          VARCHAR NOT NULL,
    summary        VARCHAR NOT NULL DEFAULT '{}'
);

CREATE TABLE users (
    user_id        VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    email          VARCHAR NOT NULL DEFAULT '',
    role           VARCHAR NOT NULL,             -- specialist, lead, accounting, admin
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL
);
