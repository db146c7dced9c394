"""Parsing memory grows with the records a file holds, not with a multiple of its bytes.

A parser that keeps several copies of its input (decoded text, a list of lines, a token
list, an element tree) costs ten or twenty times the file; a 2 GB day then needs 40 GB.
The check: each bank format's parser, traced with ``tracemalloc`` on a file of ``n`` and
of ``4n`` payments written by the project's own writers. The peak may not grow faster than
the records (four times the records, at most 4.6 times the memory: a fixed start-up share
only makes the ratio smaller), and each record costs a bounded amount, about what the
``PaymentRecord`` it becomes holds (its fields, remittance and raw source line).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

import pytest

from connectors import load_builtin
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from connectors.base import ExtractContext
from connectors.camt.writer import CamtEntry, CamtStatement, CamtTransaction, write_camt053
from connectors.mt940.writer import Statement, StatementTransaction, write_mt940
from connectors.nacha.writer import AchBatch, AchEntry, write_nacha
from connectors.ofx.writer import OfxStatement, OfxTransaction, write_ofx

DAY: Final = date(2026, 11, 20)
CREATED: Final = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
#: Bytes of traced memory one parsed payment may cost, the file's own bytes included.
#: Measured: BAI2 1.2 kB, NACHA 1.8, MT940 2.0, OFX 2.2, camt 6.5 (its element tree).
PER_RECORD_CEILING: Final = 8_000


def _amount(i: int) -> Decimal:
    return Decimal(100 + i % 9000) + Decimal(i % 100) / 100


def _bai2(n: int) -> bytes:
    transactions = tuple(
        Bai2Transaction("195", _amount(i), f"B{i:09d}", f"C{i:09d}", f"ACME CORP INV-{i:06d}")
        for i in range(n)
    )
    account = Bai2Account("123456789", "USD", transactions)
    return write_bai2(
        [account], sender="121000248", receiver="CASHAPP", file_id="1", created=CREATED, as_of=DAY
    )


def _nacha(n: int) -> bytes:
    entries = tuple(
        AchEntry("22", "091000019", f"{i:012d}", _amount(i), f"ID{i:08d}", f"CUSTOMER {i:06d}",
                 addenda=(f"INV-{i:06d}",))
        for i in range(n)
    )  # fmt: skip
    batch = AchBatch("ACME CORP", "1234567890", "CCD", "PAYMENT", DAY, "09100001", entries)
    return write_nacha(
        [batch], immediate_destination="091000019", immediate_origin="1234567890", created=CREATED
    )


def _camt(n: int) -> bytes:
    entries = tuple(
        CamtEntry(
            (CamtTransaction(_amount(i), f"E2E{i:08d}", debtor_name=f"Customer {i:06d} GmbH",
                             unstructured=(f"INV-{i:06d}",)),),
            credit=True,
            booking_date=DAY,
        )
        for i in range(n)
    )  # fmt: skip
    statement = CamtStatement("DE89370400440532013000", "EUR", "STMT-1", CREATED, entries)
    return write_camt053(statement)


def _mt940(n: int) -> bytes:
    transactions = tuple(
        StatementTransaction(DAY, _amount(i), details=f"INV-{i:06d}", name=f"CUSTOMER {i:06d}")
        for i in range(n)
    )
    return write_mt940([Statement("NL91ABNA0417164300", "EUR", 1, Decimal(0), DAY, transactions)])


def _ofx(n: int) -> bytes:
    transactions = tuple(
        OfxTransaction(f"FIT{i:09d}", DAY, _amount(i), "CREDIT", f"CUSTOMER {i:06d}",
                       f"INV-{i:06d}")
        for i in range(n)
    )  # fmt: skip
    return write_ofx([OfxStatement("123456789", "USD", transactions)])


WRITERS: Final[dict[str, tuple[str, Callable[[int], bytes]]]] = {
    "bai2": ("bai2", _bai2),
    "nacha": ("nacha", _nacha),
    "camt": ("camt053", _camt),
    "mt940": ("mt940", _mt940),
    "ofx": ("ofx", _ofx),
}


def _peak(connector_name: str, data: bytes, warm_up: bytes) -> tuple[int, int]:
    """(peak traced bytes while parsing ``data``, records parsed)."""
    connector = load_builtin()[connector_name]
    connector.extract(warm_up, "warm-up", ExtractContext())  # lazy imports are not parsing
    tracemalloc.start()
    try:
        result = connector.extract(data, "file", ExtractContext())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, len(result.records)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_parsing_memory_grows_with_the_records_not_a_multiple_of_the_bytes(fmt: str) -> None:
    name, write = WRITERS[fmt]
    small, large = write(1_000), write(4_000)
    small_peak, small_records = _peak(name, small, write(10))
    large_peak, large_records = _peak(name, large, write(10))
    assert (small_records, large_records) == (1_000, 4_000)
    assert large_peak / small_peak < 4.6, (small_peak, large_peak)
    assert large_peak / large_records < PER_RECORD_CEILING, large_peak / large_records
