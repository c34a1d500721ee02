"""The public form's one-time code: a request from someone without an account is registered only after the
6-digit code sent by SMS to the phone it gives is typed back.

* the code lives 10 minutes; 5 wrong tries end it (the citizen asks for a new one);
* only a keyed hash of the code is stored (HMAC with the site's SECRET_KEY, a per-code salt and the flow);
* a new code for the same phone at most once a minute, and at most 5 an hour; at most 20 an hour from one
  IP address (every code sent is a ``PhoneVerification`` row, so the limits are counts in the database and
  hold across processes);
* the request waits in the row (``payload``) and is validated again when the code is right."""

from __future__ import annotations

import datetime
import math
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from audit.services import record_event
from notifications.services import notify
from pickups.models import PhoneVerification, PickupRequest, RequestChannel
from pickups.services import PickupData, register_pickup, validate_request

CODE_DIGITS = 6
CODE_TTL = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = datetime.timedelta(minutes=1)
MAX_PER_PHONE_PER_HOUR = 5
MAX_PER_IP_PER_HOUR = 20
HOUR = datetime.timedelta(hours=1)


def _bilingual(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def _hash(row: PhoneVerification, code: str) -> str:
    return salted_hmac("pickups.PhoneVerification", f"{row.flow}:{row.salt}:{code}", algorithm="sha256").hexdigest()


def _throttle(phone: str, ip: str | None, now) -> None:
    recent = PhoneVerification.objects.filter(phone=phone, created_at__gte=now - HOUR)
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last and now - last < RESEND_INTERVAL:
        wait = math.ceil((RESEND_INTERVAL - (now - last)).total_seconds())
        raise ValidationError({"phone": ValidationError(_bilingual(
            f"Mã vừa được gửi đến số này; vui lòng đợi {wait} giây rồi thử lại.",
            f"A code was just sent to this number; please wait {wait} seconds and try again."),
            code="throttled")})
    if recent.count() >= MAX_PER_PHONE_PER_HOUR:
        raise ValidationError({"phone": ValidationError(_bilingual(
            f"Số điện thoại này đã nhận {MAX_PER_PHONE_PER_HOUR} mã trong một giờ; vui lòng thử lại sau "
            f"hoặc gọi tổng đài bưu điện để đặt lịch.",
            f"This number received {MAX_PER_PHONE_PER_HOUR} codes in an hour; try again later or call the "
            f"post's call centre."), code="throttled")})
    if ip and PhoneVerification.objects.filter(ip=ip, created_at__gte=now - HOUR).count() >= MAX_PER_IP_PER_HOUR:
        raise ValidationError({"__all__": ValidationError(_bilingual(
            "Quá nhiều yêu cầu từ địa chỉ mạng này; vui lòng thử lại sau một giờ.",
            "Too many requests from this network address; please try again in an hour."), code="throttled")})


def _send(flow: str, phone: str, payload: dict, ip: str | None, province_id) -> PhoneVerification:
    with transaction.atomic():
        now = timezone.now()
        _throttle(phone, ip, now)
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        row = PhoneVerification(flow=flow, phone=phone, salt=secrets.token_hex(16), payload=payload, ip=ip,
                                expires_at=now + CODE_TTL)
        row.code_hash = _hash(row, code)
        row.save()
        record_event("pickup.phone_code_sent", row, None, after={"flow": flow[:8], "phone": phone[-3:]})
        notify("pickup_otp", phone, {"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)}, related=row,
               province=province_id)
    return row


def start_verification(data: PickupData, ip: str | None = None) -> PhoneVerification:
    """Check the request (every field error first, nothing sent), then send a code to its phone."""
    clean = validate_request(data)
    data.phone = clean.phone
    data.commune = clean.commune.code
    return _send(secrets.token_urlsafe(32), clean.phone, data.as_payload(), ip, clean.commune.province_id)


def latest(flow: str) -> PhoneVerification | None:
    return PhoneVerification.objects.filter(flow=flow).order_by("-created_at", "-pk").first()


def resend_code(flow: str, ip: str | None = None) -> PhoneVerification:
    row = latest(flow)
    if row is None:
        raise ValidationError({"code": _bilingual("Không tìm thấy yêu cầu; vui lòng điền lại mẫu đặt lịch.",
                                                  "Request not found; please fill in the form again.")})
    if row.verified_at:
        raise ValidationError({"code": _bilingual("Số điện thoại đã được xác nhận.", "The phone is already confirmed.")})
    from geo.models import Commune

    province_id = Commune.objects.filter(code=row.payload.get("commune")).values_list("province_id", flat=True).first()
    return _send(flow, row.phone, row.payload, ip, province_id)


def confirm_code(flow: str, code: str) -> PickupRequest:
    """Register the waiting request if ``code`` is the flow's current code. A wrong code counts as a try and
    says how many are left; an expired one says so. Confirming twice gives the same request back."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise ValidationError({"code": ValidationError(_bilingual(
            f"Mã xác nhận gồm {CODE_DIGITS} chữ số.", f"The code has {CODE_DIGITS} digits."), code="code_format")})
    problem = None
    with transaction.atomic():
        row = PhoneVerification.objects.select_for_update().filter(flow=flow).order_by("-created_at", "-pk").first()
        now = timezone.now()
        if row is None:
            problem = ValidationError(_bilingual("Không tìm thấy yêu cầu; vui lòng điền lại mẫu đặt lịch.",
                                                 "Request not found; please fill in the form again."), code="missing")
        elif row.verified_at and row.pickup_id:
            return row.pickup
        elif row.attempts >= MAX_ATTEMPTS:
            problem = ValidationError(_bilingual(
                f"Đã nhập sai {MAX_ATTEMPTS} lần; bấm “Gửi lại mã” để nhận mã mới.",
                f"Wrong code {MAX_ATTEMPTS} times; press “Send a new code” to get a new one."), code="locked")
        elif now >= row.expires_at:
            problem = ValidationError(_bilingual(
                "Mã đã hết hạn (hiệu lực 10 phút); bấm “Gửi lại mã” để nhận mã mới.",
                "The code has expired (valid 10 minutes); press “Send a new code” to get a new one."),
                code="expired")
        elif not constant_time_compare(_hash(row, code), row.code_hash):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - row.attempts
            record_event("pickup.phone_code_wrong", row, None, after={"attempts": row.attempts})
            problem = ValidationError(_bilingual(
                f"Mã xác nhận không đúng; còn {left} lần thử." if left else
                "Mã xác nhận không đúng; đã hết lượt thử, bấm “Gửi lại mã” để nhận mã mới.",
                f"Wrong code; {left} tries left." if left else
                "Wrong code; no tries left, press “Send a new code” to get a new one."), code="wrong")
        else:
            pickup = register_pickup(PickupData.from_payload(row.payload), channel=RequestChannel.WEB,
                                     phone_verified_at=now)
            row.verified_at = now
            row.pickup = pickup
            row.save(update_fields=["verified_at", "pickup"])
            record_event("pickup.phone_confirmed", row, None, after={"pickup": pickup.code})
            return pickup
    raise ValidationError({"code": problem})  # outside the transaction: the wrong try stays counted
