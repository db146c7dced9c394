"""What a team allows without a second person, and where each deduction is booked.

Why a value of its own: the actions read the approval limits and the deduction taxonomy
from config, and the web workbench and the CLI must hand them the same; a :class:`Policy`
built once from the validated :class:`~cashapp.config.Config` is that one hand-over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from cashapp.config import DEFAULT_DEDUCTIONS, Config


@dataclass(frozen=True, slots=True)
class Policy:
    """``[approval]`` limits and ``[deductions]`` accounts.

    A write-off (the total of one action) above ``write_off_limit``, or a refund above
    ``refund_limit``, waits for a lead's approval. The limits are amounts in each
    action's own currency: a team working in several currencies sets them for the
    smallest unit it trusts alone.
    """

    write_off_limit: Decimal = Decimal("50.00")
    refund_limit: Decimal = Decimal("500.00")
    deductions: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DEDUCTIONS))

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        return cls(config.write_off_limit, config.refund_limit, dict(config.deductions))


#: The built-in defaults (the ones ``config.example.toml`` shows).
DEFAULT_POLICY = Policy()
