-- 0003: where each API pull got to (its high-water mark), so a re-pull asks only for news.

CREATE TABLE pull_cursors (
    source         VARCHAR PRIMARY KEY,          -- stripe, plaid:<item>
    cursor         VARCHAR NOT NULL,             -- stripe: created (unix seconds) of the newest
    updated_at     TIMESTAMPTZ NOT NULL
);
