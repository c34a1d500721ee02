"""Checks of what a citizen gives at intake; each returns the normalised value or raises a ValidationError
whose message (Vietnamese / English) says what is wrong."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.vn import mst

# Place codes of the 63 provinces before 2025, which CCCD numbers issued so far begin with.
CCCD_PLACE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096".split())
MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
SEAL = re.compile(r"^[A-Z0-9][A-Z0-9\-]{3,19}$")


def validate_cccd(value: str) -> str:
    """Căn cước công dân: 12 digits — place code, gender/century digit, 2-digit birth year, 6-digit serial."""
    text = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"\d{12}", text):
        raise ValidationError("Số CCCD phải gồm đúng 12 chữ số. / A CCCD number has exactly 12 digits.",
                              code="cccd_format")
    if text[:3] not in CCCD_PLACE_CODES:
        raise ValidationError(
            f"Số CCCD bắt đầu bằng mã nơi đăng ký khai sinh; {text[:3]} không phải mã tỉnh hợp lệ. / "
            f"A CCCD number begins with a province code; {text[:3]} is not one.", code="cccd_place")
    century = 1900 + 100 * (int(text[3]) // 2)
    year = century + int(text[4:6])
    if year > timezone.localdate().year:
        raise ValidationError(
            f"Chữ số giới tính/thế kỷ và năm sinh trong số CCCD cho năm {year}, chưa tới. / "
            f"The gender/century digit and birth year of this CCCD give the year {year}, which is in the future.",
            code="cccd_year")
    return text


def validate_tax_code(value: str) -> str:
    """Mã số thuế: 10 digits, or 13 (10 + branch), with a check digit."""
    try:
        return mst.validate(value or "")
    except InvalidChecksum as exc:
        raise ValidationError("Mã số thuế sai chữ số kiểm tra. / The tax code's check digit is wrong.",
                              code="mst_checksum") from exc
    except (InvalidFormat, InvalidLength, InvalidComponent) as exc:
        raise ValidationError("Mã số thuế gồm 10 hoặc 13 chữ số (dạng 0123456789 hoặc 0123456789-001). / "
                              "A tax code has 10 or 13 digits (0123456789 or 0123456789-001).",
                              code="mst_format") from exc


def validate_mobile(value: str) -> str:
    """A Vietnamese mobile number, as 10 digits starting 03, 05, 07, 08 or 09 (+84 accepted)."""
    text = re.sub(r"[\s.\-()]", "", value or "")
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    if not re.fullmatch(r"\d{10}", text) or not text.startswith(MOBILE_PREFIXES):
        raise ValidationError(
            "Số di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (hoặc +84 và 9 chữ số). / "
            "A mobile number has 10 digits starting 03, 05, 07, 08 or 09 (or +84 and 9 digits).",
            code="phone_format")
    return text


def validate_seal(value: str) -> str:
    text = re.sub(r"\s", "", value or "").upper()
    if not SEAL.match(text):
        raise ValidationError(
            f"Số niêm phong “{text[:30]}” không hợp lệ: 4–20 chữ số, chữ cái hoặc dấu gạch ngang. / "
            f"Seal number “{text[:30]}” is not valid: 4–20 digits, letters or dashes.", code="seal_format")
    return text
