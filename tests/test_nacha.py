"""NACHA (ACH) connector and writer: what a file must yield, and what refuses it."""

from __future__ import annotations

import contextlib
import csv
import gzip
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypedDict, Unpack

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.domain import FileRefused, RemittanceLine
from connectors.base import ExtractContext, ExtractResult
from connectors.nacha.connector import NachaConnector
from connectors.nacha.layout import RETURN_REASONS, return_class
from connectors.nacha.records import split_records
from connectors.nacha.writer import AchBatch, AchEntry, ctx_820_addenda, write_nacha
from connectors.nacha.x12_820 import parse_820, read_delimiters

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
NACHA = NachaConnector()
OURS = "1234567890"
CONTEXT = ExtractContext(ach_company_ids=frozenset({OURS}))
NOBODY = ExtractContext()


def _conformance(name: str) -> bytes:
    path = CONFORMANCE / "nacha" / name
    if not path.is_file():
        pytest.skip(f"conformance corpus not present at {CONFORMANCE}")
    data = path.read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _extract(data: bytes, context: ExtractContext = CONTEXT) -> ExtractResult:
    return NACHA.extract(data, "file.ach", context)


def _expect_rows() -> list[tuple[str, str]]:
    expect = CONFORMANCE / "EXPECT.csv"
    if not expect.is_file():
        return [("-", "skip")]
    with expect.open(newline="") as fh:
        rows = [(r["file"], r["expect"]) for r in csv.DictReader(fh)]
    return [(f.removeprefix("nacha/"), e) for f, e in rows if f.startswith("nacha/")]


def _file(*batches: AchBatch) -> bytes:
    return write_nacha(
        batches,
        immediate_destination="021000021",
        immediate_origin=OURS,
        created=datetime(2024, 5, 1, 9, 30),
    )


def _batch(company_id: str, *entries: AchEntry, sec: str = "CCD") -> AchBatch:
    return AchBatch(
        "NORTHWIND", company_id, sec, "PAYMENT", date(2024, 5, 2), "02100002", tuple(entries)
    )


class _EntryFields(TypedDict, total=False):
    """The :class:`AchEntry` fields a test sets over :func:`_entry`'s defaults."""

    rdfi_routing: str
    account: str
    individual_id: str
    name: str
    addenda: tuple[str, ...]
    return_reason: str
    original_trace: str
    trace_sequence: int | None


def _entry(code: str, amount: str, **kwargs: Unpack[_EntryFields]) -> AchEntry:
    entry = AchEntry(
        code,
        rdfi_routing="011000015",
        account="4455667788",
        amount=Decimal(amount),
        individual_id="CUST-1",
        name="CONTOSO LLC",
    )
    return replace(entry, **kwargs)


def _records(data: bytes) -> list[str]:
    return data.decode().split("\n")


def _replace_record(data: bytes, index: int, record: str) -> bytes:
    lines = _records(data)
    lines[index] = record
    return "\n".join(lines).encode()


# --- conformance corpus -------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expect"), _expect_rows())
def test_conformance_file_behaves_as_expect_csv_says(name: str, expect: str) -> None:
    if expect == "skip":
        pytest.skip("conformance corpus not present")
    data = _conformance(name)
    if expect == "reject":
        with pytest.raises(FileRefused):
            _extract(data)
        return
    try:
        result = _extract(data)
    except FileRefused:
        assert expect == "either"
        return
    assert all(r.source == "nacha" and len(r.source_ref) == 15 for r in result.records)


def test_web_returns_carry_the_original_trace_reason_and_sign() -> None:
    result = _extract(_conformance("moov_return-WEB.ach"))
    debit_return, credit_return = result.records
    assert (debit_return.kind, debit_return.amount) == ("return", Decimal("-123.54"))
    assert debit_return.source_ref == "091000017611242"
    assert debit_return.related_ref == "091400600000001"
    assert debit_return.reason_code == "R01"
    assert (credit_return.kind, credit_return.amount) == ("return", Decimal("45.65"))
    assert (credit_return.related_ref, credit_return.reason_code) == ("091400600000003", "R03")


def test_a_non_standard_return_code_is_kept_with_a_warning() -> None:
    result = _extract(_conformance("moov_return-PPD-custom-reason-code.ach"))
    (record,) = result.records
    assert (record.kind, record.reason_code, record.related_ref) == (
        "return",
        "R97",
        "092221172022300",
    )
    assert any("R97" in issue.message for issue in result.issues)


def test_dishonored_return_of_a_debit_brings_the_money_back_in() -> None:
    result = _extract(_conformance("moov_dishonored-return.ach"))
    assert [(r.kind, r.reason_code, r.amount) for r in result.records] == [
        ("return", "R68", Decimal("250.00")),
        ("return", "R68", Decimal("230.00")),
    ]
    assert result.records[0].related_ref == "059999990000301"
    assert "123918710000001" in result.records[0].references  # the dishonored return's trace


def test_contested_return_chain_is_decided_by_its_last_addenda() -> None:
    result = _extract(_conformance("moov_contested-return.ach"))
    (record,) = result.records
    assert (record.kind, record.reason_code, record.amount) == (
        "return",
        "R71",
        Decimal("1000000.00"),
    )
    assert record.remittance.startswith("R07 ")
    assert any("3 return addenda" in issue.message for issue in result.issues)


def test_notification_of_change_is_a_zero_other_with_the_corrected_data() -> None:
    result = _extract(_conformance("moov_cor-example-C01.ach"))
    (record,) = result.records
    assert (record.kind, record.amount, record.reason_code) == ("other", Decimal(0), "C01")
    assert (record.related_ref, record.remittance) == ("121042880000001", "1918171614")
    assert record.value_date == date(2019, 8, 29)  # effective date 000000 -> file date
    assert any("effective entry date" in issue.message for issue in result.issues)


def test_an_invalid_change_code_is_a_warning() -> None:
    result = _extract(_conformance("moov_web-invalidNOC-C92.ach"))
    assert result.records[0].reason_code == "C92"
    assert any("C92" in issue.message for issue in result.issues)


@pytest.mark.parametrize(
    "name", ["moov_ctx-820-nonascii-latin1.ach", "moov_ctx-820-nonascii-utf8.ach"]
)
def test_ctx_820_with_non_ascii_separator_yields_rmr_lines_and_payer(name: str) -> None:
    (record,) = _extract(_conformance(name), NOBODY).records
    assert record.remittance_lines == (
        RemittanceLine("/PHON 888-888-8888 /CONT JO SM", "IK"),
        RemittanceLine("ANG", "IK"),
    )
    assert record.payer_name == "META PLATFORMS INC"
    assert "BPR¦C¦1352.88" in record.remittance.split("\n")[3]
    assert (record.kind, record.amount, record.type_code) == (
        "other",
        Decimal("-1000000.00"),
        "27/CTX",
    )


def test_latin1_and_utf8_ctx_files_give_the_same_payment() -> None:
    latin1 = _extract(_conformance("moov_ctx-820-nonascii-latin1.ach")).records[0]
    utf8 = _extract(_conformance("moov_ctx-820-nonascii-utf8.ach")).records[0]
    assert (latin1.dedupe_key, latin1.remittance) == (utf8.dedupe_key, utf8.remittance)


def test_ctx_with_free_text_addenda_is_plain_remittance() -> None:
    (record,) = _extract(_conformance("moov_ctx-debit.ach")).records
    assert record.remittance == "Debit First Account Debit Second Account"
    assert record.remittance_lines == ()


def test_iat_entries_take_the_originator_name_from_addenda_711() -> None:
    result = _extract(_conformance("moov_iat.ach"), NOBODY)
    assert [(r.payer_name, r.amount, r.currency, r.type_code) for r in result.records] == [
        ("BEK Solutions", Decimal("1000.00"), "USD", "22/IAT"),
        ("BEK Solutions", Decimal("-20.00"), "USD", "27/IAT"),
    ]
    assert result.records[0].references == ("987465493213987",)  # 715 receiver id


def test_bank_file_with_ppd_and_iat_batches_parses_every_entry() -> None:
    result = _extract(_conformance("moov_20110805A-ppd-iat.ach"), NOBODY)
    assert len(result.records) == 48
    iat = [r for r in result.records if r.type_code.endswith("/IAT")]
    assert {(r.payer_name, r.currency) for r in iat} == {("EXAMPLE COMPANY", "CAD")}
    assert any("batch count" in i.message for i in result.issues)  # the file says 5, has 4


def test_records_without_line_separators_are_cut_every_94_characters() -> None:
    (record,) = _extract(_conformance("moov_ppd-debit-no-newlines.ach")).records
    assert (record.location, record.source_ref, record.amount) == (
        "record 3",
        "076401255655291",
        Decimal("-105.00"),
    )


def test_zero_entry_processor_file_with_crlf_is_accepted_empty() -> None:
    result = _extract(_conformance("moov_fiserv-zero-return-file-crlf.ach"))
    assert result.records == ()
    assert result.control_total == Decimal("0.00")


def test_large_file_yields_every_entry() -> None:
    data = _conformance("moov_PPD-200-batches-100000-entries.ach.gz")
    result = _extract(data, ExtractContext(ach_company_ids=frozenset({"121042882"})))
    assert len(result.records) == 100_199  # what its file control counts
    assert {r.kind for r in result.records} == {"other"}  # our own credits: money out
    assert -sum(r.amount for r in result.records) == Decimal("201233987.66")
    assert len({r.dedupe_key for r in result.records}) == 100_199


# --- direction ----------------------------------------------------------------------------
def test_direction_depends_on_whether_the_batch_is_ours() -> None:
    data = _file(
        _batch(OURS, _entry("27", "100.00"), _entry("22", "5.00")),
        _batch("5556667778", _entry("22", "250.00"), _entry("27", "7.50")),
    )
    records = _extract(data).records
    assert [(r.kind, r.amount) for r in records] == [
        ("payment", Decimal("100.00")),  # our collection
        ("other", Decimal("-5.00")),  # our credit out
        ("payment", Decimal("250.00")),  # a customer pays us
        ("other", Decimal("-7.50")),  # someone debits us
    ]
    assert records[0].payer_account == "011000015:******7788"
    assert (records[0].payer_name, records[0].account) == ("CONTOSO LLC", "")
    assert (records[2].payer_name, records[2].payer_account) == ("NORTHWIND", "ach:5556667778")
    assert records[2].account == "******7788"
    flipped = _extract(data, ExtractContext(ach_company_ids=frozenset({"5556667778"}))).records
    assert [r.amount for r in flipped] == [
        Decimal("-100.00"),
        Decimal("5.00"),
        Decimal("-250.00"),
        Decimal("7.50"),
    ]


def test_prenote_is_zero_other() -> None:
    (record,) = _extract(_file(_batch(OURS, _entry("28", "0")))).records
    assert (record.kind, record.amount, record.type_code) == ("other", Decimal(0), "28/CCD")


def test_repeated_identical_entries_get_distinct_dedupe_keys() -> None:
    same = _entry("22", "10.00", trace_sequence=5)
    records = _extract(_file(_batch("5556667778", same, same))).records
    assert records[0].dedupe_key + "#1" == records[1].dedupe_key


# --- refusals and warnings ----------------------------------------------------------------
def test_tampered_entry_amount_is_refused_naming_batch_and_totals() -> None:
    data = _file(_batch(OURS, _entry("27", "100.00"), _entry("27", "20.00")))
    lines = _records(data)
    lines[2] = lines[2][:29] + "0000010001" + lines[2][39:]  # 100.00 -> 100.01
    with pytest.raises(FileRefused) as refused:
        _extract("\n".join(lines).encode())
    assert "batch 1 (NORTHWIND)" in refused.value.reason
    assert "120.00" in refused.value.reason
    assert "120.01" in refused.value.reason
    assert refused.value.location == "line 5 (batch 1)"


def test_entry_hash_mismatch_is_refused() -> None:
    data = _file(_batch(OURS, _entry("27", "100.00")))
    lines = _records(data)
    lines[2] = lines[2][:3] + "01100002" + lines[2][11:]  # routing changed, amount intact
    with pytest.raises(FileRefused, match="entry hash"):
        _extract("\n".join(lines).encode())


def test_count_mismatch_is_only_a_warning() -> None:
    data = _file(_batch(OURS, _entry("27", "100.00")))
    lines = _records(data)
    lines[3] = lines[3][:4] + "000009" + lines[3][10:]
    result = _extract("\n".join(lines).encode())
    assert len(result.records) == 1
    assert [i.severity for i in result.issues] == ["warning"]
    assert "counts 9" in result.issues[0].message


def test_truncated_file_without_file_control_is_refused() -> None:
    lines = _records(_file(_batch(OURS, _entry("27", "100.00"))))
    with pytest.raises(FileRefused, match="truncated"):
        _extract("\n".join(lines[:4]).encode())


def test_batch_without_its_control_is_refused() -> None:
    lines = _records(_file(_batch(OURS, _entry("27", "100.00"))))
    with pytest.raises(FileRefused, match="batch control record"):
        _extract("\n".join(lines[:3]).encode())
    with pytest.raises(FileRefused, match="batch control record"):
        _extract("\n".join(lines[:3] + lines[4:]).encode())


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"\x00\xff\x10random bytes\n" * 5])
def test_empty_file_and_random_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(FileRefused):
        _extract(data)


def test_non_numeric_amount_is_refused_with_its_location() -> None:
    data = _file(_batch(OURS, _entry("27", "1.00")))
    lines = _records(data)
    lines[2] = lines[2][:29] + "00000001O0" + lines[2][39:]
    with pytest.raises(FileRefused, match="not numeric") as refused:
        _extract("\n".join(lines).encode())
    assert refused.value.location == "line 3 (batch 1)"


def test_unknown_record_type_is_refused() -> None:
    data = _replace_record(_file(_batch(OURS, _entry("27", "1.00"))), 2, "4" * 94)
    with pytest.raises(FileRefused, match="unknown record type '4'"):
        _extract(data)


def test_long_line_with_text_after_position_94_is_refused() -> None:
    lines = _records(_file(_batch(OURS, _entry("27", "1.00"))))
    lines[2] += "EXTRA"
    with pytest.raises(FileRefused, match="not blank") as refused:
        _extract("\n".join(lines).encode())
    assert refused.value.location == "line 3"


def test_short_and_blank_padded_lines_are_accepted_with_one_warning_each() -> None:
    lines = _records(_file(_batch(OURS, _entry("27", "1.00"))))
    lines[0] = lines[0].rstrip()
    lines[1] += "    "
    notes = split_records("\r\n".join(lines)).notes
    assert len(notes) == 2
    assert len(_extract("\r\n".join(lines).encode()).records) == 1


@given(st.binary(max_size=400))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_bytes_never_raise_anything_but_file_refused(data: bytes) -> None:
    for candidate in (data, b"101" + data):
        with contextlib.suppress(FileRefused):
            _extract(candidate)


_VALID = _file(
    _batch(
        OURS,
        _entry("27", "12.00", addenda=("INV-1",)),
        _entry("26", "3.00", return_reason="R01", original_trace="021000020000001"),
    ),
    _batch(
        "5556667778",
        _entry(
            "22",
            "40.00",
            addenda=ctx_820_addenda("ACME", [RemittanceLine("INV-2", "IV", Decimal("40.00"))]),
        ),
        sec="CTX",
    ),
)


@given(
    st.lists(
        st.tuples(st.integers(0, len(_VALID) - 1), st.sampled_from(b"09 *~\n\xa6A")),
        min_size=1,
        max_size=4,
    )
)
def test_a_corrupted_valid_file_never_raises_anything_but_file_refused(
    changes: list[tuple[int, int]],
) -> None:
    data = bytearray(_VALID)
    for position, byte in changes:
        data[position] = byte
    with contextlib.suppress(FileRefused):
        _extract(bytes(data))


def test_identify_claims_nacha_but_not_bai2() -> None:
    head = _file(_batch(OURS, _entry("27", "1.00")))[:200]
    assert NACHA.identify(head, "incoming.txt")
    assert not NACHA.identify(b"01,021000021,CUSTOMER,240501,0930,1,80,,2/\n", "x.bai2")
    assert not NACHA.identify(b"1,2,3\n", "x.csv")


# --- X12 820 ------------------------------------------------------------------------------
def test_isa_declares_the_delimiters() -> None:
    stream = "".join(ctx_820_addenda("ACME", [], element_sep="|", segment_term="\\"))
    delimiters = read_delimiters(stream)
    assert delimiters is not None
    assert (delimiters.element, delimiters.segment) == ("|", "\\")


def test_truncated_820_keeps_complete_segments_and_warns() -> None:
    stream = "".join(ctx_820_addenda("ACME", [RemittanceLine("INV-1", "IV", Decimal("5.00"))]))
    cut = stream[: stream.index("RMR") + 9]
    parsed = parse_820(cut, "USD")
    assert parsed.payer_name == "ACME"
    assert parsed.lines == ()
    assert parsed.text.endswith("RMR*IV*IN")
    assert any("inside a segment" in p for p in parsed.problems)


# --- writer and round trip ----------------------------------------------------------------
def test_writer_blocks_to_ten_records_and_is_deterministic() -> None:
    batch = _batch(OURS, _entry("27", "1.00", addenda=("INV-1",)))
    data = _file(batch)
    lines = data.decode().splitlines()
    assert len(lines) % 10 == 0
    assert all(len(line) == 94 for line in lines)
    assert data == _file(batch)


@pytest.mark.parametrize(
    "bad",
    [
        {"rdfi_routing": "12345"},
        {"individual_id": "X" * 16},
        {"account": "1\n2"},
        {"addenda": ("A" * 81,)},
    ],
)
def test_writer_refuses_fields_that_do_not_fit(bad: _EntryFields) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the field
        _file(_batch(OURS, _entry("27", "1.00", **bad)))


_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./#", max_size=12).map(str.strip)
_ref = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/", min_size=1, max_size=12)
_cents = st.integers(min_value=0, max_value=99_999_999).map(lambda c: Decimal(c).scaleb(-2))
_line = st.builds(
    RemittanceLine,
    reference=_ref,
    qualifier=st.sampled_from(["IV", "OI", "PO", "IK"]),
    paid=st.none() | _cents,
    invoice_total=st.none() | _cents,
    discount=st.none() | _cents,
)


@st.composite
def _entries(draw: st.DrawFn, sec: str) -> AchEntry:
    code = draw(st.sampled_from(["22", "27", "32", "37", "26", "21"]))
    returned = code in ("26", "21")
    addenda: tuple[str, ...] = ()
    if not returned and sec == "CTX":
        addenda = ctx_820_addenda(draw(_ref), draw(st.lists(_line, max_size=4)))
    elif not returned:
        addenda = tuple(draw(st.lists(_text.filter(bool), max_size=1)))
    return AchEntry(
        code,
        draw(st.sampled_from(["011000015", "021000021", "122000247"])),
        draw(st.text(alphabet="0123456789", min_size=4, max_size=17)),
        draw(_cents.filter(lambda a: a > 0)),
        draw(_text),
        draw(_text),
        addenda,
        return_reason=draw(st.sampled_from(sorted(RETURN_REASONS))) if returned else "",
        original_trace=draw(st.from_regex(r"\A[0-9]{15}\Z")) if returned else "",
    )


@st.composite
def _batches(draw: st.DrawFn) -> AchBatch:
    sec = draw(st.sampled_from(["CCD", "PPD", "WEB", "CTX"]))
    return AchBatch(
        draw(_text),
        draw(st.sampled_from([OURS, "5556667778"])),
        sec,
        "PAYMENT",
        draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2079, 12, 31))),
        "02100002",
        tuple(draw(st.lists(_entries(sec), min_size=1, max_size=5))),
    )


def _expected_sign(entry: AchEntry, ours: bool) -> tuple[str, int]:
    credit = entry.transaction_code[1] in "1234"
    if entry.return_reason:  # a dishonored return undoes the return: opposite sign
        undone = return_class(entry.return_reason) == "dishonored"
        return "return", 1 if credit != undone else -1
    if ours:
        return ("other", -1) if credit else ("payment", 1)
    return ("payment", 1) if credit else ("other", -1)


@given(st.lists(_batches(), min_size=1, max_size=3))
@settings(max_examples=75, deadline=None)
def test_write_then_extract_round_trips(batches: list[AchBatch]) -> None:
    result = _extract(_file(*batches))
    assert result.issues == ()
    expected = [(b, e) for b in batches for e in b.entries]
    assert len(result.records) == len(expected)
    for position, (record, (batch, entry)) in enumerate(
        zip(result.records, expected, strict=True), start=1
    ):
        kind, sign = _expected_sign(entry, batch.company_id == OURS)
        assert (record.kind, record.amount) == (kind, sign * entry.amount)
        assert record.source_ref == f"02100002{position:07d}"
        assert record.value_date == batch.effective_date
        assert record.type_code == f"{entry.transaction_code}/{batch.sec_code}"
        assert record.references == ((entry.individual_id,) if entry.individual_id else ())
        if entry.return_reason:
            assert (record.reason_code, record.related_ref) == (
                entry.return_reason,
                entry.original_trace,
            )
        elif batch.sec_code == "CTX" and entry.addenda:
            assert [line.reference for line in record.remittance_lines] == [
                line.reference for line in _rmr_lines(entry.addenda)
            ]
            assert record.remittance_lines == _rmr_lines(entry.addenda)
        else:
            assert record.remittance == " ".join("".join(entry.addenda).split())


def _rmr_lines(addenda: tuple[str, ...]) -> tuple[RemittanceLine, ...]:
    return parse_820("".join(addenda), "USD").lines


@given(st.lists(_line, max_size=6), _ref)
def test_ctx_820_addenda_round_trip_rmr_lines_exactly(
    lines: list[RemittanceLine], payer: str
) -> None:
    addenda = ctx_820_addenda(payer, lines)
    assert all(len(a) <= 80 for a in addenda)
    parsed = parse_820("".join(a.ljust(80) for a in addenda), "USD")
    assert parsed.lines == tuple(lines)
    assert parsed.payer_name == payer
    assert parsed.problems == ()


# --- issue 10: a record that lost a field is refused; padding only where nothing is lost
PEER = CONFORMANCE / "peer" / "files" / "nacha"


def _cut(data: bytes, index: int, length: int) -> bytes:
    lines = _records(data)
    lines[index] = lines[index][:length]
    return "\n".join(lines).encode()


def test_an_entry_cut_to_80_characters_loses_its_trace_and_is_refused() -> None:
    """Issue 10: the cut entry was padded, stored with its trace gone, and the bank's
    corrected re-send then stored the same money again."""
    data = _file(_batch("5556667778", _entry("22", "640.00"), _entry("22", "12.50")))
    assert len(_extract(data).records) == 2
    with pytest.raises(FileRefused, match="trace number") as refused:
        _extract(_cut(data, 3, 80))
    assert refused.value.location == "line 4"


@pytest.mark.parametrize(
    ("index", "length", "field"),
    [
        (0, 33, "file ID modifier"),
        (1, 86, "originating DFI identification"),
        (2, 93, "trace number"),
        (3, 60, "addenda information"),
        (3, 90, "addenda sequence / trace number"),
        (4, 87, "batch number"),
        (6, 50, "total credit amount"),
    ],
)
def test_a_record_cut_inside_a_required_field_is_refused(
    index: int, length: int, field: str
) -> None:
    data = _file(_batch(OURS, _entry("27", "12.00", addenda=("INV-1",))))
    lines = _records(data)
    assert [line[:1] for line in lines[:6]] == ["1", "5", "6", "7", "8", "9"]
    control = 5 if index == 6 else index
    with pytest.raises(FileRefused, match=field) as refused:
        _extract(_cut(data, control, length))
    assert refused.value.location == f"line {control + 1}"


def test_header_and_control_missing_only_optional_or_reserved_tails_are_a_leniency() -> None:
    """Real files (Zions, PNC, moov's fixtures) end the file header after its names and the
    file control after its total credit amount: nothing is lost, so they are padded and the
    file says so once."""
    data = _file(_batch(OURS, _entry("27", "12.00")))
    lines = _records(data)
    control = next(i for i, line in enumerate(lines) if line.startswith("9") and line.strip("9"))
    lines[0] = lines[0][:40]
    lines[control] = lines[control][:55]
    result = _extract("\n".join(lines).encode())
    assert [r.amount for r in result.records] == [Decimal("12.00")]
    (note,) = [i for i in result.issues if "padded NACHA lines" in i.message]
    assert "2 record(s)" in note.message


# --- issue 10: ISO 20022 XML remittance in CTX addenda


def _xml_addenda(xml: str) -> tuple[str, ...]:
    return tuple(xml[i : i + 80] for i in range(0, len(xml), 80))


_CTX_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Document xmlns:xsi="http://www.w3.org/2001/'
    'XMLSchema-instance"xsi:noNamespaceSchemaLocation="file:NACHA.xsd><RmtInf><Strd>'
    "<RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-7001</Nb></RfrdDocInf>"
    '<RfrdDocAmt><DuePyblAmt Ccy="USD">120.00</DuePyblAmt><DscntApldAmt Ccy="USD">2.40'
    '</DscntApldAmt><RmtdAmt Ccy="USD">117.60</RmtdAmt></RfrdDocAmt></Strd><Strd><RfrdDocInf>'
    '<Nb>INV-7002</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="USD">82.40</RmtdAmt></RfrdDocAmt>'
    "</Strd></RmtInf></Document>"
)


def test_ctx_xml_remittance_yields_one_line_per_referred_document() -> None:
    """The wrapper is as sloppy as the dwilkins sample's (a lost quote and space in the
    Document tag); the RmtInf blocks are well-formed and carry the invoices."""
    batch = _batch("5556667778", _entry("22", "200.00", addenda=_xml_addenda(_CTX_XML)), sec="CTX")
    (record,) = _extract(_file(batch)).records
    assert record.amount == Decimal("200.00")
    assert record.remittance_lines == (
        RemittanceLine("INV-7001", "IV", Decimal("117.60"), Decimal("120.00"), Decimal("2.40")),
        RemittanceLine("INV-7002", "IV", Decimal("82.40")),
    )
    assert "INV-7001" in record.remittance
    assert "<RmtInf>" not in record.remittance


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "INV-1">]><Document><RmtInf><Strd>'
            "<RfrdDocInf><Nb>&a;</Nb></RfrdDocInf></Strd></RmtInf></Document>",
            "DOCTYPE/ENTITY",
        ),
        ("<Document><RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></Strd></RmtInf>", "not well-formed"),
        ("<Document><RmtInf><Strd><RfrdDocInf><Nb>INV-1", "no complete <RmtInf>"),
    ],
)
def test_unsafe_or_broken_ctx_xml_stays_text_with_a_warning(xml: str, problem: str) -> None:
    batch = _batch("5556667778", _entry("22", "5.00", addenda=_xml_addenda(xml)), sec="CTX")
    result = _extract(_file(batch))
    (record,) = result.records
    assert record.amount == Decimal("5.00")
    assert record.remittance_lines == ()
    assert any(problem in issue.message for issue in result.issues)


def test_the_dwilkins_ctx_xml_file_gives_its_invoices_and_they_add_up() -> None:
    path = PEER / "dw_CTX_XML.txt"
    if not path.exists():
        pytest.skip(f"peer corpus not present at {path}")
    records = _extract(path.read_bytes(), NOBODY).records
    assert [r.amount for r in records] == [Decimal("7989.73"), Decimal("21249.54")]
    assert [[line.reference for line in r.remittance_lines] for r in records] == [
        ["7321239", "7321511"],
        ["13334567", "13357893", "13361023"],
    ]
    for record in records:
        assert sum(line.paid or 0 for line in record.remittance_lines) == record.amount


# --- issue 10 (round 2): identity and dates a payment cannot do without -------------------


def test_an_entry_with_a_blank_trace_number_is_refused_naming_its_line() -> None:
    """The trace is the payment's identity (source_ref, dedupe key): without it a bank's
    re-send could not be recognised and the same money would be stored twice."""
    data = _file(_batch("5556667778", _entry("22", "640.00"), _entry("22", "12.50")))
    lines = _records(data)
    lines[3] = lines[3][:79] + " " * 15
    with pytest.raises(FileRefused, match="trace number") as refused:
        _extract("\n".join(lines).encode())
    assert refused.value.location == "line 4 (batch 1)"


def test_an_impossible_effective_date_is_refused_naming_the_batch_header() -> None:
    """261331 (month 13) is a damaged date, not a missing one: replacing it with the file
    creation date would book the money on a day nobody sent."""
    data = _file(_batch("5556667778", _entry("22", "640.00")))
    lines = _records(data)
    lines[1] = lines[1][:69] + "261331" + lines[1][75:]
    with pytest.raises(FileRefused, match="effective entry date '261331'") as refused:
        _extract("\n".join(lines).encode())
    assert refused.value.location == "line 2 (batch 1)"


@pytest.mark.parametrize("effective", ["000000", "      "])
def test_a_zero_or_blank_effective_date_takes_the_creation_date_under_a_named_leniency(
    effective: str,
) -> None:
    """Return and NOC files (moov's) write 000000 and some CTX originators leave it blank
    (dwilkins' ctx_valid_1): the date is absent, not wrong, so the file date stands in."""
    data = _file(_batch("5556667778", _entry("22", "640.00")))
    lines = _records(data)
    lines[1] = lines[1][:69] + effective + lines[1][75:]
    result = _extract("\n".join(lines).encode())
    assert [r.value_date for r in result.records] == [date(2024, 5, 1)]
    (warning,) = result.issues
    assert "leniency 'missing effective date'" in warning.message
    assert warning.location == "line 2"


def test_a_return_whose_original_trace_is_blank_is_refused_naming_the_addenda() -> None:
    """A return without the original trace cannot be tied to the payment it takes back."""
    returned = _entry("26", "3.00", return_reason="R01", original_trace="021000020000001")
    data = _file(_batch(OURS, returned))
    lines = _records(data)
    assert lines[3].startswith("799R01021000020000001")
    lines[3] = lines[3][:6] + " " * 15 + lines[3][21:]
    with pytest.raises(FileRefused, match="original entry trace number") as refused:
        _extract("\n".join(lines).encode())
    assert refused.value.location == "line 4 (batch 1)"


def test_an_820_amount_with_a_decimal_comma_is_refused() -> None:
    """X12 amounts (data type R) use a decimal point and no grouping: 1310,55 is either
    a European 1310.55 or a grouped 131055 -- either guess can be wrong money."""
    invoice = RemittanceLine("INV-1", "IV", Decimal("1310.55"))
    addenda = ctx_820_addenda("ACME", [invoice])
    damaged = tuple(a.replace("1310.55", "1310,55") for a in addenda)
    assert damaged != addenda
    batch = _batch("5556667778", _entry("22", "1310.55", addenda=damaged), sec="CTX")
    with pytest.raises(FileRefused, match="1310,55") as refused:
        _extract(_file(batch))
    assert refused.value.location == "line 3 (batch 1)"


@pytest.mark.parametrize("text", ["1310,55", "1,310.55", "1 310.55", "12.5.0", "USD5", "--1"])
def test_an_820_amount_that_is_not_an_x12_decimal_is_an_error_not_a_guess(text: str) -> None:
    stream = "".join(ctx_820_addenda("ACME", [RemittanceLine("INV-1", "IV", Decimal("7.00"))]))
    parsed = parse_820(stream.replace("**7.00", f"**{text}"), "USD")
    assert parsed.lines == ()
    assert any(text in error for error in parsed.errors)


@pytest.mark.parametrize(("text", "amount"), [("7", "7.00"), ("-7.5", "-7.50"), (".25", "0.25")])
def test_an_820_amount_in_x12_decimal_form_is_read_exactly(text: str, amount: str) -> None:
    stream = "".join(ctx_820_addenda("ACME", [RemittanceLine("INV-1", "IV", Decimal("7.00"))]))
    parsed = parse_820(stream.replace("**7.00", f"**{text}"), "USD")
    assert [line.paid for line in parsed.lines] == [Decimal(amount)]
    assert parsed.errors == ()
