-- The public, read-only SQL views (DESIGN §5). Column names and vocabularies are a
-- contract: BI tools and scripts rely on them. More columns may be added, never renamed.
-- Recreated on every open, so a view change needs no migration.

-- Masking (cashapp.masking): account columns are masked at ingest; labels a person reads
-- (statement ids, file names, locations) go through the macro mask_label (IBANs, numbers
-- after an account keyword, any run of 9+ digits), created with these views from the
-- Python rules. Remittance and payer names stay as the payer wrote them: they are the
-- payer's message, and what cash is applied by. No view exposes payments.raw; the query
-- mirrors (cashapp.store.QUERY_SCHEMA) show it masked.

-- The payer is the customer the matcher identified, else the customer its active
-- applications went to (the set-based path records it there only).
CREATE OR REPLACE VIEW v_payments AS
SELECT p.payment_id, p.source, p.source_ref, p.kind, p.amount, p.currency, p.value_date,
       p.payer_name, p.remittance, p.status,
       p.payer_account, p.refs AS "references", p.related_ref, p.reason_code, p.account,
       p.type_code, coalesce(p.customer_id, a.customer_id) AS customer_id, p.file_id,
       mask_label(p.location) AS location, p.ingested_at, p.matched_at
FROM payments p
LEFT JOIN (SELECT payment_id, min(customer_id) AS customer_id FROM applications
           WHERE status = 'active' GROUP BY payment_id) a USING (payment_id);

CREATE OR REPLACE VIEW v_applications AS
SELECT a.application_id, a.payment_id, a.invoice_number, a.customer_id, a.amount, a.kind,
       a.method, a.rule, a.confidence, a.status, a.created_at, a.created_by,
       a.currency, a.evidence, a.reverses, a.reversed_by, a.run_id, a.reason_code, a.approval_id
FROM applications a;

CREATE OR REPLACE VIEW v_exceptions AS
SELECT exception_id, payment_id, invoice_number, type, status, amount, reason_code,
       assignee, opened_at, resolved_at, suggestions,
       currency, customer_id, mask_text(detail) AS detail, notes, resolution, version
FROM exceptions;

CREATE OR REPLACE VIEW v_invoices AS
SELECT i.invoice_number, i.customer_id, c.name AS customer_name, i.currency, i.amount,
       i.open_amount, i.invoice_date, i.due_date,
       CASE WHEN i.open_amount = 0 THEN 'paid'
            WHEN i.open_amount < i.amount THEN 'partially_paid'
            ELSE 'open' END AS status,
       CASE WHEN i.open_amount > 0 AND current_date > i.due_date
            THEN date_diff('day', i.due_date, current_date) ELSE 0 END AS days_past_due,
       i.po_number, i.terms, i.settled_outside
FROM invoices i LEFT JOIN customers c USING (customer_id);

CREATE OR REPLACE VIEW v_journal_lines AS
SELECT e.entry_id, e.entry_date, l.account, l.debit, l.credit, l.currency, l.memo,
       e.payment_id, l.invoice_number, e.export_batch, l.line_no
FROM journal_entries e JOIN journal_lines l USING (entry_id);

-- A day's cash: received = applied + unapplied (on account) + refunded + in_exception,
-- plus the payments that are not the queue's (returned, ignored, not yet decided).
-- `refunded` is cash a person decided to pay back (an active `refund` application).
CREATE OR REPLACE VIEW v_daily_totals AS
WITH app AS (
    SELECT payment_id,
           sum(amount) FILTER (WHERE kind = 'payment') AS applied,
           sum(amount) FILTER (WHERE kind = 'unapplied') AS unapplied,
           sum(amount) FILTER (WHERE kind = 'refund') AS refunded
    FROM applications WHERE status = 'active' GROUP BY payment_id
), exc AS (
    SELECT DISTINCT payment_id FROM exceptions
    WHERE status IN ('open', 'in_review') AND payment_id IS NOT NULL
)
SELECT p.value_date AS day, p.source, p.currency,
       coalesce(sum(p.amount) FILTER (WHERE p.kind = 'payment' AND p.amount > 0), 0) AS received,
       coalesce(sum(app.applied), 0) AS applied,
       coalesce(sum(app.unapplied), 0) AS unapplied,
       coalesce(sum(abs(p.amount) - coalesce(app.applied, 0) - coalesce(app.unapplied, 0)
                    - coalesce(app.refunded, 0))
                FILTER (WHERE exc.payment_id IS NOT NULL AND p.kind = 'payment'), 0) AS in_exception,
       coalesce(sum(-p.amount) FILTER (WHERE p.kind = 'fee'), 0) AS fees,
       coalesce(sum(abs(p.amount)) FILTER (WHERE p.kind = 'return'), 0) AS returns,
       coalesce(sum(abs(p.amount)) FILTER (WHERE p.kind = 'chargeback'), 0) AS chargebacks,
       coalesce(sum(p.amount) FILTER (WHERE p.kind = 'settlement'), 0) AS settlements,
       coalesce(sum(app.refunded), 0) AS refunded
FROM payments p
LEFT JOIN app USING (payment_id)
LEFT JOIN exc USING (payment_id)
GROUP BY ALL;

-- Every bank statement's tie-out as delivered (reports.daily_report adds the gap check).
CREATE OR REPLACE VIEW v_statement_checks AS
SELECT c.file_id, mask_label(f.name) AS file, c.account, c.currency,
       mask_label(c.statement) AS statement, c.opening_date, c.opening, c.movement_count,
       c.movements, c.closing_date, c.closing, c.difference, c.status, c.day
FROM statement_checks c JOIN source_files f USING (file_id);

CREATE OR REPLACE VIEW v_account_balances AS
SELECT account, currency, as_of, kind, type_code, amount, file_id FROM account_balances;

CREATE OR REPLACE VIEW v_source_files AS
SELECT file_id, sha256, connector, mask_label(name) AS name, received_at, record_count,
       payment_count, new_count, control_total, status, mask_text(issues) AS issues
FROM source_files;
