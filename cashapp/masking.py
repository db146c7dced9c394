"""Account numbers and IBANs masked wherever a person reads free text.

Why: an account number in clear is half of what a fraudster needs for a debit or a
payment-diversion letter, and a report, a query result or a statement label is mailed,
screenshotted and pasted into tickets. Account *columns* are masked at ingest with
:func:`connectors.base.mask_account`; this module finds account numbers inside *text*:
statement ids (a camt statement id often embeds the IBAN), file names, remittance.

The masked form is ``******`` and the last four characters, the form ``mask_account``
gives any number of ten characters or more: enough to recognise an account, not to use
it. Free text always gets six stars, so the mask does not tell the number's length.

What counts as an account number, and why each rule is safe where it applies:

- an IBAN (ISO 13616: a registry country, two check digits, 11-30 letters or digits), written
  compact (``DE89370400440532013000``) or in the printed groups of four
  (``DE89 3704 0044 0532 0130 00``);
- digits that follow an account keyword (``ACCT 000123456789``, ``Konto-Nr. 1234567``,
  ``A/C 12345678``): context makes them an account, not an invoice number;
- in labels only (statement ids and file names, :func:`mask_label`), any run of nine or
  more digits. Remittance keeps such runs: there a ten-digit number is far more often an
  ERP invoice or document number, which the specialist needs to apply the cash.

The same rules exist as the SQL macros ``mask_text`` and ``mask_label`` in
``store/views.sql`` (RE2 syntax, no Python needed to read a view); a test holds the two
equal. Example::

    >>> mask_label("Stmt 2024-03-05-DE44500105175407324931")
    'Stmt 2024-03-05-******4931'
"""

from __future__ import annotations

import re
from typing import Final

MASK: Final = "******"

#: Countries of the SWIFT IBAN registry. Only these start an IBAN: an ISO 11649 creditor
#: reference (``RF18 5390 0754 7034``) has the same shape and must stay readable, since
#: it is what the payer quoted to identify the invoice.
IBAN_COUNTRIES: Final = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE"
    " GI GL GR GT HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT"
    " MU NI NL NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG"
    " XK YE"
)
_COUNTRY: Final = "(?:" + IBAN_COUNTRIES.replace(" ", "|") + ")"

#: An IBAN written compact: 15-34 characters, the last four kept.
_IBAN_COMPACT: Final = rf"\b{_COUNTRY}[0-9]{{2}}[A-Z0-9]{{7,26}}([A-Z0-9]{{4}})\b"

#: An IBAN in printed groups of four, the last group 1-4 long; the last four characters
#: (which may span the last two groups) are kept, without the space.
#: The short-tail branches come first: both engines take the first branch that fits, and a
#: full last group would otherwise end the match before a short one.
_IBAN_GROUPED: Final = (
    rf"\b{_COUNTRY}[0-9]{{2}}(?: [A-Z0-9]{{4}}){{1,7}} (?:"
    r"[A-Z0-9]([A-Z0-9]{3}) ([A-Z0-9])"
    r"|[A-Z0-9]{2}([A-Z0-9]{2}) ([A-Z0-9]{2})"
    r"|[A-Z0-9]{3}([A-Z0-9]) ([A-Z0-9]{3})"
    r"|([A-Z0-9]{4}))\b"
)

#: Digits (five or more) after a word that says "account", in the languages of our banks.
_KEYWORD_ACCOUNT: Final = (
    r"(?i)\b(ACCT|ACCOUNT|A/C|KONTO|KTO|KONTONR|REKENING|REKENINGNUMMER|CUENTA|COMPTE)"
    r"([ .:#-]{0,3}(?:NO|NR|NUMBER|NUMMER|NUM)?[ .:#-]{0,3})[0-9]+([0-9]{4})\b"
)

#: In labels: any run of nine or more digits.
_LONG_DIGITS: Final = r"[0-9]{5,}([0-9]{4})"

_TEXT_RULES: Final = (
    (re.compile(_IBAN_COMPACT, re.ASCII), MASK + r"\1"),
    (re.compile(_IBAN_GROUPED, re.ASCII), MASK + r"\1\2\3\4\5\6\7"),
    (re.compile(_KEYWORD_ACCOUNT, re.ASCII), r"\1\2" + MASK + r"\3"),
)
_LABEL_RULES: Final = ((re.compile(_LONG_DIGITS, re.ASCII), MASK + r"\1"),)


def mask_text(text: str) -> str:
    """Free text with every IBAN and every keyword-introduced account number masked."""
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def mask_label(text: str) -> str:
    """A statement id or file name: :func:`mask_text`, and any run of 9+ digits masked."""
    text = mask_text(text)
    for pattern, replacement in _LABEL_RULES:
        text = pattern.sub(replacement, text)
    return text


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_rules(column: str, rules: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    sql = column
    for pattern, replacement in rules:
        sql = (
            f"regexp_replace({sql}, {_sql_literal(pattern.pattern)},"
            f" {_sql_literal(replacement)}, 'g')"
        )
    return sql


def sql_macros() -> str:
    """``CREATE MACRO`` statements for ``mask_text`` / ``mask_label``, from the same rules.

    Generated rather than copied into ``views.sql`` by hand, so the Python and SQL maskers
    cannot drift apart (RE2 reads these patterns as Python does: ASCII classes, ``\\b``).
    """
    text = _sql_rules("t", _TEXT_RULES)
    label = _sql_rules("mask_text(t)", _LABEL_RULES)
    return (
        f"CREATE OR REPLACE MACRO mask_text(t) AS {text};\n"
        f"CREATE OR REPLACE MACRO mask_label(t) AS {label};\n"
    )


def mask_account(number: str) -> str:
    """Keep the last four characters of an account number: enough to recognise, not to use."""
    digits = number.strip()
    if len(digits) <= 4:
        return digits
    return "*" * min(len(digits) - 4, 6) + digits[-4:]
