"""Write BAI2 files: for the demo generator, benchmarks and round-trip tests.

Design note (BAI Cash Management Balance Reporting Specifications, version 2). One file
holds one group (02 ... 98) of accounts, each an 03 with opening/closing ledger (010/015)
and total credits/debits (100/400 with item counts), its 16 details and a 49 trailer.
Every record ends with ``/``; text longer than an 80-character physical record continues
in 88 records, split at spaces only, so a reader that joins continuation text with one
space (as :mod:`connectors.bai2.connector` does) gets the text back exactly. Control totals follow
the spec: 49 = algebraic sum of the account's 03 and 16 amounts, 98 = sum of its 49s,
99 = sum of the 98s; record counts include the header, 88s and trailer of their level.

Text is written in the form :func:`bai2_text` returns: whitespace runs collapsed to one
space, and a ``/`` directly followed by whitespace and a record code (``/ 16,``) loses
the whitespace, because readers take that shape for a record boundary. Bank and customer
references must not contain commas, line breaks or ``/`` followed by whitespace.

The writer is deterministic and linear: one list of strings, joined once (a million
transactions in a few seconds).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from cashapp.money import check_currency, to_minor_units
from connectors.bai2.records import CREDIT, DEBIT, direction

#: Longest physical record the writer produces (a single word longer than that is not split).
LINE_LIMIT: Final = 80
_BOUNDARY: Final = re.compile(r"/\s+(?=(?:0[123]|16|49|88|98|99),)")
_BAD_REF: Final = re.compile(r"[,\r\n]|/\s")


@dataclass(frozen=True, slots=True)
class Bai2Transaction:
    """One 16 detail; ``amount`` is positive, the type code gives the direction."""

    type_code: str
    amount: Decimal
    bank_ref: str
    customer_ref: str
    text: str


@dataclass(frozen=True, slots=True)
class Bai2Account:
    """One 03 ... 49 account section."""

    account: str
    currency: str
    transactions: tuple[Bai2Transaction, ...]
    opening_ledger: Decimal | None = None
    closing_ledger: Decimal | None = None


def bai2_text(text: str) -> str:
    """The text as it reads back from a written file (see the module note)."""
    text = " ".join(text.split())
    return _BOUNDARY.sub("/", text) if "/" in text else text


def _chunks(text: str, first: int) -> list[str]:
    """Split ``text`` at single spaces into pieces of at most ``first`` then 76 chars."""
    if len(text) <= first:
        return [text]
    pieces: list[str] = []
    limit = first
    line: list[str] = []
    size = 0
    for word in text.split(" "):
        extra = len(word) + (1 if line else 0)
        if line and size + extra > limit:
            pieces.append(" ".join(line))
            line, size, limit = [], 0, LINE_LIMIT - 4
            extra = len(word)
        elif not line and not pieces and len(word) > limit:
            pieces.append("")  # the first word does not fit beside the fixed fields
            limit = LINE_LIMIT - 4
        line.append(word)
        size += extra
    pieces.append(" ".join(line))
    return pieces


def _wrapped_fields(code: str, fields: list[str]) -> list[str]:
    """``code`` record of ``fields``, continued in 88 records at field boundaries."""
    lines: list[str] = []
    current = code
    for field in fields:
        if len(current) + 1 + len(field) + 1 > LINE_LIMIT and current not in (code, "88"):
            lines.append(current + "/")
            current = "88"
        current = f"{current},{field}"
    lines.append(current + "/")
    return lines


def _sign(code: str) -> int:
    if len(code) != 3 or not code.isdigit() or direction(int(code)) not in (CREDIT, DEBIT):
        raise ValueError(f"type code {code!r} is not a BAI2 credit or debit code")
    return direction(int(code))


def movement(tx: Bai2Transaction) -> Decimal:
    """The signed effect of a transaction on the ledger balance (credits +, debits -)."""
    return tx.amount * _sign(tx.type_code)


def _ref(value: str, what: str) -> str:
    value = value.strip()
    if ("," in value or "/" in value or "\n" in value or "\r" in value) and _BAD_REF.search(value):
        raise ValueError(f"{what} {value!r} cannot be written to BAI2 (comma, line break or '/ ')")
    return value


def write_bai2(
    accounts: Sequence[Bai2Account],
    *,
    sender: str,
    receiver: str,
    file_id: str,
    created: datetime,
    as_of: date,
) -> bytes:
    """A complete BAI2 file (01/02/03/16/88/49/98/99) with correct totals and counts."""
    sender, receiver = _ref(sender, "sender"), _ref(receiver, "receiver")
    file_id = _ref(file_id, "file id")
    signs: dict[str, int] = {}  # type code -> +1 credit / -1 debit, validated once
    out: list[str] = [
        f"01,{sender},{receiver},{created:%y%m%d},{created:%H%M},{file_id},{LINE_LIMIT},,2/",
        f"02,{receiver},{sender},1,{as_of:%y%m%d},2400,,2/",
    ]
    group_total = 0
    for account in accounts:
        currency = check_currency(account.currency)
        start = len(out)
        details: list[tuple[str, int, Bai2Transaction]] = []
        credits = debits = credit_count = debit_count = 0
        for tx in account.transactions:
            code = tx.type_code
            sign = signs.get(code)
            if sign is None:
                sign = _sign(code)
                signs[code] = sign
            units = to_minor_units(tx.amount, currency)
            if units < 0:
                raise ValueError(f"amount {tx.amount} must not be negative; the code signs it")
            if sign == CREDIT:
                credits += units
                credit_count += 1
            else:
                debits += units
                debit_count += 1
            details.append((code, units, tx))
        summary = [_ref(account.account, "account number"), currency]
        total = 2 * (credits + debits)  # the 100/400 summaries and the 16 details
        for type_code, balance in (
            ("010", account.opening_ledger),
            ("015", account.closing_ledger),
        ):
            if balance is not None:
                units = to_minor_units(balance, currency)
                total += units
                summary += [type_code, str(units), "", ""]
        summary += [
            "100",
            str(credits),
            str(credit_count),
            "",
            "400",
            str(debits),
            str(debit_count),
            "",
        ]
        out.extend(_wrapped_fields("03", summary))
        for code, units, tx in details:
            prefix = f"16,{code},{units},,{_ref(tx.bank_ref, 'bank reference')},"
            prefix += f"{_ref(tx.customer_ref, 'customer reference')},"
            text = bai2_text(tx.text)
            room = LINE_LIMIT - 1 - len(prefix)
            if len(text) <= room:
                out.append(f"{prefix}{text}/")
                continue
            first, *rest = _chunks(text, max(room, 0))
            out.append(f"{prefix}{first}/")
            out.extend(f"88,{piece}/" for piece in rest)
        out.append(f"49,{total},{len(out) - start + 1}/")
        group_total += total
    out.append(f"98,{group_total},{len(accounts)},{len(out)}/")  # 02 .. 98, 01 excluded
    out.append(f"99,{group_total},1,{len(out) + 1}/")
    return ("\n".join(out) + "\n").encode("utf-8")
