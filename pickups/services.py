"""Home pickup: register a request (public form after the phone is confirmed, or staff on a caller's behalf),
assign a postman, start, fail, cancel, and collect — the pickup becomes the intake.

One function per transition of ``pickups.models.TRANSITIONS``; each validates first (every error names its
field, in Vietnamese and English, and nothing is written), then changes the request in one transaction with
its audit event and the citizen's notification (``notifications.notify``, sent after the commit)."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time

from accounts.models import Role
from accounts.scopes import can_act
from audit.services import record_event
from catalog.models import ProcedureVersion
from dossiers.models import Channel as DossierChannel
from dossiers.models import Dossier, ServiceChoice, new_tracking_code
from dossiers.services import IntakeData, by_post_refusal, take_in, version_for
from dossiers.validators import validate_mobile
from geo.models import Commune
from network.models import PostOffice
from notifications.services import notify
from pickups.models import (
    TRANSITIONS,
    WINDOW_TIMES,
    PickupRequest,
    RequestChannel,
    Status,
    Window,
)

PICKUP_CHOICES = (ServiceChoice.SEND, ServiceChoice.BOTH)  # a pickup carries a dossier: choice 1 or 3
MAX_DAYS_AHEAD = 60
EARLIEST, LATEST = datetime.time(6, 0), datetime.time(21, 0)  # a custom window lies inside these
MIN_WINDOW = datetime.timedelta(minutes=30)
REASON_MIN = 5


def _bilingual(vi: str, en: str) -> str:
    return f"{vi} / {en}"


@dataclass
class PickupData:
    """What a pickup request says: who, where, which procedure, when."""

    contact_name: str
    phone: str
    commune: object  # a geo.Commune or its 5-digit code
    street: str
    procedure_code: str
    service_choice: int
    preferred_date: object  # a date or "YYYY-MM-DD"
    window: str
    window_start: object = None  # a time or "HH:MM" (window "custom")
    window_end: object = None
    note: str = ""

    def as_payload(self) -> dict:
        """JSON-safe values (kept while the phone is being confirmed)."""
        values = asdict(self)
        values["commune"] = self.commune.code if isinstance(self.commune, Commune) else self.commune
        for name in ("preferred_date", "window_start", "window_end"):
            value = values[name]
            if hasattr(value, "isoformat"):
                values[name] = value.isoformat()
        return values

    @classmethod
    def from_payload(cls, payload: dict) -> PickupData:
        return cls(**{k: payload.get(k) for k in cls.__dataclass_fields__})


@dataclass
class CleanRequest:
    contact_name: str
    phone: str
    commune: Commune
    street: str
    version: ProcedureVersion
    service_choice: int
    preferred_date: datetime.date
    window: str
    window_start: datetime.time
    window_end: datetime.time
    note: str
    post_office: PostOffice
    warnings: list[str] = field(default_factory=list)


def serving_post_office(commune: Commune) -> PostOffice | None:
    """The post office that collects in ``commune``: one whose served communes contain it (a post office
    before a commune post point, then by code)."""
    return (PostOffice.objects.filter(served_communes=commune, active=True, accepts_dossiers=True)
            .annotate(rank=Case(When(kind=PostOffice.Kind.POST_OFFICE, then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .select_related("province").order_by("rank", "code").first())


def _commune(value) -> Commune | None:
    if isinstance(value, Commune):
        return value
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 5:
        return None
    return Commune.objects.select_related("province").filter(code=text.zfill(5)).first()


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return parse_date(str(value or "").strip())
    except ValueError:
        return None


def _as_time(value):
    if isinstance(value, datetime.time) or value is None:
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def validate_request(data: PickupData, *, province=None, now=None) -> CleanRequest:
    """The cleaned request, or ValidationError with every field's message. ``province``: staff may only
    register pickups in their own province."""
    from workdays.calendar import is_working_day

    errors: dict[str, list] = {}

    def add(name, message, code=None):
        errors.setdefault(name, []).append(ValidationError(message, code=code) if code else message)

    now = timezone.localtime(now or timezone.now())
    contact_name = (data.contact_name or "").strip()
    if not contact_name:
        add("contact_name", _bilingual("Nhập họ tên người liên hệ.", "Enter the contact's name."))
    elif len(contact_name) > 255:
        add("contact_name", _bilingual("Họ tên quá dài (tối đa 255 ký tự).", "The name is too long (255 at most)."))
    phone = data.phone
    try:
        phone = validate_mobile(data.phone)
    except ValidationError as exc:
        for message in exc.messages:
            add("phone", message, "phone_format")

    commune = _commune(data.commune)
    if commune is None:
        add("commune", _bilingual("Chọn xã/phường nơi thu gom hồ sơ.", "Choose the commune where to collect."))
    elif commune.retired:
        add("commune", _bilingual(f"{commune.name} không còn là đơn vị hành chính; chọn xã/phường mới.",
                                  f"{commune.name} no longer exists; choose the current commune."))
        commune = None
    elif province is not None and commune.province_id != getattr(province, "pk", province):
        add("commune", _bilingual(f"{commune.name} không thuộc tỉnh của bạn.",
                                  f"{commune.name} is not in your province."))
        commune = None
    street = (data.street or "").strip()
    if not street:
        add("street", _bilingual("Nhập số nhà, đường, thôn/ấp.", "Enter the house number and street."))
    elif len(street) > 255:
        add("street", _bilingual("Địa chỉ quá dài (tối đa 255 ký tự).", "The address is too long (255 at most)."))

    try:
        service_choice = int(data.service_choice)
    except (TypeError, ValueError):
        service_choice = None
    if service_choice not in PICKUP_CHOICES:
        add("service_choice", _bilingual(
            "Thu gom tại nhà dùng cho dịch vụ 1 (gửi hồ sơ) hoặc 3 (gửi hồ sơ và nhận kết quả).",
            "Home pickup is for service 1 (send the dossier) or 3 (send and receive the result)."))

    version = None
    code = (data.procedure_code or "").strip()
    if not code:
        add("procedure_code", _bilingual("Chọn thủ tục hành chính.", "Choose the administrative procedure."))
    elif commune is not None:
        version = version_for(code, commune.province)
        if version is None:
            add("procedure_code", _bilingual(
                f"Không có thủ tục mã “{code[:30]}” đang có hiệu lực tại {commune.province.name}.",
                f"No procedure with code “{code[:30]}” in force in {commune.province.name}."))
        elif service_choice in PICKUP_CHOICES:
            refusal = by_post_refusal(version, service_choice)
            if refusal:
                add("procedure_code", refusal, "not_by_post")
                version = None

    post_office = None
    if commune is not None:
        post_office = serving_post_office(commune)
        if post_office is None:
            add("commune", _bilingual(
                f"Chưa có bưu cục nào thu gom hồ sơ tại {commune.name}. Vui lòng mang hồ sơ đến bưu cục "
                f"hoặc điểm Bưu điện văn hóa xã gần nhất.",
                f"No post office collects dossiers in {commune.name} yet. Please bring the dossier to the "
                f"nearest post office or commune post point."), "no_post_office")

    day = _as_date(data.preferred_date)
    if day is None:
        add("preferred_date", _bilingual("Nhập ngày hẹn dạng YYYY-MM-DD.", "Enter the date as YYYY-MM-DD."))
    elif day < now.date():
        add("preferred_date", _bilingual("Ngày hẹn đã qua.", "The date is in the past."))
    elif day > now.date() + datetime.timedelta(days=MAX_DAYS_AHEAD):
        add("preferred_date", _bilingual(f"Chỉ hẹn trong vòng {MAX_DAYS_AHEAD} ngày tới.",
                                         f"Choose a date within the next {MAX_DAYS_AHEAD} days."))
    elif not is_working_day(day):
        add("preferred_date", _bilingual(f"Ngày {day:%d/%m/%Y} không phải ngày làm việc; chọn ngày khác.",
                                         f"{day:%d/%m/%Y} is not a working day; choose another day."))

    window = data.window
    start = end = None
    if window in WINDOW_TIMES:
        start, end = WINDOW_TIMES[window]
    elif window == Window.CUSTOM:
        start, end = _as_time(data.window_start), _as_time(data.window_end)
        if start is None:
            add("window_start", _bilingual("Nhập giờ bắt đầu dạng HH:MM.", "Enter the start time as HH:MM."))
        if end is None:
            add("window_end", _bilingual("Nhập giờ kết thúc dạng HH:MM.", "Enter the end time as HH:MM."))
        if start and end:
            span = datetime.datetime.combine(now.date(), end) - datetime.datetime.combine(now.date(), start)
            if start < EARLIEST or end > LATEST:
                add("window_start", _bilingual("Khung giờ phải trong khoảng 06:00–21:00.",
                                               "The window must lie between 06:00 and 21:00."))
            elif span < MIN_WINDOW:
                add("window_end", _bilingual("Giờ kết thúc phải sau giờ bắt đầu ít nhất 30 phút.",
                                             "The end must be at least 30 minutes after the start."))
    else:
        add("window", _bilingual("Chọn buổi sáng, buổi chiều hoặc khung giờ khác.",
                                 "Choose morning, afternoon or another window."))
    if day is not None and day == now.date() and end is not None and end <= now.time():
        add("window" if window in WINDOW_TIMES else "window_end",
            _bilingual("Khung giờ này hôm nay đã qua; chọn khung giờ hoặc ngày khác.",
                       "This window is already over today; choose another window or day."))

    note = (data.note or "").strip()
    if len(note) > 500:
        add("note", _bilingual("Ghi chú tối đa 500 ký tự.", "The note has 500 characters at most."))
    if errors:
        raise ValidationError(errors)
    return CleanRequest(contact_name=contact_name, phone=phone, commune=commune, street=street, version=version,
                        service_choice=service_choice, preferred_date=day, window=window, window_start=start,
                        window_end=end, note=note, post_office=post_office)


def _context(pickup: PickupRequest, **extra) -> dict:
    return {"code": pickup.display_code, "procedure": pickup.procedure.code, "address": pickup.address,
            "date": f"{pickup.preferred_date:%d/%m/%Y}", "window": pickup.window_text, **extra}


def _state(pickup: PickupRequest) -> dict:
    return {"status": pickup.status, "assigned_postman": pickup.assigned_postman_id, "reason": pickup.reason,
            "dossier": pickup.dossier_id}


def register_pickup(data: PickupData, *, channel: str, actor=None, phone_verified_at=None,
                    province=None) -> PickupRequest:
    """Register a request (status ``registered``) and tell the citizen its code."""
    clean = validate_request(data, province=province)
    with transaction.atomic():
        code = new_tracking_code()
        while PickupRequest.objects.filter(code=code).exists():
            code = new_tracking_code()
        pickup = PickupRequest.objects.create(
            code=code, status=Status.REGISTERED, province=clean.commune.province, commune=clean.commune,
            street=clean.street, contact_name=clean.contact_name, phone=clean.phone,
            procedure=clean.version.procedure, version=clean.version, service_choice=clean.service_choice,
            preferred_date=clean.preferred_date, window=clean.window, window_start=clean.window_start,
            window_end=clean.window_end, note=clean.note, channel=channel,
            requested_by=actor if getattr(actor, "pk", None) else None, phone_verified_at=phone_verified_at,
            post_office=clean.post_office,
        )
        record_event("pickup.registered", pickup, actor, after={
            "code": pickup.code, "status": pickup.status, "channel": channel, "procedure": pickup.procedure.code,
            "version": clean.version.number, "commune": clean.commune.code, "post_office": clean.post_office.code,
            "preferred_date": pickup.preferred_date, "window": [pickup.window_start, pickup.window_end],
            "phone_verified": phone_verified_at is not None})
        notify("pickup_registered", pickup.phone, _context(pickup), related=pickup)
    return pickup


def request_pickup(data: PickupData, actor) -> PickupRequest:
    """Staff register a pickup on a caller's behalf (no code by SMS: the call centre or the clerk talks to
    the citizen). Call-centre requests have channel ``call_centre``, the others ``counter``."""
    if not can_act(actor, "request_pickup"):
        raise PermissionDenied(_bilingual("Bạn không có quyền đặt lịch thu gom.",
                                          "You are not allowed to request pickups."))
    channel = RequestChannel.CALL_CENTRE if actor.role == Role.CALL_CENTRE else RequestChannel.COUNTER
    province = None if actor.is_national else actor.province_id
    if province is None and not actor.is_national:
        raise PermissionDenied(_bilingual("Tài khoản của bạn chưa gắn với tỉnh nào.",
                                          "Your account is bound to no province."))
    return register_pickup(data, channel=channel, actor=actor, province=province)


def _transition(pickup: PickupRequest, to: str, actor, action: str, *, check=None, changes=None,
                reason: str = "") -> PickupRequest:
    with transaction.atomic():
        locked = (PickupRequest.objects.select_for_update()
                  .select_related("procedure", "commune", "province", "post_office").get(pk=pickup.pk))
        if check:
            check(locked)
        if to not in TRANSITIONS.get(locked.status, set()):
            raise ValidationError({"status": _bilingual(
                f"Không thể chuyển yêu cầu thu gom từ “{locked.get_status_display()}” sang “{Status(to).label}”.",
                f"A pickup cannot go from “{locked.status}” to “{to}”.")})
        before = _state(locked)
        now = timezone.now()
        locked.status = to
        locked.reason = reason or locked.reason
        if to in (Status.COLLECTED, Status.CANCELLED, Status.FAILED):
            locked.closed_at = now
        for name, value in (changes or {}).items():
            setattr(locked, name, value(now) if callable(value) else value)
        locked.save()
        record_event(action, locked, actor, before=before, after=_state(locked))
    return locked


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        raise ValidationError({"reason": _bilingual("Ghi rõ lý do (ít nhất 5 ký tự).",
                                                    "Write the reason (at least 5 characters).")})
    return text[:500]


def postmen_of(post_office) -> list:
    from accounts.models import User

    return list(User.objects.filter(role=Role.POSTMAN, post_office=post_office, is_active=True)
                .order_by("first_name", "username"))


def assign_pickup(pickup: PickupRequest, postman, actor) -> PickupRequest:
    """The dispatcher gives the pickup to a postman of the pickup's post office (again: a reassignment)."""
    if not can_act(actor, "assign_pickup", pickup):
        raise PermissionDenied(_bilingual("Bạn không có quyền phân công thu gom.",
                                          "You are not allowed to assign pickups."))
    if (postman is None or postman.role != Role.POSTMAN or not postman.is_active
            or postman.post_office_id != pickup.post_office_id):
        raise ValidationError({"postman": _bilingual(
            f"Chỉ phân công cho bưu tá của bưu cục {pickup.post_office.code}.",
            f"Assign a postman of post office {pickup.post_office.code}.")})
    with transaction.atomic():
        pickup = _transition(pickup, Status.ASSIGNED, actor, "pickup.assigned",
                             changes={"assigned_postman": postman, "assigned_at": lambda now: now})
        notify("pickup_assigned", pickup.phone,
               _context(pickup, postman=postman.get_full_name() or postman.username), related=pickup)
    return pickup


def _fresh(pickup: PickupRequest) -> PickupRequest:
    return PickupRequest.objects.select_related("procedure", "commune", "province", "post_office").get(pk=pickup.pk)


def _check_runner(actor, pickup: PickupRequest):
    """The assigned postman, or the manager of the pickup's post office."""
    allowed = can_act(actor, "collect_pickup", pickup) and (
        actor.pk == pickup.assigned_postman_id or can_act(actor, "assign_pickup", pickup))
    if not allowed:
        raise PermissionDenied(_bilingual("Yêu cầu thu gom này không được giao cho bạn.",
                                          "This pickup is not assigned to you."))


def start_pickup(pickup: PickupRequest, actor) -> PickupRequest:
    """“Bắt đầu thu gom”: the postman sets off to (or is at) the citizen's address."""
    return _transition(pickup, Status.COLLECTING, actor, "pickup.started", check=lambda p: _check_runner(actor, p),
                       changes={"started_at": lambda now: now})


def fail_pickup(pickup: PickupRequest, actor, reason: str) -> PickupRequest:
    """“Không thu gom được”, with the reason (nobody home, dossier not ready...)."""
    _check_runner(actor, _fresh(pickup))
    reason = _reason(reason)
    with transaction.atomic():
        pickup = _transition(pickup, Status.FAILED, actor, "pickup.failed", reason=reason,
                             check=lambda p: _check_runner(actor, p))
        notify("pickup_failed", pickup.phone,
               _context(pickup, reason=reason, post_office=pickup.post_office.phone or pickup.post_office.name),
               related=pickup)
    return pickup


def cancel_pickup(pickup: PickupRequest, actor, reason: str) -> PickupRequest:
    """Cancel (the citizen changed their mind, a duplicate...): the dispatcher or the staff who take requests."""
    if not (can_act(actor, "assign_pickup", pickup) or can_act(actor, "request_pickup", pickup)):
        raise PermissionDenied(_bilingual("Bạn không có quyền hủy yêu cầu thu gom.",
                                          "You are not allowed to cancel pickups."))
    reason = _reason(reason)
    with transaction.atomic():
        pickup = _transition(pickup, Status.CANCELLED, actor, "pickup.cancelled", reason=reason)
        notify("pickup_cancelled", pickup.phone, _context(pickup, reason=reason), related=pickup)
    return pickup


def intake_defaults(pickup: PickupRequest) -> dict:
    """What the door form starts from: the request's procedure, choice, contact and address."""
    return {"service_choice": pickup.service_choice, "procedure_code": pickup.procedure.code,
            "applicant_kind": "person", "applicant_name": pickup.contact_name, "applicant_phone": pickup.phone,
            "applicant_street": pickup.street, "applicant_commune": pickup.commune,
            "return_street": pickup.street, "return_commune": pickup.commune}


def collect_pickup(pickup: PickupRequest, data: IntakeData, actor) -> Dossier:
    """At the door: the same checklist, seal, fees and item id as at the counter (``dossiers.services.take_in``
    with channel ``home_pickup``); the pickup becomes ``collected`` with the dossier, in the same transaction
    as take_in's writes — an intake that fails leaves the pickup ``collecting`` and writes nothing."""
    pickup = _fresh(pickup)
    _check_runner(actor, pickup)
    if (data.procedure_code or "").strip() != pickup.procedure.code:
        raise ValidationError({"procedure_code": _bilingual(
            f"Yêu cầu thu gom này là cho thủ tục {pickup.procedure.code}; thủ tục khác cần đặt lịch mới "
            f"hoặc nộp tại bưu cục.",
            f"This pickup is for procedure {pickup.procedure.code}; another procedure needs a new request "
            f"or the counter.")})
    if data.service_choice not in PICKUP_CHOICES:
        raise ValidationError({"service_choice": _bilingual(
            "Thu gom tại nhà dùng cho dịch vụ 1 hoặc 3.", "Home pickup is for service 1 or 3.")})
    with transaction.atomic():
        locked = PickupRequest.objects.select_for_update().select_related("post_office").get(pk=pickup.pk)
        _check_runner(actor, locked)
        if locked.status != Status.COLLECTING:
            raise ValidationError({"status": _bilingual(
                f"Yêu cầu đang ở trạng thái “{locked.get_status_display()}”; bấm “Bắt đầu thu gom” trước.",
                f"The pickup is “{locked.status}”; start it first.")})
        dossier = take_in(data, actor, post_office=locked.post_office, channel=DossierChannel.HOME_PICKUP,
                          submission_key=f"pickup:{locked.pk}")
        pickup = _transition(locked, Status.COLLECTED, actor, "pickup.collected", changes={"dossier": dossier})
        notify("pickup_collected", dossier.applicant_phone,
               {"tracking_code": dossier.display_tracking_code, "procedure": dossier.procedure.code,
                "amount": f"{dossier.amount_paid:,}".replace(",", ".")}, related=pickup)
    return dossier
