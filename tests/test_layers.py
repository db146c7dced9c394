"""The layers of docs/ARCHITECTURE.md hold: no module imports one above it.

``cli > bench > web > services (journal, reports, ...) > matching > ingest > connectors >
foundation (domain, money, store, ...)``. A module may import its own layer and any layer
below; an import upwards (a lazy one inside a function too) fails here with the file and
line. Every module must be placed in a layer, so a new one is a decision, not an accident.
Connectors are held to a stricter rule: they read bytes and build domain records, so they
may use only the domain, money and masking modules of the core, and one format's package
reaches into another's only where :data:`CROSS_FORMAT` says why; what formats share
(``connectors.base``, ``bank_text``, ``csv_rows``) sits at the top of ``connectors/``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import pytest

REPO: Final = Path(__file__).resolve().parent.parent

#: Top to bottom. A module belongs to the first layer one of whose prefixes it starts with.
LAYERS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("cli", ("cashapp.cli",)),
    ("bench", ("cashapp.bench", "cashapp.demo")),
    ("web", ("cashapp.web",)),
    (
        "services",
        (
            "cashapp.queue",
            "cashapp.users",
            "cashapp.aliases",
            "cashapp.close",
            "cashapp.journal",
            "cashapp.reports",
            "cashapp.pull",
            "cashapp.sandbox",
        ),
    ),
    ("matching", ("cashapp.matching",)),
    ("ingest", ("cashapp.ingest", "cashapp.masterdata", "cashapp.statements")),
    ("connectors", ("connectors",)),
    (
        "foundation",
        (
            "cashapp.domain",
            "cashapp.money",
            "cashapp.store",
            "cashapp.keys",
            "cashapp.masking",
            "cashapp.config",
            "cashapp.terms",
            "cashapp.csvsafe",
            "cashapp.bounded_read",
            "cashapp.workers",
            "cashapp",  # the package's own __init__
        ),
    ),
)

#: What a connector may import from the core.
CONNECTOR_MAY_USE: Final = ("cashapp.domain", "cashapp.money", "cashapp.masking")
#: Connector modules every format may share.
#: Where one format may read another's module, and why.
CROSS_FORMAT: Final = {
    # ISO 20022 <RmtInf> inside NACHA CTX addenda is read by camt's own remittance reader
    ("connectors.nacha.xml_addenda", "connectors.camt.fields"),
}


def _matches(module: str, prefix: str) -> bool:
    """``prefix`` names ``module`` or a package holding it (``cashapp`` only itself)."""
    if prefix == "cashapp":
        return module == prefix
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    """Index of ``module``'s layer in :data:`LAYERS` (0 is the top), or None if unplaced."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(_matches(module, prefix) for prefix in prefixes):
            return index
    return None


def module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of our own packages in ``path``, lazy ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in ("cashapp", "connectors")]


def sources() -> list[Path]:
    return sorted(
        p for package in ("cashapp", "connectors") for p in (REPO / package).rglob("*.py")
    )


def format_package(module: str) -> str | None:
    """``connectors.camt`` for ``connectors.camt.parse``; None for a shared module."""
    parts = module.split(".")
    if parts[0] != "connectors" or len(parts) < 3:
        return None
    return ".".join(parts[:2])


def violations(path: Path, root: Path = REPO) -> list[str]:
    """Every layering rule ``path`` (a file under ``root``) breaks, as ``file:line: what``."""
    here = module_name(path, root)
    mine = layer_of(here)
    where = path.relative_to(root)
    if mine is None:
        return [f"{where}: module {here} is in no layer (add it to tests/test_layers.py)"]
    found = []
    for line, target in imports_of(path):
        theirs = layer_of(target)
        if theirs is not None and theirs < mine:
            found.append(
                f"{where}:{line}: {here} ({LAYERS[mine][0]}) imports {target} "
                f"({LAYERS[theirs][0]}), a layer above it"
            )
        core = here.startswith("connectors") and target.startswith("cashapp")
        if core and not any(_matches(target, allowed) for allowed in CONNECTOR_MAY_USE):
            found.append(f"{where}:{line}: a connector imports {target}")
        own, other = format_package(here), format_package(target)
        if own and other and own != other and (here, target) not in CROSS_FORMAT:
            found.append(f"{where}:{line}: {own} reaches into another format, {other}")
    return found


def test_every_module_is_in_a_layer_and_imports_only_downwards() -> None:
    problems = [problem for path in sources() for problem in violations(path)]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("connectors/bai2/writer.py", "from cashapp.matching.pipeline import run_match", True),
        ("cashapp/money.py", "import cashapp.ingest", True),
        ("cashapp/matching/engine.py", "from cashapp.journal import post_day", True),
        ("connectors/ofx/writer.py", "from cashapp.store import Store", True),
        ("connectors/mt940/details.py", "from connectors.camt.parse import parse", True),
        ("cashapp/journal.py", "from cashapp.matching import engine", False),
        ("connectors/camt/parse.py", "from connectors.bank_text import parse_bank_text", False),
    ],
)
def test_an_upward_import_added_on_purpose_is_caught(
    tmp_path: Path, module: str, source: str, broken: bool
) -> None:
    """The check itself: the same file with one more import, lazy inside a function."""
    original = REPO / module
    text = original.read_text(encoding="utf-8") + f"\n\ndef _probe() -> None:\n    {source}\n"
    # a copy at the same place in a mirror tree, so the module name is the same
    mirror = tmp_path / module
    mirror.parent.mkdir(parents=True)
    mirror.write_text(text, encoding="utf-8")
    assert violations(original) == []
    found = violations(mirror, tmp_path)
    assert bool(found) is broken, found
    if broken:
        assert f"{module}:" in found[0]
