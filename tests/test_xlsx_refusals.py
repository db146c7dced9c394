"""An XLSX that is not what Excel writes is refused naming the file (issue 10, item 10).

The reported case: a workbook whose XML declares entities ended in ``internal error``
without the file named. Excel never writes a DTD into a workbook part; a declared entity
is either an expansion bomb or a probe for local files, so the file is refused whole.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import CliRunner

_ENTITIES = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
_EXTERNAL = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'


def _workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["customer_id", "name", "email", "currency", "terms"])
    sheet.append(["C-1", "Acme Corp", "ap@acme.example", "USD", "NET30"])
    book.save(path)


def _with_doctype(source: Path, target: Path, part: str, doctype: str) -> None:
    """Copy the workbook, declaring ``doctype`` in ``part`` right after its XML prolog."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == part:
                text = data.decode("utf-8")
                at = text.index("?>") + 2 if "?>" in text else 0
                data = (text[:at] + doctype + text[at:]).encode("utf-8")
            zout.writestr(name, data)


@pytest.mark.parametrize(
    ("part", "doctype"),
    [
        ("xl/worksheets/sheet1.xml", _ENTITIES),
        ("xl/worksheets/sheet1.xml", _EXTERNAL),
        ("xl/workbook.xml", _ENTITIES),
        ("[Content_Types].xml", _ENTITIES),
        ("xl/styles.xml", _EXTERNAL),
    ],
)
def test_an_xlsx_declaring_entities_is_refused_naming_the_file(
    cli: CliRunner, tmp_path: Path, part: str, doctype: str
) -> None:
    clean = tmp_path / "clean.xlsx"
    _workbook(clean)
    evil = tmp_path / "evil.xlsx"
    _with_doctype(clean, evil, part, doctype)
    result = cli("import", "customers", evil)
    assert result.code == 2
    assert str(evil) in result.stderr
    assert part in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("query", "select count(*) AS n from v_invoices", "--format", "csv").code == 0


def test_a_clean_workbook_still_imports(cli: CliRunner, tmp_path: Path) -> None:
    clean = tmp_path / "clean.xlsx"
    _workbook(clean)
    result = cli("import", "customers", clean)
    assert result.code == 0, result.stderr
    assert "1 new" in result.stdout


def test_a_zip_that_is_not_a_workbook_is_refused_naming_the_file(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    result = cli("import", "customers", path)
    assert result.code == 2
    assert str(path) in result.stderr
    assert "internal error" not in result.stderr
