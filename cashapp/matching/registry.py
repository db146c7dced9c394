"""The one list of rule primitives: what each does, the parameters it takes, and what the
set-based path may assume about it.

Why a module of its own: a rule in ``matching_rules/*.toml`` names a primitive, and three
readers need to know about primitives -- the rules loader (which keys a rule of this
primitive may set, and their ranges), the engine (which function decides), and the
set-based path in :mod:`cashapp.matching.bulk` (which rules it may stand in for, and
which rules ordered before one could decide its payments first). Declaring all of that
here, once per primitive, means a new primitive is one entry, and a fast path can only
switch on from a fact stated next to the function it stands in for.

The set-based facts:

* ``bulk`` -- the kind of "certain" payment the bulk path decides for a rule of this
  primitive (:mod:`~cashapp.matching.bulk.certain`): ``"reference"`` (one open invoice
  named, in the payment's currency, for exactly the amount) or ``"customer"`` (no invoice
  named; the identified customers have exactly one open invoice of the amount);
* ``harmless`` -- for each kind of certain payment, the condition under which a rule of
  this primitive, ordered before the rule the bulk path stands in for, can never decide
  such a payment (so the bulk decision is the one the engine would make). A kind missing
  from the map means it may decide it first, and the bulk path stays off;
* ``crowd`` -- what a rule does with a payment that names no invoice and whose payer more
  than five customers could be (:func:`~cashapp.matching.bulk.queueing.queue_crowds`);
* ``proves_payer`` -- an application it makes comes from the invoices the remittance
  names, so the payer's account may be learned for that customer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

from cashapp.matching import primitives as p

if TYPE_CHECKING:
    from cashapp.matching.book import Book, EngineSettings
    from cashapp.matching.model import Decision, PaymentToMatch
    from cashapp.matching.rules import Rule

PrimitiveFunction = Callable[
    ["PaymentToMatch", "Rule", "Book", "EngineSettings"], "Decision | None"
]

REFERENCE_KINDS: Final = ("invoice", "po", "structured", "bare")
IDENTIFY_METHODS: Final = (
    "account",
    "customer_id",
    "exact_name",
    "truncated_name",
    "alias",
    "reference",
    "fuzzy_name",
)
DEFAULT_IDENTIFY: Final = ("account", "customer_id", "exact_name", "truncated_name", "alias")
DEFAULT_TOLERANCE: Final = Decimal("0.00")
DEFAULT_CONFIDENCE: Final = Decimal("0.90")

#: Keys every rule takes, whatever its primitive.
COMMON_KEYS: Final = ("id", "primitive", "description", "enabled")

#: When a rule ordered first cannot decide a certain payment (see the module note):
#: ``always``; ``references_within`` -- its reference kinds are among the bulk rule's;
#: ``references_cover`` -- its reference kinds include all of the bulk rule's;
#: ``same_identify_wider_tolerance`` -- it identifies the payer by exactly the bulk
#: rule's methods, with a tolerance at least the bulk rule's.
Harmless = Literal[
    "always", "references_within", "references_cover", "same_identify_wider_tolerance"
]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A key a rule may set: a decimal in a range, or a list of choices."""

    name: str
    meaning: str
    default: Decimal | tuple[str, ...]
    choices: tuple[str, ...] = ()
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Primitive:
    """One primitive: its function, what it decides, the parameters it reads, and the
    set-based facts of the module note."""

    name: str
    function: PrimitiveFunction
    decides: str
    parameters: tuple[Parameter, ...]
    bulk: Literal["reference", "customer"] | None = None
    harmless: Mapping[str, Harmless] | None = None
    crowd: Literal["declines", "needs_one_customer"] | None = None
    proves_payer: bool = False

    def parameter(self, name: str) -> Parameter | None:
        return next((q for q in self.parameters if q.name == name), None)


REFERENCES = Parameter(
    "references",
    "which kinds of remittance reference count: " + ", ".join(REFERENCE_KINDS),
    REFERENCE_KINDS,
    choices=REFERENCE_KINDS,
)
IDENTIFY = Parameter(
    "identify",
    "which customer identifications count: " + ", ".join(IDENTIFY_METHODS),
    DEFAULT_IDENTIFY,
    choices=IDENTIFY_METHODS,
)
TOLERANCE = Parameter(
    "tolerance",
    "amount difference still treated as exact, in the payment currency (string, >= 0)",
    DEFAULT_TOLERANCE,
    low=Decimal(0),
)
CONFIDENCE = Parameter(
    "confidence",
    "stored with every application the rule makes (string, 0..1)",
    DEFAULT_CONFIDENCE,
    low=Decimal(0),
    high=Decimal(1),
)

#: Every parameter a primitive may take, in the order a rule's keys are checked.
PARAMETERS: Final = (REFERENCES, IDENTIFY, TOLERANCE, CONFIDENCE)

_NAMED: Final[Mapping[str, Harmless]] = {"customer": "always"}  # needs an invoice named

PRIMITIVES: Final[Mapping[str, Primitive]] = {
    q.name: q
    for q in (
        Primitive(
            "reference_exact",
            p.ref_exact,
            "the named invoices' open amounts add up to the payment (or exactly one subset"
            " of them does)",
            (REFERENCES, TOLERANCE, CONFIDENCE),
            bulk="reference",
            harmless=_NAMED,
            crowd="declines",
            proves_payer=True,
        ),
        Primitive(
            "reference_discount",
            p.ref_discount,
            "the named invoices are paid inside their early-payment discount window, less"
            " the discount",
            (REFERENCES, TOLERANCE, CONFIDENCE),
            # a discount of no more than the tolerance could explain an exact payment
            harmless=_NAMED,
            crowd="declines",
            proves_payer=True,
        ),
        Primitive(
            "reference_writeoff",
            p.ref_writeoff,
            "the named invoices are short paid by no more than [matching]"
            " write_off_tolerance: the rest is written off",
            (REFERENCES, CONFIDENCE),
            harmless={**_NAMED, "reference": "references_within"},  # nothing short
            crowd="declines",
            proves_payer=True,
        ),
        Primitive(
            "reference_short",
            p.ref_short,
            "the named invoices are paid less than is open: apply what was paid (as the"
            " remittance lines split it, else oldest first) and raise short_payment",
            (REFERENCES, CONFIDENCE),
            harmless={**_NAMED, "reference": "references_within"},  # nothing short
            crowd="declines",
            proves_payer=True,
        ),
        Primitive(
            "reference_over",
            p.ref_over,
            "the named invoices are paid more than is open: apply them, keep the rest on"
            " account (over_payment)",
            (REFERENCES, CONFIDENCE),
            harmless={**_NAMED, "reference": "references_within"},  # nothing over
            crowd="declines",
            proves_payer=True,
        ),
        Primitive(
            "reference_duplicate",
            p.ref_duplicate,
            "every named invoice is already paid: a duplicate_payment exception",
            (REFERENCES,),
            harmless={**_NAMED, "reference": "references_cover"},  # sees the open one
            crowd="declines",
            proves_payer=True,
        ),
        Primitive(
            "customer_single_invoice",
            p.cust_single,
            "the identified customer (or the few sharing the payer's name) has exactly one"
            " open invoice of the payment amount",
            (IDENTIFY, TOLERANCE, CONFIDENCE),
            bulk="customer",
            crowd="declines",  # refuses more than five candidates
        ),
        Primitive(
            "customer_combination",
            p.cust_combination,
            "exactly one combination of the identified customer's open invoices adds up to"
            " the payment (bounded subset sum), and no single invoice does",
            (IDENTIFY, TOLERANCE, CONFIDENCE),
            harmless={"customer": "same_identify_wider_tolerance"},
            crowd="needs_one_customer",
        ),
    )
}


def primitive_of(rule: Rule) -> Primitive:
    return PRIMITIVES[rule.primitive]


def can_preempt(earlier: Rule, target: Rule) -> bool:
    """Whether ``earlier``, ordered before ``target`` (a rule the bulk path stands in
    for), could decide one of its certain payments first, and so differently."""
    kind = primitive_of(target).bulk
    condition = (primitive_of(earlier).harmless or {}).get(kind or "")
    if condition == "always":
        return False
    if condition == "references_within":
        return not set(earlier.references) <= set(target.references)
    if condition == "references_cover":
        return not set(earlier.references) >= set(target.references)
    if condition == "same_identify_wider_tolerance":
        return set(earlier.identify) != set(target.identify) or earlier.tolerance < target.tolerance
    return True


def bulk_rule(rules: Sequence[Rule], kind: str) -> Rule | None:
    """The rule whose certain payments of ``kind`` the bulk path may decide, if any: the
    first rule of a primitive that has that fact, when no rule ordered before it can
    pre-empt it."""
    for n, rule in enumerate(rules):
        if primitive_of(rule).bulk == kind:
            if any(can_preempt(earlier, rule) for earlier in rules[:n]):
                return None
            return rule
    return None
