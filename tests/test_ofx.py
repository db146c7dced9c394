"""OFX / QFX connector: what it reads, what it refuses, and the writer round trip."""

from __future__ import annotations

import csv
import io
import re
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.domain import FileRefused, stable_key
from cashapp.money import MoneyError, from_minor_units
from connectors.base import ExtractContext, ExtractResult
from connectors.ofx.connector import OfxConnector
from connectors.ofx.markup import parse_ofx_amount, parse_ofx_date
from connectors.ofx.writer import OfxStatement, OfxTransaction, write_ofx

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CONNECTOR = OfxConnector()
CONTEXT = ExtractContext()


def extract(text: str | bytes, context: ExtractContext = CONTEXT) -> ExtractResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return CONNECTOR.extract(data, "statement.ofx", context)


def sgml(transactions: str, *, curdef: str = "USD", stmt: str = "STMTRS") -> str:
    """A minimal OFX 1.02 file around some STMTTRN text."""
    account = (
        "<CCACCTFROM><ACCTID>4111111111111111</CCACCTFROM>"
        if stmt == "CCSTMTRS"
        else "<BANKACCTFROM><BANKID>021000021<ACCTID>123456789<ACCTTYPE>CHECKING</BANKACCTFROM>"
    )
    wrapper = "CCSTMTTRNRS" if stmt == "CCSTMTRS" else "STMTTRNRS"
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>\n"
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS>"
        f"</SIGNONMSGSRSV1>\n<BANKMSGSRSV1><{wrapper}><TRNUID>1"
        f"<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n<{stmt}><CURDEF>{curdef}{account}\n"
        f"<BANKTRANLIST>\n{transactions}\n</BANKTRANLIST>\n"
        f"</{stmt}></{wrapper}></BANKMSGSRSV1>\n</OFX>\n"
    )


def trn(
    amount: str = "10.00", *, trntype: str = "CREDIT", extra: str = "", fitid: str = "F1"
) -> str:
    return (
        f"<STMTTRN><TRNTYPE>{trntype}<DTPOSTED>20240102<TRNAMT>{amount}"
        f"<FITID>{fitid}<NAME>ACME CORP{extra}</STMTTRN>"
    )


# --------------------------------------------------------------------------- identify


@pytest.mark.parametrize(
    "head",
    [
        b"OFXHEADER:100\r\nDATA:OFXSGML\r\n",
        b'<?xml version="1.0"?>\n<?OFX OFXHEADER="200" VERSION="220"?>\n<OFX>',
        b"\n\n<OFX>\n<SIGNONMSGSRSV1>",
        b"<ofx><signonmsgsrsv1>",
    ],
)
def test_identify_accepts_the_ofx_signatures(head: bytes) -> None:
    assert CONNECTOR.identify(head, "x.qfx")


@pytest.mark.parametrize(
    "head", [b"01,BANK,ACME,240101,0800,1,,,2/", b"Date,Description,Amount\n", b"<?xml?><Document>"]
)
def test_identify_leaves_other_formats_alone(head: bytes) -> None:
    assert not CONNECTOR.identify(head, "x.txt")


# --------------------------------------------------------------------------- mapping


def test_a_bank_credit_is_a_customer_payment_signed_positive() -> None:
    (record,) = extract(sgml(trn("1250.00", extra="<MEMO>INV-104523"))).records
    assert record.kind == "payment"
    assert record.amount == Decimal("1250.00")
    assert record.currency == "USD"
    assert record.value_date == date(2024, 1, 2)
    assert record.payer_name == "ACME CORP"
    assert record.remittance == "INV-104523"
    assert record.source_ref == "F1"
    assert record.dedupe_key == stable_key("123456789", "F1")
    assert record.account == "*****6789"
    assert record.type_code == "CREDIT"


@pytest.mark.parametrize(
    ("trntype", "amount", "kind"),
    [
        ("DEBIT", "-5.00", "other"),
        ("FEE", "-2.50", "fee"),
        ("SRVCHG", "-15.00", "fee"),
        ("INT", "0.42", "other"),
        ("DIV", "3.00", "other"),
        ("DEP", "80.00", "payment"),
        ("CHECK", "-80.00", "other"),
    ],
)
def test_kind_follows_the_transaction_type_and_sign(trntype: str, amount: str, kind: str) -> None:
    (record,) = extract(sgml(trn(amount, trntype=trntype))).records
    assert (record.kind, record.amount) == (kind, Decimal(amount))


def test_credit_card_money_in_is_never_a_customer_payment() -> None:
    text = sgml(
        trn("-40.00", trntype="DEBIT", fitid="P1")
        + trn("500.00", trntype="PAYMENT", fitid="P2")
        + trn("12.00", trntype="CREDIT", fitid="P3")
        + trn("-1.00", trntype="FEE", fitid="P4"),
        stmt="CCSTMTRS",
    )
    records = extract(text).records
    assert [(r.amount, r.kind) for r in records] == [
        (Decimal("-40.00"), "other"),
        (Decimal("500.00"), "other"),
        (Decimal("12.00"), "other"),
        (Decimal("-1.00"), "fee"),
    ]
    assert records[0].account == "******1111"


def test_value_date_is_the_date_in_the_statement_time_zone() -> None:
    text = sgml(trn().replace("20240102", "20240102233000.000[-5:EST]"))
    (record,) = extract(text).records
    assert record.value_date == date(2024, 1, 2)  # 04:30 UTC on the 3rd, still the 2nd in EST


def test_remittance_falls_back_to_name_and_references_skip_zero_check_numbers() -> None:
    text = sgml(trn(extra="<CHECKNUM>0<REFNUM>R-77") + trn(fitid="F2", extra="<CHECKNUM>1044"))
    first, second = extract(text).records
    assert first.remittance == "ACME CORP"
    assert first.references == ("R-77",)
    assert second.references == ("1044",)


def test_transaction_currency_overrides_curdef_but_origcurrency_does_not() -> None:
    text = sgml(
        trn(extra="<CURRENCY><CURRATE>1.08<CURSYM>EUR</CURRENCY>")
        + trn(fitid="F2", extra="<ORIGCURRENCY><CURRATE>1.08<CURSYM>EUR</ORIGCURRENCY>")
    )
    first, second = extract(text).records
    assert (first.currency, second.currency) == ("EUR", "USD")


def test_missing_curdef_uses_the_default_currency_with_a_warning() -> None:
    result = extract(sgml(trn(), curdef=""), ExtractContext(default_currency="CAD"))
    assert result.records[0].currency == "CAD"
    assert any("no CURDEF" in issue.message for issue in result.issues)


def test_transactions_without_fitid_get_occurrence_numbered_keys() -> None:
    text = sgml(trn(fitid="") + trn(fitid=""))
    first, second = extract(text).records
    base = stable_key("123456789", date(2024, 1, 2), Decimal("10.00"), "ACME CORP", "")
    assert (first.dedupe_key, second.dedupe_key) == (base, base + "#1")
    assert first.source_ref == ""


def test_the_same_transaction_has_the_same_key_in_sgml_and_xml_exports() -> None:
    statement = OfxStatement(
        "123456789",
        "USD",
        (OfxTransaction("F-9", date(2024, 1, 2), Decimal("10.00"), name="ACME"),),
    )
    (old,) = extract(write_ofx([statement], sgml=True)).records
    (new,) = extract(write_ofx([statement])).records
    assert old.dedupe_key == new.dedupe_key == stable_key("123456789", "F-9")


def test_balances_ledger_is_closing_and_avail_is_available() -> None:
    text = sgml(trn()).replace(
        "</BANKTRANLIST>",
        "</BANKTRANLIST><LEDGERBAL><BALAMT>100.50<DTASOF>20240103</LEDGERBAL>"
        "<AVAILBAL><BALAMT>90<DTASOF>20240104120000[-8:PST]</AVAILBAL>",
    )
    closing, available = extract(text).balances
    assert (closing.kind, closing.amount, closing.as_of) == (
        "closing",
        Decimal("100.50"),
        date(2024, 1, 3),
    )
    assert (available.kind, available.amount, available.as_of) == (
        "available",
        Decimal("90.00"),
        date(2024, 1, 4),
    )


def test_an_empty_balance_is_skipped_with_a_warning() -> None:
    text = sgml(trn()).replace(
        "</BANKTRANLIST>",
        "</BANKTRANLIST><LEDGERBAL><BALAMT> </BALAMT><DTASOF>20240103</LEDGERBAL>",
    )
    result = extract(text)
    assert result.balances == ()
    assert [issue.message for issue in result.issues] == ["LEDGERBAL skipped: the amount is empty"]


def test_location_names_the_line_of_the_transaction() -> None:
    text = sgml("\n" + trn() + "\n\n" + trn(fitid="F2"))
    first, second = extract(text).records
    assert (first.location, second.location) == ("line 11", "line 13")
    assert second.raw.startswith("<STMTTRN><TRNTYPE>CREDIT")


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-200,00", "-200.00"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("+58,5", "58.50"),
        ("1 025,53", "1025.53"),
        (".5", "0.50"),
        ("-80", "-80.00"),
    ],
)
def test_amounts_accept_decimal_point_or_comma(text: str, expected: str) -> None:
    assert parse_ofx_amount(text, "USD") == Decimal(expected)


@pytest.mark.parametrize("text", ["1.23,45", "12,34.56", "1.2,34", "1,000"])
def test_amounts_go_through_the_one_parser_which_checks_the_grouping(text: str) -> None:
    # "1,000" stays ambiguous even in a three-decimal currency: 1.000 or a thousand dinars
    with pytest.raises(MoneyError):
        parse_ofx_amount(text, "KWD" if text == "1,000" else "USD")


@pytest.mark.parametrize("text", ["$120", "", "1e5", "12.345", "1,000", "--1", "null"])
def test_amounts_that_are_not_exact_ofx_numbers_are_refused(text: str) -> None:
    with pytest.raises(FileRefused, match="TRNAMT") as refused:
        extract(sgml(trn(text)))
    assert refused.value.location == "line 10"


def test_dates_need_a_real_calendar_day() -> None:
    assert parse_ofx_date("20240229120000.000[-5:EST]") == date(2024, 2, 29)
    with pytest.raises(FileRefused, match="DTPOSTED: '201120000000' is not a valid date"):
        extract(sgml(trn().replace("20240102", "201120000000")))


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (bytes(range(256)) * 4, "not an OFX file"),
        (b"Date,Amount\n2024-01-01,5.00\n", "not an OFX file"),
        (b"OFXHEADER:100\n\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "no bank or credit"),
        (b"<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS></INVSTMTRS>", "investment"),
    ],
)
def test_files_that_are_not_statements_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(FileRefused, match=reason):
        extract(data)


def test_a_bank_error_status_refuses_the_file_with_the_banks_message() -> None:
    text = (
        "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>7<STATUS><CODE>2000<SEVERITY>ERROR"
        "<MESSAGE>General Server Error</STATUS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    with pytest.raises(FileRefused, match="code 2000, ERROR\\): General Server Error"):
        extract(text)


def test_a_transaction_without_amount_or_date_is_refused() -> None:
    with pytest.raises(FileRefused, match="no TRNAMT"):
        extract(sgml("<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240102<FITID>1</STMTTRN>"))
    with pytest.raises(FileRefused, match="no DTPOSTED"):
        extract(sgml("<STMTTRN><TRNTYPE>CREDIT<TRNAMT>1.00<FITID>1</STMTTRN>"))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=2000), noise=st.binary(max_size=40))
def test_damaged_files_raise_only_file_refused(cut: int, noise: bytes) -> None:
    data = sgml(trn() + trn(fitid="F2", extra="<MEMO>x")).encode()
    damaged = data[:cut] + noise + data[cut + len(noise) :]
    try:
        result = extract(damaged)
    except FileRefused:
        return
    assert all(isinstance(r.amount, Decimal) for r in result.records)


# --------------------------------------------------------------------------- conformance


def _expectations() -> list[tuple[Path, str]]:
    expect = CONFORMANCE / "EXPECT.csv"
    if not expect.exists():
        return []
    with expect.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (CONFORMANCE / row["file"], row["expect"]) for row in rows if row["file"].startswith("ofx/")
    ]


@pytest.mark.parametrize(
    ("path", "expect"), _expectations() or [pytest.param(None, "", marks=pytest.mark.skip)]
)
def test_conformance_file_behaves_as_expected(path: Path, expect: str) -> None:
    data = path.read_bytes()
    assert CONNECTOR.identify(data[:2048], path.name)
    if expect == "reject":
        with pytest.raises(FileRefused):
            CONNECTOR.extract(data, path.name, CONTEXT)
        return
    try:
        result = CONNECTOR.extract(data, path.name, CONTEXT)
    except FileRefused as refused:
        outcome = f"refused: {refused}"
    else:
        outcome = "accepted"
        assert result.record_count == len(result.records)
    assert expect == "either" or outcome == "accepted", outcome


def _conformance(name: str) -> bytes:
    path = CONFORMANCE / "ofx" / name
    if not path.exists():
        pytest.skip(f"conformance samples not present at {CONFORMANCE}")
    return path.read_bytes()


def test_conformance_decimal_comma_amounts_are_read_exactly() -> None:
    result = extract(_conformance("ofxtools_stmtrs_euro_decimal_comma.ofx"))
    assert [r.amount for r in result.records] == [Decimal("-200.00"), Decimal("-300.00")]
    assert result.records[0].references == ("1000",)


def test_conformance_est_offsets_keep_the_local_posting_date() -> None:
    result = extract(_conformance("ofxparse_bank_medium.ofx"))
    assert [(r.value_date, r.amount, r.currency) for r in result.records] == [
        (date(2009, 4, 1), Decimal("-6.60"), "CAD"),
        (date(2009, 4, 2), Decimal("-316.67"), "CAD"),
        (date(2009, 4, 3), Decimal("-22.00"), "CAD"),
    ]


def test_conformance_multiple_accounts_each_report_their_balance() -> None:
    result = extract(_conformance("ofxparse_multiple_accounts2.ofx"))
    assert [(b.account, b.amount) for b in result.balances] == [
        ("9100", Decimal("111.00")),
        ("9200", Decimal("222.00")),
    ]


def test_conformance_missing_banktranlist_end_tag_still_finds_the_balance() -> None:
    result = extract(_conformance("ofxtools_br_nubank_cc.ofx"))
    assert len(result.records) == 6
    assert [(b.kind, b.amount, b.currency) for b in result.balances] == [
        ("closing", Decimal("-1280.91"), "BRL")
    ]


def test_conformance_server_error_is_refused_with_its_message() -> None:
    with pytest.raises(FileRefused, match="General Server Error") as refused:
        extract(_conformance("ofxparse_error_message.ofx"))
    assert refused.value.location == "line 20"


def test_conformance_files_agree_with_ofxparse_where_ofxparse_reads_them() -> None:
    """ofxparse as an independent oracle: same FITIDs and amounts, account by account."""
    ofxparse = pytest.importorskip("ofxparse")
    if not (CONFORMANCE / "ofx").exists():
        pytest.skip(f"conformance samples not present at {CONFORMANCE}")
    compared = 0
    for path in sorted((CONFORMANCE / "ofx").glob("*.ofx")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = ofxparse.OfxParser.parse(io.BytesIO(path.read_bytes()))
            ours = extract(path.read_bytes())
        except Exception:  # either reader may refuse a broken sample
            continue
        expected = [
            (t.id, t.amount) for account in theirs.accounts for t in account.statement.transactions
        ]
        assert [(r.source_ref, r.amount) for r in ours.records] == expected, path.name
        compared += 1
    assert compared >= 8


# --------------------------------------------------------------------------- writer

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40).map(
    str.strip
)


@st.composite
def statements(draw: st.DrawFn) -> list[OfxStatement]:
    result = []
    for index in range(draw(st.integers(min_value=1, max_value=3))):
        currency = draw(st.sampled_from(["USD", "EUR", "JPY", "KWD"]))
        count = draw(st.integers(min_value=0, max_value=6))
        transactions = tuple(
            OfxTransaction(
                fitid=f"{index}-{n}",
                posted=draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))),
                amount=from_minor_units(
                    draw(st.integers(min_value=-(10**12), max_value=10**12)), currency
                ),
                trntype=draw(st.sampled_from(["", "CREDIT", "DEBIT", "FEE", "CHECK"])),
                name=draw(_TEXT),
                memo=draw(_TEXT),
                checknum=draw(st.sampled_from(["", "1001", "77"])),
            )
            for n in range(count)
        )
        balance = draw(st.none() | st.integers(min_value=-(10**9), max_value=10**9))
        result.append(
            OfxStatement(
                account_id=f"ACCT{index}{draw(st.integers(min_value=0, max_value=99999))}",
                currency=currency,
                transactions=transactions,
                bank_id="021000021",
                credit_card=draw(st.booleans()),
                ledger_balance=None if balance is None else from_minor_units(balance, currency),
                balance_date=date(2024, 6, 30),
            )
        )
    return result


@settings(max_examples=150, deadline=None)
@given(written=statements(), as_sgml=st.booleans())
def test_written_statements_read_back_the_same(written: list[OfxStatement], as_sgml: bool) -> None:
    result = extract(write_ofx(written, sgml=as_sgml))
    ordered = sorted(written, key=lambda s: s.credit_card)  # bank messages come first
    expected = [
        (t.fitid, t.posted, t.amount, s.currency, t.name, t.memo or t.name)
        for s in ordered
        for t in s.transactions
    ]
    assert [
        (r.source_ref, r.value_date, r.amount, r.currency, r.payer_name, r.remittance)
        for r in result.records
    ] == expected
    assert [b.amount for b in result.balances] == [
        s.ledger_balance for s in ordered if s.ledger_balance is not None
    ]


def test_written_files_are_readable_by_ofxparse() -> None:
    ofxparse = pytest.importorskip("ofxparse")
    statement = OfxStatement(
        "998877",
        "USD",
        (
            OfxTransaction("T1", date(2024, 3, 1), Decimal("125.10"), name="Smith & Sons"),
            OfxTransaction("T2", date(2024, 3, 2), Decimal("-9.99"), trntype="FEE"),
        ),
        ledger_balance=Decimal("1000.00"),
    )
    for as_sgml in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = ofxparse.OfxParser.parse(io.BytesIO(write_ofx([statement], sgml=as_sgml)))
        txs = parsed.account.statement.transactions
        assert [(t.id, t.amount, t.payee) for t in txs] == [
            ("T1", Decimal("125.10"), "Smith & Sons"),
            ("T2", Decimal("-9.99"), ""),
        ]
        assert parsed.account.statement.balance == Decimal("1000.00")


def test_endless_unclosed_nesting_is_refused_quickly() -> None:
    with pytest.raises(FileRefused, match="nest more than 200 deep"):
        extract("<OFX>" + "<X>\n" * 100_000 + "</Y>" * 100_000)


# --------------------------------------------------------------------------- strict structure
# Issue 10: damaged files were accepted, and the bank's corrected re-send was then stored
# as well. Each damaged file here is cut from a file the project's own writer produced.

PEER = CONFORMANCE / "peer" / "files" / "ofx"


def _statement_file(*, sgml_body: bool = True) -> bytes:
    transactions = tuple(
        OfxTransaction(
            f"20240301000{n}",
            date(2024, 3, 1),
            Decimal(f"{n}00.25"),
            name=f"CUSTOMER {n}",
            checknum=f"10{n}",
        )
        for n in range(1, 5)
    )
    return write_ofx([OfxStatement("123456789", "USD", transactions)], sgml=sgml_body)


@pytest.mark.parametrize("sgml_body", [True, False], ids=["sgml", "xml"])
def test_a_file_cut_in_half_is_refused_naming_its_last_line(sgml_body: bool) -> None:
    data = _statement_file(sgml_body=sgml_body)
    cut = data[: data.index(b"<CHECKNUM>103") + 3]  # ends inside a tag: FITID ...0003<CH
    assert len(extract(data).records) == 4
    with pytest.raises(FileRefused, match="ends before </OFX>") as refused:
        extract(cut)
    last_line = cut.count(b"\n") + 1
    assert refused.value.location == f"line {last_line}"


def test_a_transaction_whose_end_tag_is_lost_is_refused() -> None:
    text = sgml(trn() + trn(fitid="F2")).replace("</STMTTRN>", "", 1)
    with pytest.raises(FileRefused, match="<STMTTRN> has no </STMTTRN>") as refused:
        extract(text)
    assert refused.value.location == "line 10"


def test_a_statement_whose_end_tag_is_lost_is_refused() -> None:
    with pytest.raises(FileRefused, match="<STMTRS> has no </STMTRS>"):
        extract(sgml(trn()).replace("</STMTRS>", ""))


def test_a_transaction_without_a_fitid_tag_is_refused() -> None:
    text = sgml(trn() + trn(fitid="F2").replace("<FITID>F2", ""))
    with pytest.raises(FileRefused, match="no FITID") as refused:
        extract(text)
    assert refused.value.location == "line 10"


def test_blank_fitids_are_a_named_leniency_with_one_warning() -> None:
    """OFX requires FITID, but some exports write the tag empty (ofxparse's v102_empty_tags,
    a Commonwealth Bank export). The tag is there and the value blank: such transactions are
    keyed on their content and occurrence, as BAI2 keys its lines, and the file says so."""
    result = extract(sgml(trn(fitid="") + trn(fitid="") + trn(fitid="F3")))
    assert [r.source_ref for r in result.records] == ["", "", "F3"]
    (warning,) = result.issues
    assert warning.severity == "warning"
    assert warning.message.startswith("leniency 'blank FITIDs in some OFX exports': 2 ")
    assert warning.location == "line 10"


@pytest.mark.parametrize(
    "body",
    [
        "<STMTTRN>*snipped*</STMTTRN>",
        "<STMTTRN>\n*snipped*\n</STMTTRN>",
        "<STMTTRN>RESERVED<TRNTYPE>CREDIT<DTPOSTED>20240102<TRNAMT>5<FITID>F9</STMTTRN>",
    ],
)
def test_a_transaction_that_holds_only_text_is_refused_not_dropped(body: str) -> None:
    """A <STMTTRN> followed by text reads as an element, not as a transaction: it used to
    vanish without a word. Its amount is unknown, so the statement cannot be complete."""
    with pytest.raises(FileRefused, match="holds text instead of a transaction") as refused:
        extract(sgml(trn() + "\n" + body))
    assert refused.value.location == "line 11"


def test_every_statement_of_a_response_is_read_with_a_warning() -> None:
    """Banco do Brasil sends two STMTRS in one STMTTRNRS (the first empty): reading only
    the first lost every transaction of the file without a word."""
    text = sgml(trn(fitid="F1"))
    first = text.index("<STMTRS>")
    second_stmt = text[first : text.index("</STMTRS>") + len("</STMTRS>")].replace(
        "123456789", "987654321"
    )
    empty_stmt = second_stmt.split("<BANKTRANLIST>")[0] + "<BANKTRANLIST></BANKTRANLIST></STMTRS>"
    text = text[:first] + empty_stmt + text[first:]
    result = extract(text)
    assert [(r.source_ref, r.account) for r in result.records] == [("F1", "*****6789")]
    assert any("several statements in one response" in i.message for i in result.issues)


def test_the_banco_do_brasil_two_statement_response_yields_its_36_transactions() -> None:
    path = PEER / "asgrim_ofxdata-bb-two-stmtrs.ofx"
    if not path.exists():
        pytest.skip(f"peer corpus not present at {path}")
    data = path.read_bytes()
    amounts = [Decimal(a.decode()) for a in re.findall(rb"<TRNAMT>\s*([-0-9.]+)", data)]
    result = extract(data)
    assert len(result.records) == len(amounts) == 36
    assert {r.currency for r in result.records} == {"BRL"}
    assert sorted(r.amount for r in result.records) == sorted(amounts)
    assert sum(1 for r in result.records if r.amount > 0) == 32


def test_an_unclosed_transaction_list_is_a_named_leniency() -> None:
    """Nubank card exports forget </BANKTRANLIST>: the transactions are complete (each
    STMTTRN is closed), so the file is read, with a warning naming the leniency."""
    text = sgml(trn()).replace("</BANKTRANLIST>", "")
    result = extract(text)
    assert len(result.records) == 1
    assert any("unclosed BANKTRANLIST" in i.message for i in result.issues)


# --------------------------------------------------------------------------- decimal mark


def test_one_decimal_mark_throughout_is_read_whichever_it_is() -> None:
    """OFX allows ``.`` or ``,`` as the decimal mark; a file using one of them is read."""
    comma = extract(
        sgml("\n".join([trn("10,50", fitid="A"), trn("-2,25", fitid="B"), trn("7", fitid="C")]))
    )
    assert [r.amount for r in comma.records] == [Decimal("10.50"), Decimal("-2.25"), Decimal(7)]
    point = extract(sgml("\n".join([trn("1,234.50", fitid="A"), trn("3.10", fitid="B")])))
    assert [r.amount for r in point.records] == [Decimal("1234.50"), Decimal("3.10")]


def test_a_file_mixing_decimal_marks_is_refused_naming_the_line() -> None:
    """``976,61`` among ``1250.00``: one of them was edited or damaged, and which mark is
    meant cannot be known, so the file is refused at the odd amount."""
    data = sgml("\n".join([trn("1250.00", fitid="A"), trn("976,61", fitid="B")]))
    with pytest.raises(
        FileRefused, match=r"'976,61' uses ','.*use '\.' \(first at line 10\)"
    ) as refused:
        extract(data)
    assert refused.value.location == "line 11"
    assert "976,61" in data.splitlines()[10]


def test_a_balance_in_the_other_mark_does_not_count_as_mixing() -> None:
    """A real Brazilian export writes ``TRNAMT -836.30`` over ``BALAMT 0,00`` (peer file
    annacruz_dtsof_balance_issue): balances stay out of the comparison."""
    data = sgml(trn("-836.30")).replace(
        "</BANKTRANLIST>", "</BANKTRANLIST><LEDGERBAL><BALAMT>0,00<DTASOF>20240102</LEDGERBAL>"
    )
    (record,) = extract(data).records
    assert record.amount == Decimal("-836.30")


@pytest.mark.parametrize(
    "declaration", ['<!DOCTYPE OFX [<!ENTITY memo "INV-1">]>', '<!ENTITY memo "INV-1">']
)
def test_an_ofx_xml_file_with_a_dtd_or_entity_is_refused_naming_its_line(declaration: str) -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="220"?>\n'
        f"{declaration}\n" + sgml(trn(extra="<MEMO>&memo;")).split("\n\n", 1)[1]
    )
    with pytest.raises(
        FileRefused, match=r"(DOCTYPE|ENTITY) declaration.*never expanded"
    ) as refused:
        extract(data)
    assert refused.value.location == "line 3"
