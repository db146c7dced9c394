"""Rules as data: the primitive registry, the loader's refusals, and the fast path chosen
from what each primitive can do rather than from its position in the file."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

import cashapp.matching.pipeline as pipeline
from cashapp.config import Config
from cashapp.domain import PaymentRecord, stable_key
from cashapp.ingest.write import write_result
from cashapp.keys import name_key
from cashapp.matching.bulk import BulkResult, write_certain
from cashapp.matching.engine import Book, EngineSettings, decide
from cashapp.matching.model import CustomerHit, OpenInvoice, PaymentToMatch
from cashapp.matching.registry import PRIMITIVES, bulk_rule, can_preempt
from cashapp.matching.rules import DEFAULT_RULES_FILE, Rule, RulesError, load_rules, parse_rules
from cashapp.store import Store, open_store, utcnow
from connectors.base import ExtractResult

DAY = date(2026, 11, 20)
DEFAULT = DEFAULT_RULES_FILE.read_text(encoding="utf-8")


def _rule(primitive: str, **keys: str | list[str]) -> str:
    lines = ['id = "r1"', f'primitive = "{primitive}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    return "version = 1\n[[rules]]\n" + "\n".join(lines) + "\n"


def _reordered(*ids: str, change: tuple[str, str, str] | None = None) -> str:
    """default.toml with its rules in the order ``ids`` (the rest after, as they were);
    ``change`` is (rule id, old text, new text) within that rule."""
    head, *blocks = DEFAULT.split("[[rules]]\n")
    by_id = {b.split('"')[1]: b for b in blocks}
    if change is not None:
        rid, old, new = change
        assert old in by_id[rid]
        by_id[rid] = by_id[rid].replace(old, new)
    order = [*ids, *(i for i in by_id if i not in ids)]
    return head + "".join("[[rules]]\n" + by_id[i] for i in order)


_ALL_KINDS = ("ref-duplicate", '"structured"]', '"structured", "bare"]')
_NO_FUZZY = ("cust-single", ', "fuzzy_name"]', "]")


# --- the registry ------------------------------------------------------------------------


def test_every_primitive_declares_a_function_and_its_parameters() -> None:
    for name, primitive in PRIMITIVES.items():
        assert primitive.name == name
        assert callable(primitive.function)
        assert primitive.decides
        for parameter in primitive.parameters:
            assert parameter.meaning
            assert parameter.choices or parameter.low is not None


def test_the_default_rules_load_as_before() -> None:
    rules = load_rules()
    assert [(r.id, r.primitive, str(r.tolerance), str(r.confidence)) for r in rules] == [
        ("ref-exact", "reference_exact", "0.00", "0.99"),
        ("ref-discount", "reference_discount", "0.01", "0.97"),
        ("ref-writeoff", "reference_writeoff", "0.00", "0.95"),
        ("ref-duplicate", "reference_duplicate", "0.00", "0.90"),
        ("ref-over", "reference_over", "0.00", "0.95"),
        ("ref-short", "reference_short", "0.00", "0.90"),
        ("cust-single", "customer_single_invoice", "0.00", "0.95"),
        ("cust-combination", "customer_combination", "0.00", "0.90"),
    ]
    assert rules[0].references == ("invoice", "po", "structured", "bare")
    assert rules[6].identify[-1] == "fuzzy_name"
    assert "fuzzy_name" not in rules[7].identify


# --- the loader's refusals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_rule("reference_exact", tolerence="1"), "rule r1: unknown key 'tolerence'"),
        (
            _rule("reference_over", tolerance="0.05"),
            "rule r1: key 'tolerance' is not read by primitive reference_over"
            r" \(it takes: references, confidence\)",
        ),
        (
            _rule("reference_duplicate", confidence="0.9"),
            "rule r1: key 'confidence' is not read by primitive reference_duplicate",
        ),
        (
            _rule("reference_exact", identify=["account"]),
            "rule r1: key 'identify' is not read by primitive reference_exact",
        ),
        (
            _rule("customer_single_invoice", references=["invoice"]),
            "rule r1: key 'references' is not read by primitive customer_single_invoice",
        ),
        (_rule("reference_exact", confidence="1.5"), r"r1\.confidence: must be between 0 and 1"),
        (_rule("reference_exact", confidence="-0.1"), r"r1\.confidence: must be between 0 and 1"),
        (_rule("customer_combination", tolerance="-1"), r"r1\.tolerance: must not be negative"),
        (_rule("reference_exact", references=["invoice", "iban"]), "unknown value 'iban'"),
        (_rule("reference_exact", enabled="no"), r"r1\.enabled: must be true or false"),
        (_rule("guess"), "rule r1: unknown primitive 'guess'"),
    ],
)
def test_the_loader_refuses_with_the_file_rule_and_key(text: str, message: str) -> None:
    with pytest.raises(RulesError, match=message) as caught:
        parse_rules(text, "team.toml")
    assert str(caught.value).startswith("team.toml: rule r1")
    assert "\n" not in str(caught.value)


def test_a_disabled_rule_is_still_checked() -> None:
    with pytest.raises(RulesError, match="not read by primitive"):
        parse_rules(_rule("reference_over", tolerance="0.05") + "enabled = false\n")


# --- the fast path follows from the registry -------------------------------------------


def _ids(rules: Sequence[Rule]) -> tuple[str | None, str | None]:
    reference, customer = bulk_rule(rules, "reference"), bulk_rule(rules, "customer")
    return (reference.id if reference else None, customer.id if customer else None)


def test_the_default_rules_take_the_fast_path_for_both_kinds() -> None:
    assert _ids(load_rules()) == ("ref-exact", "cust-single")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # nothing short, nothing over, nothing to write off in a certain payment
        (_reordered("ref-short", "ref-over", "ref-writeoff"), ("ref-exact", "cust-single")),
        # a duplicate rule that sees every kind ref-exact sees finds the open invoice
        (_reordered("ref-duplicate", change=_ALL_KINDS), ("ref-exact", "cust-single")),
        # ... one that does not may call a certain payment a duplicate
        (_reordered("ref-duplicate"), (None, "cust-single")),
        # a discount within tolerance could explain an exact payment
        (_reordered("ref-discount"), (None, "cust-single")),
        # a customer rule first does not look at references at all
        (_reordered("cust-single"), (None, "cust-single")),
        (_reordered("cust-combination"), (None, None)),
        # a combination rule first is harmless only with exactly the single rule's methods
        (_reordered("cust-combination", change=_NO_FUZZY), (None, "cust-single")),
        (
            _reordered("ref-exact", "cust-combination", change=_NO_FUZZY),
            ("ref-exact", "cust-single"),
        ),
        (_reordered("ref-exact", "cust-combination"), ("ref-exact", None)),
    ],
)
def test_a_rule_first_disables_the_fast_path_only_if_it_can_pre_empt(
    text: str, expected: tuple[str | None, str | None]
) -> None:
    assert _ids(parse_rules(text)) == expected


def test_a_wider_reference_rule_first_can_pre_empt() -> None:
    exact = Rule("x", "reference_exact", references=("invoice",))
    for primitive in ("reference_short", "reference_over", "reference_writeoff"):
        assert not can_preempt(Rule("a", primitive, references=("invoice",)), exact)
        assert can_preempt(Rule("a", primitive, references=("invoice", "bare")), exact)
    assert can_preempt(Rule("a", "reference_duplicate", references=("bare",)), exact)
    assert not can_preempt(Rule("a", "reference_duplicate"), exact)


# --- and gives the engine's decisions --------------------------------------------------


def _seed(store: Store, rng: random.Random) -> list[PaymentRecord]:
    now = utcnow()
    invoices = []
    for c in range(5):
        name = f"Customer {c} Inc"
        store.execute(
            "INSERT INTO customers VALUES (?, ?, '', 'USD', '', ?, ?, ?)",
            [f"C{c}", name, name_key(name), now, now],
        )
    for i in range(24):
        amount = Decimal(rng.randint(100, 50000)).scaleb(-2)
        customer = f"C{rng.randrange(5)}"
        number = f"INV-{1000 + i}"
        store.execute(
            "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'USD', '', ?, ?, ?)",
            [number, str(1000 + i), customer, DAY - timedelta(days=5),
             DAY + timedelta(days=25), amount, amount,
             rng.choice(["NET30", "2/10 NET30"]), now, now],
        )  # fmt: skip
        invoices.append((number, customer, amount))
    records = []
    for k in range(30):
        number, customer, amount = rng.choice(invoices)
        remittance = f"INV {number.split('-')[1]}" if rng.random() < 0.6 else ""
        delta = rng.choice([Decimal(0), Decimal(0), Decimal("-3.00"), Decimal("25.00")])
        paid = max(amount + delta, Decimal("0.01"))
        name = f"CUSTOMER {customer[1:]} INC" if rng.random() < 0.8 else "SOMEONE ELSE"
        records.append(
            PaymentRecord("bai2", f"R{k}", stable_key(k, number, paid), "payment", paid,
                          "USD", DAY, payer_name=name, remittance=remittance)
        )  # fmt: skip
    return records


def _run(
    rules: Sequence[Rule], seed: int, monkeypatch: pytest.MonkeyPatch, *, bulk: bool
) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """One match run over a seeded book; what it decided, and what the bulk path took."""
    taken: dict[str, int] = {}

    def certain(store: Store, rules: Sequence[Rule], run_id: str, now: Any) -> BulkResult:
        if not bulk:
            return BulkResult(0, {})
        result = write_certain(store, rules, run_id, now)
        if store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'm_certain'"):
            taken.update(store.fetchall("SELECT via, count(*) FROM m_certain GROUP BY 1"))
        return result

    monkeypatch.setattr(pipeline, "write_certain", certain)
    store = open_store(":memory:")
    try:
        records = _seed(store, random.Random(seed))
        write_result(store, stable_key("t"), "t", "bai2", ExtractResult(tuple(records)), "test")
        pipeline.run_match(store, Config(), rules=rules)
        state = store.fetchall(
            "SELECT p.source_ref, p.status, a.application_id, a.invoice_number, a.customer_id,"
            " a.kind, a.amount, a.rule, a.confidence, a.evidence, a.status"
            " FROM payments p LEFT JOIN applications a USING (payment_id) ORDER BY ALL"
        ) + store.fetchall(
            "SELECT exception_id, payment_id, type, amount, invoice_number, detail"
            " FROM exceptions ORDER BY ALL"
        )
    finally:
        store.close()
    return [
        tuple(json.loads(v) if k == 9 and v is not None else v for k, v in enumerate(r))
        for r in state
    ], taken


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (_reordered("ref-short", "ref-over", "ref-writeoff"), {"reference", "customer"}),
        (_reordered("ref-duplicate", change=_ALL_KINDS), {"reference", "customer"}),
        (_reordered("cust-combination", change=_NO_FUZZY), {"customer"}),
        (_reordered("cust-single"), {"customer"}),
        (_reordered("ref-discount", "cust-combination"), set[str]()),
    ],
    ids=[
        "harmless-first",
        "duplicate-first",
        "combination-first",
        "customer-first",
        "pre-empting-first",
    ],
)
def test_reordered_rules_decide_as_the_engine_alone(
    text: str, kinds: set[str], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = parse_rules(text)
    with_bulk, taken = _run(rules, seed, monkeypatch, bulk=True)
    engine_only, _ = _run(rules, seed, monkeypatch, bulk=False)
    assert with_bulk == engine_only
    assert set(taken) == kinds  # the book draws certain payments of both kinds


def test_a_combination_rule_first_can_pre_empt_a_certain_customer_payment() -> None:
    """Why ``customer_combination`` first keeps the customer fast path off unless it
    identifies payers by exactly the single rule's methods: the account says C1, a fuzzy
    name says C2, and C2 has the one open invoice of the amount (a certain payment for
    ``cust-single``) -- but the combination rule, blind to fuzzy names, sees only C1, whose
    two invoices add up to the payment, and decides first."""
    rules = parse_rules(_reordered("cust-combination"))
    assert bulk_rule(rules, "customer") is None
    book = Book()
    for number, customer, amount in [("A", "C1", "60.00"), ("B", "C1", "40.00"),
                                     ("C", "C2", "100.00")]:  # fmt: skip
        book.add(OpenInvoice(number, customer, "USD", Decimal(amount), Decimal(amount),
                             DAY, DAY + timedelta(days=30), "NET30"))  # fmt: skip
    hits = (
        CustomerHit("C1", "account", Decimal("0.95")),
        CustomerHit("C2", "fuzzy_name", Decimal("0.6")),
    )
    payment = PaymentToMatch("P1", Decimal("100.00"), "USD", DAY, "ACME", hits)
    decision = decide(payment, book, rules, EngineSettings())
    assert {(a.invoice_number, a.rule) for a in decision.allocations} == {
        ("A", "cust-combination"),
        ("B", "cust-combination"),
    }


def test_the_readme_documents_every_primitive_its_parameters_and_a_valid_example() -> None:
    readme = (DEFAULT_RULES_FILE.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Rule primitives")[1].split("\n### ")[0]
    for name, primitive in PRIMITIVES.items():
        (row,) = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
        assert row.rsplit("|", 2)[1].strip() == ", ".join(
            f"`{q.name}`" for q in primitive.parameters
        )
    example = section.split("```toml\n")[1].split("```")[0]
    rules = parse_rules("version = 1\n" + example, "README.md")
    assert [r.primitive for r in rules] == ["reference_exact", "customer_combination"]
