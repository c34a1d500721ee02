"""UPU S10 item identifiers: 2-letter service indicator, 8-digit serial, check digit, 2-letter country.

``RB123456785GB``: serial 12345678, weights 8 6 4 2 3 5 9 7, c = 11 - (sum mod 11), 10 -> 0, 11 -> 5.
"""

import re

from django.core.exceptions import ValidationError

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
COUNTRY = "VN"
SERIAL_MAX = 99_999_999
_SHAPE = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_INDICATOR = re.compile(r"^[A-Z]{2}$")


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def check_digit(serial: int | str) -> int:
    digits = f"{int(serial):08d}"
    if len(digits) != 8:
        raise ValueError("an S10 serial has 8 digits")
    c = 11 - sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(c, c)


def make(indicator: str, serial: int, country: str = COUNTRY) -> str:
    if not _INDICATOR.match(indicator or ""):
        raise ValueError(f"bad service indicator {indicator!r}")
    if not 0 <= serial <= SERIAL_MAX:
        raise ValueError(f"serial {serial} outside 0..{SERIAL_MAX}")
    return f"{indicator}{serial:08d}{check_digit(serial)}{country}"


def normalise(text: str) -> str:
    """Upper case without spaces or dashes, as scanners and people type it."""
    return re.sub(r"[\s\-.]", "", text or "").upper()


def validate(text: str, field: str = "item_id", *, country: str | None = COUNTRY) -> str:
    """The normalised id, or a ValidationError naming ``field`` that says what is wrong."""
    value = normalise(text)
    if not value:
        raise _error(field, "Chưa nhập số hiệu bưu gửi. / The item id is missing.", "required")
    match = _SHAPE.match(value)
    if not match:
        raise _error(field, (
            f"“{value[:20]}” không đúng dạng số hiệu S10 (2 chữ cái, 9 chữ số, 2 chữ cái, ví dụ EH000000014VN). / "
            f"“{value[:20]}” is not an S10 item id (2 letters, 9 digits, 2 letters, e.g. EH000000014VN)."), "format")
    indicator, serial, digit, item_country = match.groups()
    expected = check_digit(serial)
    if int(digit) != expected:
        raise _error(field, (
            f"Số hiệu {value} sai số kiểm tra: chữ số thứ 11 phải là {expected}, không phải {digit}. "
            f"Kiểm tra lại số đã nhập hoặc quét lại. / "
            f"Item id {value} has a wrong check digit: the 11th character should be {expected}, not {digit}. "
            f"Check what was typed or scan again."), "check_digit")
    if country and item_country != country:
        raise _error(field, (
            f"Số hiệu {value} không phải bưu gửi trong nước (mã nước {item_country}, cần {country}). / "
            f"Item id {value} is not a domestic item (country {item_country}, expected {country})."), "country")
    return value


def is_valid(text: str) -> bool:
    try:
        validate(text, country=None)
    except ValidationError:
        return False
    return True
