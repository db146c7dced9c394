-- 0002: the tie-out of every bank statement as delivered (cashapp.statements).
-- One row per statement of one account in one currency of one accepted file; a re-sent
-- file is a known file and adds nothing.

CREATE TABLE statement_checks (
    file_id        VARCHAR NOT NULL,
    account        VARCHAR NOT NULL,             -- masked, as on payments.account
    currency       VARCHAR NOT NULL,
    statement      VARCHAR NOT NULL,             -- where the statement starts in the file
    opening_date   DATE,
    opening        DECIMAL(18,4),
    movements      DECIMAL(18,4) NOT NULL,
    movement_count INTEGER NOT NULL,
    closing_date   DATE,
    closing        DECIMAL(18,4),
    difference     DECIMAL(18,4),                -- opening + movements - closing
    status         VARCHAR NOT NULL,             -- tied, break, no_opening, no_closing
    day            DATE,                         -- closing date, else opening date
    PRIMARY KEY (file_id, account, currency, statement)
);
