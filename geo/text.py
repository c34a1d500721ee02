"""Vietnamese text folding for search without diacritics."""

import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case, strip diacritics and collapse spaces: "Phường Long Xuyên" -> "phuong long xuyen"."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
