-- 0006: what a person does to the queue (issue 13): maker-checker approvals, and the
-- reason code of an application.
--
-- A write-off above [approval] write_off_limit or a refund above refund_limit is not
-- written as applications when its maker asks for it: it waits here, with everything
-- needed to carry it out later (the action and its parameters as JSON, amounts as
-- exact strings), until a second person with the lead role approves it (then the same
-- action is carried out, through the same writer, in one transaction) or rejects it
-- (nothing is posted). Nothing reaches the journal before approval: only applications
-- post.

CREATE TABLE approvals (
    approval_id    VARCHAR PRIMARY KEY,          -- 'apr_' + 20 hex
    exception_id   VARCHAR NOT NULL,
    payment_id     VARCHAR,
    action         VARCHAR NOT NULL,             -- write-off, refund, apply, accept
    parameters     VARCHAR NOT NULL DEFAULT '{}', -- JSON: the action's arguments, amounts as strings
    amount         DECIMAL(18,4) NOT NULL,       -- what needs approving (write-off or refund total)
    currency       VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,             -- write_off, refund: which limit it is over
    state          VARCHAR NOT NULL,             -- pending, approved, rejected
    maker          VARCHAR NOT NULL,             -- user id of who asked
    made_at        TIMESTAMPTZ NOT NULL,
    note           VARCHAR NOT NULL DEFAULT '',  -- the maker's note
    checker        VARCHAR,                      -- user id of who decided
    decided_at     TIMESTAMPTZ,
    decision_note  VARCHAR NOT NULL DEFAULT ''
);

-- A deduction (short pay, write-off) carries its reason code (pricing, freight, ...:
-- [deductions]); the journal books a written-off difference to that code's account.
-- '' for everything the matcher writes (its tolerance write-offs use [accounts] write_offs).
ALTER TABLE applications ADD COLUMN reason_code VARCHAR NOT NULL DEFAULT '';
-- The approval an application was posted under, when it needed one.
ALTER TABLE applications ADD COLUMN approval_id VARCHAR;
