"""MT940/MT942 connector: what it accepts, what it refuses, and what every field means."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import connectors.mt940.entries as mt940_entries
from cashapp.domain import FileRefused
from cashapp.masking import mask_account
from cashapp.money import from_minor_units, minor_units
from cashapp.statements import break_issues, check_statements
from connectors.base import ExtractContext, ExtractResult, decode_text
from connectors.mt940.connector import Mt940Connector
from connectors.mt940.details import parse_details
from connectors.mt940.entries import classify, source_reference
from connectors.mt940.syntax import Field, read_statement_line
from connectors.mt940.writer import Layout, Statement, StatementTransaction, write_mt940

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CONNECTOR = Mt940Connector()
CONTEXT = ExtractContext()


def extract(text: str | bytes) -> ExtractResult:
    data = text.encode("latin-1") if isinstance(text, str) else text
    return CONNECTOR.extract(data, "test.sta", CONTEXT)


def _expectations() -> list[tuple[str, str]]:
    expect = CONFORMANCE / "EXPECT.csv"
    if not expect.exists():
        return []
    with expect.open(newline="") as handle:
        return [
            (row["file"], row["expect"])
            for row in csv.DictReader(handle)
            if row["file"].startswith("mt940/")
        ]


def _conformance(name: str) -> bytes:
    path = CONFORMANCE / name
    if not path.exists():
        pytest.skip(f"conformance samples not present at {CONFORMANCE}")
    return path.read_bytes()


# --- conformance files -------------------------------------------------------------------

#: What this connector decided for each sample: record count, or None when it refuses.
DECIDED = {
    "mt940/abnamro.sta": 10,
    "mt940/asnb_0708271685_09022020.940.txt": 8,
    "mt940/cmxl_mt940.sta": 16,
    "mt940/february_30.sta": 1,
    "mt940/ing.sta": 7,
    "mt940/knab.sta": 3,
    "mt940/mbank_mt942.sta": 3,
    "mt940/rabobank-iban.sta": 4,
    "mt940/sberbank_171011_01234945.sta": 3,
    "mt940/sepa_mt9401.sta": 97,
    "mt940/sparkassen.sta": None,  # a :61:/:86: fragment without :20:/:25:/currency
    "mt940/transaction_details_wrapped.sta": 1,
    "mt940/with_binary_character.sta": 4,
}


@pytest.mark.parametrize(("name", "expect"), _expectations() or [("mt940/-", "skip")])
def test_conformance_file_behaves_as_expect_csv_says(name: str, expect: str) -> None:
    data = _conformance(name)
    assert name in DECIDED, f"{name} is new in EXPECT.csv: decide what it should yield"
    if DECIDED[name] is None:
        assert expect in ("reject", "either"), f"{name} must be accepted"
        with pytest.raises(FileRefused) as refused:
            CONNECTOR.extract(data, Path(name).name, CONTEXT)
        assert refused.value.reason
        return
    assert expect in ("accept", "either"), f"{name} must be refused"
    result = CONNECTOR.extract(data, Path(name).name, CONTEXT)
    assert len(result.records) == DECIDED[name]
    for record in result.records:  # exact Decimals at the currency's minor unit, never floats
        assert isinstance(record.amount, Decimal)
        assert record.amount.as_tuple().exponent == -minor_units(record.currency)


def test_every_accepted_conformance_file_is_identified_as_mt940() -> None:
    for name, count in DECIDED.items():
        if count is not None:
            assert CONNECTOR.identify(_conformance(name)[:4096], Path(name).name), name


def test_february_30_is_kept_as_the_last_day_of_february_with_a_warning() -> None:
    result = extract(_conformance("mt940/february_30.sta"))
    (record,) = result.records
    assert record.value_date == date(2016, 2, 29)
    assert record.amount == Decimal("-6.00")
    assert record.kind == "fee"  # GVC 805: closing charges
    assert record.type_code == "N024/805"
    (issue,) = result.issues
    assert issue.severity == "warning"
    assert issue.location == "line 6"
    assert "160230" in issue.message
    assert "2016-02-29" in issue.message


def test_fragment_without_statement_header_is_refused() -> None:
    with pytest.raises(FileRefused) as refused:
        extract(_conformance("mt940/sparkassen.sta"))
    assert refused.value.location == "line 1"
    assert ":20:" in refused.value.reason


def test_sepa_sample_reads_reversal_returns_and_structured_payer() -> None:
    result = extract(_conformance("mt940/sepa_mt9401.sta"))
    reversal = next(r for r in result.records if r.location == "line 19")
    assert (reversal.kind, reversal.amount, reversal.type_code) == (
        "return",
        Decimal("-204.88"),
        "NRTI/079",
    )
    credit = next(r for r in result.records if r.location == "line 30")
    assert credit.payer_name == "Richter Renate 70 Zeichen Beginn Fuellzeichen xxxxxxxx"
    assert credit.payer_account == "******1105"
    assert credit.references == ("EndToEndIdTFNR2000400001",)
    assert credit.source_ref == "0724710290621954"
    assert not result.issues  # every statement ties out


def test_mt942_takes_currency_from_floor_limit_and_checks_totals() -> None:
    result = extract(_conformance("mt940/mbank_mt942.sta"))
    assert {r.currency for r in result.records} == {"PLN"}
    assert [r.amount for r in result.records] == [Decimal("0.01")] * 3
    assert [r.source_ref for r in result.records] == [
        "MB170119012058",
        "MB170119012085",
        "MB170119012121",
    ]
    assert not result.issues


def test_asn_iban_in_customer_reference_is_masked_and_not_the_source_ref() -> None:
    result = extract(_conformance("mt940/asnb_0708271685_09022020.940.txt"))
    first = result.records[0]
    assert first.source_ref == ""
    assert first.payer_account == "******9999"
    assert "NL47INGB9999999999" not in first.source_ref + first.payer_account


def test_our_amounts_dates_and_marks_agree_with_the_mt940_library() -> None:
    """The reference implementation reads the same money, except where we guard it.

    Not compared: ASN (the library refuses its 18-character customer references) and the
    sign of RC lines (by default the library leaves a reversal of a credit positive).
    """
    mt940 = pytest.importorskip("mt940")
    for name, count in DECIDED.items():
        if count is None or name.startswith("mt940/asnb"):
            continue
        ours = extract(_conformance(name)).records
        theirs = mt940.models.Transactions()
        theirs.parse(decode_text(_conformance(name)))
        assert [(abs(r.amount), r.value_date) for r in ours] == [
            (abs(t.data["amount"].amount), t.data["date"]) for t in theirs
        ], name
        for record, transaction in zip(ours, theirs, strict=True):
            if transaction.data["status"] in ("C", "D"):
                assert record.amount == transaction.data["amount"].amount, name


# --- field 86 layouts --------------------------------------------------------------------


def test_german_subfields_give_remittance_payer_and_sepa_references() -> None:
    details = parse_details(
        "166?00GUTSCHR. UEBERWEISUNG?109310?20EREF+RG-2023-4471?21MREF+M-77?22SVWZ+Rechnung RG"
        "-2023-44\n71 Kunde 1009?30HYVEDEMMXXX?31DE02700202700010108669?32SCHMIDT & SOEHNE BAU"
        "GMBH?34000"
    )
    assert details.layout == "german"
    assert details.gv_code == "166"
    assert details.booking_text == "GUTSCHR. UEBERWEISUNG"
    assert details.references == ("RG-2023-4471", "M-77")
    assert details.end_to_end_id == "RG-2023-4471"
    assert details.remittance == "Rechnung RG-2023-4471 Kunde 1009"
    assert details.payer_name == "SCHMIDT & SOEHNE BAUGMBH"
    assert details.payer_account == "DE02700202700010108669"
    assert details.payer_bank == "HYVEDEMMXXX"


def test_german_full_subfields_are_glued_and_short_ones_end_with_a_space() -> None:
    details = parse_details("051?00UEBERWEISUNG?20Abschlag Strom Vertrag 1234?2156 Juni?22Danke")
    assert details.remittance == "Abschlag Strom Vertrag 123456 Juni Danke"


def test_german_reference_never_swallows_the_bank_note_after_it() -> None:
    details = parse_details(
        "159?00RETOURE?100399?20EREF+AB 40005 00005?21MTLG:Konto erloschen, Rueck?22ueberweisung?34903"
    )
    assert details.references == ("AB 40005 00005",)
    assert details.remittance == "MTLG:Konto erloschen, Rueckueberweisung"
    assert details.text_key_extension == "903"


def test_german_gvc_999_is_unstructured_text() -> None:
    details = parse_details("999PN5477SCHECK-NR. 0000016703074")
    assert (details.gv_code, details.remittance) == ("999", "PN5477SCHECK-NR. 0000016703074")


def test_dutch_slash_fields_give_remittance_name_iban_and_references() -> None:
    details = parse_details(
        "/EREF/2023-11-0042/BENM//NAME/Hoveniersbedrijf De Linde/IBAN/NL02ABNA0123456789/BIC/ABNA\n"
        "NL2A/REMI/USTD//Factuur 20230042 klantnr 311/CSID/NL55ZZZ123456780000/MARF/M-311/"
    )
    assert details.layout == "dutch"
    assert details.payer_name == "Hoveniersbedrijf De Linde"
    assert details.payer_account == "NL02ABNA0123456789"
    assert details.payer_bank == "ABNANL2A"
    assert details.remittance == "Factuur 20230042 klantnr 311"
    assert details.references == ("2023-11-0042", "M-311", "NL55ZZZ123456780000")


def test_dutch_structured_creditor_reference_is_remittance_and_reference() -> None:
    details = parse_details("/TRTP/SEPA OVERBOEKING/REMI/STRD/CUR/RF712345678/EREF/NOTPROVIDED/")
    assert details.remittance == "RF712345678"
    assert details.references == ("RF712345678",)
    assert details.booking_text == "SEPA OVERBOEKING"


def test_ing_counterparty_block_and_return_reason() -> None:
    details = parse_details(
        "/TRTP/SEPA INCASSO/RTRN/AM04/CNTP/NL18RABO0300000123/RABONL2U/Garage Van Dijk/Delft/"
    )
    assert details.payer_account == "NL18RABO0300000123"
    assert details.payer_name == "Garage Van Dijk"
    assert details.return_reason == "AM04"


def test_free_text_joins_short_lines_with_a_space_and_full_lines_without() -> None:
    full = "X" * 50 + " Betaling aan I"  # 65 columns: wrapped mid-word
    details = parse_details(f"{full}\nCS 12345\nPERIODE 03")
    assert details.layout == "free"
    assert details.remittance == "X" * 50 + " Betaling aan ICS 12345 PERIODE 03"
    wrapped = parse_details("A" * 63 + " B\nC ok")
    assert wrapped.remittance == "A" * 63 + " BC ok"


def test_empty_details_are_empty() -> None:
    assert parse_details("  \n ").layout == "none"


# --- :61: grammar ------------------------------------------------------------------------


def _line(*lines: str) -> Field:
    return Field("61", 7, lines)


def test_statement_line_with_funds_code_entry_date_and_references() -> None:
    line = read_statement_line(_line("2312311229CR1234,5NTRFINV 9912//BK-771", "Wire in"))
    assert line.value_date.value == date(2023, 12, 31)
    assert line.entry_date is not None
    assert line.entry_date.value == date(2023, 12, 29)
    assert (line.mark, line.funds_code, line.amount_text) == ("C", "R", "1234,5")
    assert (line.type_code, line.customer_ref, line.bank_ref) == ("NTRF", "INV 9912", "BK-771")
    assert line.supplementary == "Wire in"


def test_entry_date_in_the_next_year_after_a_december_value_date() -> None:
    line = read_statement_line(_line("2312310102D5,NMSCNONREF"))
    assert line.entry_date is not None
    assert line.entry_date.value == date(2024, 1, 2)


def test_reversal_marks_are_read_before_funds_codes() -> None:
    assert read_statement_line(_line("240101RCR5,00NRTINONREF")).mark == "RC"
    assert read_statement_line(_line("240101RD5,00NRTINONREF")).mark == "RD"
    assert read_statement_line(_line("240101DR5,00NTRFNONREF")).mark == "D"


def test_amount_wrapped_onto_the_next_line_is_joined() -> None:
    line = read_statement_line(_line("1811261126CR", "30,00N062NONREF"))
    assert (line.amount_text, line.type_code) == ("30,00", "N062")


def test_statement_line_that_is_not_the_grammar_is_refused_with_its_line() -> None:
    with pytest.raises(FileRefused) as refused:
        read_statement_line(_line("2401X1C5,00NTRF"))
    assert refused.value.location == "line 7"


def test_month_thirteen_is_refused_not_corrected() -> None:
    with pytest.raises(FileRefused, match="not a calendar date"):
        read_statement_line(_line("241301C5,00NTRFNONREF"))


# --- sign, kind, references --------------------------------------------------------------


@pytest.mark.parametrize(
    ("mark", "type_code", "gv_code", "rtrn", "kind"),
    [
        ("C", "NTRF", "166", "", "payment"),
        ("D", "NTRF", "116", "", "other"),
        ("RC", "NTRF", "", "", "return"),
        ("RD", "NMSC", "", "", "other"),
        ("D", "NCHG", "", "", "fee"),
        ("D", "N024", "805", "", "fee"),
        ("D", "NRTI", "", "", "return"),
        ("D", "NDDT", "109", "", "return"),
        ("D", "N093", "", "MD06", "return"),
        ("C", "NTRF", "159", "", "other"),
        ("C", "NCHG", "", "", "other"),
    ],
)
def test_kind_of_statement_line(
    mark: str, type_code: str, gv_code: str, rtrn: str, kind: str
) -> None:
    assert classify(mark, type_code, gv_code, rtrn) == kind


def test_source_ref_prefers_bank_reference_and_skips_placeholders_and_ibans() -> None:
    assert source_reference("INV 12", "BK1") == "BK1"
    assert source_reference("INV 12", "") == "INV 12"
    assert source_reference("NONREF", "") == ""
    assert source_reference("EREF", "") == ""
    assert source_reference("NL47INGB0001234567", "") == ""


# --- whole files -------------------------------------------------------------------------

HEADER = ":20:REF1\n:25:NL91ABNA0417164300\n:28C:1/1\n"


def test_statement_without_any_currency_is_refused() -> None:
    with pytest.raises(FileRefused) as refused:
        extract(HEADER + ":61:240105C10,00NTRFNONREF\n:86:PAYMENT\n-\n")
    assert "currency" in refused.value.reason
    assert refused.value.location == "line 1"


def test_currency_from_closing_balance_is_accepted_with_a_warning() -> None:
    result = extract(HEADER + ":61:240105C10,00NTRFNONREF\n:62F:C240105USD10,00\n-\n")
    assert result.records[0].currency == "USD"
    assert any("no opening balance" in i.message for i in result.issues)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 4, "no :20:"),
        (b"01,ABC,DEF,240101,0000,1,,,2/\n02,X/\n", "no :20:"),
        (b":20:REF\n:28C:1/1\n:60F:C240101EUR1,00\n-\n", ":25:"),
        (b":20:REF\n:25:A1\n:60F:C240101E1R1,00\n-\n", "not mark, YYMMDD date"),
    ],
)
def test_broken_or_foreign_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(FileRefused, match=reason):
        extract(data)


def test_unreadable_amount_is_refused_naming_the_line() -> None:
    opening = ":60F:C240101EUR0,00\n"
    with pytest.raises(FileRefused) as refused:
        extract(HEADER + opening + ":61:240105C1,2,3NTRFNONREF\n-\n")
    assert refused.value.location == "line 5"
    with pytest.raises(FileRefused, match="more decimal places"):
        extract(HEADER + opening + ":61:240105C1,234NTRFNONREF\n-\n")


def test_unexpected_error_inside_the_parser_becomes_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(text: str) -> None:  # noqa: ARG001 - stands in for parse_details(text)
        raise IndexError("boom")

    monkeypatch.setattr(mt940_entries, "parse_details", explode)
    with pytest.raises(FileRefused, match="IndexError") as refused:
        extract(HEADER + ":60F:C240101EUR0,00\n:61:240105C1,00NTRFNONREF\n:86:X\n-\n")
    assert refused.value.location == "line 1"


def test_balances_that_do_not_tie_out_are_reported() -> None:
    result = extract(
        HEADER + ":60F:C240101EUR100,00\n:61:240105D30,00NTRFNONREF\n:62F:C240105EUR80,00\n-\n"
    )
    assert [b.amount for b in result.balances] == [Decimal("100.00"), Decimal("80.00")]
    (check,) = check_statements(result.records, result.balances)
    assert (check.status, check.difference) == ("break", Decimal("-10.00"))
    (issue,) = break_issues([check])
    assert "= 70.00" in issue.message
    assert "closing balance is 80.00" in issue.message


def test_debit_balance_is_negative() -> None:
    result = extract(HEADER + ":60F:D240101EUR100,00\n:62F:D240101EUR100,00\n-\n")
    assert [(b.kind, b.amount) for b in result.balances] == [
        ("opening", Decimal("-100.00")),
        ("closing", Decimal("-100.00")),
    ]


def test_mt942_totals_that_disagree_are_reported() -> None:
    result = extract(":20:X\n:25:ACC1\n:34F:EUR0,\n:61:240105C5,00NTRFNONREF\n:90C:2EUR5,00\n-\n")
    assert result.records[0].currency == "EUR"
    assert any(":90C:" in i.message for i in result.issues)


def test_dedupe_keys_survive_line_endings_and_interim_then_final_reports() -> None:
    body = ":61:240105C5,00NTRFNONREF//B1\n:86:/EREF/E1/REMI/USTD//Invoice 7/\n"
    closing = ":62F:C240105EUR5,00\n"
    final = extract(HEADER + ":60F:C240101EUR0,00\n" + body + closing + "-\n")
    crlf = extract(
        (HEADER + ":60F:C240101EUR0,00\n" + body + closing + "-\n").replace("\n", "\r\n")
    )
    interim = extract(":20:I\n:25:NL91ABNA0417164300\n:34F:EUR0,\n" + body + "-\n")
    keys = {r.records[0].dedupe_key for r in (final, crlf, interim)}
    assert len(keys) == 1


@pytest.mark.parametrize(
    "head",
    [
        b"01,122099999,COMPANY,240101,0900,1,80,1,2/\n",
        b"101 091000019 1234567890240101",
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
        b"OFXHEADER:100\nDATA:OFXSGML\n",
        b"date,amount,reference\n2024-01-01,10.00,INV-1\n",
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
)
def test_other_formats_are_not_claimed(head: bytes) -> None:
    assert not CONNECTOR.identify(head, "file.txt")


def test_swift_envelope_is_claimed() -> None:
    assert CONNECTOR.identify(b"{1:F01BANKDEFFAXXX0000000000}{2:O9401200}{4:\r\n:20:X", "a.fin")


# --- round trip --------------------------------------------------------------------------

_TEXT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,"
_CURRENCIES = ("EUR", "USD", "JPY", "KWD")


@st.composite
def _transactions(draw: st.DrawFn, currency: str) -> StatementTransaction:
    value_date = draw(st.dates(date(1970, 1, 1), date(2069, 12, 28)))
    return StatementTransaction(
        value_date=value_date,
        entry_date=draw(st.none() | st.just(value_date + timedelta(days=draw(st.integers(0, 3))))),
        amount=abs(from_minor_units(draw(st.integers(0, 10**11)), currency)),
        mark=draw(st.sampled_from(["C", "D", "RC", "RD"])),
        type_code=draw(st.sampled_from(["NTRF", "NMSC", "FTRF", "S103"])),
        customer_ref=draw(st.just("NONREF") | st.text("0123456789", min_size=1, max_size=16)),
        bank_ref=draw(st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", max_size=16)),
        details=draw(st.text(_TEXT, max_size=140)),
        name=draw(st.text(_TEXT, max_size=54)),
        iban=draw(st.just("") | st.from_regex(r"NL[0-9]{2}[A-Z]{4}[0-9]{10}", fullmatch=True)),
        eref=draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", max_size=30)),
    )


@st.composite
def _statements(draw: st.DrawFn) -> list[Statement]:
    statements = []
    for number in range(draw(st.integers(1, 3))):
        currency = draw(st.sampled_from(_CURRENCIES))
        statements.append(
            Statement(
                account=draw(st.sampled_from(["NL91ABNA0417164300", "37040044/0532013000"])),
                currency=currency,
                number=number + 1,
                opening_balance=from_minor_units(draw(st.integers(-(10**9), 10**9)), currency),
                opening_date=date(2024, 1, 1),
                transactions=tuple(draw(st.lists(_transactions(currency), max_size=5))),
            )
        )
    return statements


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _expected(statement: Statement, tx: StatementTransaction) -> tuple[object, ...]:
    signed = tx.amount if tx.mark in ("C", "RD") else -tx.amount
    eref = "" if tx.eref in ("NONREF", "NOTPROVIDED") else _squeeze(tx.eref)  # placeholders
    source_ref = tx.bank_ref or (tx.customer_ref if tx.customer_ref != "NONREF" else eref)
    kind = {"C": "payment", "D": "other", "RC": "return", "RD": "other"}[tx.mark]
    return (
        signed,
        statement.currency,
        tx.value_date,
        kind,
        source_ref,
        _squeeze(tx.name),
        mask_account(tx.iban) if tx.iban else "",
        _squeeze(tx.details),
        (eref,) if eref else (),
        mask_account(statement.account),
    )


@pytest.mark.parametrize("layout", ["dutch", "german"])
@settings(max_examples=60, deadline=None)
@given(statements=_statements())
def test_written_statements_extract_to_the_same_payments(
    layout: Layout, statements: list[Statement]
) -> None:
    data = write_mt940(statements, layout=layout)
    result = CONNECTOR.extract(data, "roundtrip.sta", CONTEXT)
    expected = [_expected(s, tx) for s in statements for tx in s.transactions]
    actual = [
        (
            r.amount,
            r.currency,
            r.value_date,
            r.kind,
            r.source_ref,
            r.payer_name,
            r.payer_account,
            r.remittance,
            r.references,
            r.account,
        )
        for r in result.records
    ]
    assert actual == expected
    assert not result.issues  # the writer's closing balances always tie out
    assert len({r.dedupe_key for r in result.records}) == len(result.records)
    assert CONNECTOR.identify(data[:4096], "roundtrip.sta") == bool(statements)


# --- issue 10: damaged files, peer-corpus layouts, leniencies ----------------------------

PEER = CONFORMANCE / "peer" / "files"
OPENING = ":60F:C240101EUR0,00\n"


def _peer(name: str) -> bytes:
    path = PEER / name
    if not path.exists():
        pytest.skip(f"peer conformance file not present at {path}")
    return path.read_bytes()


def _extract_peer(name: str, context: ExtractContext = CONTEXT) -> ExtractResult:
    return CONNECTOR.extract(_peer(name), Path(name).name, context)


def test_amount_with_a_letter_inside_is_refused_naming_the_line_not_read_as_its_digits() -> None:
    with pytest.raises(FileRefused) as refused:
        extract(HEADER + OPENING + ":61:240105C21X0,00NTRFNONREF\n-\n")
    assert refused.value.location == "line 5"
    assert "21X0,00" in refused.value.reason


def test_amount_followed_by_bank_reference_or_blank_still_reads() -> None:
    ok = extract(
        HEADER
        + OPENING
        + ":61:240105C21,00//BANKREF1\n:61:240105C3,00 NTRFREF\n:62F:C240105EUR24,00\n-\n"
    )
    assert [r.amount for r in ok.records] == [Decimal("21.00"), Decimal("3.00")]


def test_swift_message_cut_before_its_closing_trailer_is_refused_whole() -> None:
    message = (
        "{1:F01INGBNL2AXXXX0000000000}{2:I940INGBNL2AXXXXN}{4:\n"
        + HEADER
        + OPENING
        + ":61:240105C10,00NTRFNONREF\n:86:Invoice 1\n:62F:C240105EUR10,00\n"
    )
    with pytest.raises(FileRefused, match="missing trailer") as refused:
        extract(message)
    assert refused.value.location == "line 1"
    assert extract(message + "-}\n").record_count == 1
    # a second message header while the first is still open: the first was cut off
    with pytest.raises(FileRefused, match="missing trailer"):
        extract(message + message + "-}\n")


def test_files_that_never_open_a_swift_block_need_no_trailer() -> None:
    """Exports without ``{4:`` have no trailer; OLB omits even the final ``-``."""
    closing = ":62F:C240105EUR10,00\n"
    assert extract(HEADER + OPENING + ":61:240105C10,00NTRFNONREF\n" + closing).record_count == 1
    olb = _extract_peer("mt940/jk_K4262927_20200905-080000-952.txt")
    assert [r.amount for r in olb.records] == [Decimal("230.00")]


def test_unknown_field_is_reported_not_silently_dropped() -> None:
    olb = _extract_peer("mt940/jk_K4262927_20200905-080000-952.txt")
    assert any(":65F:" in i.message and i.severity == "warning" for i in olb.issues)
    result = extract(HEADER + OPENING + ":23:SOMETHING\n:62F:C240101EUR0,00\n-\n")
    assert [(i.message, i.location) for i in result.issues if ":23:" in i.message] == [
        ("the field :23: is not an MT940/MT942 field and was ignored", "line 5")
    ]


def test_tag_like_text_inside_details_stays_text_and_is_reported() -> None:
    """``:12:11`` continuing an :86: is the end of a wrapped time stamp (peer file)."""
    result = _extract_peer("mt940/rs_special_unknown_tag.sta")
    assert result.records[0].remittance == "Pauschalen 2017-01-01T13:12:11"
    assert [(i.message, i.location) for i in result.issues if ":12:" in i.message] == [
        (
            "the field :12: is not an MT940/MT942 field and was read as text of the :86: above it",
            "line 9",
        )
    ]


def test_old_rabobank_repeated_86_keeps_every_line_with_a_warning() -> None:
    result = _extract_peer("mt940/jk_rabobank.txt")
    first, second, third = result.records[:3]
    assert first.remittance == (
        "Terugboeking NIET AKKOORD MET AFSCHRIJVING KOSTEN KINDEROPVANG JUNI 20095731"
    )
    assert second.remittance == "BETALINGSKENM. 123456789 FACTUURNUMMER 987654321"
    assert second.payer_name == "T-MOBILE NETHERLANDS BV"
    assert third.payer_name == "TOMTE TUMMETOT AMERSFOORT"
    assert [i.location for i in result.issues if "repeated-86" in i.message] == ["line 6"]


def test_old_rabobank_counter_account_is_a_masked_payer_account_never_the_source_ref() -> None:
    result = _extract_peer("mt940/jk_rabobank.txt")
    assert {r.source_ref for r in result.records} == {""}
    assert result.records[1].payer_account == mask_account("0733959555")
    assert "0733959555" not in result.records[1].payer_account
    assert result.records[2].payer_account == ""  # NONREF: no counter-account


def test_domestic_account_in_reference_is_masked_when_the_statement_or_details_say_so() -> None:
    legacy = ":20:940A\n:25:1017.490.554EUR\n:28:00000/00\n" + OPENING.replace("EUR", "EUR")
    result = extract(
        legacy + ":61:240105C5,00NMSC170059286\n:86:Spaarpot\n:62F:C240105EUR5,00\n-\n"
    )
    (record,) = result.records
    assert (record.source_ref, record.payer_account) == ("", mask_account("170059286"))
    sns = _extract_peer("mt940/rs_jejik_sns.sta")  # SNS repeats the number in :86:
    assert {r.source_ref for r in sns.records} == {""}
    assert {r.payer_account for r in sns.records} == {mask_account("0987654321")}
    # a number in a modern statement with nothing saying it is an account stays a reference
    plain = extract(
        HEADER + OPENING + ":61:240105C5,00NMSC170059286\n:86:Invoice\n:62F:C240105EUR5,00\n-\n"
    )
    assert plain.records[0].source_ref == "170059286"


def test_triodos_greater_than_subfields_give_text_and_counter_account() -> None:
    result = _extract_peer("mt940/jk_triodos.txt")
    first, second = result.records
    assert first.remittance == "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010"
    assert first.payer_account == mask_account("0987654321")
    assert second.remittance == "HUUR KANTOOR - FEB 2010"
    assert all(">" not in r.remittance for r in result.records)
    assert first.type_code == "N000"  # Triodos's leading 000 is not a German GVC


def test_triodos_sepa_line_gives_bic_and_iban_before_the_text() -> None:
    details = parse_details(
        "000>100000000000\n>20BBBBAA2U\n>21AA99BBBB0555555555\n>22TENAAMSTELLING TEGENREKENIN"
        ">23G EN ADRES\n>310666666666"
    )
    assert details.layout == "triodos"
    assert (details.payer_bank, details.payer_account) == ("BBBBAA2U", "AA99BBBB0555555555")
    assert details.remittance == "TENAAMSTELLING TEGENREKENING EN ADRES"


def test_german_subfields_cut_inside_an_iban_or_number_are_rejoined() -> None:
    volksbank = _extract_peer("mt940/jk_volksbankenraiffeisenbanken.txt")
    remittances = " | ".join(r.remittance for r in volksbank.records)
    assert "IBAN: DE83500105179219844142 BIC: SBCRDE66" in remittances
    assert "Musical fuer FRIDA inklusive 1 CD IBAN: DE10500105174381957749" in remittances
    assert "DE835 " not in remittances
    commerzbank = _extract_peer("mt940/jk_commerzbank.txt")
    assert "KUNDENNUM MER 202227779" in commerzbank.records[0].remittance


def test_german_subfield_boundaries_that_are_word_breaks_keep_their_space() -> None:
    assert parse_details("051?20Gehalt Oktober?21FirmaMustermannGmbH").remittance == (
        "Gehalt Oktober FirmaMustermannGmbH"
    )
    # 26 characters: a 27-character chunk whose trailing blank was trimmed
    assert parse_details("166?20ungs/zweck mit 140 Stellen?21fur /SEPA").remittance == (
        "ungs/zweck mit 140 Stellen fur /SEPA"
    )
    assert parse_details("166?20IBAN: DE?2142500105171213694382").remittance == (
        "IBAN: DE42500105171213694382"
    )
    assert parse_details("166?20SOMEONE?32SOMEONE?33ELSE").payer_name == "SOMEONE ELSE"


def test_free_text_lines_padded_to_65_columns_are_separate_words() -> None:
    padded = "Terugboeking".ljust(65) + "\n" + "NIET AKKOORD".ljust(65)
    assert parse_details(padded).remittance == "Terugboeking NIET AKKOORD"


def test_rabobank_batch_reference_pref_is_kept() -> None:
    result = _extract_peer("mt940/ks_rabo_sample4")
    batch = [r for r in result.records if "PmtInfId-20151208-987" in r.references]
    assert len(batch) == 2


def test_period_decimal_is_refused_by_default_naming_the_line() -> None:
    with pytest.raises(FileRefused, match="period as decimal separator") as refused:
        _extract_peer("mt940/ks_rabo_sample")
    assert refused.value.location == "line 5"
    with pytest.raises(FileRefused, match="period"):
        extract(HEADER + OPENING + ":61:240105C300.00NMSCNONREF\n-\n")


def test_period_decimal_profile_accepts_old_rabobank_with_a_warning() -> None:
    profile = ExtractContext(sources={"mt940": {"decimal": "."}})
    result = _extract_peer("mt940/ks_rabo_sample", profile)
    statements = {b.statement for b in result.balances}
    assert len(statements) == 39
    assert Decimal("500.00") in {r.amount for r in result.records}
    assert any("INVOICE 38" in r.remittance for r in result.records)
    assert [i for i in result.issues if "decimal-period" in i.message]
    # the same profile still reads the team's SWIFT files, without the warning
    modern = CONNECTOR.extract(
        (HEADER + OPENING + ":61:240105C3,50NTRFNONREF\n:62F:C240105EUR3,50\n-\n").encode(),
        "m.sta",
        profile,
    )
    assert modern.records[0].amount == Decimal("3.50")
    assert not [i for i in modern.issues if "decimal-period" in i.message]


def test_decimal_profile_is_validated_in_the_config_and_by_the_connector() -> None:
    from cashapp.config import ConfigError, parse_config

    assert parse_config({"sources": {"mt940": {"decimal": "."}}}).sources["mt940"]
    with pytest.raises(ConfigError, match="decimal"):
        parse_config({"sources": {"mt940": {"decimal": ";"}}})
    with pytest.raises(FileRefused, match="decimal"):
        CONNECTOR.extract(b":20:X\n", "x.sta", ExtractContext(sources={"mt940": {"decimal": 1}}))


def test_real_swift_file_cut_anywhere_inside_its_message_is_refused() -> None:
    """Komercijalna Banka's FIN-wrapped statement, cut at every line before its ``-}``."""
    data = _peer("mt940/ks_kbs_sample2")
    lines = data.splitlines(keepends=True)
    assert lines[-1].strip() == b"-}"
    for cut in range(1, len(lines) - 1):
        with pytest.raises(FileRefused):
            CONNECTOR.extract(b"".join(lines[:cut]), "cut.sta", CONTEXT)
    whole = CONNECTOR.extract(data, "whole.sta", CONTEXT).record_count
    assert whole is not None
    assert whole > 0


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh0123456789-./", min_size=1, max_size=140)
)
def test_text_cut_into_full_width_subfields_is_rejoined_exactly(text: str) -> None:
    """A continuation is not a word break: 27-character chunks rejoin to the same text."""
    chunks = [text[i : i + 27] for i in range(0, len(text), 27)]
    body = "166?00GUTSCHRIFT" + "".join(f"?2{n}{chunk}" for n, chunk in enumerate(chunks))
    assert parse_details(body).remittance == text


def test_a_statement_cut_before_its_closing_balance_is_refused_naming_the_line() -> None:
    """Opened by :60F: but no :62F:/:62M: came: the file stops somewhere among the
    statement lines, so what was read is not the statement. The line where it ends is named."""
    cut = HEADER + OPENING + ":61:240105C10,00NTRFNONREF\n:86:Invoice 1\n"
    with pytest.raises(
        FileRefused, match=r"opened at line 4 \(:60F:\).*without its closing"
    ) as refused:
        extract(cut)
    assert refused.value.location == "line 6"
    intermediate = cut.replace(":60F:", ":60M:") + "-\n"
    with pytest.raises(FileRefused, match="closing balance"):
        extract(intermediate)
    assert extract(cut + ":62M:C240105EUR10,00\n-\n").record_count == 1


def test_an_interim_mt942_report_needs_no_closing_balance() -> None:
    """MT942 has no :60:/:62: at all: its floor limit opens it and nothing closes it."""
    report = ":20:I\n:25:NL91ABNA0417164300\n:34F:EUR0,\n:61:240105C5,00NTRFNONREF\n"
    assert extract(report).record_count == 1


def test_olb_statements_without_a_closing_balance_are_read_under_a_named_leniency() -> None:
    """OLB (powercloud) omits :62F: but writes its :65F: after the lines: complete, warned."""
    olb = _extract_peer("mt940/jk_oldenburgischelandesbank2.txt")
    assert [r.amount for r in olb.records] == [Decimal("230.00")]
    (warning,) = [i for i in olb.issues if "without a closing balance" in i.message]
    assert warning.location == "line 4"
