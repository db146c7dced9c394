"""What each bank file shape can carry, and how it shows a payer and a remittance.

A label is only as good as the file that carries the payment: NACHA cuts a company name
at 16 characters, OFX at 32, MT940 allows only the SWIFT x character set (and each of its
``:86:`` layouts reserves one more character), a NACHA CCD+ addenda holds 80 characters
and a camt unstructured remittance 140. The generator asks these functions before it
writes a case into a format, so a label never assumes text the bank file would change.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from random import Random

from cashapp.bench.quality.catalogue import AMOUNT_RANGES, SWIFT_X
from cashapp.bench.synthetic.ledger import from_cents
from cashapp.bench.synthetic.names import bank_name


def shown(fmt: str, name: str) -> str:
    """The payer name as this file shape carries it (NACHA cuts at 16, OFX at 32)."""
    bank = bank_name(name)
    if fmt in ("bai2-ach", "nacha-ccd"):
        return bank[:16].rstrip()
    if fmt in ("nacha-debit", "nacha-return"):
        return bank[:22].rstrip()
    if fmt.startswith("ofx"):
        return bank[:32].rstrip()
    if fmt.startswith("camt") or fmt == "csv":
        return name
    return bank


def fits(fmt: str, payer: str, text: str) -> bool:
    """Whether the format can carry this payer and remittance without changing them."""
    if fmt.startswith("mt940"):
        both = payer + text
        if set(both) - SWIFT_X:
            return False
        if fmt == "mt940-dutch" and "/" in both:
            return False
        if fmt == "mt940-german" and ("?" in both or len(payer) > 54):
            return False
    if fmt == "nacha-ccd" and len(text) > 80:
        return False
    return not (fmt.startswith("camt") and len(text) > 140)


def invoice_amount(rng: Random) -> Decimal:
    """An invoice amount with cents, spread like a B2B ledger (many small, some large)."""
    low, high = rng.choice(AMOUNT_RANGES)
    return from_cents(rng.randint(low * 100, high * 100))


def join_keys(keys: Sequence[str], shape: int) -> str:
    """Several invoice numbers the ways remitters list them."""
    if shape == 0:
        return "INV " + ", ".join(keys)
    if shape == 1:
        return " ".join(f"INV-{k}" for k in keys)
    if shape == 2:
        return "Invoices " + ", ".join(keys[:-1]) + " and " + keys[-1]
    if shape == 3:
        return "PMT " + " ".join(keys)
    if shape == 4:
        return "INV " + "/".join(keys)
    return " ".join(f"#{k}" for k in keys)
