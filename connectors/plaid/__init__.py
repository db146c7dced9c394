"""Landing files of `cashapp pull plaid` (one `/transactions/sync` run per Item)."""
