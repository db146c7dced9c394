"""Company names for synthetic books: the vocabularies, and how a name is spelled.

Each book draws its customers' names from its own vocabulary, so its seeds keep their
books: the demo's is short and recognisable, the quality bench's reads like a B2B ledger
(and is checked for look-alikes), the speed bench's must yield 200,000 distinct names, so
it adds made-up brand words (:func:`coined_word`).

How a name is *shown* is shared: banks upper-case it and drop the punctuation their
character sets lack (:func:`bank_name`); a careful person compares names without case,
punctuation or legal form (:func:`name_key`); the AP mailbox is the first word's domain
(:func:`ap_mailbox`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random
from typing import Final


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The words a book's company names are made of: ``<first> <trade> <suffix>``."""

    first: tuple[str, ...]
    trades: tuple[str, ...]
    suffixes: tuple[str, ...]


#: The quality bench's ledger: regional stems, real trades, every legal-form spelling.
QUALITY_NAMES: Final = Vocabulary(
    first=(
        "Bluewater", "Cascade", "Redwood", "Granite", "Ironbridge", "Lakeshore", "Pinecrest",
        "Silverline", "Keystone", "Meridian", "Crescent", "Evergreen", "Prairie", "Riverbend",
        "Oakmont", "Westfield", "Brightpath", "Frontier", "Highland", "Liberty", "Magnolia",
        "Northgate", "Orion", "Quarry", "Rockport", "Sunbelt", "Twin Rivers", "Copperline",
        "Falcon", "Golden Gate", "Kingsley", "Lone Star", "Pacific Rim", "Tri-County",
        "Beacon", "Atlas", "Delta", "Empire", "Jefferson", "Coastal", "Sterling", "Patriot",
        "Maple Leaf", "Valley", "Horizon", "Ironwood", "Clearwater", "Stonegate", "Blue Heron",
        "Cardinal",
    ),
    trades=(
        "Building Materials", "Food Distributors", "Medical Supply", "Logistics",
        "Freight Lines", "Packaging", "Industrial Tools", "Office Products", "HVAC Services",
        "Auto Parts", "Dental Labs", "Janitorial Supply", "Fasteners", "Steel Fabrication",
        "Landscaping", "Printing", "Electrical Contractors", "Restaurant Supply", "Lumber",
        "Plastics", "Pharmacy Services", "Cold Storage", "Marine Services", "Farm Equipment",
        "Paint and Coatings", "Safety Products", "Uniform Rental", "Signs and Graphics",
    ),
    suffixes=("Inc", "Inc.", "LLC", "Corp", "Corporation", "Co", "Ltd", "L.L.C."),
)  # fmt: skip

#: The demo's: names a reader recognises at a glance in the queue.
DEMO_NAMES: Final = Vocabulary(
    first=(
        "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell",
        "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Pied Piper", "Dunder", "Gringotts",
        "Oscorp", "Nakatomi", "Monarch", "Sterling", "Prestige", "Bluth", "Kramerica",
        "Massive", "Virtucon", "Aperture", "Black Mesa", "Gekko", "Duff", "Krusty",
        "Paper Street", "Los Pollos", "Bubba Gump", "Ollivanders", "Spacely", "Cogswell",
        "Zorg", "Ghostbusters", "Genco", "Sirius", "Planet",
    ),
    trades=(
        "Industries", "Logistics", "Foods", "Tooling", "Medical", "Supply", "Construction",
        "Analytics", "Energy", "Textiles", "Robotics", "Packaging",
    ),
    suffixes=("Inc", "LLC", "Corp", "Co", "Ltd", "Holdings", "Inc.", "L.L.C."),
)  # fmt: skip

#: The speed bench's large ledger: first words recur with second words and many trades,
#: and a suffix may be missing (the empty one).
LEDGER_NAMES: Final = Vocabulary(
    first=(
        "Acme", "Apex", "Atlas", "Beacon", "Birch", "Blue", "Bright", "Canyon", "Cedar",
        "Cobalt", "Crest", "Delta", "Eagle", "Ember", "Evergreen", "Falcon", "Forge",
        "Frontier", "Golden", "Granite", "Harbor", "Highland", "Horizon", "Iron", "Juniper",
        "Keystone", "Lakeside", "Liberty", "Lumen", "Maple", "Meridian", "Metro", "Summit",
        "Northern", "Oak", "Orion", "Pacific", "Pinnacle", "Pioneer", "Prairie", "Quantum",
        "Redwood", "Ridge", "River", "Rocky", "Sierra", "Silver", "Spruce", "Sterling",
        "Stone", "Sun", "Titan", "Trident", "Union", "Valley", "Vanguard", "Vertex", "Vista",
        "Western", "Willow", "Zenith",
    ),
    trades=(
        "Plumbing Supply", "Plumbing Services", "Electric", "Electrical Contractors",
        "Logistics", "Freight", "Foods", "Food Service", "Medical", "Dental Group",
        "Construction", "Builders", "Hardware", "Industrial", "Manufacturing", "Packaging",
        "Printing", "Software", "Systems", "Consulting", "Engineering", "Auto Parts",
        "Motors", "Farms", "Dairy", "Bakery", "Restaurants", "Hospitality",
        "Property Management", "Realty", "Landscaping", "Cleaning Services", "Security",
        "Telecom", "Energy", "Solar", "Pharmacy", "Labs", "Textiles", "Furniture",
        "Paper Products", "Chemicals", "Plastics", "Metals", "Steel", "Lumber", "Marine",
        "Aviation", "Transport", "Staffing",
    ),
    suffixes=("Inc", "LLC", "Corp", "Co", "Ltd", "LP", "Holdings", "Inc.", "L.L.C.", ""),
)  # fmt: skip
#: Second words of the large ledger (``Summit Creek``, ``Cedar Works``).
LEDGER_SECOND: Final = (
    "Agri", "Bay", "Bridge", "Coast", "Core", "Creek", "Field", "Gate", "Hill", "Lake", "Line",
    "Mark", "Mill", "Park", "Peak", "Point", "Port", "Rock", "Shore", "Side", "Spring", "Star",
    "Tech", "Town", "Ward", "Water", "Way", "Wood", "Works",
)  # fmt: skip
#: Syllables of made-up brand words.
SYLLABLES: Final = (
    "al", "bar", "ben", "cor", "dan", "del", "el", "fen", "gar", "hal", "ion", "jor", "kal",
    "len", "mar", "nor", "or", "pel", "quin", "ros", "sal", "ten", "ul", "var", "wen", "yor",
    "zan", "bro", "cla", "dre", "fra", "gri", "kro", "pla", "stra", "tri", "vel",
)  # fmt: skip

#: Legal forms a careful person ignores when comparing names.
LEGAL_FORMS: Final = frozenset(
    {"INC", "INCORPORATED", "LLC", "LTD", "LIMITED", "CORP", "CORPORATION", "CO", "COMPANY"}
)


def trade_name(rng: Random, vocabulary: Vocabulary, first: str = "") -> str:
    """``<first> <trade> <suffix>``; ``first`` drawn from the vocabulary unless given."""
    stem = first or rng.choice(vocabulary.first)
    return f"{stem} {rng.choice(vocabulary.trades)} {rng.choice(vocabulary.suffixes)}"


def coined_word(rng: Random) -> str:
    """A made-up brand word (Kalvaros, Trimen): 200k customers need more than a dictionary."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def ledger_name(rng: Random) -> str:
    """A plausible name of the large ledger; the same first words recur with other trades."""
    first = rng.choice(LEDGER_NAMES.first) if rng.random() < 0.5 else coined_word(rng)
    if rng.random() < 0.6:
        first = f"{first} {rng.choice(LEDGER_SECOND)}"
    suffix = rng.choice(LEDGER_NAMES.suffixes)
    name = f"{first} {rng.choice(LEDGER_NAMES.trades)}"
    return f"{name} {suffix}" if suffix else name


def unique_ledger_names(rng: Random, count: int) -> list[str]:
    """``count`` large-ledger names; a repeat is kept apart by a number, as a ledger does."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = ledger_name(rng)
        key = name.upper()
        if key in seen:
            name = f"{name} #{len(names)}"
            key = name.upper()
        seen.add(key)
        names.append(name)
    return names


def words(name: str) -> list[str]:
    """The name's words, upper case, ``&`` spelled out, punctuation and a leading THE gone."""
    text = name.upper().replace("&", " AND ").replace(".", "").replace("'", "")
    parts = re.sub(r"[^A-Z0-9]+", " ", text).split()
    return parts[1:] if parts[:1] == ["THE"] else parts


def name_key(name: str) -> str:
    """How a careful person compares company names: case, punctuation, legal form aside."""
    parts = words(name)
    while len(parts) > 1 and parts[-1] in LEGAL_FORMS:
        parts.pop()
    return " ".join(parts)


def bank_name(name: str) -> str:
    """Banks upper-case names and drop the punctuation their character sets lack."""
    return " ".join(name.upper().replace(".", "").replace(",", "").split())


def ap_mailbox(name: str) -> str:
    """The customer's accounts-payable mailbox: in the ERP, and what it gives the platforms."""
    return f"ap@{words(name)[0].lower()}.example"
