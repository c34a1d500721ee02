"""Batches of scan events from handheld scanners (up to 1,000 per request).

Each event: ``event_id`` (the scanner's own id: a duplicate is ignored), ``item_id`` (S10), ``event_type``
(a normalised status), ``unit`` (the scanning post office's code or one-stop desk's code), ``time``,
``actor`` (the user name on the scanner) and optional ``reason`` (an incident reason) and ``note``.

Every event gets its own result: ``applied``, ``late`` (kept on the timeline at its time, the current state
untouched because a later event was already applied), ``duplicate`` (ignored) or ``rejected`` with the reason.
All events are checked in order against the packages' state in memory (so two events of one package in one
batch see each other), then everything accepted is written at once in one transaction: a rejected event
writes nothing, and nothing is ever half-applied."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Role, User
from accounts.scopes import visible
from audit.services import record_events
from custody.models import IncidentReason, ItemEvent, ManifestLine, UnitKind
from custody.services import ITEM_TRANSITIONS, TERMINAL, custodian_label, set_custodian
from network.models import OneStopDesk, PostOffice
from postal import s10
from postal.models import Custodian, Item, ItemStatus

S = ItemStatus
MAX_EVENTS = 1000
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
# Where a package is after a scan of this status: "unit" (the scanning post office / desk), "postman" (the
# scanning user), "citizen", "agency" (the dossier's agency), or None (unchanged).
HOLDER_AFTER = {
    S.PENDING: "unit", S.PICKED_UP: "postman", S.AT_ONE_STOP_DESK: "unit", S.RECEIVED_BY_AGENCY: "agency",
    S.RESULT_READY: "unit", S.OUT_FOR_DELIVERY: "postman", S.DELIVERY_FAILED: None,
    S.HELD_AT_POST_OFFICE: "unit", S.DELIVERED: "citizen", S.RETURNED_TO_AGENCY: "agency", S.CANCELLED: None,
}
DESK_STATUSES = {S.AT_ONE_STOP_DESK, S.RECEIVED_BY_AGENCY, S.RESULT_READY}
ARRIVALS = {S.PENDING, S.AT_ONE_STOP_DESK}


def _b(vi: str, en: str) -> str:
    return f"{vi} / {en}"


@dataclass
class Result:
    index: int
    event_id: str
    outcome: str  # applied | late | duplicate | rejected
    field: str | None = None
    message: str = ""
    status: str | None = None
    custodian: str | None = None

    def as_dict(self) -> dict:
        data = {"index": self.index, "event_id": self.event_id, "outcome": self.outcome}
        if self.outcome == "rejected":
            data["error"] = {"field": self.field, "message": self.message}
        if self.status:
            data["status"] = self.status
            data["custodian"] = self.custodian
        return data


class Reject(Exception):
    def __init__(self, field, vi, en):
        super().__init__(field)
        self.field, self.message = field, _b(vi, en)


@dataclass
class _Batch:
    items: dict[str, Item] = field(default_factory=dict)
    units: dict[str, tuple[str, object]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    lines: dict[tuple[int, int], ManifestLine] = field(default_factory=dict)
    events: list[ItemEvent] = field(default_factory=list)
    audit: list[tuple] = field(default_factory=list)
    changed_items: dict[int, Item] = field(default_factory=dict)
    changed_lines: dict[int, ManifestLine] = field(default_factory=dict)
    seen_ids: set[str] = field(default_factory=set)


def _text(raw: dict, name: str, limit: int) -> str:
    value = raw.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Reject(name, f"“{name}” phải là chuỗi.", f"“{name}” must be a string.")
    if len(value) > limit:
        raise Reject(name, f"“{name}” quá dài (tối đa {limit}).", f"“{name}” is too long (at most {limit}).")
    return value.strip()


def _time(raw: dict, now) -> datetime.datetime:
    text = raw.get("time")
    parsed = parse_datetime(text) if isinstance(text, str) else None
    if parsed is None:
        raise Reject("time", "Thời điểm không hợp lệ (ISO 8601, ví dụ 2026-11-23T08:30:00+07:00).",
                     "Invalid time (ISO 8601, e.g. 2026-11-23T08:30:00+07:00).")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > now + FUTURE_TOLERANCE:
        raise Reject("time", "Thời điểm ở tương lai.", "The time is in the future.")
    return parsed


def _may_scan_for(caller, kind: str, unit) -> bool:
    """A member of staff scans for their own unit; provincial and national roles for units in scope."""
    if caller.is_national:
        return True
    if kind == UnitKind.POST_OFFICE:
        if caller.post_office_id:
            return caller.post_office_id == unit.pk
        return caller.agency_id is None and caller.province_id == unit.province_id
    if caller.agency_id:
        return caller.agency_id == unit.agency_id
    return caller.post_office_id is None and caller.province_id == unit.province_id


def _prefetch(events: list[dict], caller) -> _Batch:
    batch = _Batch()
    ids = set()
    for raw in events:
        if isinstance(raw, dict) and isinstance(raw.get("item_id"), str):
            ids.add(s10.normalise(raw["item_id"]))
    items = (Item.objects.select_for_update(of=("self",))
             .select_related("dossier", "custodian_manifest", "custodian_user")
             .filter(item_id__in=ids).order_by("pk"))
    batch.items = {item.item_id: item for item in items}
    visible_ids = set(visible(caller, Item.objects.filter(pk__in=[i.pk for i in batch.items.values()]))
                      .values_list("pk", flat=True))
    for item_id, item in list(batch.items.items()):
        if item.pk not in visible_ids:
            del batch.items[item_id]  # answered as unknown: nothing leaks about other provinces' packages
    codes = {raw.get("unit") for raw in events if isinstance(raw, dict) and isinstance(raw.get("unit"), str)}
    for office in PostOffice.objects.filter(code__in=codes):
        batch.units[office.code] = (UnitKind.POST_OFFICE, office)
    for desk in OneStopDesk.objects.filter(code__in=codes).select_related("agency"):
        batch.units.setdefault(desk.code, (UnitKind.DESK, desk))
    names = {raw.get("actor") for raw in events if isinstance(raw, dict) and isinstance(raw.get("actor"), str)}
    batch.users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    manifest_ids = {i.custodian_manifest_id for i in batch.items.values() if i.custodian_manifest_id}
    if manifest_ids:
        for line in (ManifestLine.objects.select_for_update(of=("self",)).select_related("manifest")
                     .filter(manifest_id__in=manifest_ids, item__in=batch.items.values())):
            batch.lines[(line.manifest_id, line.item_id)] = line
    known = set(ItemEvent.objects.filter(event_id__in=[raw.get("event_id") for raw in events
                                                       if isinstance(raw, dict)]).values_list("event_id", flat=True))
    batch.seen_ids = known
    return batch


def _check(raw, batch: _Batch, caller, now) -> tuple:
    if not isinstance(raw, dict):
        raise Reject(None, "Mỗi sự kiện là một đối tượng JSON.", "Each event is a JSON object.")
    event_id = _text(raw, "event_id", 64)
    if not event_id:
        raise Reject("event_id", "Thiếu mã sự kiện.", "The event id is missing.")
    if event_id in batch.seen_ids:
        return ("duplicate", event_id)
    try:
        item_id = s10.validate(_text(raw, "item_id", 40), "item_id")
    except ValidationError as exc:
        raise Reject("item_id", *exc.messages[0].split(" / ", 1)) from None
    status = _text(raw, "event_type", 30)
    if status not in S.values:
        raise Reject("event_type", f"Loại sự kiện “{status}” không có trong danh sách trạng thái.",
                     f"Event type “{status}” is not one of the statuses.")
    reason = _text(raw, "reason", 20)
    if reason and reason not in IncidentReason.values:
        raise Reject("reason", f"Lý do “{reason}” không có trong danh sách.", f"Reason “{reason}” is not in the list.")
    note = _text(raw, "note", 500)
    at = _time(raw, now)
    unit_code = _text(raw, "unit", 40)
    if unit_code not in batch.units:
        raise Reject("unit", f"Không có đơn vị mã “{unit_code}”.", f"No unit with code “{unit_code}”.")
    kind, unit = batch.units[unit_code]
    if not _may_scan_for(caller, kind, unit):
        raise Reject("unit", f"Bạn không quét thay cho {unit}.", f"You do not scan for {unit}.")
    item = batch.items.get(item_id)
    if item is None:
        raise Reject("item_id", f"Không có bưu gửi số hiệu {item_id}.", f"No item with id {item_id}.")
    actor_name = _text(raw, "actor", 150)
    return ("ok", event_id, item, status, reason, note, at, kind, unit, actor_name)


def _holds_for_scan(item: Item, kind: str, unit, user) -> bool:
    if kind == UnitKind.POST_OFFICE:
        if item.custodian_kind == Custodian.POST_OFFICE:
            return item.custodian_post_office_id == unit.pk
        if item.custodian_kind == Custodian.POSTMAN:
            return item.custodian_user.post_office_id == unit.pk
        return False
    return item.custodian_kind == Custodian.DESK and item.custodian_desk_id == unit.pk or (
        item.custodian_kind == Custodian.AGENCY and item.custodian_agency_id == unit.agency_id)


def _apply(batch: _Batch, parsed, caller, index) -> Result:
    _ok, event_id, item, status, reason, note, at, kind, unit, actor_name = parsed
    user = batch.users.get(actor_name)
    common = dict(event_id=event_id, item=item, status=status, reason=reason, note=note, occurred_at=at,
                  source=ItemEvent.Source.SCAN, unit_kind=kind,
                  post_office=unit if kind == UnitKind.POST_OFFICE else None,
                  desk=unit if kind == UnitKind.DESK else None, actor=user or (caller if not actor_name else None),
                  actor_label=actor_name or caller.get_username())
    if item.last_event_at and at < item.last_event_at:
        batch.events.append(ItemEvent(applied=False, **common))
        batch.seen_ids.add(event_id)
        return Result(index, event_id, "late", status=item.status, custodian=custodian_label(item))
    if item.status in TERMINAL:
        raise Reject("event_type", f"Bưu gửi {item.item_id} đã kết thúc ({item.get_status_display()}).",
                     f"Item {item.item_id} is finished ({item.status}).")
    line = None
    if status == S.IN_TRANSIT:
        raise Reject("event_type", "Chuyển đi phải qua bảng kê giao nhận (niêm phong, bàn giao).",
                     "Dispatch goes through a hand-over manifest (sealed, handed over).")
    if item.custodian_kind == Custodian.MANIFEST:
        manifest = item.custodian_manifest
        line = batch.lines.get((manifest.pk, item.pk))
        arriving = (status in ARRIVALS and manifest.destination_kind == kind
                    and (manifest.destination_post_office_id if kind == UnitKind.POST_OFFICE
                         else manifest.destination_desk_id) == unit.pk
                    and status == (S.AT_ONE_STOP_DESK if kind == UnitKind.DESK else S.PENDING))
        if not arriving:
            raise Reject("unit", f"Bưu gửi {item.item_id} đang đi theo bảng kê {manifest.code} đến "
                                 f"{manifest.destination}; {unit} chỉ quét được khi nhận.",
                         f"Item {item.item_id} travels on manifest {manifest.code} to {manifest.destination}; "
                         f"{unit} cannot scan it.")
    else:
        if status != item.status and status not in ITEM_TRANSITIONS[item.status]:
            raise Reject("event_type", f"Bưu gửi {item.item_id} đang “{item.get_status_display()}”, không thể "
                                       f"chuyển sang “{S(status).label}”.",
                         f"Item {item.item_id} is “{item.status}”; it cannot become “{status}”.")
        if not _holds_for_scan(item, kind, unit, user):
            raise Reject("unit", f"{unit} không giữ bưu gửi {item.item_id} (đang: {custodian_label(item)}).",
                         f"{unit} does not hold item {item.item_id} (held by {custodian_label(item)}).")
    if (status in DESK_STATUSES) != (kind == UnitKind.DESK):
        raise Reject("unit", f"Trạng thái “{S(status).label}” không quét tại {unit}.",
                     f"Status “{status}” is not scanned at {unit}.")
    holder = HOLDER_AFTER[status]
    before = {"status": item.status, "custodian": custodian_label(item)}
    if holder == "unit":
        set_custodian(item, Custodian.POST_OFFICE if kind == UnitKind.POST_OFFICE else Custodian.DESK, unit)
    elif holder == "postman":
        if user is None or user.role != Role.POSTMAN or user.post_office_id != unit.pk:
            raise Reject("actor", f"“{S(status).label}” cần tên đăng nhập của bưu tá thuộc {unit}.",
                         f"“{status}” needs the user name of a postman of {unit}.")
        set_custodian(item, Custodian.POSTMAN, user)
    elif holder == "citizen":
        set_custodian(item, Custodian.CITIZEN)
    elif holder == "agency":
        set_custodian(item, Custodian.AGENCY, item.dossier.agency)
    if line is not None:
        line.condition, line.checked_by, line.checked_at = ManifestLine.Condition.OK, user or caller, at
        batch.changed_lines[line.pk] = line
    item.status = status
    item.last_event_at = at
    batch.changed_items[item.pk] = item
    batch.events.append(ItemEvent(applied=True, custodian_after=custodian_label(item), **common))
    batch.audit.append((f"custody.{status}", item, before,
                        {"status": status, "custodian": custodian_label(item), "event": event_id}))
    batch.seen_ids.add(event_id)
    return Result(index, event_id, "applied", status=status, custodian=custodian_label(item))


def ingest(events: list, caller) -> list[Result]:
    """Check and apply a batch of scan events for ``caller`` (a staff user); one Result per event."""
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": _b("Gửi một danh sách sự kiện.", "Send a list of events.")})
    if len(events) > MAX_EVENTS:
        raise ValidationError({"events": _b(f"Tối đa {MAX_EVENTS} sự kiện mỗi lần.",
                                            f"At most {MAX_EVENTS} events per request.")})
    now = timezone.now()
    results = []
    with transaction.atomic():
        batch = _prefetch(events, caller)
        for index, raw in enumerate(events):
            event_id = raw.get("event_id", "") if isinstance(raw, dict) else ""
            event_id = event_id if isinstance(event_id, str) else ""
            snapshot = None
            try:
                parsed = _check(raw, batch, caller, now)
                if parsed[0] == "duplicate":
                    results.append(Result(index, event_id, "duplicate"))
                    continue
                item = parsed[2]
                snapshot = _state(item)
                results.append(_apply(batch, parsed, caller, index))
            except Reject as exc:
                if snapshot is not None:
                    _restore(parsed[2], snapshot)
                results.append(Result(index, event_id, "rejected", exc.field, exc.message))
        _write(batch, caller)
    return results


def _state(item: Item) -> dict:
    return {f: getattr(item, f) for f in ("status", "custodian_kind", "custodian_post_office_id", "custodian_user_id",
                                          "custodian_manifest_id", "custodian_desk_id", "custodian_agency_id",
                                          "last_event_at")}


def _restore(item: Item, state: dict) -> None:
    for name, value in state.items():
        setattr(item, name, value)


def _write(batch: _Batch, caller) -> None:
    if batch.events:
        ItemEvent.objects.bulk_create(batch.events, batch_size=500)
    if batch.changed_items:
        Item.objects.bulk_update(
            list(batch.changed_items.values()),
            ["status", "custodian_kind", "custodian_post_office", "custodian_user", "custodian_manifest",
             "custodian_desk", "custodian_agency", "last_event_at"], batch_size=500)
    if batch.changed_lines:
        ManifestLine.objects.bulk_update(list(batch.changed_lines.values()), ["condition", "checked_by", "checked_at"])
    if batch.audit:
        record_events(batch.audit, caller, client="scanner")


def new_event_id() -> str:
    return uuid.uuid4().hex

