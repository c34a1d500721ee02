"""Vietnamese text folding for search without diacritics."""

import re
import unicodedata

_MARKS = re.compile("[\u0300-\u036f]+")  # the combining marks of Vietnamese letters after NFD


def fold(text: str) -> str:
    """Lower-case, strip diacritics and collapse spaces: "Phường Long Xuyên" -> "phuong long xuyen"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    text = _MARKS.sub("", text)
    if not text.isascii():  # rarer marks (category Mn) outside the common block
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())


# --- Administrative-unit names -------------------------------------------------
#
# Unit names are compared by a "key": folded, punctuation removed, numbers without
# leading zeros, and the division type ("phường", "huyện"...) split off in front.
# Written abbreviations ("P.", "TP", "Q.1", "TX.") are expanded to the type.

# Canonical (folded) division types, longest first for the prefix regex.
UNIT_TYPES = ("thanh pho", "thi tran", "thi xa", "dac khu", "phuong", "huyen", "quan", "tinh", "xa")
# Written abbreviations -> canonical type.
UNIT_ABBREVIATIONS = {
    "tp": "thanh pho", "tt": "thi tran", "tx": "thi xa", "dk": "dac khu",
    "p": "phuong", "f": "phuong", "q": "quan", "h": "huyen", "t": "tinh", "x": "xa",
}
WARD_TYPES = frozenset({"phuong", "xa", "thi tran", "dac khu"})
DISTRICT_TYPES = frozenset({"quan", "huyen", "thi xa", "thanh pho"})
PROVINCE_TYPES = frozenset({"tinh", "thanh pho"})

# A full type word must be followed by a space, a dot or a digit ("quan1");
# an abbreviation by a dot, a space or a digit ("p.", "p 5", "q1").
_FULL = "|".join(t.replace(" ", r"\s+") for t in UNIT_TYPES)
_ABBR = "|".join(sorted(UNIT_ABBREVIATIONS, key=len, reverse=True))
_TYPE_PREFIX = re.compile(rf"^(?:(?P<full>{_FULL})|(?P<abbr>{_ABBR}))(?:\s*\.\s*|\s+|(?=\d))(?P<rest>.+)$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LEADING_ZEROS = re.compile(r"\b0+(?=\d)")


def name_key(folded: str) -> str:
    """The comparison key of an already folded name: "phu my 02" -> "phu my 2", "ba ria - vung tau" -> "ba ria vung tau"."""
    return _LEADING_ZEROS.sub("", " ".join(_NON_WORD.split(folded)).strip())


def split_unit(text: str, *, folded: bool = False) -> tuple[str | None, str]:
    """Split a unit name into (canonical type or None, name key).

    "Phường Mỹ Bình" -> ("phuong", "my binh"); "TP. Long Xuyên" -> ("thanh pho", "long xuyen");
    "Q.1" -> ("quan", "1"); "Mỹ Bình" -> (None, "my binh").
    """
    value = text if folded else fold(text)
    match = _TYPE_PREFIX.match(value)
    if match:
        rest = name_key(match.group("rest"))
        if rest:
            if match.group("full"):
                return " ".join(match.group("full").split()), rest
            return UNIT_ABBREVIATIONS[match.group("abbr")], rest
    return None, name_key(value)


def search_key(text: str) -> str:
    """A folded search query with a leading abbreviation expanded: "P. Long Xuyen" -> "phuong long xuyen"."""
    unit_type, key = split_unit(text)
    return f"{unit_type} {key}" if unit_type else key
