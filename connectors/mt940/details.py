"""MT940 field 86 (information to account owner): the three layouts banks put in it.

SWIFT defines ``:86:`` as up to 6 lines of 65 characters with no structure; banks fill it
in one of three ways, and this module turns each into the same :class:`TransactionDetails`:

* **German GVC layout** (DFÜ-Abkommen Anlage 3, "Belegung des Feldes 86"): a three-digit
  business transaction code (GVC), then ``?NN`` subfields: ``?00`` booking text, ``?10``
  primanota, ``?20``-``?29`` and ``?60``-``?63`` purpose (27 characters each), ``?30`` bank
  code/BIC, ``?31`` account/IBAN, ``?32``/``?33`` counterparty name, ``?34`` text key
  extension (the SEPA return reason on returns). Inside the purpose, SEPA keywords
  ``EREF+ KREF+ MREF+ CRED+ SVWZ+ ABWA+ ...`` introduce the end-to-end id, customer
  reference, mandate, creditor id and the remittance (``SVWZ``).
* **Dutch slash layout** (ING, Rabobank, ABN AMRO, Knab, ASN, Triodos):
  ``/EREF/e2e-id/REMI/USTD//text/NAME/payer/IBAN/NL..../BIC/..../CSID/..../MARF/..../``.
  ``REMI`` holds ``USTD//free text`` or ``STRD/CUR/creditor-reference``.
* **Free text**: everything else; the whole field is the remittance.

Line breaks inside the field are formatting, not content: the German and Dutch layouts wrap
mid-word at 65 characters, so their lines are joined without a separator; free text joins
a line that filled all 65 columns directly and any shorter line with a space.

Worked example (German)::

    166?00GUTSCHRIFT?20EREF+INV-2024-0042?21SVWZ+Rechnung 2024-0042?31DE44...?32ACME GMBH

gives gv_code ``166``, booking_text ``GUTSCHRIFT``, references ``("INV-2024-0042",)``,
remittance ``Rechnung 2024-0042``, payer_name ``ACME GMBH``.

Everything here is a pure function of the text: no I/O, no state, regexes compiled once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Literal, NamedTuple

from connectors.bank_text import continues_without_space

Layout = Literal["german", "triodos", "dutch", "free", "none"]

#: Width of one line of field 86 (SWIFT 6*65x); a line this long was wrapped, not ended.
LINE_WIDTH: Final = 65
#: Width of one German ``?NN`` subfield (DFÜ Anlage 3: 27 characters).
SUBFIELD_WIDTH: Final = 27

#: References that say "there is no reference".
NO_REFERENCE: Final = frozenset({"", "NONREF", "NOTPROVIDED", "NOT PROVIDED"})

#: A GVC followed by ``?`` subfields, or GVC 999 followed by unstructured text.
_GERMAN_HEAD = re.compile(r"\s*(?:(\d{3})(?=\?|$)|(999))")
_GERMAN_SUBFIELD = re.compile(r"\?(\d{2})")
#: Triodos: a three-digit code, then ``>NN`` subfields (``000>100987654321``).
_TRIODOS_HEAD = re.compile(r"\s*(\d{3})>\d{2}")
_TRIODOS_SUBFIELD = re.compile(r">(\d{2})")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")

#: SEPA keywords inside the German purpose subfields, with their maximum lengths (EPC
#: rulebook: references are 35 characters, the remittance 140, names 70).
_SEPA_MAX: Final[dict[str, int]] = {
    "EREF": 35, "KREF": 35, "MREF": 35, "CRED": 35, "DEBT": 35, "SVWZ": 140,
    "ABWA": 70, "ABWE": 70, "COAM": 15, "OAMT": 15, "PURP": 4,
}  # fmt: skip
_SEPA_KEY = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|PURP)\+")

#: Keys of the Dutch slash layout (bank format descriptions of ING, Rabobank, ABN AMRO).
_DUTCH_KEYS: Final = (
    "TRTP", "EREF", "PREF", "IREF", "KREF", "MARF", "CSID", "CNTP", "REMI", "PURP",
    "ULTC", "ULTD", "ULTB", "EXCH", "CHGS", "RTRN", "BENM", "ORDP", "NAME", "ADDR",
    "IBAN", "BIC", "ISDT", "OCMT", "SVCL", "BUSP", "ACCW",
)  # fmt: skip
_DUTCH_KEY = re.compile("/(" + "|".join(_DUTCH_KEYS) + ")/")
_DUTCH_START = re.compile(r"\s*/(" + "|".join(_DUTCH_KEYS) + ")/")


class TransactionDetails(NamedTuple):
    """What field 86 says about one statement line, whatever the bank's layout.

    A NamedTuple rather than a frozen dataclass: one is built per statement line and
    frozen-dataclass construction measured three times slower; both are immutable.

    ``payer_account`` is the full account as written: the connector masks it before it
    leaves the connector. ``text`` is the whole field joined and whitespace-normalized,
    stable across line-ending and wrapping differences (used in the dedupe key).
    """

    layout: Layout = "none"
    gv_code: str = ""
    booking_text: str = ""
    remittance: str = ""
    payer_name: str = ""
    payer_account: str = ""
    payer_bank: str = ""
    references: tuple[str, ...] = ()
    end_to_end_id: str = ""
    return_reason: str = ""  # Dutch /RTRN/: the line is a return with this reason
    text_key_extension: str = ""  # German ?34: the return reason when the GVC is a return
    text: str = ""


def squeeze(text: str) -> str:
    """Collapse runs of whitespace into one space and trim: bank padding is not content."""
    return " ".join(text.split()) if text else ""


def join_wrapped(lines: Sequence[str]) -> str:
    """Join free-text lines: a line whose text fills 65 columns was wrapped mid-word, a
    shorter one ended. Trailing blanks do not count: pre-2014 Rabobank pads every line
    to 65 columns, and a line that ends in blanks ended at a word."""
    if not lines:
        return ""
    parts = [lines[0].rstrip()]
    previous_full = len(parts[0]) >= LINE_WIDTH
    for line in lines[1:]:
        text = line.rstrip()
        parts.append(text if previous_full else " " + text.strip())
        previous_full = len(text) >= LINE_WIDTH
    return "".join(parts)


def parse_details(text: str) -> TransactionDetails:
    """Parse the content of one ``:86:`` field (lines separated by ``\\n``, tag removed)."""
    lines = text.split("\n")
    first = lines[0] if lines else ""
    if not text.strip():
        return TransactionDetails()
    if _GERMAN_HEAD.match(first):
        return _parse_german("".join(lines))
    if _TRIODOS_HEAD.match(first):
        return _parse_triodos("".join(lines))
    if _DUTCH_START.match(first):
        return _parse_dutch("".join(lines).strip())
    joined = squeeze(join_wrapped(lines))
    return TransactionDetails(layout="free", remittance=joined, text=joined)


def _references(*candidates: str) -> tuple[str, ...]:
    """Distinct non-empty references in order, without the "no reference" placeholders.

    Candidates arrive whitespace-normalized.
    """
    return tuple(dict.fromkeys(c for c in candidates if c and c.upper() not in NO_REFERENCE))


def _first_reference(candidate: str) -> str:
    found = _references(candidate)
    return found[0] if found else ""


# --- German GVC layout -------------------------------------------------------------------


def _parse_german(body: str) -> TransactionDetails:
    head = _GERMAN_HEAD.match(body)
    gv_code = (head.group(1) or head.group(2)) if head else ""
    rest = body[head.end() :] if head else body
    pieces = _GERMAN_SUBFIELD.split(rest)
    if gv_code == "999" or len(pieces) < 3:  # GVC 999: unstructured text follows the code
        return TransactionDetails(
            layout="german", gv_code=gv_code, remittance=squeeze(rest), text=squeeze(body)
        )
    purpose: list[str] = []
    name: list[str] = []
    single: dict[str, str] = {}
    # pieces = [text before the first ?NN, code, value, code, value, ...]
    for i in range(1, len(pieces) - 1, 2):
        code, value = pieces[i], pieces[i + 1]
        if code[0] == "2" or "60" <= code <= "63":
            purpose.append(value)
        elif code in ("32", "33"):
            name.append(value)
        elif code not in single:
            single[code] = value
    tokens, free_text = split_sepa_purpose(purpose)
    eref = tokens.get("EREF", "")
    return TransactionDetails(
        layout="german",
        gv_code=gv_code,
        booking_text=squeeze(single.get("00", "")),
        remittance=tokens.get("SVWZ", "") or free_text,
        payer_name=squeeze(join_subfields(name)[0]) if name else tokens.get("ABWA", ""),
        payer_account=squeeze(single.get("31", "") or single.get("38", "")),
        payer_bank=squeeze(single.get("30", "")),
        references=_references(
            eref, tokens.get("KREF", ""), tokens.get("MREF", ""), tokens.get("CRED", "")
        ),
        end_to_end_id=_first_reference(eref),
        text_key_extension=squeeze(single.get("34", "")),
        text=squeeze(body),
    )


def join_subfields(pieces: Sequence[str]) -> tuple[str, list[int]]:
    """Join German subfields; a boundary is a space only where it is a word break.

    Returns the text and the offset where each piece ends (for cutting at boundaries).
    DTAUS purpose and name lines were separate 27-character lines; SEPA texts are cut into
    27-character chunks, and some banks (Volksbank) cut anywhere, mid-word and mid-IBAN.
    :func:`connectors.bank_text.continues_without_space` decides each boundary: a full
    piece, a number or IBAN cut in two, or a word cut in lower case continues; anything
    else gets one space.
    """
    parts: list[str] = []
    bounds: list[int] = []
    position = 0
    previous = ""
    for piece in pieces:
        if parts and not continues_without_space(previous, piece, SUBFIELD_WIDTH):
            parts.append(" ")
            position += 1
        parts.append(piece)
        position += len(piece)
        bounds.append(position)
        previous = piece
    return "".join(parts), bounds


def split_sepa_purpose(subfields: Sequence[str]) -> tuple[dict[str, str], str]:
    """Split German purpose subfields into SEPA keyword values and untagged text.

    The subfields are joined (:func:`join_subfields`) and cut at the keywords. A reference
    keyword cannot run longer than its SEPA limit: where it would, it ends at the last
    subfield boundary within the limit and the rest is untagged text (banks append notes
    such as ``MTLG:...`` after an EREF).
    """
    joined, bounds = join_subfields(subfields)
    tokens: dict[str, str] = {}
    matches = list(_SEPA_KEY.finditer(joined))
    if not matches:
        return tokens, squeeze(joined)
    free = [joined[: matches[0].start()]]
    for index, match in enumerate(matches):
        key = match.group(1)
        start = match.end()
        end = matches[index + 1].start() if index + 1 < len(matches) else len(joined)
        if end - start > _SEPA_MAX[key]:
            limit = start + _SEPA_MAX[key]
            cut = max((b for b in bounds if start < b <= limit), default=end)
            free.append(joined[cut:end])
            end = cut
        if key not in tokens:
            tokens[key] = squeeze(joined[start:end])
    return tokens, squeeze(" ".join(free))


# --- Triodos ">" layout -------------------------------------------------------------------


def _parse_triodos(body: str) -> TransactionDetails:
    """Triodos Bank: ``000>10<counter-account>>20..>2x<text>>31<our account>``.

    The German layout with ``>`` for ``?`` (Triodos MT940 description): ``>10`` is the
    counter-account (domestic), ``>20``-``>29`` the text in 27-character pieces - for
    SEPA lines ``>20`` the counterparty's BIC and ``>21`` its IBAN come first - and
    ``>31`` our own account, which says nothing about the payer.
    """
    head = _TRIODOS_HEAD.match(body)
    pieces = _TRIODOS_SUBFIELD.split(body[head.end() - 3 :] if head else body)
    values: list[tuple[str, str]] = [
        (pieces[i], pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)
    ]
    account = next((v.strip() for c, v in values if c == "10"), "")
    text = [v for c, v in values if c[0] == "2"]
    bank = ""
    if (
        len(text) >= 2
        and _BIC.fullmatch(text[0].strip())
        and _IBAN_SHAPE.fullmatch(text[1].strip())
    ):
        bank, account, text = text[0].strip(), text[1].strip(), text[2:]
    if account.strip("0") == "":
        account = ""
    remittance = squeeze(join_subfields(text)[0])
    return TransactionDetails(
        layout="triodos",  # its leading code is always 000: not a German GVC
        remittance=remittance,
        payer_account=account,
        payer_bank=bank,
        text=squeeze(body),
    )


# --- Dutch slash layout ------------------------------------------------------------------


def split_dutch(body: str) -> dict[str, str]:
    """``/KEY/value/KEY/value/`` -> {KEY: value}; a value runs to the next known key."""
    matches = list(_DUTCH_KEY.finditer(body))
    fields: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        value = body[match.end() : end]
        if value.endswith("/"):
            value = value[:-1]
        fields.setdefault(match.group(1), value)
    return fields


def _remittance_info(remi: str) -> tuple[str, str]:
    """``REMI`` content -> (remittance text, structured creditor reference or "")."""
    if remi.startswith("USTD/"):
        return remi[5:].lstrip("/"), ""
    if remi.startswith("STRD/"):
        reference = remi[5:].split("/", 1)[-1].strip("/")  # STRD/CUR/<reference>
        return reference, reference
    return remi, ""


def _parse_dutch(body: str) -> TransactionDetails:
    fields = split_dutch(body)
    remittance, creditor_ref = _remittance_info(fields.get("REMI", ""))
    name = fields.get("NAME", "")
    account = fields.get("IBAN", "")
    bank = fields.get("BIC", "")
    if "CNTP" in fields:  # ING: /CNTP/<iban>/<bic>/<name>/<city>/
        parts = fields["CNTP"].split("/")
        parts += [""] * (3 - len(parts))
        account, bank, name = account or parts[0], bank or parts[1], name or parts[2]
    eref = squeeze(fields.get("EREF", ""))
    return TransactionDetails(
        layout="dutch",
        booking_text=squeeze(fields.get("TRTP", "")),
        remittance=squeeze(remittance),
        payer_name=squeeze(name),
        payer_account=squeeze(account),
        payer_bank=squeeze(bank),
        references=_references(
            eref,
            squeeze(fields.get("PREF", "").split("/", 1)[0]),  # Rabobank batch: PmtInfId
            squeeze(fields.get("MARF", "")),
            squeeze(fields.get("CSID", "")),
            squeeze(creditor_ref),
        ),
        end_to_end_id=_first_reference(eref),
        return_reason=squeeze(fields.get("RTRN", "")),
        text=squeeze(body),
    )
