"""One business day's payments written as the files each bank sends, one writer a format.

BAI2 (wires and ACH credits with the day's charges), NACHA (CCD+ and CTX credits and our
own debits in the receipt file, returns in their own), camt.053 per currency (credits,
direct debits and their returns, an account fee) and camt.054 (a lockbox notification),
MT940 in its Dutch and German ``:86:`` layouts, OFX 2.x and 1.0.2, and the mapped CSV
export. Statements carry balances that tie out, and day 2 opens where day 1 closed, so the
daily report shows no gap. A file shape without payments that day is not written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from random import Random

from cashapp.bench.quality.catalogue import CSV_HEADER, OUR_ACCOUNT, OUR_ODFI, RETURNS_ODFI
from cashapp.bench.quality.labels import DAYS
from cashapp.bench.quality.records import Payment
from cashapp.bench.synthetic.bankfiles import (
    ACH_OPERATOR,
    OUR_ROUTING,
    ach_credit_detail,
    bai2_file,
    bank_charges,
    collection_batch,
    created_at,
    debit_entry,
    incoming_credit,
    ledger_closing,
    return_entry,
    wire_detail,
)
from cashapp.bench.synthetic.ledger import from_cents, previous_business_day
from connectors.bai2.writer import Bai2Account, Bai2Transaction
from connectors.camt.writer import (
    CamtEntry,
    CamtStatement,
    CamtTransaction,
    InvoiceRef,
    write_camt053,
    write_camt054,
)
from connectors.mt940.writer import Statement, StatementTransaction, write_mt940
from connectors.nacha.writer import AchBatch, ctx_820_addenda, write_nacha
from connectors.ofx.writer import OfxStatement, OfxTransaction, write_ofx


class DayWriter:
    """Writes each day's payments as the files each bank would send (balances chained)."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.balances: dict[str, Decimal] = {}

    def _opening(self, account: str) -> Decimal:
        """The account's balance before today: drawn once, then yesterday's closing, so
        statements tie out and day 2 starts where day 1 ended (no gap in the report)."""
        if account not in self.balances:
            self.balances[account] = from_cents(self.rng.randint(50_000_00, 900_000_00))
        return self.balances[account]

    def write_day(self, day: int, payments: Sequence[Payment], folder: Path) -> None:
        """Every file of the day; a file shape without payments that day is not written."""

        def pick(*fmts: str) -> list[Payment]:
            return [p for p in payments if p.fmt in fmts]

        when = DAYS[day]
        self._bai2(when, pick("bai2-wire", "bai2-ach"), folder / f"bai2-{when:%Y%m%d}.bai")
        self._nacha(
            when,
            pick("nacha-ccd", "nacha-ctx"),
            pick("nacha-debit"),
            folder / f"ach-receipts-{when:%Y%m%d}.ach",
        )
        self._nacha_returns(when, pick("nacha-return"), folder / f"ach-returns-{when:%Y%m%d}.ach")
        usd = pick("camt053", "camt053-dd", "camt053-return")
        self._camt053(
            when,
            [p for p in usd if p.currency == "USD"],
            "GB33BUKB20201555555555",
            "USD",
            folder / f"camt053-usd-{when:%Y%m%d}.xml",
        )
        self._camt053(
            when,
            [p for p in usd if p.currency == "EUR"],
            "DE89370400440532013000",
            "EUR",
            folder / f"camt053-eur-{when:%Y%m%d}.xml",
        )
        self._camt054(when, pick("camt054"), folder / f"camt054-{when:%Y%m%d}.xml")
        self._mt940(when, pick("mt940-dutch"), "dutch", folder / f"mt940-nl-{when:%Y%m%d}.sta")
        self._mt940(when, pick("mt940-german"), "german", folder / f"mt940-de-{when:%Y%m%d}.sta")
        self._ofx(when, pick("ofx-xml"), False, folder / f"ofx-{when:%Y%m%d}.ofx")
        self._ofx(when, pick("ofx-sgml"), True, folder / f"ofx-sgml-{when:%Y%m%d}.qfx")
        self._csv(when, pick("csv"), folder / f"firstcity-{when:%Y%m%d}.csv")

    def _bai2(self, when: date, payments: Sequence[Payment], path: Path) -> None:
        if not payments:
            return
        txs = []
        for p in payments:
            if p.fmt == "bai2-wire":
                org = p.payer
                if self.rng.randrange(3) == 0:
                    org = f"/{self.rng.randint(10**8, 10**11)} {org}"
                txs.append(Bai2Transaction("195", p.amount, p.ref, "", wire_detail(org, p.text)))
            else:
                text = ach_credit_detail(p.payer, p.originator, when, p.description, p.text)
                txs.append(Bai2Transaction("165", p.amount, p.ref, "", text))
        txs += bank_charges(f"SC{when:%y%m%d}01", f"OW{when:%y%m%d}01")
        opening = self._opening("bai2")
        closing = self.balances["bai2"] = ledger_closing(opening, txs)
        account = Bai2Account(OUR_ACCOUNT, "USD", tuple(txs), opening, closing)
        path.write_bytes(
            bai2_file(
                account,
                sender=OUR_ROUTING,
                file_id=f"{when:%m%d}1",
                created=created_at(when, 6),
                as_of=when,
            )
        )

    def _nacha(
        self, when: date, credits: Sequence[Payment], debits: Sequence[Payment], path: Path
    ) -> None:
        if not credits and not debits:
            return
        batches: list[AchBatch] = []
        for p in credits:
            if p.fmt == "nacha-ctx":
                addenda = ctx_820_addenda(p.payer, p.lines)
                sec, description = "CTX", "VENDOR PMT"
            else:
                addenda = (p.text,) if p.text else ()
                sec, description = "CCD", p.description
            # Explicit trace sequences keep every trace (our source_ref) unique across files.
            batches.append(
                incoming_credit(
                    p.payer[:16],
                    p.originator,
                    sec,
                    description,
                    when,
                    p.ref[:8],
                    (OUR_ROUTING, OUR_ACCOUNT, p.amount, p.individual_id),
                    addenda=addenda,
                    trace_sequence=int(p.ref[8:]),
                )
            )
        if debits:
            entries = [
                debit_entry(
                    p.routing, p.account, p.amount, p.individual_id, p.payer, int(p.ref[8:])
                )
                for p in debits
            ]
            batches.append(collection_batch(entries, when, OUR_ODFI))
        path.write_bytes(
            write_nacha(
                batches,
                immediate_destination=OUR_ROUTING,
                immediate_origin=ACH_OPERATOR,
                created=created_at(when, 5),
            )
        )

    def _nacha_returns(self, when: date, returns: Sequence[Payment], path: Path) -> None:
        if not returns:
            return
        entries = [
            return_entry(
                p.routing,
                p.account,
                p.amount,
                p.individual_id,
                p.payer,
                reason=p.reason,
                original_trace=p.related,
                sequence=int(p.ref[8:]),
            )
            for p in returns
        ]
        path.write_bytes(
            write_nacha(
                [collection_batch(entries, when, RETURNS_ODFI)],
                immediate_destination=OUR_ROUTING,
                immediate_origin=ACH_OPERATOR,
                created=created_at(when, 5),
                file_id_modifier="R",
            )
        )

    @staticmethod
    def _camt_entry(p: Payment, when: date, domestic: bool) -> CamtEntry:
        """One booking; a return repeats the original's end-to-end id, as banks do, which
        is how cashapp finds the direct debit it takes back."""
        invoices = tuple(
            InvoiceRef(line.reference, line.paid, line.invoice_total, line.discount)
            for line in p.lines
        )
        tx = CamtTransaction(
            p.amount,
            end_to_end_id=p.ref,
            debtor_name=p.payer,
            unstructured=(p.text,) if p.text else (),
            invoices=invoices,
            return_reason=p.reason,
        )
        servicer = f"AS{p.ref[3:]}{'R' if p.fmt == 'camt053-return' else ''}"
        if p.fmt == "camt053-dd":
            return CamtEntry((tx,), True, when, servicer_ref=servicer, type_code="PMNT/IDDT/PMDD")
        if p.fmt == "camt053-return":
            return CamtEntry(
                (tx,), False, when, reversal=True, servicer_ref=servicer, type_code="PMNT/IDDT/UPDD"
            )
        code = "PMNT/RCDT/DMCT" if domestic else "PMNT/RCDT/ESCT"
        return CamtEntry((tx,), True, when, servicer_ref=servicer, type_code=code)

    def _camt053(
        self, when: date, payments: Sequence[Payment], iban: str, currency: str, path: Path
    ) -> None:
        if not payments:
            return
        entries = [self._camt_entry(p, when, currency == "USD") for p in payments]
        entries.append(
            CamtEntry(
                (CamtTransaction(Decimal("35.00"), creditor_name="Barclays Bank PLC"),),
                False,
                when,
                servicer_ref=f"CHG{when:%y%m%d}{currency}",
                type_code="ACMT/MDOP/CHRG",
                additional_info="ACCOUNT MAINTENANCE FEE",
            )
        )
        opening = self._opening(iban)
        closing = opening + sum((e.amount if e.credit else -e.amount for e in entries), Decimal(0))
        self.balances[iban] = closing
        statement = CamtStatement(
            iban,
            currency,
            f"STMT{when:%Y%m%d}{currency}",
            created_at(when, 7),
            tuple(entries),
            opening,
            closing,
            when,
            "Our Company",
        )
        path.write_bytes(write_camt053(statement))

    def _camt054(self, when: date, payments: Sequence[Payment], path: Path) -> None:
        if not payments:
            return
        statement = CamtStatement(
            "GB94BARC10201530093459",
            "USD",
            f"NTFN{when:%Y%m%d}",
            created_at(when, 8),
            tuple(self._camt_entry(p, when, True) for p in payments),
            owner_name="Our Company Lockbox",
        )
        path.write_bytes(write_camt054(statement))

    def _mt940(self, when: date, payments: Sequence[Payment], layout: str, path: Path) -> None:
        if not payments:
            return
        accounts = (
            {"USD": "NL91ABNA0417164300"}
            if layout == "dutch"
            else {"EUR": "DE89370400440532013000", "USD": "DE02120300000000202051"}
        )
        statements = []
        for currency, account in accounts.items():
            mine = [p for p in payments if p.currency == currency]
            if not mine:
                continue
            txs = [
                StatementTransaction(when, p.amount, "C", "NTRF", "NONREF", p.ref, p.text, p.payer)
                for p in mine
            ]
            txs.append(
                StatementTransaction(
                    when,
                    Decimal("12.50"),
                    "D",
                    "NCHG",
                    "NONREF",
                    f"CHG{when:%y%m%d}",
                    "BANK CHARGES",
                )
            )
            opening = self._opening(account)
            statement = Statement(
                account,
                currency,
                when.timetuple().tm_yday,
                opening,
                previous_business_day(when),
                tuple(txs),
                reference=f"STMT{when:%y%m%d}",
            )
            self.balances[account] = statement.closing_balance
            statements.append(statement)
        path.write_bytes(write_mt940(statements, layout="dutch" if layout == "dutch" else "german"))

    def _ofx(self, when: date, payments: Sequence[Payment], sgml: bool, path: Path) -> None:
        if not payments:
            return
        account, bank = ("5503118842", "111000025") if sgml else ("7765001234", "121000358")
        txs = [OfxTransaction(p.ref, when, p.amount, "CREDIT", p.payer, p.text) for p in payments]
        txs.append(
            OfxTransaction(f"{when:%Y%m%d}SC", when, Decimal("-18.00"), "SRVCHG", "SERVICE CHARGE")
        )
        opening = self._opening(account)
        closing = opening + sum((t.amount for t in txs), Decimal(0))
        self.balances[account] = closing
        statement = OfxStatement(account, "USD", tuple(txs), bank, ledger_balance=closing)
        path.write_bytes(write_ofx([statement], sgml=sgml))

    def _csv(self, when: date, payments: Sequence[Payment], path: Path) -> None:
        if not payments:
            return
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for p in payments:
            writer.writerow(
                [f"{when:%m/%d/%Y}", p.ref, p.payer, p.text, f"{p.amount:.2f}", "", p.currency]
            )
        writer.writerow(
            [
                f"{when:%m/%d/%Y}",
                f"FCB{when:%y%m%d}FEE",
                "FIRST CITY BANK",
                "MONTHLY SERVICE FEE",
                "",
                "25.00",
                "USD",
            ]
        )
        path.write_bytes(out.getvalue().encode("utf-8"))
