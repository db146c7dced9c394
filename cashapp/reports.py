"""Reports the AR lead reads: what the day brought in, whether the bank ties out, what is left.

Reports are read-only queries over the public views and the statement checks, shaped into
sections a CLI table, a JSON file of the daily job, or the web workbench can render alike.
They take a read-only connection, so a report can never change what it reports on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb


@dataclass(frozen=True, slots=True)
class Section:
    """One titled table of a report."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class DailyReport:
    """The day's cash: totals per source and currency, bank tie-out, open exceptions."""

    day: date
    totals: Section
    tie_out: Section
    exceptions: Section
    signoffs: Section

    @property
    def breaks(self) -> int:
        """Statements that do not add up, or that do not start where the last one ended."""
        return sum(1 for row in self.tie_out.records() if row["status"] in ("break", "gap"))

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self.totals, self.tie_out, self.exceptions, self.signoffs)


def latest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The most recent business day with payments or bank statements: the report's default."""
    row = con.execute(
        "SELECT max(day) FROM (SELECT max(value_date) AS day FROM payments"
        " UNION ALL SELECT max(day) FROM statement_checks)"
    ).fetchone()
    return row[0] if row else None


def _section(con: duckdb.DuckDBPyConnection, title: str, sql: str, params: list[object]) -> Section:
    cursor = con.execute(sql, params)
    columns = tuple(d[0] for d in cursor.description or [])
    return Section(title, columns, tuple(tuple(r) for r in cursor.fetchall()))


_TOTALS = """
SELECT source, currency, received, applied, unapplied, refunded, in_exception, fees,
       returns, chargebacks, settlements
FROM v_daily_totals WHERE day = ? ORDER BY currency, source
"""

# A statement ties out when opening + movements = closing. It also has to start where the
# account's previous statement ended: a different opening means a statement is missing or
# was booked twice (status `gap`). The previous closing is the latest one dated on or
# before this statement's opening date and before its closing date (BAI2 opens day D with
# D-1's close; MT940's :60F: carries the previous statement's date). A camt statement id
# often carries the account's IBAN, and file names account numbers: both are masked.
_TIE_OUT = """
SELECT c.account, c.currency, mask_label(f.name) AS file, mask_label(c.statement) AS statement,
       c.opening_date, c.opening,
       c.movement_count, c.movements, c.closing_date, c.closing, c.difference,
       prev.closing AS previous_closing,
       CASE WHEN c.status = 'tied' AND prev.closing IS NOT NULL AND prev.closing <> c.opening
            THEN 'gap' ELSE c.status END AS status
FROM statement_checks c
JOIN source_files f USING (file_id)
LEFT JOIN LATERAL (
    SELECT p.closing FROM statement_checks p
    WHERE p.account = c.account AND p.currency = c.currency AND p.closing IS NOT NULL
      AND p.closing_date <= c.opening_date AND p.closing_date < c.closing_date
      AND NOT (p.file_id = c.file_id AND p.statement = c.statement)
    ORDER BY p.closing_date DESC, p.file_id DESC LIMIT 1
) prev ON true
WHERE c.day = ?
ORDER BY c.account, c.currency, c.closing_date, f.name, c.statement
"""

_EXCEPTIONS = """
SELECT e.type, e.currency, count(*) AS open, sum(e.amount) AS amount
FROM exceptions e JOIN payments p USING (payment_id)
WHERE p.value_date = ? AND e.status IN ('open', 'in_review')
GROUP BY ALL ORDER BY e.type, e.currency
"""

_SIGNOFFS = """
SELECT currency, signed_by, signed_at FROM daily_signoffs WHERE day = ? ORDER BY currency
"""


def daily_report(con: duckdb.DuckDBPyConnection, day: date) -> DailyReport:
    """Everything the AR lead checks before signing off ``day``."""
    return DailyReport(
        day=day,
        totals=_section(con, "cash received", _TOTALS, [day]),
        tie_out=_section(con, "bank tie-out", _TIE_OUT, [day]),
        exceptions=_section(con, "open exceptions", _EXCEPTIONS, [day]),
        signoffs=_section(con, "sign-off", _SIGNOFFS, [day]),
    )
