"""The pieces of bank files every synthetic book writes: our identity, BAI2 and NACHA parts.

Each book writes its payments with the project's own writers (:mod:`connectors.bai2.writer`,
:mod:`connectors.nacha.writer`); what they have in common lives here, so a wire's text or
an ACH credit's batch looks the same in the demo, the speed bench and the quality bench:

- who we are to the banks (:data:`OUR_NAME`, our routing, the ACH company id we collect
  under, the ACH operator that sends us the files);
- the BAI2 16-record text of a wire (``ORG= ... OBI= ... BNF=``) and of an ACH credit
  (``ORIG CO NAME: ... ENTRY DESCR:``) as our bank prints them, and the day's bank charges;
- a customer's ACH credit (one batch, one entry, its addenda), our own debit collections
  and their returns;
- a BAI2 account whose closing ledger is its opening plus the day's movements, so the
  statement ties out.

Nothing here draws a random number: the books decide every value, in their own order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from connectors.bai2.writer import Bai2Account, Bai2Transaction, movement, write_bai2
from connectors.nacha.writer import AchBatch, AchEntry

#: Our company as the banks print it, and the ACH company id our collections go out under.
OUR_NAME: Final = "OUR COMPANY"
OUR_ACH_COMPANY_ID: Final = "1987654321"
#: Our bank's routing number: the BAI2 sender and the destination of our ACH files.
OUR_ROUTING: Final = "021000021"
#: The immediate origin of the ACH files our bank passes on to us.
ACH_OPERATOR: Final = "0910000019"
#: The BAI2 receiver id our bank reports to.
BAI2_RECEIVER: Final = "OURCO"


def created_at(day: date, hour: int) -> datetime:
    """When the bank wrote a file of ``day`` (UTC, on the hour)."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def wire_detail(originator: str, remittance: str) -> str:
    """A wire's BAI2 text: the originator, its remittance (OBI) if any, and us."""
    obi = f" OBI={remittance}" if remittance else ""
    return f"ORG={originator}{obi} BNF={OUR_NAME}"


def ach_credit_detail(
    company: str, company_id: str, day: date, description: str, memo: str = ""
) -> str:
    """An ACH credit as the BAI2 16-record text shows it; ``memo`` is its addenda text."""
    tail = f" {memo}" if memo else ""
    return (
        f"ORIG CO NAME:{company} ORIG ID:{company_id} DESC DATE:{day:%y%m%d}"
        f" ENTRY DESCR:{description}{tail}"
    )


def bank_charges(fee_ref: str, payroll_ref: str) -> tuple[Bai2Transaction, Bai2Transaction]:
    """The day's account analysis fee and a payroll wire out: not receivables."""
    return (
        Bai2Transaction("698", Decimal("45.00"), fee_ref, "", "ACCOUNT ANALYSIS FEE"),
        Bai2Transaction("495", Decimal("12500.00"), payroll_ref, "", "WIRE TO PAYROLL"),
    )


def ledger_closing(opening: Decimal, transactions: Iterable[Bai2Transaction]) -> Decimal:
    """The closing ledger balance: ``opening`` plus the day's credits less its debits."""
    return opening + sum((movement(t) for t in transactions), Decimal(0))


def tied_account(
    number: str, transactions: Sequence[Bai2Transaction], opening: Decimal
) -> Bai2Account:
    """A USD account whose closing ledger is ``opening`` plus the day's movements."""
    closing = ledger_closing(opening, transactions)
    return Bai2Account(number, "USD", tuple(transactions), opening, closing)


def bai2_file(
    account: Bai2Account, *, sender: str, file_id: str, created: datetime, as_of: date
) -> bytes:
    """One account's BAI2 file as our bank sends it."""
    return write_bai2(
        [account],
        sender=sender,
        receiver=BAI2_RECEIVER,
        file_id=file_id,
        created=created,
        as_of=as_of,
    )


def incoming_credit(
    company: str,
    company_id: str,
    sec_code: str,
    description: str,
    day: date,
    odfi: str,
    entry: tuple[str, str, Decimal, str],
    *,
    addenda: tuple[str, ...] = (),
    trace_sequence: int | None = None,
) -> AchBatch:
    """A customer's ACH credit to us: one batch, one entry (``entry`` is our routing, our
    account, the amount and the individual id), its remittance addenda."""
    routing, account, amount, individual_id = entry
    credit = AchEntry(
        "22",
        routing,
        account,
        amount,
        individual_id,
        OUR_NAME,
        addenda=addenda,
        trace_sequence=trace_sequence,
    )
    return AchBatch(company, company_id, sec_code, description, day, odfi, (credit,))


def debit_entry(
    routing: str, account: str, amount: Decimal, individual_id: str, name: str, sequence: int
) -> AchEntry:
    """One of our debit collections from a customer's account."""
    return AchEntry("27", routing, account, amount, individual_id, name, trace_sequence=sequence)


def return_entry(
    routing: str,
    account: str,
    amount: Decimal,
    individual_id: str,
    name: str,
    *,
    reason: str,
    original_trace: str,
    sequence: int | None = None,
) -> AchEntry:
    """The bank's return of one of our debits (``reason``: R01, R02, ...), which repeats
    the debit's account, amount, individual id and name and names its trace."""
    return AchEntry(
        "26",
        routing,
        account,
        amount,
        individual_id,
        name,
        return_reason=reason,
        original_trace=original_trace,
        trace_sequence=sequence,
    )


def collection_batch(entries: Iterable[AchEntry], day: date, odfi: str) -> AchBatch:
    """Our own debit collections (or their returns) under our ACH company id."""
    return AchBatch(OUR_NAME, OUR_ACH_COMPANY_ID, "CCD", "AR DEBIT", day, odfi, tuple(entries))
