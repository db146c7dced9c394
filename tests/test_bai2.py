"""BAI2 connector: parsing rules, control totals, the writer and the round trip."""

from __future__ import annotations

import contextlib
import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.domain import FileRefused
from cashapp.money import from_minor_units
from connectors.bai2.connector import Bai2Connector
from connectors.bai2.records import DETAIL_CLASS, direction, kind_of, tokenize
from connectors.bai2.writer import (
    LINE_LIMIT,
    Bai2Account,
    Bai2Transaction,
    bai2_text,
    write_bai2,
)
from connectors.bank_text import BankText, parse_bank_text
from connectors.base import ExtractContext, ExtractResult

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
BAI2 = Bai2Connector()
CONTEXT = ExtractContext()


def extract(text: str | bytes, context: ExtractContext = CONTEXT) -> ExtractResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return BAI2.extract(data, "test.bai2", context)


def conformance_file(name: str) -> bytes:
    path = CONFORMANCE / "bai2" / name
    if not path.exists():
        pytest.skip(f"conformance corpus not present at {CONFORMANCE}")
    return path.read_bytes()


def _expectations() -> list[tuple[str, str]]:
    expect = CONFORMANCE / "EXPECT.csv"
    if not expect.exists():
        return []
    with expect.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row and row[0].startswith("bai2/")]
    return [(row[0], row[1].strip()) for row in rows]


def _file(
    *details: str,
    account_total: str | None = None,
    account_count: str | None = None,
    group_currency: str = "USD",
) -> str:
    """A one-account BAI2 file around ``details``, with correct totals unless overridden."""
    amounts = []
    records = 2  # 03 and 49
    for record in details:
        records += 1
        if record.startswith("16,"):
            amounts.append(int(record.split(",")[2].replace("\n", "")))
    total = 1000 + sum(amounts)
    lines = [
        "01,BANK,US,240105,0600,1,,,2/",
        f"02,US,BANK,1,240104,,{group_currency},2/",
        "03,12345678,,010,1000,,/",
        *details,
        f"49,{account_total or total},{account_count or records}/",
        f"98,{account_total or total},1,{records + 2}/",
        f"99,{account_total or total},1,{records + 4}/",
    ]
    return "\n".join(lines) + "\n"


# --- conformance corpus ------------------------------------------------------------


@pytest.mark.skipif(not _expectations(), reason="conformance corpus (EXPECT.csv) not present")
@pytest.mark.parametrize(("name", "expected"), _expectations(), ids=lambda v: str(v))
def test_conformance_file_behaves_as_expect_csv_says(name: str, expected: str) -> None:
    data = (CONFORMANCE / name).read_bytes()
    if expected == "accept":
        result = BAI2.extract(data, name, CONTEXT)
        assert result.records or result.balances or name.endswith("amount_blank.bai2")
    elif expected == "reject":
        with pytest.raises(FileRefused):
            BAI2.extract(data, name, CONTEXT)
    else:
        with contextlib.suppress(FileRefused):
            BAI2.extract(data, name, CONTEXT)


def test_slash_inside_text_and_references_is_kept() -> None:
    result = extract(conformance_file("moov_sample5_slash_in_text.bai2"))
    by_ref = {r.source_ref: r for r in result.records}
    credit = by_ref["SPB2322684598521"]
    assert credit.references == ("AB/GS/RPFILERP0001/RPBA0001",)
    assert "Client Ref ID: AB/GS/TEST0001/RPBA0001" in credit.remittance
    wire = by_ref["GI2323300009168"]
    assert wire.amount == Decimal("-300000.00")
    assert 'Remittance Info: "08/18/23 Invoice - Sample"' in wire.remittance
    assert wire.remittance.endswith("REMI: 08/18/23 Invoice - Sample EREF: 3785726 "
                                     "CRNM: TEST AND COMPANY DBNM: Sample Inc. "
                                     "CACT: 609873838 CABA: 021000021")  # fmt: skip
    assert len(result.records) == 20


def test_records_without_slash_terminator_one_per_line() -> None:
    result = extract(conformance_file("moov_sample4_gs_no_slash.bai2"))
    assert len(result.records) == 17
    ret = next(r for r in result.records if r.type_code == "557")
    assert (ret.kind, ret.amount, ret.reason_code) == ("return", Decimal("-2000.00"), "R02")
    assert ret.payer_name == "Test"  # "Return To:" - the customer whose payment went back
    rejected = next(r for r in result.records if r.type_code == "261")
    assert (rejected.kind, rejected.amount) == ("other", Decimal("1435.00"))


def test_inconsistent_trailers_of_the_published_gs_sample_are_warnings() -> None:
    # The sample's 49/98 totals were not updated when transactions were spliced in:
    # 98 disagrees with its own 49s, so no trailer can be trusted to refuse the file.
    result = extract(conformance_file("moov_sample4_gs_no_slash.bai2"))
    messages = [i.message for i in result.issues]
    assert any("49 control total is -12,601,613,417.62 USD" in m for m in messages)
    assert any("98 group control total" in m for m in messages)
    assert all(i.severity == "warning" for i in result.issues)


def test_strict_control_totals_refuse_the_inconsistent_gs_sample() -> None:
    strict = ExtractContext(sources={"bai2": {"strict_control_totals": True}})
    with pytest.raises(FileRefused, match="control total mismatch") as refused:
        extract(conformance_file("moov_sample4_gs_no_slash.bai2"), strict)
    assert refused.value.location is not None
    assert "line 22" in refused.value.location


def test_several_logical_records_on_one_physical_line() -> None:
    result = extract(conformance_file("moov_sample3_multi_record_lines.bai2"))
    assert len(result.records) == 26
    first, second = result.records[:2]
    assert (first.amount, first.remittance) == (
        Decimal("25.00"),
        "TRANSFER   PAYPAL             PPD",
    )
    assert (second.amount, second.location) == (Decimal("5.00"), "line 3")
    wrapped = result.records[8]  # a record physically wrapped onto the next line
    assert (
        wrapped.remittance == "111111     ACH_SETL           1111111111 111111111111111 1111111111"
    )
    assert [i.location for i in result.issues] == ["line 19"]


def test_citi_text_only_in_continuation_records() -> None:
    (payment,) = extract(conformance_file("moj_citi_example.bai2")).records
    assert payment.amount == Decimal("0.01")
    assert payment.currency == "GBP"
    assert payment.value_date == date(2015, 7, 15)
    assert payment.references == ("RP12312312312312",)
    assert payment.remittance.startswith("FR:FP SIP INCOMING ENDT:20150715 TRID:")
    assert payment.remittance.endswith("BO:11111111 BO1:DOE JO")
    assert payment.payer_name == "DOE JO"


def test_signed_zero_padded_amounts_and_value_dates() -> None:
    result = extract(conformance_file("moov_sample1_cad_signed.bai2"))
    assert result.control_total == Decimal("12800.00")
    assert {r.currency for r in result.records} == {"CAD"}
    assert result.records[0].amount == Decimal("-25.00")
    assert result.records[0].value_date == date(2006, 3, 16)
    assert result.records[3].amount == Decimal("2035.00")


def test_availability_funds_types_s_v_and_d_are_consumed() -> None:
    result = extract(conformance_file("moov_sample2_lockbox_wire_availability.bai2"))
    lockbox, lockbox2, letter_of_credit, wire = result.records
    assert lockbox.amount == Decimal("4500.00")
    assert lockbox2.remittance == "LOCK BOX NO.68751"
    assert letter_of_credit.value_date == date(2004, 6, 22)
    assert letter_of_credit.source_ref == "SP4738"
    assert letter_of_credit.references == ("YRC065321",)
    assert letter_of_credit.remittance == "PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"
    assert wire.amount == Decimal("100000.00")
    assert result.issues == ()


def test_blank_account_trailer_amount_skips_the_check() -> None:
    result = extract(conformance_file("moj_account_trailer_amount_blank.bai2"))
    assert result.records == ()
    assert result.issues == ()


# --- structure and refusals --------------------------------------------------------


def test_identify_looks_at_the_first_non_blank_characters_only() -> None:
    assert BAI2.identify(b"\r\n  01,BANK,US,240105,0600,1,,,2/", "statement.txt")
    assert BAI2.identify(b"\xef\xbb\xbf01,BANK", "x.csv")
    assert not BAI2.identify(b"101 091000019", "x.bai2")
    assert not BAI2.identify(b"", "x.bai2")


@pytest.mark.parametrize("data", [b"", b"   \n\r\n", b"\x00\xff\xfe garbage", b"hello,world\n"])
def test_empty_or_non_bai2_files_are_refused(data: bytes) -> None:
    with pytest.raises(FileRefused):
        extract(data)


@given(st.binary(max_size=300))
@settings(max_examples=200)
def test_random_bytes_are_refused_never_crash(data: bytes) -> None:
    with pytest.raises(FileRefused):
        extract(b"01," + data)


@given(st.text(max_size=200))
@settings(max_examples=200)
def test_any_text_either_parses_or_is_refused(text: str) -> None:
    valid = _file("16,142,500,,B1,C1,PAYMENT/")
    cut = valid[: len(text) % len(valid)] + text
    with contextlib.suppress(FileRefused):
        extract(cut)


def test_truncated_file_without_file_trailer_is_refused() -> None:
    text = _file("16,142,500,,B1,C1,PAYMENT/")
    truncated = text[: text.index("99,")]
    with pytest.raises(FileRefused, match="without its 99 file trailer") as refused:
        extract(truncated)
    assert refused.value.location == "line 6"


def test_detail_before_any_account_is_refused() -> None:
    text = "01,B,U,240105,0600,1,,,2/\n02,U,B,1,240104,,USD,2/\n16,142,1,,,,X/\n"
    with pytest.raises(FileRefused, match="no 03 before it") as refused:
        extract(text)
    assert refused.value.location == "line 3"


def test_unknown_record_code_is_refused() -> None:
    text = _file("16,142,500,,B1,C1,PAYMENT/").replace("16,142", "17,142")
    with pytest.raises(FileRefused, match="unknown record code '17'"):
        extract(text)


def test_non_numeric_amount_is_refused_with_its_line() -> None:
    text = _file("16,142,500,,B1,C1,PAYMENT/").replace("16,142,500", "16,142,5O0")
    with pytest.raises(FileRefused, match="'5O0' is not a whole number") as refused:
        extract(text)
    assert refused.value.location == "line 4"


def test_unknown_funds_type_is_refused() -> None:
    with pytest.raises(FileRefused, match="unknown funds type 'Q'"):
        extract(_file("16,142,500,Q,B1,C1,PAYMENT/"))


def test_record_count_mismatch_is_only_a_warning() -> None:
    result = extract(_file("16,142,500,,B1,C1,PAYMENT/", account_count="7"))
    assert [r.amount for r in result.records] == [Decimal("5.00")]
    (issue,) = result.issues
    assert issue.severity == "warning"
    assert issue.message == "the 49 record count says 7 but the file has 3"


def test_crlf_and_no_final_newline_parse_the_same() -> None:
    text = _file("16,142,500,,B1,C1,PAYMENT/", "88,MORE TEXT/")
    plain = extract(text)
    crlf = extract(text.replace("\n", "\r\n").rstrip("\r\n"))
    assert [r.remittance for r in crlf.records] == [r.remittance for r in plain.records]
    assert plain.records[0].remittance == "PAYMENT MORE TEXT"


def test_text_runs_to_end_of_record_with_commas_and_slashes() -> None:
    (record,) = extract(_file("16,142,500,,B1,C1,PAID INV 1/2, INV 3 / PO 9/")).records
    assert record.remittance == "PAID INV 1/2, INV 3 / PO 9"


def test_continuation_can_carry_fixed_fields_of_a_detail() -> None:
    (record,) = extract(_file("16,142,500,V,240102/", "88,,B1,C1,TEXT HERE/")).records
    assert (record.value_date, record.source_ref, record.references) == (
        date(2024, 1, 2),
        "B1",
        ("C1",),
    )
    assert record.remittance == "TEXT HERE"


def test_distributed_availability_consumes_its_pairs() -> None:
    (record,) = extract(_file("16,142,500,D,2,0,300,1,200,B1,C1,LOCKBOX/")).records
    assert (record.source_ref, record.references, record.remittance) == ("B1", ("C1",), "LOCKBOX")


def test_currency_comes_from_account_then_group_then_default() -> None:
    assert extract(_file("16,142,500,,,,X/")).records[0].currency == "USD"
    assert extract(_file("16,142,500,,,,X/", group_currency="GBP")).records[0].currency == "GBP"
    eur = ExtractContext(default_currency="EUR")
    assert extract(_file("16,142,500,,,,X/", group_currency=""), eur).records[0].currency == "EUR"
    account_level = _file("16,142,500,,,,X/").replace("03,12345678,,", "03,12345678,JPY,")
    record = extract(account_level).records[0]
    assert (record.currency, record.amount) == ("JPY", Decimal("500"))


def test_repeated_identical_details_get_distinct_dedupe_keys() -> None:
    result = extract(_file("16,142,500,,,,SAME/", "16,142,500,,,,SAME/"))
    first, second = (r.dedupe_key for r in result.records)
    assert second == f"{first}#1"
    again = extract(_file("16,142,500,,,,SAME/", "16,142,500,,,,SAME/"))
    assert [r.dedupe_key for r in again.records] == [first, second]


def test_type_codes_give_sign_and_kind() -> None:
    result = extract(
        _file(
            "16,142,100,,,,ACH CREDIT/",
            "16,555,200,,,,DEPOSITED ITEM RETURNED/",
            "16,698,300,,,,SERVICE CHARGE/",
            "16,495,400,,,,OUTGOING WIRE/",
            "16,257,500,,,,ACH RETURN OF OUR CREDIT/",
        )
    )
    got = [(r.type_code, r.kind, r.amount) for r in result.records]
    assert got == [
        ("142", "payment", Decimal("1.00")),
        ("555", "return", Decimal("-2.00")),
        ("698", "fee", Decimal("-3.00")),
        ("495", "other", Decimal("-4.00")),
        ("257", "other", Decimal("5.00")),
    ]


def test_type_code_table_ranges() -> None:
    assert direction(100) == direction(399) == direction(720) == direction(920) == 1
    assert direction(400) == direction(699) == direction(760) == direction(999) == -1
    assert direction(10) == direction(890) == direction(905) == direction(700) == 0
    assert kind_of(661, -1) == "fee"
    assert kind_of(561, -1) == "return"
    assert DETAIL_CLASS[175] == (1, "payment")


def test_status_code_in_a_detail_is_skipped_with_a_warning() -> None:
    result = extract(_file("16,890,0,,,,INFORMATION ONLY/"))
    assert result.records == ()
    assert result.issues[0].message == "type code 890 is not a credit or debit; skipped"


def test_balances_from_status_codes() -> None:
    text = _file().replace(
        "03,12345678,,010,1000,,/", "03,12345678,,010,1000,,,015,-250,,,060,7,,/"
    )
    text = text.replace("49,1000,", "49,757,").replace("98,1000,", "98,757,")
    text = text.replace("99,1000,", "99,757,")
    result = extract(text)
    assert [(b.kind, b.amount, b.type_code) for b in result.balances] == [
        ("opening", Decimal("10.00"), "010"),
        ("closing", Decimal("-2.50"), "015"),
        ("other", Decimal("0.07"), "060"),
    ]
    assert result.balances[0].account == "****5678"
    assert result.balances[0].as_of == date(2024, 1, 4)


# --- control totals ----------------------------------------------------------------


def _written() -> bytes:
    account = Bai2Account(
        account="000123456789",
        currency="USD",
        transactions=(
            Bai2Transaction("142", Decimal("1250.00"), "B1", "INV-1", "ORIG CO NAME:GLOBEX"),
            Bai2Transaction("475", Decimal("99.95"), "B2", "1045", "CHECK PAID"),
        ),
        opening_ledger=Decimal("5000.00"),
        closing_ledger=Decimal("6150.05"),
    )
    return write_bai2(
        [account],
        sender="BANK",
        receiver="ACME",
        file_id="7",
        created=datetime(2024, 1, 5, 6, 0),
        as_of=date(2024, 1, 4),
    )


def test_written_file_ties_out() -> None:
    result = extract(_written())
    assert result.issues == ()
    assert [r.amount for r in result.records] == [Decimal("1250.00"), Decimal("-99.95")]
    assert result.records[0].payer_name == "GLOBEX"


def test_tampered_detail_amount_is_refused_naming_line_and_totals() -> None:
    tampered = _written().replace(b"16,142,125000,", b"16,142,125001,")
    with pytest.raises(FileRefused) as refused:
        extract(tampered)
    assert refused.value.location == "line 6 (49 trailer of account ******6789)"
    assert refused.value.reason == (
        "control total mismatch: account ******6789: the 49 control total is 13,849.95 USD "
        "but the 03 and 16 amounts on lines 3-5 add up to 13,849.96 USD"
    )


def test_broken_file_trailer_alone_is_a_warning() -> None:
    data = _written()
    tampered = data.replace(b"99,1384995,", b"99,1384996,")
    result = extract(tampered)
    assert [i.message for i in result.issues] == [
        "the 99 file control total is 13,849.96 USD but the 98 totals add up to 13,849.95 USD"
    ]


# --- writer ------------------------------------------------------------------------


def test_writer_wraps_long_text_into_88_records_within_80_characters() -> None:
    text = " ".join(f"INV-{n:05d}" for n in range(40))
    account = Bai2Account("42", "USD", (Bai2Transaction("142", Decimal(1), "R", "C", text),))
    data = write_bai2(
        [account],
        sender="B",
        receiver="U",
        file_id="1",
        created=datetime(2024, 1, 1, 0, 0),
        as_of=date(2024, 1, 1),
    )
    lines = data.decode().splitlines()
    assert all(len(line) <= LINE_LIMIT for line in lines)
    assert sum(line.startswith("88,") for line in lines) >= 5
    assert extract(data).records[0].remittance == text


def test_writer_refuses_what_bai2_cannot_carry() -> None:
    def write(tx: Bai2Transaction) -> bytes:
        return write_bai2(
            [Bai2Account("1", "USD", (tx,))],
            sender="B",
            receiver="U",
            file_id="1",
            created=datetime(2024, 1, 1, 0, 0),
            as_of=date(2024, 1, 1),
        )

    with pytest.raises(ValueError, match="not a BAI2 credit or debit code"):
        write(Bai2Transaction("010", Decimal(1), "", "", ""))
    with pytest.raises(ValueError, match="must not be negative"):
        write(Bai2Transaction("142", Decimal(-1), "", "", ""))
    with pytest.raises(ValueError, match="cannot be written"):
        write(Bai2Transaction("142", Decimal(1), "A,B", "", ""))


def test_bai2_text_normalizes_whitespace_and_boundary_look_alikes() -> None:
    assert bai2_text("  PAID \n INV 1/ 16,2  ") == "PAID INV 1/16,2"


_CODES = st.sampled_from(["142", "165", "195", "208", "399", "451", "475", "495", "555", "698"])
_REF = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/.", min_size=0, max_size=20).map(
    lambda s: s.strip()
)
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8"),
    max_size=300,
) | st.lists(st.sampled_from(["INV-1", "/", ",", "88,", "/ 16,", "PO:77", "é"]), max_size=60).map(
    " ".join
)


@st.composite
def _accounts(draw: st.DrawFn) -> Bai2Account:
    currency = draw(st.sampled_from(["USD", "CAD", "GBP", "JPY", "KWD"]))
    money = st.integers(min_value=0, max_value=10**12).map(lambda n: from_minor_units(n, currency))
    balance = st.none() | st.integers(-(10**12), 10**12).map(
        lambda n: from_minor_units(n, currency)
    )
    transactions = st.builds(
        Bai2Transaction,
        type_code=_CODES,
        amount=money,
        bank_ref=_REF,
        customer_ref=_REF,
        text=_TEXT,
    )
    return Bai2Account(
        account=draw(st.from_regex(r"[0-9]{4,17}", fullmatch=True)),
        currency=currency,
        transactions=tuple(draw(st.lists(transactions, max_size=6))),
        opening_ledger=draw(balance),
        closing_ledger=draw(balance),
    )


@given(st.lists(_accounts(), min_size=1, max_size=4))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_write_then_extract_round_trips(accounts: list[Bai2Account]) -> None:
    data = write_bai2(
        accounts,
        sender="BANK",
        receiver="ACME",
        file_id="1",
        created=datetime(2024, 3, 1, 6, 30),
        as_of=date(2024, 2, 29),
    )
    result = extract(data)
    assert result.issues == ()
    expected = [
        (
            tx.type_code,
            tx.amount * direction(int(tx.type_code)),
            account.currency,
            tx.bank_ref,
            tx.customer_ref,
            bai2_text(tx.text),
        )
        for account in accounts
        for tx in account.transactions
    ]
    got = [
        (
            r.type_code,
            r.amount,
            r.currency,
            r.source_ref,
            r.references[0] if r.references else "",
            r.remittance,
        )
        for r in result.records
    ]
    assert got == expected
    assert len({r.dedupe_key for r in result.records}) == len(result.records)
    for line in data.decode("utf-8").splitlines():
        if len(line) > LINE_LIMIT:  # only a single word too long to split may overflow
            assert line.startswith("88,")
            assert " " not in line[3:-1]


def test_tokenizer_keeps_wraps_visible_to_the_field_parser() -> None:
    tokens = tokenize("01,A/\n16,142,1\n234,,,,TEXT\nMORE/\n")
    assert [r.code for r in tokens.records] == ["01", "16"]
    assert tokens.records[1].body == "142,1\n234,,,,TEXT\nMORE"
    assert tokens.wrapped_lines == [3, 4]


def test_amount_wrapped_mid_field_is_rejoined() -> None:
    text = _file("16,142,50\n0,,B1,C1,PAYMENT/")
    (record,) = extract(text).records
    assert record.amount == Decimal("5.00")


# --- bank text shapes --------------------------------------------------------------


def test_bank_text_ach_key_value_runs_with_spaces_in_keys() -> None:
    text = parse_bank_text(
        "ORIG CO NAME:NORTHWIND TRADERS ORIG ID:1410000123 DESC DATE:240104 "
        "ENTRY DESCR:AP PAYMNT SEC:CCD TRACE#:091000019876543 IND ID:INV-20931 IND NAME:ACME AR"
    )
    assert text.payer_name == "NORTHWIND TRADERS"
    assert text.payer_id == "1410000123"
    assert text.get("IND ID") == "INV-20931"
    assert text.get("TRACE#") == "091000019876543"
    assert [key for key, _ in text.fields] == [
        "ORIG CO NAME", "ORIG ID", "DESC DATE", "ENTRY DESCR", "SEC", "TRACE#", "IND ID", "IND NAME"
    ]  # fmt: skip
    assert text.counterparty(incoming=False) == "NORTHWIND TRADERS"  # an ACH debit they pulled


def test_bank_text_wire_originator_account_and_obi() -> None:
    text = parse_bank_text(
        "WIRE TYPE:WIRE IN DATE:240104 TIME:0931 ET TRN:2024010400123456 "
        "ORG=/000987654321 CONTOSO PHARMA LLC SND BK:BANK OF EXAMPLE OBI=INV 20931 AND 20944 "
        "BBI=/BNF/ACME"
    )
    assert text.payer_name == "CONTOSO PHARMA LLC"
    assert text.payer_account == "000987654321"
    assert text.remittance_info == "INV 20931 AND 20944"  # OBI is remittance, never the name


def test_bank_text_by_order_of_forms() -> None:
    assert parse_bank_text("B/O FABRIKAM GMBH REF:RE-2024-118").payer_name == "FABRIKAM GMBH"
    assert parse_bank_text("BY ORDER OF: Tailspin Toys Ltd").payer_name == "Tailspin Toys Ltd"


def test_bank_text_continuation_key_lines_joined_with_spaces() -> None:
    text = parse_bank_text(
        'RTP Incoming,From: BLUE YONDER AIRLINES, Remittance Info: "INV 7781", '
        "Client Ref ID: RTR991 EREF: RTR991 CRNM: ACME AR DBNM: BLUE YONDER AIRLINES "
        "DACT: 02122056789012205 REMI: INV 7781"
    )
    assert text.payer_name == "BLUE YONDER AIRLINES"
    assert text.payer_account == "02122056789012205"
    assert text.remittance_info == "INV 7781"  # the same remittance twice is kept once
    assert text.payee_name == "ACME AR"


def test_bank_text_return_reason_and_payee() -> None:
    text = parse_bank_text(
        'ACH Credit Receipt Return,Return To: LITWARE INC, Reason: "R03", '
        "Return of Client Ref ID: 021000080000030"
    )
    assert (text.reason_code, text.payee_name) == ("R03", "LITWARE INC")
    assert text.counterparty(incoming=False) == "LITWARE INC"
    assert text.get("RETURN OF CLIENT REF ID") == "021000080000030"


def test_bank_text_plain_descriptions_have_no_fields() -> None:
    assert parse_bank_text("LOCKBOX DEPOSIT 4410 12 ITEMS") == BankText()
    mixed = parse_bank_text("Interest For Account: XXXX-3074, Period: Jul 1, 2023 to Jul 31")
    assert mixed.fields == (("ACCOUNT", "XXXX-3074, Period: Jul 1, 2023 to Jul 31"),)
    assert parse_bank_text("PAID AT 10:30 ET").fields == ()


def test_svb_key_colon_equals_is_one_separator_and_keys_end_values() -> None:
    """SVB wires: ``88,ORG:=OPTIONS LINK WIRE CLEARING`` then ``88,ORG ADDRESS:=...``."""
    text = parse_bank_text(
        "SENDER ID:=056073573 ORG:=OPTIONS LINK WIRE CLEARING ORG ADDRESS:=1995 SE. 57TH ST. "
        "BNF NAME:=YOUR NAME HERE INC OBI:=INVOICE 123456"
    )
    assert text.payer_name == "OPTIONS LINK WIRE CLEARING"
    assert text.payee_name == "YOUR NAME HERE INC"
    assert text.remittance_info == "INVOICE 123456"
    assert text.get("ORG ADDRESS") == "1995 SE. 57TH ST."


def test_svb_peer_file_names_the_payer_without_the_next_key() -> None:
    path = CONFORMANCE / "peer" / "files" / "bai2" / "zeptofs_eod.bai2"
    if not path.exists():
        pytest.skip(f"peer conformance file not present at {path}")
    (record,) = extract(path.read_bytes()).records
    assert record.payer_name == "OPTIONS LINK WIRE CLEARING"
    assert "INVOICE 123456" in record.remittance
