"""What ingest accepts from a connector: records fit to store, or one refusal naming why.

Why a module of its own: connectors are parsers of hostile input, a plugin's among them,
so nothing they return is trusted. Here the connector runs defensively (a crash, or running
out of memory, becomes a refusal naming the file, never a traceback), an error issue
refuses the whole file, and every record is checked before anything is tabulated or
written: an upper-case ISO 4217 currency, no precision finer than the currency's minor
unit, not above ``[ingest] max_payment_amount``, a non-empty identity.
:func:`validate_record` is also the oracle of ``cashapp bench fuzz``
(:mod:`cashapp.bench.fuzz`), so the fuzzer checks parsers against exactly the rule ingest
applies.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from cashapp.domain import FileRefused, Issue, PaymentRecord
from cashapp.money import NO_CURRENCY, MoneyError, check_currency, quantize
from connectors.base import Connector, ExtractContext, ExtractResult


def too_large(stage: str) -> FileRefused:
    """A file that exhausted memory is refused by name, not reported as an internal error.

    Raise it *after* leaving the ``except MemoryError`` block: inside it, the traceback
    still holds the parser's frames and so all the memory the parse took, and building
    even this message can fail again.
    """
    return FileRefused(f"too large to parse: out of memory while {stage}")


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a MemoryError (a parser's own
    ``except Exception`` may have wrapped it, or failed in turn)."""
    seen: BaseException | None = exc
    for _ in range(50):  # a bounded walk: chains can be long, never cyclic in practice
        if seen is None:
            return False
        if isinstance(seen, MemoryError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def extract_file(  # noqa: C901 - one guard per way a connector's result can be wrong, each named
    connector: Connector, data: bytes, name: str, context: ExtractContext
) -> ExtractResult:
    """Run the connector defensively and validate what it returns."""
    result: ExtractResult | None = None
    try:
        result = connector.extract(data, name, context)
    except FileRefused as exc:
        if not out_of_memory(exc):
            raise
    except MemoryError:
        pass  # refused below, once the handler has let go of the parser's frames
    except Exception as exc:  # a connector bug must still refuse cleanly
        if not out_of_memory(exc):
            reason = f"{connector.name} parser failed: {type(exc).__name__}: {exc}"
            raise FileRefused(reason) from exc
    if result is None:
        raise too_large(f"the {connector.name} parser read it")
    errors = [i for i in result.issues if i.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        raise FileRefused(first.message + more, first.location)
    ceiling = context.max_payment_amount
    no_currency = ""
    for record in result.records:
        validate_record(record, ceiling)
        if record.currency == NO_CURRENCY and not no_currency:
            no_currency = record.location
    if no_currency:
        warning = Issue(
            "warning",
            f"amounts in {NO_CURRENCY} (ISO 4217 'no currency', as anonymised and test"
            " statements write them): kept with two decimals; no invoice is in XXX",
            no_currency or None,
        )
        result = replace(result, issues=(*result.issues, warning))
    return result


def validate_record(record: PaymentRecord, ceiling: Decimal | None = None) -> None:
    """Raise FileRefused, at the record's location, if ingest must not store ``record``."""
    where = record.location or None
    try:
        currency = check_currency(record.currency, allow_no_currency=True)
        if currency != record.currency:
            raise FileRefused(f"currency {record.currency!r} is not upper-case ISO 4217", where)
        quantize(record.amount, record.currency)
    except MoneyError as exc:
        raise FileRefused(str(exc), where) from exc
    if ceiling is not None and abs(record.amount) > ceiling:
        raise FileRefused(
            f"amount {record.amount} {record.currency} is above the per-payment ceiling"
            f" ({ceiling}, ingest.max_payment_amount)",
            where,
        )
    if not record.dedupe_key:
        raise FileRefused("record has no identity (empty dedupe key)", where)
