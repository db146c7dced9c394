"""Payment terms as AR teams write them: ``NET30``, ``2/10 NET30``, ``DUE ON RECEIPT``.

``2/10 NET30`` means: the invoice is due 30 days after its date, and a customer paying
within 10 days may deduct 2 %. The matcher uses this to accept a short payment as an
early-payment discount instead of raising a short-pay exception.

Worked example: invoice 1,000.00 dated 1 March on ``2/10 NET30``; a payment of 980.00
on 8 March is within the discount window (8 <= 1 + 10 days), 2 % of 1,000.00 is 20.00,
so the invoice closes with a 980.00 payment application and a 20.00 discount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from cashapp.money import quantize

_TERMS = re.compile(
    r"^(?:(?P<pct>\d+(?:\.\d+)?)\s*%?\s*/\s*(?P<days>\d+)\s*,?\s*)?"
    r"(?:N(?:ET)?\s*(?P<net>\d+))$"
)
_ON_RECEIPT = {"DUE ON RECEIPT", "ON RECEIPT", "COD", "CIA", "IMMEDIATE", "NET0", "NET 0"}


class TermsError(ValueError):
    """Terms text that cannot be read."""


@dataclass(frozen=True, slots=True)
class Terms:
    """Net days plus an optional early-payment discount (percent within days)."""

    net_days: int
    discount_percent: Decimal = Decimal(0)
    discount_days: int = 0

    def due_date(self, invoice_date: date) -> date:
        return invoice_date + timedelta(days=self.net_days)

    def discount_for(
        self, amount: Decimal, currency: str, invoice_date: date, paid_on: date
    ) -> Decimal:
        """The discount a payment on ``paid_on`` may take; zero outside the window."""
        if not self.discount_percent or paid_on > invoice_date + timedelta(days=self.discount_days):
            return Decimal(0)
        return quantize(amount * self.discount_percent / 100, currency, exact=False)


def parse_terms(text: str) -> Terms | None:
    """Parse terms text; ``""`` gives ``None`` (unknown terms), bad text raises TermsError."""
    raw = " ".join(text.upper().split())
    if not raw:
        return None
    if raw in _ON_RECEIPT:
        return Terms(net_days=0)
    match = _TERMS.match(raw.replace("NET ", "NET").replace("N ", "N"))
    if not match:
        raise TermsError(f"unrecognised payment terms {text!r} (expected e.g. NET30 or 2/10 NET30)")
    pct = Decimal(match["pct"]) if match["pct"] else Decimal(0)
    days = int(match["days"]) if match["days"] else 0
    net = int(match["net"])
    if pct >= 100 or days > net:
        raise TermsError(f"payment terms {text!r} do not make sense")
    return Terms(net_days=net, discount_percent=pct, discount_days=days)
