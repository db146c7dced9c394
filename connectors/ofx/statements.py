"""OFX statements read from the parse tree: transactions as payments, balances, refusals.

The tree comes from :mod:`connectors.ofx.markup`; this module knows nothing of SGML or
XML, only the statement download: which aggregates make a statement, what a transaction
maps to, and which damage refuses the file.

Mapping (OFX 2.1.1 ch. 11, bank and credit-card statement download):

* one :class:`PaymentRecord` per ``STMTTRN``, amount signed as OFX signs it (positive =
  money into the account: ours). ``source_ref`` = ``FITID``; ``dedupe_key`` =
  ``stable_key(ACCTID, FITID)``, or without a FITID ``stable_key(ACCTID, date, amount,
  NAME, MEMO)``; both made unique per file with :func:`occurrence_keys`.
* kind: ``TRNTYPE`` FEE/SRVCHG -> ``fee``; on a bank account a positive amount ->
  ``payment`` (INT/DIV interest and dividends -> ``other``), negative -> ``other``. On a
  credit-card statement a positive amount is a payment *to* the card or a merchant
  refund, never a customer paying an invoice, so every card transaction is ``other``
  (or ``fee``): card activity must not land in the cash-application queue.
* currency: the transaction's ``CURRENCY/CURSYM`` (the amount is in that currency), else
  the statement's ``CURDEF``. ``ORIGCURRENCY`` means the amount was already converted to
  ``CURDEF`` (ch. 5, international support), so it does not change the currency.
* ``value_date``: the date part of ``DTPOSTED`` as written, i.e. in the statement's own
  time zone (``20090401235900[-5:EST]`` is 1 April, not 2 April UTC).
* ``LEDGERBAL`` -> closing balance, ``AVAILBAL`` -> available balance (as of ``DTASOF``).
* A transaction response whose ``STATUS`` is an error (or a non-zero code with no
  statement) refuses the file with the bank's message: accepting it as an empty
  statement would read as "no cash today" in the daily job.

Strict structure (issue 10: a damaged file accepted, then its corrected re-send stored
again, doubles the cash). Refused whole: a file without ``</OFX>`` (cut short), a
``STMTRS``/``CCSTMTRS`` or ``STMTTRN`` not closed by its own end tag, a ``STMTTRN`` that
holds text instead of elements, a transaction without a ``FITID`` tag, ``TRNAMT`` or
``DTPOSTED``. Named leniencies, each reported as a warning:

* *blank FITIDs in some OFX exports*: the tag is present and empty (an absent tag is
  damage). Keyed on account, date, amount, name, memo and occurrence, as BAI2 keys its
  lines; one warning per file with the count and the first transaction's line.
* *several statements in one response*: every ``STMTRS`` of a ``STMTTRNRS`` is read
  (Banco do Brasil sends an empty one before the real one).
* *unclosed BANKTRANLIST* (Nubank): read up to the end of the statement; each
  transaction inside is still closed, so nothing is guessed.

Decimal mark, per file. OFX allows ``.`` or ``,`` as the decimal mark (ch. 3), and real
files use either (Santander, Bradesco: ``-11,76``), so one mark used throughout the
file's ``TRNAMT``s is read. A file whose transaction amounts mix the two (``976,61``
among ``1250.00``) is refused naming the line: one of them was edited or damaged, and
which is meant cannot be known. Balances are left out of the comparison because a real
Brazilian export (peer file annacruz_dtsof_balance_issue) writes ``TRNAMT -836.30`` over
``BALAMT 0,00``; a balance only feeds the tie-out, which checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final

from cashapp.domain import (
    AccountBalance,
    FileRefused,
    Issue,
    PaymentRecord,
    occurrence_keys,
    stable_key,
)
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency
from connectors.base import ExtractResult
from connectors.ofx.markup import (
    Element,
    decode_ofx,
    parse_ofx_amount,
    parse_ofx_date,
    parse_tree,
    unwrap_markup,
)

SOURCE: Final = "ofx"
_FEE_TYPES: Final = frozenset({"FEE", "SRVCHG"})
_NOT_CUSTOMER_CASH: Final = frozenset({"INT", "DIV"})


@dataclass(frozen=True, slots=True)
class _Statement:
    """What every transaction of one statement shares."""

    acctid: str
    account: str  # masked
    currency: str
    credit_card: bool
    key: str  # where the statement starts: the tie-out groups by it


@dataclass(slots=True)
class _Reader:
    """Turns the parse tree into records, collecting warnings on the way."""

    default_currency: str
    body: str
    first_line: int
    records: list[PaymentRecord] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    balances: list[AccountBalance] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    dates: dict[str, date] = field(default_factory=dict)
    blank_fitids: list[str] = field(default_factory=list)  # locations
    #: the decimal mark of the file's first TRNAMT that has one, and that amount's line
    mark: str = ""
    mark_where: str = ""
    _offset: int = 0
    _newlines: int = 0

    def where(self, element: Element) -> str:
        """``line N`` of the element's start tag, counted incrementally (file order)."""
        if element.start < self._offset:
            self._offset = self._newlines = 0
        self._newlines += self.body.count("\n", self._offset, element.start)
        self._offset = element.start
        return f"line {self.first_line + self._newlines}"

    def date(self, text: str, what: str, where: str) -> date:
        cached = self.dates.get(text)
        if cached is None:
            try:
                cached = self.dates[text] = parse_ofx_date(text)
            except ValueError as exc:
                raise FileRefused(f"{what}: {exc}", where) from None
        return cached

    def response(self, trnrs: Element) -> None:
        """One STMTTRNRS / CCSTMTTRNRS: its status, then its statement(s)."""
        status = trnrs.child("STATUS")
        code = status.get("CODE") if status else ""
        severity = status.get("SEVERITY").upper() if status else ""
        statements = [child for child in trnrs.children if child.name in _BARE_STATEMENTS]
        if severity == "ERROR" or (code not in ("", "0") and not statements):
            message = status.get("MESSAGE") if status else ""
            raise FileRefused(
                f"the bank reported an error instead of a statement (code {code or '?'}"
                f"{', ' + severity if severity else ''}): {message or 'no message given'}",
                self.where(trnrs),
            )
        if not statements:
            self.issues.append(
                Issue("warning", f"{trnrs.name} holds no statement", self.where(trnrs))
            )
            return
        if code not in ("", "0"):
            message = status.get("MESSAGE") if status else ""
            self.issues.append(
                Issue("warning", f"bank status {code}: {message}", self.where(trnrs))
            )
        if len(statements) > 1:
            # OFX 2.1.1 ch. 11 has one statement per response; Banco do Brasil sends an
            # empty one and then the real one. Reading only the first lost 36 transactions.
            self.issues.append(
                Issue(
                    "warning",
                    f"leniency 'several statements in one response': {trnrs.name} holds "
                    f"{len(statements)} statements; each is read",
                    self.where(trnrs),
                )
            )
        for statement in statements:
            self.statement(statement)

    def require_closed(self, element: Element) -> None:
        """Refuse an aggregate that is only closed by an ancestor's end tag or the file end.

        OFX 1.x SGML lets *elements* omit their end tags, never *aggregates* (OFX 1.0.2
        ch. 2, SGML); a statement or transaction without its end tag is a damaged file, and
        guessing where it ended risks inventing or losing a transaction.
        """
        if not element.closed:
            raise FileRefused(
                f"<{element.name}> has no </{element.name}>: the file is incomplete or "
                "damaged; ask the bank to send it again",
                self.where(element),
            )

    def statement(self, stmt: Element) -> None:  # noqa: C901 - one check per OFX statement aggregate, each refusing by name
        credit_card = stmt.name == "CCSTMTRS"
        acct = stmt.child("CCACCTFROM" if credit_card else "BANKACCTFROM")
        acctid = acct.get("ACCTID") if acct else ""
        where = self.where(stmt)
        if not acctid:
            raise FileRefused(f"{stmt.name} has no ACCTID: whose account is it?", where)
        curdef = stmt.get("CURDEF")
        if curdef:
            try:
                currency = check_currency(curdef)
            except MoneyError as exc:
                raise FileRefused(f"CURDEF: {exc}", where) from None
        else:
            currency = self.default_currency
            self.issues.append(
                Issue("warning", f"no CURDEF; amounts read as {currency} unless marked", where)
            )
        self.require_closed(stmt)
        context = _Statement(acctid, mask_account(acctid), currency, credit_card, where)
        tranlists = list(stmt.all("BANKTRANLIST"))
        for tranlist in tranlists:
            if "STMTTRN" in tranlist.values:  # <STMTTRN> followed by text: no transaction
                starts = {trn.start for trn in tranlist.all("STMTTRN")}
                at = self.body.find("<STMTTRN", tranlist.start)
                while at in starts:
                    at = self.body.find("<STMTTRN", at + 1)
                where_trn = self.where(Element("STMTTRN", max(at, tranlist.start), {}, []))
                raise FileRefused(
                    "a <STMTTRN> holds text instead of a transaction (no TRNAMT, FITID): "
                    f"{tranlist.values['STMTTRN'][:40]!r}",
                    where_trn,
                )
            if not tranlist.closed:
                self.issues.append(
                    Issue(
                        "warning",
                        "leniency 'unclosed BANKTRANLIST' (Nubank exports): the transaction "
                        "list has no </BANKTRANLIST>; it is read up to the end of the statement",
                        self.where(tranlist),
                    )
                )
            for trn in tranlist.all("STMTTRN"):
                self.transaction(trn, context)
        # Some banks (Nubank) forget </BANKTRANLIST>: the balances then sit inside it.
        for tag, kind in (("LEDGERBAL", "closing"), ("AVAILBAL", "available")):
            for holder in (stmt, *tranlists):
                balance = holder.child(tag)
                if balance is not None:
                    self.balance(balance, kind, context)
                    break

    def transaction(self, trn: Element, stmt: _Statement) -> None:  # noqa: C901 - one branch per OFX STMTTRN element
        values = trn.values
        where = self.where(trn)
        self.require_closed(trn)
        currency = stmt.currency
        name = values.get("NAME", "")
        counterparty = ""
        if trn.children:  # rare nested aggregates: foreign currency, payee, transfer account
            foreign = trn.child("CURRENCY")
            if foreign is not None and foreign.get("CURSYM"):
                try:
                    currency = check_currency(foreign.get("CURSYM"))
                except MoneyError as exc:
                    raise FileRefused(f"CURRENCY/CURSYM: {exc}", where) from None
            payee = trn.child("PAYEE")
            if not name and payee is not None:
                name = payee.get("NAME")
            account_to = trn.child("BANKACCTTO", "CCACCTTO")
            if account_to is not None:
                counterparty = mask_account(account_to.get("ACCTID"))
        if "TRNAMT" not in values:
            raise FileRefused("the transaction has no TRNAMT", where)
        try:
            amount = parse_ofx_amount(values["TRNAMT"], currency)
        except MoneyError as exc:
            raise FileRefused(f"TRNAMT: {exc}", where) from None
        self.check_mark(values["TRNAMT"], where)
        if not amount:
            amount = abs(amount)  # "-0.00" is zero
        if "DTPOSTED" not in values:
            raise FileRefused("the transaction has no DTPOSTED", where)
        posted = self.date(values["DTPOSTED"], "DTPOSTED", where)
        trntype = values.get("TRNTYPE", "").upper()
        memo = values.get("MEMO", "")
        fitid = values.get("FITID")
        if fitid is None:
            raise FileRefused(
                "the transaction has no FITID (OFX 2.1.1 ch. 11, STMTTRN: required); without it a "
                "re-send of the file cannot be recognised",
                where,
            )
        if not fitid:
            self.blank_fitids.append(where)
        if trntype in _FEE_TYPES:
            kind = "fee"
        elif amount > 0 and not stmt.credit_card and trntype not in _NOT_CUSTOMER_CASH:
            kind = "payment"
        else:
            kind = "other"
        if fitid:
            key = stable_key(stmt.acctid, fitid)
        else:
            key = stable_key(stmt.acctid, posted, amount, name, memo)
        checknum = values.get("CHECKNUM", "")
        refnum = values.get("REFNUM", "")
        references: tuple[str, ...] = ()
        if checknum.strip("0") or refnum.strip("0"):
            references = tuple(ref for ref in (checknum, refnum) if ref.strip("0"))
        self.keys.append(key)
        self.records.append(
            PaymentRecord(
                source=SOURCE,
                source_ref=fitid,
                dedupe_key=key,
                kind=kind,
                amount=amount,
                currency=currency,
                value_date=posted,
                payer_name=name,
                payer_account=counterparty,
                remittance=memo or name,
                references=references,
                related_ref=values.get("CORRECTFITID", ""),
                account=stmt.account,
                type_code=trntype,
                location=where,
                raw=self.body[trn.start : trn.end].strip(),
                statement=stmt.key,
            )
        )

    def check_mark(self, text: str, where: str) -> None:
        """One decimal mark per file: the first TRNAMT with a mark sets it (see module note)."""
        point, comma = text.rfind("."), text.rfind(",")
        if point == comma:  # neither: a whole amount has no mark
            return
        mark = "," if comma > point else "."
        if not self.mark:
            self.mark, self.mark_where = mark, where
        elif mark != self.mark:
            raise FileRefused(
                f"TRNAMT {text.strip()!r} uses {mark!r} as its decimal mark, but the file's "
                f"amounts use {self.mark!r} (first at {self.mark_where}); a file mixing decimal "
                "marks is damaged or hand-edited, and reading both could be a hundredfold error",
                where,
            )

    def balance(self, element: Element, kind: str, stmt: _Statement) -> None:
        where = self.where(element)
        try:
            amount = parse_ofx_amount(element.get("BALAMT"), stmt.currency)
            as_of = parse_ofx_date(element.get("DTASOF"))
        except (MoneyError, ValueError) as exc:
            self.issues.append(Issue("warning", f"{element.name} skipped: {exc}", where))
            return
        self.balances.append(
            AccountBalance(
                account=stmt.account,
                currency=stmt.currency,
                as_of=as_of,
                kind="closing" if kind == "closing" else "available",
                amount=amount,
                type_code=element.name,
                statement=stmt.key,
            )
        )


_RESPONSES: Final = frozenset({"STMTTRNRS", "CCSTMTTRNRS"})
_BARE_STATEMENTS: Final = frozenset({"STMTRS", "CCSTMTRS"})


def read_ofx(data: bytes, default_currency: str = "USD") -> ExtractResult:
    """Parse one OFX/QFX file; raises :class:`FileRefused` for anything unusable."""
    body, first_line = decode_ofx(data)
    body = unwrap_markup(body)
    root = parse_tree(body)
    reader = _Reader(default_currency, body, first_line)
    ofx = root.child("OFX")
    if ofx is None:  # pragma: no cover - decode_ofx found "<OFX>", so the tree has it
        raise FileRefused("not an OFX file: there is no <OFX> element")
    signon = ofx.child("SIGNONMSGSRSV1")
    sonrs = signon.child("SONRS") if signon else None
    status = sonrs.child("STATUS") if sonrs else None
    if status is not None and status.get("SEVERITY").upper() == "ERROR":
        raise FileRefused(
            f"the bank refused the sign-on (code {status.get('CODE')}): "
            f"{status.get('MESSAGE') or 'no message given'}",
            reader.where(status),
        )
    responses = list(ofx.find(_RESPONSES))
    bare = [] if responses else list(ofx.find(_BARE_STATEMENTS))
    investment = frozenset({"INVSTMTRS", "INVSTMTTRNRS"})
    if not responses and not bare and any(True for _ in ofx.find(investment)):
        raise FileRefused("investment statements (INVSTMTRS) are not supported")
    if not ofx.closed:
        raise FileRefused(
            "the file ends before </OFX>: it was cut short or damaged; ask the bank to "
            "send it again",
            f"line {first_line + body.count(chr(10))}",
        )
    if not responses and not bare:
        raise FileRefused("the file holds no bank or credit-card statement (STMTRS/CCSTMTRS)")
    for statement in bare:
        reader.statement(statement)
    for response in responses:
        reader.response(response)
    if reader.blank_fitids:
        count = len(reader.blank_fitids)
        reader.issues.append(
            Issue(
                "warning",
                f"leniency 'blank FITIDs in some OFX exports': {count} transaction(s) with an "
                "empty FITID are keyed on account, date, amount, name, memo and occurrence; "
                "a later re-send that fills in their FITIDs would not be recognised as the "
                "same transactions",
                reader.blank_fitids[0],
            )
        )
    keys = occurrence_keys(reader.keys)
    records = tuple(
        record if key == record.dedupe_key else replace(record, dedupe_key=key)
        for record, key in zip(reader.records, keys, strict=True)
    )
    return ExtractResult(
        records=records,
        issues=tuple(reader.issues),
        balances=tuple(reader.balances),
        record_count=len(records),
    )
