"""Old-address resolver: from a pre-2025 three-level address (ward, district,
province) — or a new two-level one (commune, province) — to the new commune.

    >>> resolve("12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang").code
    '30307'

The source of truth is the ``vietnam-provinces`` package: its pre-2025 divisions
(``vietnam_provinces.legacy``), the post-2025 list and the official old→new ward
conversion table (``_ward_conversion_2025.OLD_TO_NEW``; an old ward that was split
maps to several new communes). The resolver needs no database.

How an address is read
----------------------
* It is cut into parts at commas (also ";" and new lines); a trailing "Việt Nam" is
  dropped. Inside a part, a division word followed by a name may start a new part
  ("P. Mỹ Bình TP. Long Xuyên", "Phường Mỹ Xuyên Thành phố Long Xuyên Tỉnh An
  Giang") or belong to a name ("Xã Phước Tỉnh"; without diacritics "Ky Phuong" looks
  like "Kỳ Phường"): every way of cutting is read, the readings that recognise the
  most levels are kept, and if they disagree the answer is ambiguous. When the text
  has diacritics, only division words written with them count ("Phường", not
  "Phương").
* Each part may start with a division word ("Phường", "Thị trấn", "Quận", "Thành
  phố"...) or an abbreviation ("P.", "F.", "X.", "TT.", "Q.", "H.", "TX.", "TP.", "T.",
  "Q1", "P.5"); case, punctuation and leading zeros ("P.05") are ignored.
* Read from the right: the last part is taken as the province when it names one (old
  or new, e.g. "Kiên Giang" or "An Giang"; a few common short forms such as "TP HCM",
  "HN", "Sài Gòn", "Thừa Thiên Huế", "BR-VT"). The part before it is taken as the old
  district when it names one in that province and the part before that names a ward
  of that district; otherwise it is the ward (old or new). Everything in front of the
  ward is the street part (house number, street, hamlet), also without a comma
  ("12 Lê Lợi P. Mỹ Bình"). When the last part names no province and nothing else
  matched, the rest is read without it and the answer says the province was ignored.
* Diacritics are optional, but when the address has some they count: "Châu Bình"
  does not match "Châu Bính", "Thanh An" not "Thạnh An" (tone placement "Hoà"/"Hòa"
  does not matter). Without diacritics both match, and the answer is ambiguous.
* A division word given by the writer is a preference: units of that type are
  preferred, but a unit of another type with the same name is accepted when none of
  the stated type exists (e.g. a "xã" that had become a "phường"); the message says so.
* A province name covers the old provinces of that name, the old provinces merged
  into the new province of that name (since 07/2025 people write their old ward with
  the new province: "..., Kiên Giang" and "..., An Giang" both reach Phú Quốc), and
  the new provinces they became.

Never a silent guess: when the old ward was split, or several wards match (same
name in different districts, or the address reads both as an old and as a new one
leading to different communes), the status is ``ambiguous`` with every candidate.

Not handled: misspelt names (no fuzzy matching), ward names as they were before a
pre-2025 merger that the package's legacy list no longer holds (e.g. "Phường Phương
Liên", Hà Nội: the list only has "Phường Phương Liên - Trung Tự"), old wards missing from
the official conversion table (28 of 10,051: answered not found, saying so), and
addresses glued without commas or division words ("my binh long xuyen an giang").

The lookup tables are built once per process, lazily, on the first call (about
0.8 s, mostly importing the package's big modules; diacritic signatures are computed
only when needed); each call after that is a few dictionary look-ups.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from geo.text import DISTRICT_TYPES, PROVINCE_TYPES, WARD_TYPES, fold, name_key, split_unit

RESOLVED = "resolved"
AMBIGUOUS = "ambiguous"
NOT_FOUND = "not_found"

# Short forms of province names (name keys) -> the name key used in the data.
PROVINCE_ALIASES = {
    "hcm": "ho chi minh", "tphcm": "ho chi minh", "tp hcm": "ho chi minh", "sai gon": "ho chi minh",
    "hn": "ha noi", "tp hn": "ha noi", "thua thien hue": "hue", "tt hue": "hue",
    "brvt": "ba ria vung tau", "br vt": "ba ria vung tau", "vung tau": "ba ria vung tau",
    "bac can": "bac kan", "dack lak": "dak lak", "daklak": "dak lak", "dak nong": "dak nong",
    "can tho city": "can tho",
}
_COUNTRY = {"viet nam", "vietnam", "vn"}
_PART_SPLIT = re.compile(r"[,;\n]+")
# --- Result ---------------------------------------------------------------------------


class OldUnit(NamedTuple):
    """A matched pre-2025 ward, with its district and province names."""

    code: str
    name: str
    district: str
    province: str


class Candidate(NamedTuple):
    """A new (post-2025) commune that the address may mean."""

    code: str
    name: str
    division_type: str
    province_code: str
    province_name: str
    via: str  # "old": through the conversion table; "new": the address names the new commune
    old_units: tuple[OldUnit, ...] = ()  # the old wards that lead here (via="old")
    partial: bool = False  # the old ward was split: only part of it went to this commune

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "division_type": self.division_type,
            "province_code": self.province_code, "province_name": self.province_name, "via": self.via,
            "partial": self.partial, "old_units": [u._asdict() for u in self.old_units],
        }


@dataclass(frozen=True)
class Resolution:
    """The answer for one address."""

    input: str
    status: str
    candidates: tuple[Candidate, ...] = ()
    street: str = ""
    matched: dict = field(default_factory=dict)  # the parts read as ward / district / province, as written
    old_units: tuple[OldUnit, ...] = ()  # every old ward matched
    interpretation: str = ""  # "old" (three-level), "new" (two-level), "mixed" or ""
    message_vi: str = ""
    message_en: str = ""

    @property
    def message(self) -> str:
        return f"{self.message_vi} / {self.message_en}"

    @property
    def resolved(self) -> bool:
        return self.status == RESOLVED

    @property
    def commune(self) -> Candidate | None:
        return self.candidates[0] if self.status == RESOLVED else None

    @property
    def code(self) -> str | None:
        return self.candidates[0].code if self.status == RESOLVED else None

    def as_dict(self) -> dict:
        return {
            "input": self.input, "status": self.status, "code": self.code, "street": self.street,
            "matched": dict(self.matched), "interpretation": self.interpretation,
            "old_units": [u._asdict() for u in self.old_units],
            "candidates": [c.as_dict() for c in self.candidates],
            "message": self.message, "message_vi": self.message_vi, "message_en": self.message_en,
        }


# --- Index ----------------------------------------------------------------------------


class _OldWard(NamedTuple):
    code: int
    name: str
    type: str
    district: int
    province: int


class _OldDistrict(NamedTuple):
    code: int
    name: str
    type: str
    province: int


class _Province(NamedTuple):
    code: int
    name: str
    type: str  # "tinh" or "thanh pho"


class _NewWard(NamedTuple):
    code: int
    name: str
    division_type: str
    type: str
    province: int


class _Signatures(dict):
    """code -> diacritic signature of the unit's name without its type; filled on demand."""

    def __init__(self, units: dict):
        super().__init__()
        self.units = units

    def __missing__(self, code: int) -> str:
        value = self[code] = _name_signature(self.units[code].name)
        return value


@dataclass
class _Index:
    old_provinces: dict[int, _Province]
    old_province_keys: dict[str, list[int]]
    old_districts: dict[int, _OldDistrict]
    old_district_keys: dict[str, list[int]]
    old_wards: dict[int, _OldWard]
    old_ward_keys: dict[str, list[int]]
    old_to_new: dict[int, tuple[tuple[int, ...], bool]]  # old ward -> (new ward codes, partly merged)
    # Diacritic signatures of names (see _signature), computed when first needed.
    old_district_sig: _Signatures
    old_ward_sig: _Signatures
    new_ward_sig: _Signatures
    new_provinces: dict[int, _Province]
    new_province_keys: dict[str, list[int]]
    new_wards: dict[int, _NewWard]
    new_ward_keys: dict[str, list[int]]
    province_old_to_new: dict[int, set[int]]
    province_new_to_old: dict[int, set[int]]


_index: _Index | None = None
_lock = threading.Lock()


def _type_of(division_type: str) -> str:
    folded = fold(str(division_type))
    return "thanh pho" if folded.startswith("thanh pho") else folded


def _key_of(name: str) -> str:
    return split_unit(name)[1]


_SIG_SPLIT = re.compile(r"[^\w\u0300-\u036f]+")


def _signature_tokens(text: str) -> tuple[str, ...]:
    """Per word: the letters without marks, then its marks sorted — "Hoà" and "Hòa" agree (tone placement),
    "Bình" and "Bính", "Thanh" and "Thạnh" do not. Leading zeros of numbers are dropped."""
    tokens = []
    for token in _SIG_SPLIT.split(unicodedata.normalize("NFD", text.lower())):
        if not token:
            continue
        base = "".join(ch for ch in token if not unicodedata.combining(ch))
        marks = "".join(sorted(ch for ch in token if unicodedata.combining(ch)))
        if base.isdigit():
            base = base.lstrip("0") or "0"
        tokens.append(base + marks)
    return tuple(tokens)


def _signature(tokens: tuple[str, ...], key: str) -> str:
    """The signature of the last words of a name, as many as its key has (the name without its type)."""
    count = key.count(" ") + 1 if key else 0
    return " ".join(tokens[-count:]) if count else ""


def _name_signature(name: str) -> str:
    return _signature(_signature_tokens(name), _key_of(name))


def _build_index() -> _Index:
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH  # noqa: I001 — heavy imports, on first use only
    from vietnam_provinces._province_conversion_2025 import OLD_TO_NEW as PROVINCE_OLD_TO_NEW
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW
    from vietnam_provinces.legacy._lookup import DISTRICT_MAPPING, PROVINCE_MAPPING, WARD_MAPPING

    import json

    def add(keys: dict[str, list[int]], key: str, code: int) -> None:
        keys.setdefault(key, []).append(code)

    old_provinces, old_province_keys = {}, {}
    for code, p in PROVINCE_MAPPING.items():
        old_provinces[code] = _Province(code, p.name, _type_of(p.division_type.value))
        add(old_province_keys, _key_of(p.name), code)
    old_districts, old_district_keys = {}, {}
    for code, d in DISTRICT_MAPPING.items():
        old_districts[code] = _OldDistrict(code, d.name, _type_of(d.division_type.value), int(d.province_code))
        add(old_district_keys, _key_of(d.name), code)
    old_wards, old_ward_keys = {}, {}
    for code, w in WARD_MAPPING.items():
        district = old_districts[int(w.district_code)]
        old_wards[code] = _OldWard(code, w.name, _type_of(w.division_type.value), district.code, district.province)
        add(old_ward_keys, _key_of(w.name), code)
    old_to_new = {
        code: (tuple(n.code for n in entry.new_wards), entry.old_ward.is_partly_merged)
        for code, entry in OLD_TO_NEW.items()
    }

    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        nested = json.load(handle)
    new_provinces, new_province_keys, new_wards, new_ward_keys = {}, {}, {}, {}
    for p in nested:
        new_provinces[p["code"]] = _Province(p["code"], p["name"], _type_of(p["division_type"]))
        add(new_province_keys, _key_of(p["name"]), p["code"])
        for w in p["wards"]:
            new_wards[w["code"]] = _NewWard(w["code"], w["name"], w["division_type"], _type_of(w["division_type"]),
                                            p["code"])
            add(new_ward_keys, _key_of(w["name"]), w["code"])

    province_old_to_new: dict[int, set[int]] = {}
    province_new_to_old: dict[int, set[int]] = {}
    for old_code, entry in PROVINCE_OLD_TO_NEW.items():
        for new in entry.new_provinces:
            province_old_to_new.setdefault(old_code, set()).add(new.code)
            province_new_to_old.setdefault(new.code, set()).add(old_code)
    return _Index(old_provinces, old_province_keys, old_districts, old_district_keys, old_wards, old_ward_keys,
                  old_to_new, _Signatures(old_districts), _Signatures(old_wards), _Signatures(new_wards),
                  new_provinces, new_province_keys,
                  new_wards, new_ward_keys, province_old_to_new, province_new_to_old)


def get_index() -> _Index:
    """The lookup tables, built on first use (thread-safe) and kept for the life of the process."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build_index()
    return _index


def reset_index() -> None:
    """Forget the tables (tests, benchmarks)."""
    global _index
    _index = None


# --- Parsing --------------------------------------------------------------------------

# Division words, as written with diacritics (certain markers in a text that has diacritics) ...
_WORD_MARKERS = {"phường", "xã", "quận", "huyện", "tỉnh"}
_TWO_WORD_MARKERS = {("thị", "trấn"), ("thị", "xã"), ("thành", "phố"), ("đặc", "khu")}
# ... and without (only possible markers: "phuong" may be "Phương", "quan" may be "Quan").
_FOLDED_WORD_MARKERS = {"phuong", "xa", "quan", "huyen", "tinh"}
_FOLDED_TWO_WORD_MARKERS = {("thi", "tran"), ("thi", "xa"), ("thanh", "pho"), ("dac", "khu")}
# Abbreviations with a dot or a number: "P.", "TP.", "Q.1", "Q1", "P12"; and "TP", "TX", "TT" in capitals.
_ABBREVIATION_MARKER = re.compile(r"^(?:tp|tx|tt|dk|[pfqhxt])(?:\..*|\d+)$")
_UPPER_ABBREVIATIONS = {"TP", "TX", "TT"}


class _Part(NamedTuple):
    raw: str
    start: int  # offset in the normalised input
    type: str | None
    key: str  # name key without the type
    whole: str  # name key of the whole part (when the "type" word is really part of a name)


def _part(raw: str, start: int, folded: str | None = None) -> _Part:
    folded = fold(raw) if folded is None else folded
    unit_type, key = split_unit(folded, folded=True)
    return _Part(raw, start, unit_type, key, name_key(folded))


class _Token(NamedTuple):
    text: str
    start: int
    end: int
    folded: str
    lower: str  # NFC lower case, diacritics kept


_WORD = re.compile(r"\S+")


@lru_cache(maxsize=65536)
def _word_forms(word: str) -> tuple[str, str]:
    """(folded, NFC lower case) of one word; addresses repeat their words, so this is cached."""
    return fold(word), unicodedata.normalize("NFC", word.lower())


def _tokenize(text: str, offset: int) -> list[_Token]:
    tokens = []
    for m in _WORD.finditer(text):
        word = m.group()
        tokens.append(_Token(word, offset + m.start(), offset + m.end(), *_word_forms(word)))
    return tokens


def _marker_at(tokens: list[_Token], i: int, has_diacritics: bool) -> int:
    """How many words the division word starting at tokens[i] spans (0: none). In a text with diacritics
    only the words as written with them count ("Phường", not "Phương")."""
    token = tokens[i]
    if _ABBREVIATION_MARKER.match(token.folded) or token.text in _UPPER_ABBREVIATIONS:
        return 1
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if has_diacritics:
        if token.lower in _WORD_MARKERS:
            return 1
        return 2 if nxt and (token.lower, nxt.lower) in _TWO_WORD_MARKERS else 0
    if token.folded in _FOLDED_WORD_MARKERS:
        return 1
    return 2 if nxt and (token.folded, nxt.folded) in _FOLDED_TWO_WORD_MARKERS else 0


_MAX_OPTIONAL_CUTS = 6


def _segmentations(text: str, has_diacritics: bool) -> list[list[_Part]]:
    """The ways to cut the address into parts, most cuts first.

    Commas (";", new lines) always cut. Inside a comma part, a division word or abbreviation followed by a
    name may start a part ("P. Mỹ Bình TP. Long Xuyên") or belong to a name ("Xã Phước Tỉnh", or without
    diacritics "Ky Phuong"): both choices are returned, and the readings compared."""
    comma_parts = [(m.group(), m.start()) for m in re.finditer(r"[^,;]+", text) if m.group().strip()]
    while comma_parts and name_key(fold(comma_parts[-1][0])) in _COUNTRY:
        comma_parts.pop()
    certain: list[int] = []  # token indexes where a part starts: after a comma
    optional: list[int] = []  # where a division word may start a part
    tokens: list[_Token] = []
    for chunk, offset in comma_parts:
        first = len(tokens)
        tokens.extend(_tokenize(chunk, offset))
        if len(tokens) == first:
            continue
        certain.append(first)
        i = first + max(_marker_at(tokens, first, has_diacritics), 1)
        while i < len(tokens):
            length = _marker_at(tokens, i, has_diacritics)
            if length and i + length < len(tokens) and tokens[i + length].start < offset + len(chunk):
                optional.append(i)  # a division word followed by a name in the same comma part
                i += length
            else:
                i += 1
    if not tokens:
        return []
    if len(optional) > _MAX_OPTIONAL_CUTS:
        choices = [sorted(certain + optional)]
    else:
        choices = []
        for mask in range(1 << len(optional)):
            chosen = [optional[b] for b in range(len(optional)) if mask >> b & 1]
            choices.append(sorted(certain + chosen))
        choices.sort(key=len, reverse=True)
    result = []
    for cuts in choices:
        parts = []
        for a, b in zip(cuts, [*cuts[1:], len(tokens)], strict=True):
            start, end = tokens[a].start, tokens[b - 1].end
            parts.append(_part(text[start:end], start, " ".join(t.folded for t in tokens[a:b])))
        result.append(parts)
    return result


# --- Matching -------------------------------------------------------------------------


class _ProvinceMatch(NamedTuple):
    old: frozenset[int]  # old provinces named so, and those merged into the new province named so
    new: frozenset[int]  # new provinces named so, and those the old provinces named so went into


def _lookups(part: _Part, allowed_types: frozenset[str]) -> list[tuple[str, str | None]]:
    """(name key, type to prefer) pairs to try: the name after the division word when that word fits,
    then the whole part (the "division word" may belong to the name: "Quan Hoa", "Xa Lý")."""
    if not part.type:
        return [(part.key, None)]
    pairs = [(part.key, part.type)] if part.type in allowed_types else []
    if part.whole != part.key:
        pairs.append((part.whole, None))
    return pairs


def _match_province(index: _Index, part: _Part) -> _ProvinceMatch | None:
    lookups = _lookups(part, PROVINCE_TYPES)
    if part.type == "tinh":  # "Tỉnh Huế": a "tỉnh" word cannot mean a district, so the type may be wrong
        lookups.append((part.key, None))
    for key, wanted in lookups:
        key = PROVINCE_ALIASES.get(key, key)
        old = {c for c in index.old_province_keys.get(key, ()) if not wanted or index.old_provinces[c].type == wanted}
        new = {c for c in index.new_province_keys.get(key, ()) if not wanted or index.new_provinces[c].type == wanted}
        if old or new:
            old_wide, new_wide = set(old), set(new)
            for n in new:
                old_wide |= index.province_new_to_old.get(n, set())
            for o in old:
                new_wide |= index.province_old_to_new.get(o, set())
            return _ProvinceMatch(frozenset(old_wide), frozenset(new_wide))
    return None


def _exact(codes: list[int], signatures: dict[int, str], part: _Part, key: str) -> list[int]:
    """Keep the codes whose name has the very diacritics written ("Châu Bình", not "Châu Bính")."""
    wanted = _signature(_signature_tokens(part.raw), key)
    return [c for c in codes if signatures[c] == wanted]


def _prefer_type(codes: list, table: dict, wanted: str | None) -> list:
    if wanted and codes:
        typed = [c for c in codes if table[c].type == wanted]
        if typed:
            return typed
    return codes


def _match_districts(index: _Index, part: _Part, provinces, exact: bool) -> list[int]:
    for key, wanted in _lookups(part, DISTRICT_TYPES):
        codes = [c for c in index.old_district_keys.get(key, ())
                 if provinces is None or index.old_districts[c].province in provinces]
        if codes:
            if exact and len(codes) > 1:
                codes = _exact(codes, index.old_district_sig, part, key) or codes
            return _prefer_type(codes, index.old_districts, wanted)
    return []


def _match_old_wards(index: _Index, part: _Part, districts=None, provinces=None) -> tuple[list[int], str]:
    for key, _wanted in _lookups(part, WARD_TYPES):
        codes = [
            c for c in index.old_ward_keys.get(key, ())
            if (districts is None or index.old_wards[c].district in districts)
            and (provinces is None or index.old_wards[c].province in provinces)
        ]
        if codes:
            return codes, key
    return [], ""


def _match_new_wards(index: _Index, part: _Part, provinces=None) -> tuple[list[int], str]:
    for key, _wanted in _lookups(part, WARD_TYPES):
        codes = [c for c in index.new_ward_keys.get(key, ())
                 if provinces is None or index.new_wards[c].province in provinces]
        if codes:
            return codes, key
    return [], ""


def _ward_part_variants(part: _Part, has_diacritics: bool) -> list[_Part]:
    """The ward part as a whole, then — for "street + ward" without comma — each tail that starts at a
    ward word ("12 Lê Lợi phường Mỹ Bình")."""
    variants = [part]
    if " " not in part.raw:
        return variants
    tokens = _tokenize(part.raw, part.start)
    for i in range(1, len(tokens)):
        length = _marker_at(tokens, i, has_diacritics)
        if length and i + length < len(tokens):
            offset = tokens[i].start - part.start
            tail = _part(part.raw[offset:], tokens[i].start, " ".join(t.folded for t in tokens[i:]))
            if tail.type in WARD_TYPES:
                variants.append(tail)
    return variants


# --- Resolving ------------------------------------------------------------------------


def _ward_code(code: int) -> str:
    return f"{code:05d}"


def _old_unit(index: _Index, code: int) -> OldUnit:
    ward = index.old_wards[code]
    return OldUnit(_ward_code(code), ward.name, index.old_districts[ward.district].name,
                   index.old_provinces[ward.province].name)


class _Reading(NamedTuple):
    """One way of reading the address, before the answer is worded."""

    candidates: list[Candidate]
    old_used: list[int]
    unconverted: list[int]  # old wards matched but absent from the conversion table
    street: str
    matched: dict[str, str]
    kind: str  # "old", "new", "mixed"
    other_type: bool = False  # the unit found is of another type than the one written

    @property
    def strength(self) -> int:
        return sum(1 for level in ("ward", "district", "province") if level in self.matched)


def _candidates(index: _Index, part: _Part, old: tuple[list[int], str], new: tuple[list[int], str],
                exact: bool) -> tuple[list[Candidate], list[int], list[int], list[int], bool]:
    """Merge the new communes reached through old wards and those named directly. Written diacritics and a
    written division type narrow the matches when some fit them."""
    old_codes, old_key = old
    new_codes, new_key = new
    if exact and len(old_codes) + len(new_codes) > 1:
        old_exact = _exact(old_codes, index.old_ward_sig, part, old_key)
        new_exact = _exact(new_codes, index.new_ward_sig, part, new_key)
        if old_exact or new_exact:
            old_codes, new_codes = old_exact, new_exact
    other_type = False
    if part.type in WARD_TYPES and (old_codes or new_codes):
        old_typed = [c for c in old_codes if index.old_wards[c].type == part.type]
        new_typed = [c for c in new_codes if index.new_wards[c].type == part.type]
        if old_typed or new_typed:
            old_codes, new_codes = old_typed, new_typed
        else:
            other_type = True  # "Phường X" written, only a "Xã X" exists: accepted, and said
    found: dict[int, dict] = {}
    unconverted = []
    for code in old_codes:
        conversion = index.old_to_new.get(code)
        if conversion is None:
            unconverted.append(code)
            continue
        targets, partly = conversion
        for target in targets:
            slot = found.setdefault(target, {"via": "old", "old": [], "partial": False})
            slot["old"].append(code)
            slot["partial"] = slot["partial"] or (partly and len(targets) > 1)
    for code in new_codes:
        slot = found.setdefault(code, {"via": "new", "old": [], "partial": False})
        if slot["via"] == "old":
            slot["via"] = "old+new"
    result = []
    for code, slot in found.items():
        ward = index.new_wards.get(code)
        if ward is None:
            continue
        province = index.new_provinces[ward.province]
        result.append(Candidate(
            _ward_code(code), ward.name, ward.division_type, f"{province.code:02d}", province.name,
            slot["via"], tuple(_old_unit(index, o) for o in slot["old"]), slot["partial"],
        ))
    result.sort(key=lambda c: (c.via == "old", c.code))  # a direct (new-name) reading first
    return result, old_codes, new_codes, unconverted, other_type


def _read(index: _Index, text: str, parts: list[_Part], exact: bool) -> _Reading | Resolution:
    """Read one segmentation: a _Reading when a ward matched, else a not-found Resolution saying what was seen."""
    matched: dict[str, str] = {}
    province = None
    if len(parts) > 1 or parts[-1].type in PROVINCE_TYPES:
        province = _match_province(index, parts[-1])
    if province and len(parts) == 1:
        return Resolution(text, NOT_FOUND, matched={"province": parts[0].raw},
                          message_vi="Chỉ nhận ra tỉnh/thành phố; cần có xã/phường.",
                          message_en="Only a province was recognised; a ward or commune is needed.")
    if province:
        matched["province"] = parts[-1].raw
        parts = parts[:-1]
    # A province name covers the old provinces of that name and those merged into the new province of that
    # name (people now write an old ward with the new province), and the new provinces either became.
    old_scope, new_scope = (province.old, province.new) if province else (None, None)
    end = len(parts)
    has_diacritics = exact

    # Old three-level reading: district at parts[end-1], ward at parts[end-2] (or a tail of it).
    districts: list[int] = []
    ward_expected = False
    if end >= 2:
        district_part = parts[end - 1]
        variants = _ward_part_variants(parts[end - 2], has_diacritics)
        ward_expected = any(v.type in WARD_TYPES for v in variants)
        districts = _match_districts(index, district_part, old_scope, exact)
        if districts:
            for ward_part in variants:
                old = _match_old_wards(index, ward_part, districts=frozenset(districts))
                if old[0]:
                    found, old_used, _new, unconverted, other_type = _candidates(index, ward_part, old, ([], ""),
                                                                                  exact)
                    return _Reading(found, old_used, unconverted, _street(text, ward_part),
                                    {"ward": ward_part.raw, "district": district_part.raw, **matched}, "old",
                                    other_type)

    # Ward (old, district not given; or new) at parts[end-1]. Not when the part before it was plainly a ward
    # and the district matched: that ward is then simply unknown in the district.
    if end >= 1 and not (districts and ward_expected):
        for ward_part in _ward_part_variants(parts[end - 1], has_diacritics):
            old = _match_old_wards(index, ward_part, provinces=old_scope)
            new = _match_new_wards(index, ward_part, provinces=new_scope)
            if old[0] or new[0]:
                found, old_used, new_used, unconverted, other_type = _candidates(index, ward_part, old, new, exact)
                kind = "old" if not new_used else "new"
                if old_used and new_used and any(c.via == "old" for c in found):
                    kind = "mixed"
                return _Reading(found, old_used, unconverted, _street(text, ward_part),
                                {"ward": ward_part.raw, **matched}, kind, other_type)

    # Nothing matched: say what was recognised.
    recognised_vi, recognised_en = [], []
    if not districts and end == 1 and _match_districts(index, parts[0], old_scope, exact):
        return Resolution(text, NOT_FOUND, matched={"district": parts[0].raw, **matched},
                          message_vi=f"Chỉ nhận ra quận/huyện cũ '{parts[0].raw}'; cần có xã/phường.",
                          message_en=f"Only an old district '{parts[0].raw}' was recognised; a ward is needed.")
    if districts:
        names = ", ".join(sorted({index.old_districts[d].name for d in districts}))
        matched = {"district": parts[end - 1].raw, **matched}
        recognised_vi.append(f"quận/huyện cũ {names}")
        recognised_en.append(f"old district {names}")
    if "province" in matched:
        recognised_vi.append(f"tỉnh/thành phố '{matched['province']}'")
        recognised_en.append(f"province '{matched['province']}'")
    district_unknown = not districts and end >= 2 and parts[end - 1].type in DISTRICT_TYPES
    if (districts or district_unknown) and end >= 2:
        ward_text = parts[end - 2].raw
    else:
        ward_text = parts[end - 1].raw if end >= 1 else ""
    vi = f"Không tìm thấy xã/phường '{ward_text}'" if ward_text else "Không tìm thấy xã/phường"
    en = f"No ward or commune '{ward_text}' found" if ward_text else "No ward or commune found"
    if district_unknown:
        vi += f", không nhận ra quận/huyện '{parts[end - 1].raw}'"
        en += f", district '{parts[end - 1].raw}' not recognised"
    if recognised_vi:
        vi += f" (đã nhận ra: {'; '.join(recognised_vi)})"
        en += f" (recognised: {'; '.join(recognised_en)})"
    return Resolution(text, NOT_FOUND, matched=matched, message_vi=vi + ".", message_en=en + ".")


def _street(text: str, ward_part: _Part) -> str:
    return text[: ward_part.start].strip(" ,;-")


def resolve(address: str) -> Resolution:
    """Resolve one address (old three-level or new two-level) to the new commune. Never guesses: see module doc."""
    text = " ".join(re.sub(r"\s*[\r\n]+\s*", ", ", (address or "").strip()).split())  # a new line = a comma
    if not text:
        return Resolution(address or "", NOT_FOUND, message_vi="Địa chỉ trống.", message_en="The address is empty.")
    index = get_index()
    exact = not text.isascii()  # the writer uses diacritics: they count
    segmentations = _segmentations(text, exact)
    if not segmentations:
        return Resolution(text, NOT_FOUND, message_vi="Địa chỉ trống.", message_en="The address is empty.")

    readings: list[_Reading] = []
    first_failure: Resolution | None = None
    for parts in segmentations:
        reading = _read(index, text, parts, exact)
        if isinstance(reading, _Reading):
            readings.append(reading)
        elif first_failure is None:
            first_failure = reading
        if len(parts) >= 3 and isinstance(reading, Resolution) and "province" not in reading.matched \
                and parts[-1].type not in DISTRICT_TYPES | WARD_TYPES:
            # The last part may be a misspelt province: read the rest without it, and say so.
            retry = _read(index, text, parts[:-1], exact)
            if isinstance(retry, _Reading):
                readings.append(retry._replace(matched={**retry.matched, "unrecognised": parts[-1].raw}))
    if not readings:
        return first_failure
    best = max(r.strength for r in readings)
    readings = [r for r in readings if r.strength == best]
    distinct = {tuple(c.code for c in r.candidates) for r in readings}
    if len(distinct) > 1:  # the address cut two ways, leading to different communes
        merged: dict[str, Candidate] = {}
        for r in readings:
            for c in r.candidates:
                merged.setdefault(c.code, c)
        first = readings[0]
        reading = first._replace(candidates=sorted(merged.values(), key=lambda c: c.code),
                                 old_used=sorted({o for r in readings for o in r.old_used}))
        return _finish(index, text, reading, split_ambiguity=True)
    return _finish(index, text, readings[0])


def _describe(c: Candidate) -> str:
    return f"{c.name}, {c.province_name} ({c.code})"


def _finish(index: _Index, text: str, reading: _Reading, split_ambiguity: bool = False) -> Resolution:
    found, matched = reading.candidates, reading.matched
    old_units = tuple(_old_unit(index, c) for c in reading.old_used)
    common = {"street": reading.street, "matched": matched, "old_units": old_units,
              "interpretation": reading.kind}
    note_vi = note_en = ""
    if "unrecognised" in matched:
        note_vi += f" Không nhận ra tỉnh/thành phố '{matched['unrecognised']}'; đã bỏ qua."
        note_en += f" Province '{matched['unrecognised']}' not recognised; ignored."
    if reading.other_type:
        note_vi += f" Lưu ý: không có đơn vị đúng loại đã ghi ('{matched.get('ward', '')}'); đã dùng tên trùng khác loại."
        note_en += (f" Note: no unit of the type written ('{matched.get('ward', '')}'); one of another type with "
                    "that name was used.")
    if not found:
        names = "; ".join(f"{u.name}, {u.district}" for u in old_units) or matched.get("ward", "")
        return Resolution(
            text, NOT_FOUND, **common,
            message_vi=f"Đã nhận ra {names} nhưng bảng chuyển đổi chính thức không có xã/phường mới tương ứng."
                       + note_vi,
            message_en=f"Recognised {names} but the official conversion table has no new commune for it." + note_en,
        )
    if len(found) == 1:
        c = found[0]
        if c.via != "old":
            vi, en = f"Địa chỉ mới: {_describe(c)}.", f"New address: {_describe(c)}."
        else:
            old = "; ".join(f"{u.name}, {u.district}, {u.province}" for u in c.old_units)
            vi = f"Địa chỉ cũ {old} nay thuộc {_describe(c)}."
            en = f"The old address {old} is now in {_describe(c)}."
        return Resolution(text, RESOLVED, tuple(found), **common, message_vi=vi + note_vi, message_en=en + note_en)

    listed = "; ".join(_describe(c) for c in found)
    split = [u for u in old_units if len(index.old_to_new.get(int(u.code), ((),))[0]) > 1]
    if split_ambiguity:
        vi = (f"Địa chỉ đọc được theo nhiều cách, dẫn tới {len(found)} xã/phường: {listed}. "
              "Hãy ngăn cách xã/phường, quận/huyện, tỉnh bằng dấu phẩy.")
        en = (f"The address reads several ways, leading to {len(found)} communes: {listed}. "
              "Separate ward, district and province with commas.")
    elif len(old_units) == 1 and split and not any(c.via != "old" for c in found):
        u = old_units[0]
        vi = (f"{u.name} ({u.district}, {u.province}) đã được chia cho {len(found)} xã/phường mới; "
              f"cần xác định theo số nhà/đường: {listed}.")
        en = (f"{u.name} ({u.district}, {u.province}) was split between {len(found)} new communes; "
              f"decide by street and house number: {listed}.")
    elif reading.kind == "mixed":
        vi = (f"Địa chỉ có thể hiểu theo tên mới hoặc tên cũ, dẫn tới {len(found)} xã/phường khác nhau: {listed}. "
              "Nếu là địa chỉ cũ, hãy ghi rõ quận/huyện.")
        en = (f"The address reads both as a new and as an old one, leading to {len(found)} different communes: "
              f"{listed}. If it is an old address, give the district.")
    else:
        vi = (f"'{matched.get('ward', '')}' khớp với {len(found)} xã/phường mới: {listed}. "
              "Hãy ghi rõ quận/huyện hoặc tỉnh/thành phố.")
        en = (f"'{matched.get('ward', '')}' matches {len(found)} new communes: {listed}. "
              "Give the district or the province.")
    if reading.unconverted:
        vi += " Một số xã/phường cũ khớp tên không có trong bảng chuyển đổi."
        en += " Some old wards with that name are missing from the conversion table."
    return Resolution(text, AMBIGUOUS, tuple(found), **common, message_vi=vi + note_vi, message_en=en + note_en)


def resolve_many(addresses) -> list[Resolution]:
    return [resolve(a) for a in addresses]
