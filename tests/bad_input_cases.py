"""The bad-input cases: a name, how the damaged bytes are made, the verb, the outcome.

A case's ``reason`` is a regular expression (case-insensitive) the refusal message must
match: it names what is wrong in words a person can act on, written from issue 10's rules
rather than from any one message's wording. ``located=False`` marks damage with no place
in the file to point at (an empty file, bytes that are no format at all, a broken gzip
wrapper): there the message must still name the file and the reason.

Every damage helper checks the text it changes is really there, so a change to a writer
fails the case loudly instead of quietly testing an undamaged file.
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from tests import bad_inputs as b

Expect = Literal["refused", "leniency"]
CEILING_CONFIG = '[ingest]\nmax_payment_amount = "1000000.00"\n'
EXPANSION_CONFIG = "[ingest]\nmax_expanded_bytes = 1000000\nmax_expansion_ratio = 100\n"
AMOUNT = r"amount|number|numeric|decimal"
CURRENCY = r"currency|ISO 4217|XYZ"
DATE = r"date|day|month"
PRECISION = r"decimal|precision|places|minor unit|digits"
TRUNCATED = r"trailer|truncat|incomplete|missing|closing|end|unexpected|unclosed|no element"
COLUMNS = r"column|field|cells"
TOO_LARGE = r"too large|exceed|ceiling|limit|range|overflow|DECIMAL\(18, ?4\)|maximum"
CEILING = r"ceiling|max_payment_amount|exceeds|limit|maximum"


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    filename: str
    build: Callable[[], bytes]
    reason: str  # regex the refusal (or the warning) must match
    expect: Expect = "refused"
    verb: tuple[str, ...] = ("ingest",)
    flags: tuple[str, ...] = ()
    config: str = ""
    located: bool = True


# --- damage --------------------------------------------------------------------------


def replace(data: bytes, old: str | bytes, new: str | bytes, count: int = 1) -> bytes:
    """``data`` with the first ``count`` (-1: every) ``old`` replaced; ``old`` must occur."""
    o = old.encode("utf-8") if isinstance(old, str) else old
    n = new.encode("utf-8") if isinstance(new, str) else new
    if o not in data:
        raise AssertionError(f"damage target {o!r} not in the base file")
    return data.replace(o, n, count)


def cut_before(data: bytes, marker: str | bytes, occurrence: int = 1) -> bytes:
    """``data`` up to (not including) the ``occurrence``-th ``marker``: a file cut short."""
    m = marker.encode("utf-8") if isinstance(marker, str) else marker
    at = -1
    for _ in range(occurrence):
        at = data.index(m, at + 1)
    return data[:at]


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def drop_lines(data: bytes, starts: str) -> bytes:
    """Every line beginning with ``starts`` removed (at least one must)."""
    lines = data.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(starts.encode())]
    if len(kept) == len(lines):
        raise AssertionError(f"no line starts with {starts!r}")
    return b"".join(kept)


def map_lines(data: bytes, starts: str, change: Callable[[bytes], bytes], limit: int = 1) -> bytes:
    """The first ``limit`` lines starting with ``starts`` (line end kept) passed through ``change``."""
    out, done = [], 0
    for line in data.splitlines(keepends=True):
        if done < limit and line.startswith(starts.encode()):
            body = line.rstrip(b"\r\n")
            line = change(body) + line[len(body) :]
            done += 1
        out.append(line)
    if not done:
        raise AssertionError(f"no line starts with {starts!r}")
    return b"".join(out)


def nacha_record(data: bytes, index: int, change: Callable[[bytes], bytes]) -> bytes:
    """A NACHA file without line breaks, its ``index``-th 94-character record changed."""
    at = index * 94
    return data[:at] + change(data[at : at + 94]) + data[at + 94 :]


def garbage(size: int = 4096, seed: int = 10) -> bytes:
    return random.Random(seed).randbytes(size)


def not_gzip() -> bytes:
    """The gzip magic number in front of bytes that are no deflate stream."""
    return b"\x1f\x8b\x08\x00" + garbage(512)


def gzip_cut(data: bytes) -> bytes:
    packed = gzip.compress(data, mtime=0)
    return packed[: len(packed) - 12]  # the CRC and size trailer (and some data) lost


def bai2_with(amount: str) -> Callable[[], bytes]:
    """A BAI2 file, all totals consistent, carrying one wire of ``amount``."""

    def build() -> bytes:
        account = Bai2Account(
            "987654321",
            "USD",
            (
                Bai2Transaction(
                    "195", Decimal(amount), "FW9901", "", "ORG=ACME CORP OBI=INV-100123"
                ),
            ),
        )
        return write_bai2(
            [account],
            sender="021000021",
            receiver="OURCO",
            file_id="31",
            created=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
            as_of=b.DAY,
        )

    return build


def _gzip_bomb() -> bytes:
    """A BAI2 file followed by 20 MB of blanks, gzipped to ~20 kB (a 1,000x expansion)."""
    return gzip.compress(b.base_bai2() + b" " * 20_000_000, compresslevel=9, mtime=0)


def bai2_huge() -> bytes:
    """A wire of 123,456,789,012,345,678.00 USD, every total consistent: beyond DECIMAL(18,4).

    Our writer refuses such an amount, so it is put in the text of a written file.
    """
    big = 12345678901234567800  # minor units
    data = bai2_with("4821.50")()
    data = replace(data, ",482150,", f",{big},", -1)
    return replace(data, ",964300,", f",{2 * big},", -1)


def xlsx_with_entity(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> bytes:
    """A workbook whose sheet XML declares entities (the billion-laughs family) and uses one.

    The first data row's first cell becomes ``&id;``, an entity expanding to its own text.
    """
    source = zipfile.ZipFile(io.BytesIO(b.xlsx_bytes(header, rows)))
    out = io.BytesIO()
    first = f"<t>{rows[0][0]}</t>".encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = (
                    f'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">'
                    f'<!ENTITY id "{rows[0][0]}">]>'
                ).encode()
                if content.startswith(b"<?xml"):
                    end = content.index(b"?>") + 2
                    content = content[:end] + doctype + content[end:]
                else:
                    content = doctype + content
                if first not in content:
                    raise AssertionError(f"{first!r} not in the sheet")
                content = content.replace(first, b"<t>&id;</t>", 1)
            target.writestr(item, content)
    return out.getvalue()


def _rows(change: Callable[[list[list[str]]], None], base: list[list[str]]) -> list[list[str]]:
    rows = [list(r) for r in base]
    change(rows)
    return rows


def invoices_csv(
    change: Callable[[list[list[str]]], None], header: tuple[str, ...] = INVOICE_FIELDS
) -> Callable[[], bytes]:
    return lambda: b.csv_bytes(header, _rows(change, b.INVOICE_ROWS))


def invoices_xlsx(change: Callable[[list[list[str]]], None]) -> Callable[[], bytes]:
    return lambda: b.xlsx_bytes(INVOICE_FIELDS, _rows(change, b.INVOICE_ROWS))


def customers_csv(
    change: Callable[[list[list[str]]], None], header: tuple[str, ...] = CUSTOMER_FIELDS
) -> Callable[[], bytes]:
    return lambda: b.csv_bytes(header, _rows(change, b.CUSTOMER_ROWS))


def cell(
    row: int, column: str, value: str, fields: tuple[str, ...] = INVOICE_FIELDS
) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row][fields.index(column)] = value

    return change


def cells(*changes: Callable[[list[list[str]]], None]) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        for c in changes:
            c(rows)

    return change


def shorten(row: int, by: int = 1) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        del rows[row][-by:]

    return change


def lengthen(row: int) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row].append("EXTRA")

    return change


def _dup(fields: tuple[str, ...], column: str, instead: str) -> tuple[str, ...]:
    """A header naming ``column`` twice (in place of ``instead``)."""
    return tuple(column if f == instead else f for f in fields)


INV = INVOICE_FIELDS
C = CUSTOMER_FIELDS


def _plaid(amount: str = "-976.61", **changes: object) -> Callable[[], bytes]:
    """A landing file whose second transaction has ``amount`` (Plaid's sign) and ``changes``."""

    def build() -> bytes:
        return b.plaid_landing(
            [
                b.plaid_transaction("plaid-t1", "-1250.00", "ACH DEPOSIT ACME CORP"),
                b.plaid_transaction("plaid-t2", amount, "WIRE IN GLOBEX", **changes),
            ]
        )

    return build


def _ccd_80() -> bytes:
    """The first entry detail record cut to 80 characters: its trace number is gone."""
    return map_lines(b.base_nacha(), "6", lambda line: line[:80])


def _nacha_padded() -> bytes:
    """Every record padded to 96 characters with blanks (no field lost): a known bank habit."""
    return b"".join(
        line.rstrip(b"\r\n") + b"  \n" for line in b.base_nacha().splitlines(keepends=True)
    )


def _mapped_duplicate_amount() -> bytes:
    """A second ``Amount`` column appended to the header and to every row."""
    lines = b.base_mapped_csv().decode("utf-8").splitlines()
    out = [lines[0] + ",Amount"] + [line + ",0.00" if line.strip() else line for line in lines[1:]]
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def _camt_doctype() -> bytes:
    data = b.base_camt053()
    data = replace(
        data,
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Document [<!ENTITY inv "RE-2026-0117">]>\n',
    )
    return replace(data, "<Nb>RE-2026-0117</Nb>", "<Nb>&inv;</Nb>")


def _ofx_xml_doctype() -> bytes:
    data = b.base_ofx_xml()
    data = replace(data, "<OFX>", '<!DOCTYPE OFX [<!ENTITY memo "INV-100123">]>\n<OFX>')
    return replace(data, "<MEMO>INV-100123", "<MEMO>&memo;")


def _camt_latin1() -> bytes:
    """Declared UTF-8, written in Latin-1 by a tool that ignored the declaration."""
    text = b.base_camt053().decode("utf-8")
    return text.encode("latin-1")


def _mapped_latin1() -> bytes:
    return (
        b.base_mapped_csv()
        .decode("utf-8-sig")
        .replace("CHECK DEPOSIT", "DÉPÔT CHÈQUE")
        .encode("latin-1")
    )


def _mt940_enveloped_cut() -> bytes:
    """A SWIFT-enveloped MT940 cut before its closing balance and its ``-}``."""
    body = b.base_mt940()
    enveloped = (
        b"{1:F01ABNANL2AXXXX0000000000}{2:O9401200261124ABNANL2AXXXX00000000002611241200N}{4:\r\n"
        + body.rstrip(b"-\r\n")
        + b"\r\n-}\r\n"
    )
    return cut_before(enveloped, ":62F:")


_PROCESSOR_PROFILE = (b.FIXTURES / "csv/processor_inflow_negative/profile.toml").read_text("utf-8")


def _processor_csv() -> bytes:
    return b.fixture("csv/processor_inflow_negative/bank_export.csv")


MAPPED = b.MAPPED_PROFILE


CASES: tuple[Case, ...] = (
    # --- BAI2 ------------------------------------------------------------------------------
    Case("bai2-truncated", "cut.bai2", lambda: cut_before(b.base_bai2(), "49,"), TRUNCATED),
    Case("bai2-no-file-trailer", "no99.bai2", lambda: drop_lines(b.base_bai2(), "99,"), TRUNCATED),
    Case(
        "bai2-detail-amount-changed",
        "detail.bai2",
        lambda: replace(b.base_bai2(), "16,165,125000,", "16,165,125001,"),
        r"total|trailer|49",
    ),
    Case(
        "bai2-non-numeric-amount",
        "alpha.bai2",
        lambda: replace(b.base_bai2(), "16,195,482150,", "16,195,48215O,"),
        AMOUNT,
    ),
    Case(
        "bai2-unknown-currency",
        "xyz.bai2",
        lambda: replace(b.base_bai2(), "03,987654321,USD,", "03,987654321,XYZ,"),
        CURRENCY,
    ),
    Case(
        "bai2-impossible-date",
        "feb30.bai2",
        lambda: replace(
            b.base_bai2(), "02,OURCO,021000021,1,261124,", "02,OURCO,021000021,1,260230,"
        ),
        DATE,
    ),
    Case(
        "bai2-negative-amount",
        "negative.bai2",
        lambda: replace(b.base_bai2(), "16,165,125000,", "16,165,-125000,"),
        r"amount|negative|sign|total",
    ),
    Case("bai2-beyond-decimal-18-4", "huge.bai2", bai2_huge, TOO_LARGE),
    Case(
        "bai2-over-configured-ceiling",
        "ceiling.bai2",
        bai2_with("2500000.00"),
        CEILING,
        config=CEILING_CONFIG,
    ),
    Case("bai2-gzip-not-gzip", "day.bai2.gz", not_gzip, r"gzip", located=False),
    Case(
        "bai2-gzip-cut",
        "day2.bai2.gz",
        lambda: gzip_cut(b.base_bai2()),
        r"gzip|truncat|end",
        located=False,
    ),
    Case(
        "bai2-empty", "empty.bai2", lambda: b"", r"empty", flags=("--format", "bai2"), located=False
    ),
    Case(
        "bai2-account-trailer-disagrees-with-group-trailer",
        "total49.bai2",
        lambda: replace(b.base_bai2(), "49,1221300,", "49,1221301,"),
        r"98|group|total|trailer",
        expect="leniency",
    ),
    Case(
        "bai2-group-trailer-disagrees",
        "group98.bai2",
        lambda: replace(b.base_bai2(), "98,1221300,1,7/", "98,1221399,1,7/"),
        r"98|group|total|trailer",
        expect="leniency",
    ),
    # --- NACHA -----------------------------------------------------------------------------
    Case("nacha-line-cut-to-80-chars", "cut80.ach", _ccd_80, r"trace|94|length|short|characters"),
    Case(
        "nacha-padded-lines",
        "padded.ach",
        _nacha_padded,
        r"pad|94|length|characters",
        expect="leniency",
    ),
    Case(
        "nacha-no-batch-control",
        "nobatch.ach",
        lambda: cut_before(b.base_nacha(), "\n8") + b"\n",
        TRUNCATED + r"|batch control|\b8\b",
    ),
    Case(
        "nacha-no-file-control",
        "nofile.ach",
        lambda: drop_lines(b.base_nacha(), "9"),
        TRUNCATED + r"|file control",
    ),
    Case(
        "nacha-batch-total-wrong",
        "batchtotal.ach",
        lambda: map_lines(
            b.base_nacha(), "8", lambda r: r.replace(b"000000163520", b"000000163521")
        ),
        r"total|credit",
    ),
    Case(
        "nacha-entry-hash-wrong",
        "hash.ach",
        lambda: map_lines(b.base_nacha(), "8", lambda r: r[:10] + b"0042000041" + r[20:]),
        r"hash",
    ),
    Case(
        "nacha-non-numeric-amount",
        "alpha.ach",
        lambda: replace(b.base_nacha(), "0000125000CUST", "00001250O0CUST"),
        AMOUNT,
    ),
    Case(
        "nacha-blank-trace-number",
        "notrace.ach",
        lambda: map_lines(b.base_nacha(), "6", lambda r: r[:79] + b" " * 15),
        r"trace",
    ),
    Case(
        "nacha-impossible-effective-date",
        "date.ach",
        lambda: map_lines(b.base_nacha(), "5", lambda r: r[:69] + b"261331" + r[75:]),
        DATE,
    ),
    Case(
        "nacha-utf16",
        "utf16.ach",
        lambda: b.base_nacha().decode("ascii").encode("utf-16"),
        r"encoding|ascii|character|record|format|not",
        flags=("--format", "nacha"),
        located=False,
    ),
    Case(
        "ctx-820-addenda-blanked",
        "ctxcut.ach",
        lambda: map_lines(b.base_nacha_ctx(), "705~RMR", lambda r: b"705" + b" " * 83 + r[86:]),
        r"X12|820|remittance|segment",
        expect="leniency",
    ),
    Case(
        "ctx-820-decimal-comma",
        "ctxcomma.ach",
        lambda: replace(b.base_nacha_ctx(), "**1310.55~", "**1310,55~"),
        AMOUNT + r"|1310,55",
    ),
    Case(
        "nacha-returns-no-file-control",
        "ret-cut.ach",
        lambda: b.base_nacha_returns()[: 13 * 94],
        TRUNCATED + r"|file control",
    ),
    Case(
        "nacha-return-without-original-trace",
        "ret-notrace.ach",
        lambda: nacha_record(b.base_nacha_returns(), 3, lambda r: r[:6] + b" " * 15 + r[21:]),
        r"trace|original",
    ),
    # --- camt.053 / .054 / .052 -------------------------------------------------------------
    Case(
        "camt053-cut-in-half",
        "half.xml",
        lambda: half(b.base_camt053()),
        TRUNCATED + r"|XML|well-formed",
    ),
    Case(
        "camt053-no-closing-tag",
        "open.xml",
        lambda: replace(b.base_camt053(), "</Stmt></BkToCstmrStmt></Document>\n", ""),
        TRUNCATED + r"|XML|well-formed",
    ),
    Case(
        "camt053-unknown-currency",
        "xyz.xml",
        lambda: replace(
            replace(b.base_camt053(), 'Ccy="EUR"', 'Ccy="XYZ"', -1), "<Ccy>EUR<", "<Ccy>XYZ<"
        ),
        CURRENCY,
    ),
    Case(
        "camt053-no-end-to-end-id-nor-servicer-ref",
        "noids.xml",
        lambda: replace(
            replace(b.base_camt053(), "<AcctSvcrRef>ACSR-7701</AcctSvcrRef>", ""),
            "<Refs><EndToEndId>E2E-7701</EndToEndId></Refs>",
            "",
        ),
        # Both are optional in the schema and real files omit both (peer file
        # via_053_valid_example_with_datetime, genkgo camt053.v2.minimal / camt054.v8):
        r"EndToEndId|AcctSvcrRef",
        expect="leniency",
    ),
    Case(
        "camt053-decimal-comma",
        "comma.xml",
        lambda: replace(b.base_camt053(), ">1234.56<", ">1234,56<", -1),
        AMOUNT + r"|1234,56",
    ),
    Case(
        "camt053-excess-decimals",
        "places.xml",
        lambda: replace(b.base_camt053(), ">89.90<", ">89.905<", -1),
        PRECISION,
    ),
    Case(
        "camt053-impossible-date",
        "date.xml",
        lambda: replace(
            b.base_camt053(), "<BookgDt><Dt>2026-11-24</Dt>", "<BookgDt><Dt>2026-02-30</Dt>"
        ),
        DATE,
    ),
    Case(
        "camt053-negative-amount",
        "neg.xml",
        lambda: replace(b.base_camt053(), ">1234.56<", ">-1234.56<", -1),
        r"amount|negative|sign",
    ),
    Case("camt053-doctype-entity", "entity.xml", _camt_doctype, r"DOCTYPE|entit"),
    Case(
        "camt053-latin1-declared-utf8",
        "latin1.xml",
        _camt_latin1,
        r"encoding|UTF-?8|invalid|not well-formed|token",
    ),
    Case(
        "camt053-binary-garbage",
        "noise.xml",
        lambda: garbage(),
        r"XML|not|format|well-formed",
        flags=("--format", "camt053"),
        located=False,
    ),
    Case(
        "camt053-tie-out-break",
        "break.xml",
        lambda: replace(b.base_camt053(), ">11144.66<", ">11144.76<"),
        r"break|tie|closing|balance",
        expect="leniency",
    ),
    Case(
        "camt053-balance-without-cdtdbtind",
        "nosign.xml",
        lambda: replace(
            b.base_camt053(), "</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt>", "</Amt><Dt>", -1
        ),
        r"CdtDbtInd|credit/debit|sign",
        expect="leniency",
    ),
    Case(
        "camt054-cut-in-half",
        "n-half.xml",
        lambda: half(b.base_camt054()),
        TRUNCATED + r"|XML|well-formed",
    ),
    Case(
        "camt054-unknown-currency",
        "n-xyz.xml",
        lambda: replace(
            replace(b.base_camt054(), 'Ccy="EUR"', 'Ccy="XYZ"', -1), "<Ccy>EUR<", "<Ccy>XYZ<"
        ),
        CURRENCY,
    ),
    Case(
        "camt054-no-end-to-end-id-nor-servicer-ref",
        "n-noids.xml",
        lambda: replace(
            replace(b.base_camt054(), "<AcctSvcrRef>ACSR-7701</AcctSvcrRef>", ""),
            "<Refs><EndToEndId>E2E-7701</EndToEndId></Refs>",
            "",
        ),
        # Both are optional in the schema and real files omit both (peer file
        # via_053_valid_example_with_datetime, genkgo camt053.v2.minimal / camt054.v8):
        r"EndToEndId|AcctSvcrRef",
        expect="leniency",
    ),
    Case(
        "camt054-non-numeric-amount",
        "n-alpha.xml",
        lambda: replace(b.base_camt054(), ">1234.56<", ">1O34.56<", -1),
        AMOUNT,
    ),
    Case(
        "camt052-no-closing-tag",
        "r-open.xml",
        lambda: replace(b.base_camt052(), "</Document>", ""),
        TRUNCATED + r"|XML|well-formed",
    ),
    Case(
        "camt052-decimal-comma",
        "r-comma.xml",
        lambda: replace(b.base_camt052(), ">3120.00<", ">3120,00<", -1),
        AMOUNT + r"|3120,00",
    ),
    # --- MT940 -----------------------------------------------------------------------------
    Case(
        "mt940-truncated",
        "cut.sta",
        lambda: cut_before(b.base_mt940(), ":62F:"),
        TRUNCATED + r"|62F",
    ),
    Case(
        "mt940-enveloped-without-closing-brace",
        "cut.940",
        _mt940_enveloped_cut,
        TRUNCATED + r"|62F|-\}",
    ),
    Case(
        "mt940-non-numeric-amount",
        "alpha.sta",
        lambda: replace(b.base_mt940(), "C2100,00NTRF", "C21X0,00NTRF"),
        AMOUNT + r"|21X0",
    ),
    Case(
        "mt940-impossible-date",
        "date.sta",
        lambda: replace(b.base_mt940(), ":61:261124C2100", ":61:261324C2100"),
        DATE,
    ),
    Case(
        "mt940-30-february",
        "feb30.sta",
        lambda: replace(b.base_mt940(), ":61:261124C2100", ":61:260230C2100"),
        r"30 February|calendar|read as",
        expect="leniency",
    ),
    Case(
        "mt940-unknown-currency",
        "xyz.sta",
        lambda: replace(b.base_mt940(), "EUR", "XYZ", -1),
        CURRENCY,
    ),
    Case(
        "mt940-decimal-point",
        "point.sta",
        lambda: replace(b.base_mt940(), "C815,50NTRF", "C815.50NTRF"),
        AMOUNT + r"|815\.50",
    ),
    Case(
        "mt940-balance-wrong",
        "bal.sta",
        lambda: replace(b.base_mt940(), ":62F:C261124EUR7903,50", ":62F:C261124EUR7903,60"),
        r"break|tie|closing|balance",
        expect="leniency",
    ),
    # --- OFX / QFX -------------------------------------------------------------------------
    Case(
        "ofx-sgml-cut-in-a-fitid",
        "cut.qfx",
        lambda: cut_before(b.base_ofx_sgml(), "0002\n") + b"<CH",
        TRUNCATED + r"|FITID|STMTTRN|OFX",
    ),
    Case(
        "ofx-xml-cut-in-half", "half.ofx", lambda: half(b.base_ofx_xml()), TRUNCATED + r"|XML|OFX"
    ),
    Case(
        "ofx-xml-cut-after-a-whole-transaction",
        "cut-after.ofx",
        lambda: cut_before(b.base_ofx_xml(), "<STMTTRN>", 2),
        TRUNCATED + r"|XML|OFX",
    ),
    Case(
        "ofx-missing-fitid",
        "nofitid.qfx",
        lambda: replace(b.base_ofx_sgml(), "<FITID>202611240002\n", ""),
        r"FITID",
    ),
    Case(
        "ofx-blank-fitid",
        "blankfitid.qfx",
        lambda: replace(b.base_ofx_sgml(), "<FITID>202611240002\n", "<FITID>\n"),
        r"FITID",
        expect="leniency",
    ),
    Case(
        "ofx-missing-amount",
        "noamt.qfx",
        lambda: replace(b.base_ofx_sgml(), "<TRNAMT>976.61\n", ""),
        r"TRNAMT|amount",
    ),
    Case(
        "ofx-decimal-comma",
        "comma.qfx",
        lambda: replace(b.base_ofx_sgml(), "<TRNAMT>976.61", "<TRNAMT>976,61"),
        AMOUNT + r"|976,61",
    ),
    Case(
        "ofx-non-numeric-amount",
        "alpha.qfx",
        lambda: replace(b.base_ofx_sgml(), "<TRNAMT>1250.00", "<TRNAMT>1O0.00"),
        AMOUNT + r"|1O0",
    ),
    Case(
        "ofx-excess-decimals",
        "places.qfx",
        lambda: replace(b.base_ofx_sgml(), "<TRNAMT>1250.00", "<TRNAMT>1250.005"),
        PRECISION,
    ),
    Case(
        "ofx-unknown-currency",
        "xyz.qfx",
        lambda: replace(b.base_ofx_sgml(), "<CURDEF>USD", "<CURDEF>XYZ"),
        CURRENCY,
    ),
    Case(
        "ofx-impossible-date",
        "date.qfx",
        lambda: replace(b.base_ofx_sgml(), "<DTPOSTED>20261124", "<DTPOSTED>20260230"),
        DATE,
    ),
    Case("ofx-xml-doctype-entity", "entity.ofx", _ofx_xml_doctype, r"DOCTYPE|entit"),
    # --- mapped CSV (a [sources.csv.<bank>] profile) ----------------------------------------
    Case(
        "csv-decimal-comma",
        "comma.csv",
        lambda: replace(b.base_mapped_csv(), ",1250.00,", ',"1250,61",'),
        AMOUNT + r"|1250,61",
        config=MAPPED,
    ),
    Case(
        "csv-non-numeric-amount",
        "alpha.csv",
        lambda: replace(b.base_mapped_csv(), ",-15.00,", ",1O0.00,"),
        AMOUNT + r"|1O0",
        config=MAPPED,
    ),
    Case(
        "csv-excess-decimals",
        "places.csv",
        lambda: replace(b.base_mapped_csv(), ",75.00,", ",10.005,"),
        PRECISION,
        config=MAPPED,
    ),
    Case(
        "csv-impossible-date",
        "date.csv",
        lambda: replace(b.base_mapped_csv(), "03/02/2024,", "13/13/2024,"),
        DATE + r"|13/13",
        config=MAPPED,
    ),
    Case(
        "csv-row-missing-columns",
        "short.csv",
        lambda: replace(b.base_mapped_csv(), "75.00,,lockbox 553 INV 9912", "75.00"),
        COLUMNS,
        config=MAPPED,
    ),
    Case(
        "csv-row-extra-columns",
        "long.csv",
        lambda: replace(b.base_mapped_csv(), "-4200.00,PR-0305,", "-4200.00,PR-0305,,EXTRA"),
        COLUMNS,
        config=MAPPED,
    ),
    Case(
        "csv-duplicate-header",
        "duphdr.csv",
        _mapped_duplicate_amount,
        r"duplicate|twice|header|column",
        config=MAPPED,
    ),
    Case(
        "csv-undeclared-latin1",
        "latin1.csv",
        _mapped_latin1,
        r"encoding|UTF-?8|decode|byte",
        config=MAPPED,
    ),
    Case(
        "csv-beyond-decimal-18-4",
        "huge.csv",
        lambda: replace(b.base_mapped_csv(), ",1250.00,", ",123456789012345678.00,"),
        TOO_LARGE,
        config=MAPPED,
    ),
    Case(
        "csv-over-configured-ceiling",
        "ceiling.csv",
        lambda: replace(b.base_mapped_csv(), ",1250.00,", ",2500000.00,"),
        CEILING,
        config=MAPPED + CEILING_CONFIG,
    ),
    Case(
        "csv-unknown-currency-column",
        "xyz.tsv",
        lambda: replace(_processor_csv(), "GBP\ttx_0001", "XYZ\ttx_0001"),
        CURRENCY,
        config=_PROCESSOR_PROFILE,
    ),
    # --- Stripe report and API landing ------------------------------------------------------
    Case(
        "stripe-report-last-row-lost-columns",
        "lost.csv",
        lambda: cut_before(b.base_stripe_report(), ",,,,,,po_1QZz99") + b"\n",
        COLUMNS,
    ),
    Case(
        "stripe-report-decimal-comma",
        "comma.csv",
        lambda: replace(b.base_stripe_report(), ",1016.14,", ',"1016,14",'),
        AMOUNT + r"|1016,14",
    ),
    Case(
        "stripe-report-unknown-currency",
        "xyz.csv",
        lambda: replace(b.base_stripe_report(), ",usd,", ",xyz,", -1),
        CURRENCY + r"|xyz",
    ),
    Case(
        "stripe-report-excess-decimals",
        "places.csv",
        lambda: replace(b.base_stripe_report(), ",480.00,14.22,465.78,", ",480.005,14.22,465.785,"),
        PRECISION,
    ),
    Case(
        "stripe-report-missing-transaction-id",
        "noid.csv",
        lambda: replace(b.base_stripe_report(), "\ntxn_1QZz02,", "\n,"),
        r"balance_transaction_id|id\b|empty|identity",
    ),
    Case(
        "stripe-report-impossible-date",
        "date.csv",
        lambda: replace(b.base_stripe_report(), ",2026-11-24 14:02:11,", ",2026-02-30 14:02:11,"),
        DATE,
    ),
    Case(
        "stripe-api-truncated-json",
        "stripe-balance-1-2-3.json",
        lambda: half(b.base_stripe_api()),
        r"JSON|truncat|end",
    ),
    Case(
        "stripe-api-unknown-currency",
        "stripe-balance-4-5-6.json",
        lambda: replace(b.base_stripe_api(), '"currency": "usd"', '"currency": "xyz"', -1),
        CURRENCY + r"|xyz",
    ),
    Case(
        "stripe-api-amount-as-text",
        "stripe-balance-7-8-9.json",
        lambda: replace(b.base_stripe_api(), '"amount": 101614,', '"amount": "1016,14",'),
        AMOUNT,
    ),
    Case(
        "stripe-api-missing-id",
        "stripe-balance-10-11-12.json",
        lambda: replace(b.base_stripe_api(), '"id": "txn_1QZz02",', ""),
        r"\bid\b|_id\b|identity|missing|empty",
    ),
    # --- Plastiq CSV and JSON ---------------------------------------------------------------
    Case(
        "plastiq-decimal-comma",
        "pq-comma.csv",
        lambda: replace(b.base_plastiq_csv(), ",2400.00,", ',"2400,00",'),
        AMOUNT + r"|2400,00",
    ),
    Case(
        "plastiq-row-missing-columns",
        "pq-short.csv",
        lambda: replace(b.base_plastiq_csv(), ",,DEPOSITED,PO-771,11/26/2026", ",,DEPOSITED"),
        COLUMNS,
    ),
    Case(
        "plastiq-impossible-date",
        "pq-date.csv",
        lambda: replace(b.base_plastiq_csv(), "PQ-99123401,11/24/2026,", "PQ-99123401,13/13/2026,"),
        DATE + r"|13/13",
    ),
    Case(
        "plastiq-unknown-currency",
        "pq-xyz.csv",
        lambda: replace(b.base_plastiq_csv(), ",USD,", ",XYZ,", -1),
        CURRENCY,
    ),
    Case(
        "plastiq-negative-payment",
        "pq-neg.csv",
        lambda: replace(b.base_plastiq_csv(), ",815.50,", ",-815.50,"),
        r"amount|negative|payment received",
    ),
    Case(
        "plastiq-json-truncated",
        "pq-half.json",
        lambda: half(b.base_plastiq_json()),
        r"JSON|truncat|end",
    ),
    Case(
        "plastiq-json-decimal-comma",
        "pq-comma.json",
        lambda: replace(b.base_plastiq_json(), '"value": 2400.00', '"value": "2400,00"'),
        AMOUNT,
    ),
    Case(
        "plastiq-json-excess-decimals",
        "pq-places.json",
        lambda: replace(b.base_plastiq_json(), '"value": 815.50', '"value": 815.505'),
        PRECISION,
    ),
    # --- Plaid landing ------------------------------------------------------------------------
    Case(
        "plaid-missing-transaction-id",
        "plaid-1.json",
        _plaid(transaction_id=""),
        r"transaction_id|identity|\bid\b",
    ),
    Case("plaid-unknown-currency", "plaid-2.json", _plaid(iso_currency_code="XYZ"), CURRENCY),
    Case("plaid-impossible-date", "plaid-3.json", _plaid(date="2026-02-30"), DATE),
    Case("plaid-excess-decimals", "plaid-4.json", _plaid(amount="-976.615"), PRECISION),
    Case(
        "plaid-decimal-comma-text", "plaid-5.json", _plaid(amount='"-976,61"'), AMOUNT + r"|976,61"
    ),
    Case("plaid-truncated-json", "plaid-6.json", lambda: half(b.base_plaid()), r"JSON|truncat|end"),
    Case(
        "plaid-removed-transaction",
        "plaid-7.json",
        lambda: b.plaid_landing(
            [b.plaid_transaction("plaid-t8", "-50.00", "DEPOSIT")],
            removed=[{"transaction_id": "plaid-t0"}],
        ),
        r"removed",
        expect="leniency",
    ),
    # --- invoice import (CSV, XLSX) ---------------------------------------------------------
    Case(
        "invoices-decimal-comma",
        "inv-comma.csv",
        invoices_csv(cells(cell(0, "amount", "976,61"), cell(0, "open_amount", "976,61"))),
        AMOUNT + r"|976,61",
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-unknown-currency",
        "inv-xyz.csv",
        invoices_csv(cell(1, "currency", "XYZ")),
        CURRENCY,
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-impossible-date",
        "inv-date.csv",
        invoices_csv(cell(1, "invoice_date", "2026-02-30")),
        DATE,
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-undeclared-date-format",
        "inv-us-date.csv",
        invoices_csv(cell(0, "invoice_date", "11/01/2026")),
        DATE + r"|format",
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-row-missing-columns",
        "inv-short.csv",
        invoices_csv(shorten(1)),
        COLUMNS,
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-row-extra-columns",
        "inv-long.csv",
        invoices_csv(lengthen(2)),
        COLUMNS,
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-duplicate-header",
        "inv-dup.csv",
        invoices_csv(lambda _: None, header=_dup(INV, "amount", "open_amount")),
        r"duplicate|twice|header",
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-excess-decimals",
        "inv-places.csv",
        invoices_csv(cell(1, "amount", "1250.005")),
        PRECISION,
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-negative-amount",
        "inv-neg.csv",
        invoices_csv(cells(cell(2, "amount", "-24000.00"), cell(2, "open_amount", "-12000.00"))),
        r"negative|amount|positive",
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-beyond-decimal-18-4",
        "inv-huge.csv",
        invoices_csv(
            cells(cell(1, "amount", "123456789012345678.00"), cell(1, "open_amount", "1.00"))
        ),
        TOO_LARGE,
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-empty",
        "inv-empty.csv",
        lambda: b"",
        r"empty",
        verb=("import", "invoices"),
        located=False,
    ),
    Case(
        "invoices-xlsx-entity",
        "inv-entity.xlsx",
        lambda: xlsx_with_entity(INV, b.INVOICE_ROWS),
        r"entit|DOCTYPE|XLSX|workbook",
        verb=("import", "invoices"),
        located=False,
    ),
    Case(
        "invoices-xlsx-truncated",
        "inv-cut.xlsx",
        lambda: half(b.base_invoices_xlsx()),
        r"XLSX|workbook|zip",
        verb=("import", "invoices"),
        located=False,
    ),
    Case(
        "invoices-xlsx-decimal-comma",
        "inv-comma.xlsx",
        invoices_xlsx(cell(0, "amount", "976,61")),
        AMOUNT + r"|976,61",
        verb=("import", "invoices"),
    ),
    Case(
        "invoices-xlsx-impossible-date",
        "inv-date.xlsx",
        invoices_xlsx(cell(2, "due_date", "2026-02-30")),
        DATE,
        verb=("import", "invoices"),
    ),
    # --- customer import (CSV, XLSX) --------------------------------------------------------
    Case(
        "customers-unknown-currency",
        "cus-xyz.csv",
        customers_csv(cell(0, "currency", "XYZ", C)),
        CURRENCY,
        verb=("import", "customers"),
    ),
    Case(
        "customers-missing-name",
        "cus-noname.csv",
        customers_csv(cell(1, "name", "", C)),
        r"name|required|empty",
        verb=("import", "customers"),
    ),
    Case(
        "customers-row-missing-columns",
        "cus-short.csv",
        customers_csv(shorten(0, 2)),
        COLUMNS,
        verb=("import", "customers"),
    ),
    Case(
        "customers-duplicate-header",
        "cus-dup.csv",
        customers_csv(lambda _: None, header=_dup(C, "name", "email")),
        r"duplicate|twice|header",
        verb=("import", "customers"),
    ),
    Case(
        "customers-xlsx-entity",
        "cus-entity.xlsx",
        lambda: xlsx_with_entity(C, b.CUSTOMER_ROWS),
        r"entit|DOCTYPE|XLSX|workbook",
        verb=("import", "customers"),
        located=False,
    ),
    # --- no format at all -------------------------------------------------------------------
    Case("binary-garbage", "noise.bin", lambda: garbage(), r"format|recogni", located=False),
    Case("gzip-of-garbage-not-gzip", "noise.gz", not_gzip, r"gzip", located=False),
    # --- damage behind a gzip wrapper, and the wrapper's own limits --------------------------
    Case(
        "nacha-gzipped-line-cut-to-80-chars",
        "cut80.ach.gz",
        lambda: gzip.compress(_ccd_80(), mtime=0),
        r"trace|94|length|short|characters",
    ),
    Case(
        "bai2-gzip-bomb-over-expanded-ceiling",
        "bomb.bai2.gz",
        _gzip_bomb,
        r"expan|too large|ratio|limit|exceed|max_expanded",
        config=EXPANSION_CONFIG,
        located=False,
    ),
    Case(
        "customers-xlsx-unknown-currency",
        "cus-xyz.xlsx",
        lambda: b.xlsx_bytes(C, _rows(cell(1, "currency", "XYZ", C), b.CUSTOMER_ROWS)),
        CURRENCY,
        verb=("import", "customers"),
    ),
)

# The undamaged files the cases start from: each must be accepted as it is (the bank and
# platform files in one ingest; the imports, and a file under a configured ceiling, alone).
INGEST_BASES: tuple[Case, ...] = (
    Case("bai2", "base.bai2", b.base_bai2, ""),
    Case("nacha", "base.ach", b.base_nacha, ""),
    Case("nacha-ctx-820", "base-ctx.ach", b.base_nacha_ctx, ""),
    Case("nacha-returns", "base-ret.ach", b.base_nacha_returns, ""),
    Case("camt053", "base053.xml", b.base_camt053, ""),
    Case("camt054", "base054.xml", b.base_camt054, ""),
    Case("camt052", "base052.xml", b.base_camt052, ""),
    Case("mt940", "base.sta", b.base_mt940, ""),
    Case("ofx-sgml", "base.qfx", b.base_ofx_sgml, ""),
    Case("ofx-xml", "base.ofx", b.base_ofx_xml, ""),
    Case("mapped-csv", "base.csv", b.base_mapped_csv, "", config=MAPPED),
    Case("mapped-csv-processor", "base.tsv", _processor_csv, "", config=_PROCESSOR_PROFILE),
    Case("stripe-report", "base-stripe.csv", b.base_stripe_report, ""),
    Case("stripe-api", "stripe-balance-0-0-0.json", b.base_stripe_api, ""),
    Case("plastiq-csv", "base-pq.csv", b.base_plastiq_csv, ""),
    Case("plastiq-json", "base-pq.json", b.base_plastiq_json, ""),
    Case("plaid", "base-plaid.json", b.base_plaid, ""),
)
OTHER_BASES: tuple[Case, ...] = (
    Case("invoices-csv", "base-inv.csv", b.base_invoices_csv, "", verb=("import", "invoices")),
    Case("invoices-xlsx", "base-inv.xlsx", b.base_invoices_xlsx, "", verb=("import", "invoices")),
    Case("customers-csv", "base-cus.csv", b.base_customers_csv, "", verb=("import", "customers")),
    Case(
        "customers-xlsx", "base-cus.xlsx", b.base_customers_xlsx, "", verb=("import", "customers")
    ),
    Case(
        "bai2-under-configured-ceiling",
        "ceiling-ok.bai2",
        bai2_with("999999.99"),
        "",
        config=CEILING_CONFIG,
    ),
)
