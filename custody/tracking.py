"""The public tracking page's logic (tra cứu hồ sơ): find a dossier by its tracking code or by the S10 id of one
of its packages, and tell its story in plain Vietnamese.

Two levels of detail:

* **public** (anyone holding the code): the procedure, the service chosen, the receiving post office, the
  agency, the expected arrival, the timeline built from the packages' events, and the applicant as initials
  only ("N. T. L."). Unit names (post offices, one-stop desks, agencies) are public; people's names (staff or
  citizens), addresses, phone and id numbers never appear, and neither do the staff's free-text notes;
* **verified** (the last 4 digits of the registered phone given as well): the applicant's full name, the
  return address (street included: it is printed on the slip the citizen holds anyway, and the citizen must be
  able to see whether the result will go to the right door — a wrong address is what makes delivery fail),
  what was paid, the agency's own dossier code, the packages' S10 ids and the incidents still open.

Guessing is limited (``settings.TRACKING_*``, through Django's cache so that every process of a deployment
sees the same counters when the cache is shared): lookups per client address in a window, and wrong phone
digits per dossier (after too many, the check is locked for a while, even for the right digits). An unknown
tracking code and an unknown item id give the same neutral answer: the page is no oracle for which ids exist.

``lookup()`` is the one entry point; the page (custody.views_tracking) and the API (custody.api_tracking) use
it, so both show the same data under the same limits."""

from __future__ import annotations

import datetime
import functools
import ipaddress
import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from custody.models import Incident, IncidentReason, ItemEvent, UnitKind
from dossiers.models import TRACKING_ALPHABET, TRACKING_LENGTH, Dossier, ServiceChoice, format_tracking_code
from dossiers.models import Status as DossierStatus
from postal import s10
from postal.models import Item, ItemStatus

log = logging.getLogger(__name__)
S = ItemStatus
MAX_INPUT = 40  # characters of a typed code worth looking at
PHONE_DIGITS = 4
AWAITING_RESULT = "awaiting_result"  # a dossier with no package yet (service choice 2: result by post only)
STATUS_CODES = [*S.values, AWAITING_RESULT]
_TRACKING_SHAPE = re.compile(rf"^[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}$")
_PHONE_SHAPE = re.compile(rf"^\d{{{PHONE_DIGITS}}}$")


def _b(vi: str, en: str) -> str:
    return f"{vi} / {en}"


NOT_FOUND = _b("Không tìm thấy hồ sơ với mã này. Kiểm tra lại mã tra cứu hoặc số hiệu bưu gửi in trên phiếu "
               "hồ sơ, biên lai hoặc nhãn bưu gửi.",
               "No dossier found with this code. Check the tracking code or the item id printed on the slip, "
               "the receipt or the label.")


# --- Settings ------------------------------------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def ip_limit() -> tuple[int, int]:
    """(lookups allowed, per seconds) for one client address."""
    return _setting("TRACKING_IP_LIMIT", 30), max(1, _setting("TRACKING_IP_WINDOW_SECONDS", 600))


def phone_limit() -> tuple[int, int]:
    """(wrong phone checks allowed for one dossier, seconds the check is then locked)."""
    return _setting("TRACKING_PHONE_FAILURES", 5), max(1, _setting("TRACKING_PHONE_LOCK_SECONDS", 3600))


def _cache():
    return caches[getattr(settings, "TRACKING_CACHE", "default")]


# --- Input ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str  # "code" | "item"
    value: str  # the normalised tracking code or S10 id


def parse(text: str, field_name: str = "ma") -> Query:
    """What the citizen typed: a 12-character tracking code (dashes, spaces, lower case accepted) or an S10 item
    id (checked: a wrong check digit is said clearly). A ValidationError naming ``field_name`` otherwise."""
    value = s10.normalise((text or "")[:MAX_INPUT * 2])
    if not value:
        raise ValidationError({field_name: ValidationError(_b(
            "Nhập mã tra cứu (12 ký tự) hoặc số hiệu bưu gửi (13 ký tự).",
            "Enter the tracking code (12 characters) or the item id (13 characters)."), code="required")})
    if len(value) == TRACKING_LENGTH and _TRACKING_SHAPE.match(value):
        return Query("code", value)
    if len(value) == 13 and value[:2].isalpha() and value[-2:].isalpha():
        return Query("item", s10.validate(value, field_name))  # a wrong check digit: the clear S10 message
    if len(value) == TRACKING_LENGTH:
        raise ValidationError({field_name: ValidationError(_b(
            "Mã tra cứu chỉ gồm chữ số 2–9 và chữ cái in trên phiếu (không có 0, 1, I, L, O, U). Kiểm tra lại.",
            "A tracking code has only the digits 2–9 and the letters printed on the slip (never 0, 1, I, L, O, U). "
            "Check what was typed."), code="format")})
    raise ValidationError({field_name: ValidationError(_b(
        "Không đúng dạng: mã tra cứu có 12 ký tự (ví dụ 7KQM-3XHN-WR2P), số hiệu bưu gửi có 13 ký tự "
        "(ví dụ EH123456785VN).",
        "Not a valid code: a tracking code has 12 characters (e.g. 7KQM-3XHN-WR2P), an item id 13 "
        "(e.g. EH123456785VN)."), code="format")})


def parse_phone(text: str | None, field_name: str = "sdt") -> str | None:
    """The 4 digits typed (spaces ignored), None when nothing was typed."""
    value = re.sub(r"\s", "", text or "")
    if not value:
        return None
    if not _PHONE_SHAPE.match(value):
        raise ValidationError({field_name: ValidationError(_b(
            "Nhập đúng 4 chữ số cuối của số điện thoại đã đăng ký.",
            "Enter exactly the last 4 digits of the registered phone number."), code="format")})
    return value


def client_key(request) -> str:
    """Who is asking, for the limits: the client address (an IPv6 client by its /64, which one subscriber
    usually holds whole). Behind a reverse proxy (settings.TRACKING_TRUST_X_FORWARDED_FOR) the last address of
    X-Forwarded-For, the one our own proxy appended."""
    address = request.META.get("REMOTE_ADDR") or ""
    if getattr(settings, "TRACKING_TRUST_X_FORWARDED_FOR", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = forwarded[-1]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --- Limits --------------------------------------------------------------------------------------------------


class Limited(Exception):
    def __init__(self, message: str, retry_after: int, field_name: str | None = None):
        super().__init__(message)
        self.message, self.retry_after, self.field = message, retry_after, field_name


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def count_lookup(client: str) -> None:
    """Count one lookup for the client; Limited when over the limit. A cache that fails lets it through
    (the page must stay up; the codes themselves are unguessable)."""
    limit, window = ip_limit()
    now = int(time.time())
    key = f"tracking:ip:{client}:{now // window}"
    try:
        cache = _cache()
        cache.add(key, 0, window + 5)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - any cache failure: log and serve
        log.warning("tracking: rate-limit cache unavailable; lookup not counted", exc_info=True)
        return
    if count > limit:
        wait = window - now % window
        raise Limited(_b(
            f"Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau {_minutes(wait)} phút.",
            f"Too many lookups in a short time. Please try again in {_minutes(wait)} minutes."), wait)


def _lock_key(dossier_pk) -> str:
    return f"tracking:phone-lock:{dossier_pk}"


def _locked_message(wait: int) -> str:
    return _b(f"Đã nhập sai 4 số cuối điện thoại quá nhiều lần; việc xác minh hồ sơ này tạm khóa. Vui lòng thử lại "
              f"sau {_minutes(wait)} phút.",
              f"The last 4 phone digits were wrong too many times; checking this dossier is locked for now. Please "
              f"try again in {_minutes(wait)} minutes.")


def phone_lock_remaining(dossier_pk) -> int:
    """Seconds the phone check of this dossier stays locked (0: not locked). Raises when the cache fails:
    the check is then refused rather than left open to guessing."""
    until = _cache().get(_lock_key(dossier_pk))
    return max(0, int(until - time.time())) if until else 0


def record_phone_failure(dossier_pk) -> int:
    """Count a wrong check; lock the dossier's check when the limit is reached. The tries left."""
    failures, lock_seconds = phone_limit()
    cache = _cache()
    key = f"tracking:phone-fail:{dossier_pk}"
    cache.add(key, 0, lock_seconds)
    count = cache.incr(key)
    if count >= failures:
        cache.set(_lock_key(dossier_pk), time.time() + lock_seconds, lock_seconds)
        cache.delete(key)
    return max(0, failures - count)


# --- What is shown -------------------------------------------------------------------------------------------


@dataclass
class Step:
    at: datetime.datetime
    status: str
    message: str
    item_kind: str = ""


@dataclass
class Private:
    """Shown only after the phone check."""

    applicant_name: str
    return_street: str
    return_commune: str
    return_province: str
    return_address_input: str
    charges: list[dict]
    amount_paid: int
    external_code: str
    amount_paid_text: str
    items: list[dict]
    incidents: list[dict]


@dataclass
class Tracking:
    tracking_code: str
    status: str
    status_message: str
    status_at: datetime.datetime | None
    procedure_code: str
    procedure_name: str
    service_choice: int
    service_label: str
    post_office: str
    agency: str
    desk: str
    received_at: datetime.datetime
    expected_arrival: datetime.datetime | None
    applicant_initials: str
    cancelled: bool
    timeline: list[Step] = field(default_factory=list)
    private: Private | None = None


@dataclass
class Outcome:
    """What a lookup answers: ``http_status`` 200 with ``tracking``, or an error (400, 404, 429) with its field
    and bilingual message. ``phone_check``: None (not asked), "ok", "wrong", "locked"."""

    http_status: int
    tracking: Tracking | None = None
    error_field: str | None = None
    error: str = ""
    retry_after: int | None = None
    phone_check: str | None = None
    phone_message: str = ""
    tries_left: int | None = None

    @property
    def verified(self) -> bool:
        return self.phone_check == "ok"


def format_amount(amount: int) -> str:
    """25000 -> "25.000 đ"."""
    return f"{amount:,}".replace(",", ".") + " đ"


def initials(name: str) -> str:
    """"Nguyễn Thị Lan" -> "N. T. L." (first letter of each word, accents kept)."""
    words = unicodedata.normalize("NFC", name or "").split()
    letters = [next((ch for ch in word if ch.isalnum()), "") for word in words]
    return " ".join(f"{letter.upper()}." for letter in letters if letter)


def _desk_phrase(name: str) -> str:
    return name if name.lower().startswith("bộ phận một cửa") else _("Bộ phận Một cửa %(name)s") % {"name": name}


def describe(event: Event, found: Found) -> str:
    """One timeline line in plain Vietnamese (no people's names, no staff notes)."""
    result = event.item_kind == Item.Kind.RESULT
    place = event.place
    status = event.status
    if status == S.PENDING:
        if event.source == ItemEvent.Source.INTAKE and place:
            return (_("Bưu điện %(place)s đã nhận kết quả") if result
                    else _("Bưu điện %(place)s đã nhận hồ sơ")) % {"place": place}
        if place:
            return (_("Kết quả đã đến %(place)s") if result else _("Hồ sơ đã đến %(place)s")) % {"place": place}
        return _("Đang chờ chuyển")
    if status == S.PICKED_UP:
        return _("Bưu tá đã nhận hồ sơ tại nhà")
    if status == S.IN_TRANSIT:
        if event.destination:
            return (_("Đang chuyển kết quả đến %(place)s") if result
                    else _("Đang chuyển đến %(place)s")) % {"place": event.destination}
        return _("Đang vận chuyển")
    if status == S.AT_ONE_STOP_DESK:
        desk = place or found.desk
        if result:
            return _("%(desk)s đã nhận kết quả") % {"desk": _desk_phrase(desk)} if desk else _("Đã có kết quả")
        return _("%(desk)s đã nhận hồ sơ") % {"desk": _desk_phrase(desk)} if desk else _("Bộ phận Một cửa đã nhận hồ sơ")
    if status == S.RECEIVED_BY_AGENCY:
        return _("Cơ quan %(agency)s đang giải quyết") % {"agency": found.agency}
    if status == S.RESULT_READY:
        return _("Đã có kết quả")
    back = result or not event.item_returning  # a result, not a dossier sent back to the citizen
    if status == S.OUT_FOR_DELIVERY:
        return _("Bưu tá đang phát kết quả") if back else _("Bưu tá đang chuyển trả hồ sơ")
    if status == S.DELIVERY_FAILED:
        if event.reason in IncidentReason.values:
            return _("Phát chưa thành công: %(reason)s") % {"reason": IncidentReason(event.reason).label}
        return _("Phát chưa thành công")
    if status == S.HELD_AT_POST_OFFICE:
        if place:
            return (_("Kết quả đang được giữ tại %(place)s") if back
                    else _("Hồ sơ đang được giữ tại %(place)s")) % {"place": place}
        return _("Kết quả đang được giữ tại bưu cục")
    if status == S.DELIVERED:
        return _("Đã phát kết quả") if back else _("Đã trả hồ sơ cho người nộp")
    if status == S.RETURNED_TO_AGENCY:
        return _("Đã trả lại cơ quan")
    if status == S.CANCELLED:
        return _("Đã hủy")
    return str(S(status).label) if status in S.values else status


def _incident_line(event: Event) -> str:
    """A system note (an incident was opened): its kind only — the note itself is internal."""
    if event.reason in IncidentReason.values:
        return _("Bưu điện ghi nhận sự cố: %(reason)s") % {"reason": IncidentReason(event.reason).label}
    return _("Bưu điện ghi nhận sự cố")


# --- Reading: one small query -------------------------------------------------------------------------------
# Plain SQL on purpose: the page must answer in a few milliseconds with a million packages. One statement reads
# the dossier (by the unique tracking code, or through the unique item id) and its events (through the index on
# postal_item.dossier_id, then custody_itemevent's on item_id); the public names of the units come from scalar
# subqueries on primary keys, which PostgreSQL plans in a fraction of a millisecond where the ORM's
# select_related joins of ten tables took milliseconds to plan (and as long again to compile in Python).
# Table names come from the models.


@dataclass(slots=True)
class Found:
    """The dossier as the page needs it (only what the public level shows, plus the registered phone)."""

    pk: int
    tracking_code: str
    service_choice: int
    status: str
    received_at: datetime.datetime
    expected_arrival: datetime.datetime | None
    updated_at: datetime.datetime
    applicant_name: str
    applicant_phone: str
    procedure_code: str
    procedure_name: str
    post_office: str
    agency: str
    desk: str


@dataclass(slots=True)
class Event:
    """One event of one of the dossier's packages, with the public names of the units involved."""

    occurred_at: datetime.datetime
    status: str
    reason: str
    source: str
    unit_kind: str
    applied: bool
    item_kind: str
    item_returning: bool
    place: str
    destination: str


def _tables() -> dict[str, str]:
    from catalog.models import Procedure, ProcedureVersion
    from custody.models import Manifest
    from network.models import Agency, OneStopDesk, PostOffice

    models = {"dossier": Dossier, "item": Item, "event": ItemEvent, "manifest": Manifest, "office": PostOffice,
              "desk": OneStopDesk, "agency": Agency, "procedure": Procedure, "version": ProcedureVersion}
    return {key: connection.ops.quote_name(model._meta.db_table) for key, model in models.items()}


@functools.cache
def lookup_sql(kind: str) -> str:
    """One statement: the dossier (by tracking code, or by the item id of one of its packages) and, one per row,
    its packages' events in time order (none: one row with NULL events)."""
    t = _tables()
    returning = connection.ops.quote_name("returning")  # a keyword in SQL
    where = ("d.tracking_code = %s" if kind == "code"
             else f"d.id = (SELECT x.dossier_id FROM {t['item']} x WHERE x.item_id = %s)")
    return (
        "SELECT d.id, d.tracking_code, d.service_choice, d.status, d.received_at, d.expected_arrival, "
        "d.updated_at, d.applicant_name, d.applicant_phone, "
        f"(SELECT p.code FROM {t['procedure']} p WHERE p.id = d.procedure_id), "
        f"(SELECT v.name FROM {t['version']} v WHERE v.id = d.version_id), "
        f"(SELECT o.name FROM {t['office']} o WHERE o.id = d.post_office_id), "
        f"(SELECT a.name FROM {t['agency']} a WHERE a.id = d.agency_id), "
        f"(SELECT k.name FROM {t['desk']} k WHERE k.id = d.desk_id), "
        f"e.occurred_at, e.status, e.reason, e.source, e.unit_kind, e.applied, i.kind, i.{returning}, "
        f"(SELECT o.name FROM {t['office']} o WHERE o.id = e.post_office_id), "
        f"(SELECT k.name FROM {t['desk']} k WHERE k.id = e.desk_id), "
        "m.destination_kind, "
        f"(SELECT o.name FROM {t['office']} o WHERE o.id = m.destination_post_office_id), "
        f"(SELECT k.name FROM {t['desk']} k WHERE k.id = m.destination_desk_id) "
        f"FROM {t['dossier']} d "
        f"LEFT JOIN ({t['item']} i JOIN {t['event']} e ON e.item_id = i.id) ON i.dossier_id = d.id "
        f"LEFT JOIN {t['manifest']} m ON m.id = e.manifest_id "
        f"WHERE {where} ORDER BY e.occurred_at, e.id")


def _aware(value):
    """A datetime as the ORM would give it (SQLite hands back naive UTC, or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=datetime.UTC) if timezone.is_naive(value) else value


def _rows(sql: str, params: list) -> list[tuple]:
    """Run the lookup. On PostgreSQL (unless settings.TRACKING_PREPARED_STATEMENTS is off) as a statement
    prepared once per connection: with persistent connections PostgreSQL then keeps a generic plan after five
    runs, and the lookup costs it 0.2 ms instead of 1 ms, most of which was planning. Django's own cursors bind
    parameters on the client and never prepare; this one binds on the server, and psycopg keeps the prepared
    statements of the connection. Turn it off behind a pooler that cannot keep prepared statements (PgBouncer in
    transaction mode before 1.21)."""
    if connection.vendor == "postgresql" and getattr(settings, "TRACKING_PREPARED_STATEMENTS", True):
        import psycopg

        with connection.cursor():  # connected, and health-checked, as Django does it
            pass
        raw = connection.connection
        threshold = raw.prepare_threshold  # None (Django's default): psycopg would never prepare
        raw.prepare_threshold = 0
        try:
            with psycopg.Cursor(raw) as cursor:
                cursor.execute(sql, params, prepare=True)
                return cursor.fetchall()
        finally:
            raw.prepare_threshold = threshold
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load(query: Query) -> tuple[Found, list[Event]] | None:
    """The dossier and its events, or None: one round trip to the database."""
    rows = _rows(lookup_sql(query.kind), [query.value])
    if not rows:
        return None
    (pk, code, choice, status, received, expected, updated, name, phone, procedure_code, procedure_name, office,
     agency, desk) = rows[0][:14]
    found = Found(pk, code, int(choice), status, _aware(received), _aware(expected), _aware(updated), name, phone,
                  procedure_code, procedure_name or "", office or "", agency or "", desk or "")
    events = []
    for (at, status, reason, source, unit_kind, applied, kind, returning, office, desk, destination_kind,
         destination_office, destination_desk) in (row[14:] for row in rows):
        if at is None:
            continue  # a dossier without events
        place = office if unit_kind == UnitKind.POST_OFFICE else desk if unit_kind == UnitKind.DESK else ""
        destination = destination_desk if destination_kind == UnitKind.DESK else destination_office
        events.append(Event(_aware(at), status, reason, source, unit_kind, bool(applied), kind, bool(returning),
                            place or "", destination or ""))
    return found, events


def build(found: Found, events: list[Event], *, verified: bool = False) -> Tracking:
    """The dossier's tracking page data; the private part only when ``verified``."""
    timeline: list[Step] = []
    current: Step | None = None
    for event in events:
        if event.source == ItemEvent.Source.SYSTEM:
            if verified:
                timeline.append(Step(event.occurred_at, event.status, _incident_line(event), event.item_kind))
            continue
        step = Step(event.occurred_at, event.status, describe(event, found), event.item_kind)
        timeline.append(step)
        if event.applied and (current is None or event.occurred_at >= current.at):
            current = step
    if not events:
        registered = (_("Bưu điện %(place)s đã nhận đăng ký nhận kết quả qua bưu điện")
                      if found.service_choice == ServiceChoice.RECEIVE else _("Bưu điện %(place)s đã nhận hồ sơ"))
        first = Step(found.received_at, AWAITING_RESULT if found.service_choice == ServiceChoice.RECEIVE
                     else S.PENDING, registered % {"place": found.post_office})
        timeline.append(first)
        current = first
    cancelled = found.status == DossierStatus.CANCELLED
    if cancelled and not any(step.status == S.CANCELLED for step in timeline):
        current = Step(max(found.updated_at, timeline[-1].at), S.CANCELLED, _("Đã hủy"))
        timeline.append(current)
    sends = found.service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH)
    tracking = Tracking(
        tracking_code=format_tracking_code(found.tracking_code), status=current.status,
        status_message=current.message, status_at=current.at, procedure_code=found.procedure_code,
        procedure_name=found.procedure_name, service_choice=found.service_choice,
        service_label=str(ServiceChoice(found.service_choice).label), post_office=found.post_office,
        agency=found.agency, desk=found.desk, received_at=found.received_at,
        expected_arrival=found.expected_arrival if sends else None,
        applicant_initials=initials(found.applicant_name), cancelled=cancelled, timeline=timeline)
    if verified:
        tracking.private = _private(found)
    return tracking


def _private(found: Found) -> Private:
    dossier = Dossier.objects.select_related("return_commune__province").get(pk=found.pk)
    commune = dossier.return_commune
    items = list(Item.objects.filter(dossier_id=dossier.pk).order_by("created_at", "pk"))
    open_incidents = (Incident.objects.filter(item__dossier_id=dossier.pk,
                                              status__in=[Incident.Status.OPEN, Incident.Status.INVESTIGATING])
                      .select_related("item").order_by("reported_at"))
    return Private(
        applicant_name=dossier.applicant_name,
        return_street=dossier.return_street if dossier.returns_result else "",
        return_commune=commune.name if commune and dossier.returns_result else "",
        return_province=commune.province.name if commune and dossier.returns_result else "",
        return_address_input="" if commune or not dossier.returns_result else dossier.return_address_input,
        charges=[{"label": c.label, "amount": c.amount, "amount_text": format_amount(c.amount)}
                 for c in dossier.charges.all()],
        amount_paid=dossier.amount_paid, amount_paid_text=format_amount(dossier.amount_paid),
        external_code=dossier.external_code,
        items=[{"item_id": i.item_id, "kind": i.kind, "kind_label": str(i.get_kind_display()),
                "status": i.status, "status_label": str(i.get_status_display())} for i in items],
        incidents=[{"item_id": i.item.item_id, "reason": i.reason, "status": i.status,
                    "reported_at": i.reported_at,
                    "message": _("%(reason)s — %(status)s") % {"reason": i.get_reason_display(),
                                                             "status": i.get_status_display()}}
                   for i in open_incidents])


# --- The one entry point -------------------------------------------------------------------------------------


def lookup(text: str, *, client: str, phone: str | None = None, code_field: str = "ma",
           phone_field: str = "sdt") -> Outcome:
    """Look a dossier up for a citizen (``client``: client_key(request)). Counts against the client's limit
    whatever the answer; checks ``phone`` (already parsed, 4 digits) against the registered phone."""
    try:
        count_lookup(client)
    except Limited as exc:
        return Outcome(429, error_field=None, error=exc.message, retry_after=exc.retry_after)
    try:
        query = parse(text, code_field)
    except ValidationError as exc:
        return Outcome(400, error_field=code_field, error=exc.message_dict[code_field][0])
    loaded = load(query)
    if loaded is None:
        return Outcome(404, error_field=code_field, error=NOT_FOUND)
    found, events = loaded
    outcome = Outcome(200)
    if phone is not None:
        _check_phone(outcome, found, phone, phone_field)
    outcome.tracking = build(found, events, verified=outcome.verified)
    return outcome


def _check_phone(outcome: Outcome, dossier: Found, phone: str, phone_field: str) -> None:
    try:
        wait = phone_lock_remaining(dossier.pk)
        if wait:
            outcome.http_status, outcome.retry_after, outcome.phone_check = 429, wait, "locked"
            outcome.error_field, outcome.error = phone_field, _locked_message(wait)
            return
        if constant_time_compare(phone, (dossier.applicant_phone or "")[-PHONE_DIGITS:]):
            outcome.phone_check = "ok"
            return
        left = record_phone_failure(dossier.pk)
    except Exception:  # noqa: BLE001 - no cache: no check (never an open door to guessing)
        log.warning("tracking: rate-limit cache unavailable; phone check refused", exc_info=True)
        outcome.phone_check, outcome.phone_message = "unavailable", _b(
            "Tạm thời chưa xác minh được; vui lòng thử lại sau.", "The check is unavailable for now; try again later.")
        return
    outcome.phone_check, outcome.tries_left = "wrong", left
    if left:
        outcome.phone_message = _b(
            f"4 số cuối điện thoại không khớp với số đã đăng ký cho hồ sơ này (còn {left} lần thử).",
            f"The last 4 digits do not match the phone registered for this dossier ({left} tries left).")
    else:
        _, lock_seconds = phone_limit()
        outcome.phone_message = _locked_message(lock_seconds)
