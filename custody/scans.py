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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import AGENCY_ROLES, POST_OFFICE_ROLES, Role, User
from accounts.scopes import scope_q
from audit.services import record_events
from custody.models import Incident, IncidentReason, ItemEvent, Manifest, ManifestLine, UnitKind
from custody.services import ITEM_TRANSITIONS, TERMINAL, custodian_label, set_custodian
from network.models import Agency, OneStopDesk, PostOffice
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
STATUSES = frozenset(S.values)
REASONS = frozenset(IncidentReason.values)
# What a batch reads of a package and its dossier (the dossier's agency and desk: who may hold it next).
ITEM_ONLY = ("item_id", "kind", "dossier", "province", "origin_post_office", "status", "custodian_kind",
             "custodian_post_office", "custodian_user", "custodian_desk", "custodian_agency", "custodian_manifest",
             "last_event_at", "leg_started_at", "leg_due_at", "dossier__agency", "dossier__desk",
             "dossier__province", "dossier__post_office")
DESK_STATUSES = {S.AT_ONE_STOP_DESK, S.RECEIVED_BY_AGENCY, S.RESULT_READY}
ARRIVALS = {S.PENDING, S.AT_ONE_STOP_DESK}
# Who scans: post-office and one-stop staff for their own unit, administrators for units in their scope.
# Auditors and the call centre only read.
SCANNER_ROLES = POST_OFFICE_ROLES | AGENCY_ROLES | {Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN}
# A reason on an arrival scan that is also a condition on arrival (as when receiving the manifest by hand).
ARRIVAL_CONDITIONS = {IncidentReason.DAMAGED: ManifestLine.Condition.DAMAGED,
                      IncidentReason.SEAL_BROKEN: ManifestLine.Condition.SEAL_BROKEN}


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
    events: list[dict] = field(default_factory=list)  # ItemEvent's fields
    audit: list[tuple] = field(default_factory=list)
    changed_items: dict[int, Item] = field(default_factory=dict)
    changed_lines: dict[int, ManifestLine] = field(default_factory=dict)
    seen_ids: set[str] = field(default_factory=set)
    # Arrivals that need follow-up after the bulk write: (item, manifest, was missing, condition, note).
    arrivals: list[tuple] = field(default_factory=list)


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


def may_scan(caller) -> bool:
    return bool(caller and caller.is_authenticated and caller.is_active
                and (caller.is_superuser or caller.role in SCANNER_ROLES))


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
    # What the caller sees, plus what their unit holds or is about to receive (a hub holds packages taken in
    # elsewhere; the centre's desk receives every department's dossiers). Anything else is answered as
    # unknown: nothing leaks about other provinces' packages.
    reach = scope_q(caller, Item)
    if reach is not None:
        reach |= _held_by_unit_q(caller)
    items = (Item.objects.select_for_update(of=("self",)).select_related("dossier").only(*ITEM_ONLY)
             .filter(item_id__in=ids))
    if reach is not None:
        items = items.filter(reach)
    batch.items = {item.item_id: item for item in items.order_by("pk")}
    # the few holders whose details a scan needs: the manifest carrying a package, the postman holding it
    manifests = Manifest.objects.in_bulk({i.custodian_manifest_id for i in batch.items.values()} - {None})
    users = User.objects.in_bulk({i.custodian_user_id for i in batch.items.values()} - {None})
    for item in batch.items.values():
        if item.custodian_manifest_id:
            item.custodian_manifest = manifests[item.custodian_manifest_id]
        if item.custodian_user_id:
            item.custodian_user = users[item.custodian_user_id]
    codes = {raw.get("unit").strip() for raw in events if isinstance(raw, dict) and isinstance(raw.get("unit"), str)}
    for office in PostOffice.objects.filter(code__in=codes):
        batch.units[office.code] = (UnitKind.POST_OFFICE, office)
    for desk in OneStopDesk.objects.filter(code__in=codes):
        batch.units.setdefault(desk.code, (UnitKind.DESK, desk))
    names = {raw.get("actor").strip() for raw in events
             if isinstance(raw, dict) and isinstance(raw.get("actor"), str) and raw.get("actor").strip()}
    if names:
        batch.users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    manifest_ids = {i.custodian_manifest_id for i in batch.items.values() if i.custodian_manifest_id}
    if manifest_ids:
        for line in (ManifestLine.objects.select_for_update(of=("self",)).select_related("manifest")
                     .filter(manifest_id__in=manifest_ids, item__in=batch.items.values())):
            batch.lines[(line.manifest_id, line.item_id)] = line
    event_ids = {raw.get("event_id") for raw in events if isinstance(raw, dict)}
    known = set(ItemEvent.objects.filter(event_id__in=[e.strip() for e in event_ids if isinstance(e, str)])
                .order_by().values_list("event_id", flat=True))
    batch.seen_ids = known
    return batch


def _held_by_unit_q(caller) -> Q:
    """Packages the caller's own unit holds, its postmen carry, or a manifest brings to it."""
    if caller.post_office_id and caller.role in POST_OFFICE_ROLES:
        office = caller.post_office_id
        return (Q(custodian_post_office=office) | Q(custodian_user__post_office=office)
                | Q(custodian_manifest__destination_post_office=office))
    if caller.agency_id and caller.role in AGENCY_ROLES:
        agency = caller.agency_id
        return (Q(custodian_desk__agency=agency) | Q(custodian_agency=agency)
                | Q(custodian_kind=Custodian.AGENCY, dossier__desk__agency=agency)
                | Q(custodian_manifest__destination_desk__agency=agency))
    return Q(pk__in=[])


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
    if status not in STATUSES:
        raise Reject("event_type", f"Loại sự kiện “{status}” không có trong danh sách trạng thái.",
                     f"Event type “{status}” is not one of the statuses.")
    reason = _text(raw, "reason", 20)
    if reason and reason not in REASONS:
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
    # An agency holding the dossier hands it back through its own desk or the desk that passed it on.
    return item.custodian_kind == Custodian.DESK and item.custodian_desk_id == unit.pk or (
        item.custodian_kind == Custodian.AGENCY and (item.custodian_agency_id == unit.agency_id
                                                     or item.dossier.desk_id == unit.pk))


def _apply(batch: _Batch, parsed, caller, index) -> Result:
    _ok, event_id, item, status, reason, note, at, kind, unit, actor_name = parsed
    user = batch.users.get(actor_name)
    common = dict(event_id=event_id, item=item, status=status, reason=reason, note=note, occurred_at=at,
                  source=ItemEvent.Source.SCAN, unit_kind=kind,
                  post_office=unit if kind == UnitKind.POST_OFFICE else None,
                  desk=unit if kind == UnitKind.DESK else None, actor=user or (caller if not actor_name else None),
                  actor_label=actor_name or caller.get_username())
    if item.last_event_at and at < item.last_event_at:
        batch.events.append(dict(common, applied=False))
        batch.seen_ids.add(event_id)
        return Result(index, event_id, "late", status=item.status, custodian=custodian_label(item))
    if item.status in TERMINAL:
        raise Reject("event_type", f"Bưu gửi {item.item_id} đã kết thúc ({item.get_status_display()}).",
                     f"Item {item.item_id} is finished ({item.status}).")
    line = manifest = None
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
        set_custodian(item, Custodian.AGENCY, Agency(pk=item.dossier.agency_id))
    if line is not None:  # the arrival scan receives the package off its manifest (custody.services.receive_item)
        was_missing = line.condition == ManifestLine.Condition.MISSING
        condition = ARRIVAL_CONDITIONS.get(reason, ManifestLine.Condition.OK)
        line.condition, line.checked_by, line.checked_at = condition, user or caller, at
        batch.changed_lines[line.pk] = line
        item.leg_due_at, item.leg_started_at = None, at
        common["manifest"] = manifest
        if was_missing or condition != ManifestLine.Condition.OK:
            batch.arrivals.append((item, manifest, was_missing, condition, note, user or caller))
    item.status = status
    item.last_event_at = at
    batch.changed_items[item.pk] = item
    batch.events.append(dict(common, applied=True, custodian_after=custodian_label(item)))
    batch.audit.append((f"custody.{status}", item, before,
                        {"status": status, "custodian": custodian_label(item), "event": event_id}))
    batch.seen_ids.add(event_id)
    return Result(index, event_id, "applied", status=status, custodian=custodian_label(item))


def ingest(events: list, caller) -> list[Result]:
    """Check and apply a batch of scan events for ``caller`` (a staff user); one Result per event."""
    if not may_scan(caller):
        raise PermissionDenied(_b("Tài khoản này không gửi sự kiện quét.", "This account may not send scan events."))
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": _b("Gửi một danh sách sự kiện.", "Send a list of events.")})
    if len(events) > MAX_EVENTS:
        raise ValidationError({"events": _b(f"Tối đa {MAX_EVENTS} sự kiện mỗi lần.",
                                            f"At most {MAX_EVENTS} events per request.")})
    for attempt in range(3):
        try:
            return _ingest(events, caller)
        except IntegrityError:
            # Another request wrote one of these event ids between our check and our write (a scanner sending
            # the same batch twice at once): start again; those events are now duplicates.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _ingest(events: list, caller) -> list[Result]:
    now = timezone.now()
    results = []
    with transaction.atomic():
        batch = _prefetch(events, caller)
        for index, raw in enumerate(events):
            event_id = raw.get("event_id", "") if isinstance(raw, dict) else ""
            event_id = event_id.strip() if isinstance(event_id, str) else ""
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


def counts(results: list[Result]) -> dict[str, int]:
    totals = dict.fromkeys(("applied", "late", "duplicate", "rejected"), 0)
    for result in results:
        totals[result.outcome] += 1
    return totals


STATE_FIELDS = ("status", "custodian_kind", "custodian_post_office_id", "custodian_user_id", "custodian_manifest_id",
                "custodian_desk_id", "custodian_agency_id", "last_event_at", "leg_due_at", "leg_started_at")


def _state(item: Item) -> dict:
    state = {f: getattr(item, f) for f in STATE_FIELDS}
    # the cached related objects too: a rejected event must not leave the item pointing at a new holder
    state["_cache"] = dict(item._state.fields_cache)
    return state


def _restore(item: Item, state: dict) -> None:
    state = dict(state)
    cache = state.pop("_cache")
    for name, value in state.items():
        setattr(item, name, value)
    item._state.fields_cache = cache


ITEM_FIELDS = ["status", "custodian_kind", "custodian_post_office", "custodian_user", "custodian_manifest",
               "custodian_desk", "custodian_agency", "last_event_at", "leg_due_at", "leg_started_at"]
WRITE_CHUNK = 1000


def _write(batch: _Batch, caller) -> None:
    if batch.events:
        _insert_events(batch.events)
    if batch.changed_items:
        _update_items(list(batch.changed_items.values()))
    if batch.changed_lines:
        ManifestLine.objects.bulk_update(list(batch.changed_lines.values()), ["condition", "checked_by", "checked_at"])
    if batch.audit:
        record_events(batch.audit, caller, client="scanner")
    _follow_up_arrivals(batch)


# Writing a thousand rows at once. On PostgreSQL each write is one statement whose parameters are one array per
# column (INSERT … SELECT FROM unnest(…), UPDATE … FROM unnest(…)): a short statement, whatever the batch size,
# and no per-row work in the ORM (Django's bulk_update builds a CASE WHEN per field and row, which takes seconds
# for a thousand packages). Other databases: bulk_create, and one executemany of the UPDATE.


def _columns(model, names=None):
    fields = [f for f in model._meta.concrete_fields if not f.primary_key] if names is None else \
        [model._meta.get_field(name) for name in names]
    return fields


def _insert_events(events: list[dict]) -> None:
    connection = connections[ItemEvent.objects.db]
    if connection.vendor != "postgresql":
        ItemEvent.objects.bulk_create([ItemEvent(**event) for event in events], batch_size=WRITE_CHUNK)
        return
    quote = connection.ops.quote_name
    fields = _columns(ItemEvent)
    now = timezone.now()

    def column(f):
        if f.name == "recorded_at":
            return [now] * len(events)
        if f.is_relation:
            return [getattr(event.get(f.name), "pk", None) for event in events]
        default = f.get_default()
        return [event.get(f.name, default) for event in events]

    arrays = [column(f) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ItemEvent._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"SELECT * FROM unnest({', '.join(f'%s::{f.db_type(connection)}[]' for f in fields)})", arrays)


def _update_items(items: list[Item]) -> None:
    connection = connections[Item.objects.db]
    quote = connection.ops.quote_name
    fields = _columns(Item, ITEM_FIELDS)
    table, pk = quote(Item._meta.db_table), quote(Item._meta.pk.column)
    now = timezone.now()

    def values(item):
        return [f.get_db_prep_value(getattr(item, f.attname), connection) for f in fields]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [[item.pk for item in items]] + [
                [f.get_db_prep_value(getattr(item, f.attname), connection) for item in items] for f in fields]
            sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
            cursor.execute(
                f"UPDATE {table} AS t SET {sets}, {quote('updated_at')} = %s "
                f"FROM unnest(%s::bigint[], {', '.join(f'%s::{f.db_type(connection)}[]' for f in fields)}) "
                f"AS v(id, {', '.join(quote(f.column) for f in fields)}) WHERE t.{pk} = v.id", [now, *arrays])
            return
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        cursor.executemany(f"UPDATE {table} SET {sets}, {quote('updated_at')} = %s WHERE {pk} = %s",
                           [[*values(item), now, item.pk] for item in items])


def _follow_up_arrivals(batch: _Batch) -> None:
    """As when a manifest is received by hand: a package found after it was reported missing closes its
    'missing' incident; one arriving damaged or with a broken seal opens an incident."""
    from custody.services import _b as both
    from custody.services import _close_incident, open_incident

    for item, manifest, was_missing, condition, note, actor in batch.arrivals:
        if was_missing:
            for incident in Incident.objects.filter(item=item, manifest=manifest, reason=IncidentReason.MISSING,
                                                    status__in=[Incident.Status.OPEN, Incident.Status.INVESTIGATING]):
                _close_incident(incident, Incident.Status.RESOLVED, actor,
                                both("Đã tìm thấy và nhận bưu gửi.", "The item was found and received."))
        if condition != ManifestLine.Condition.OK:
            open_incident(item, condition, actor, manifest=manifest, description=note)


def new_event_id() -> str:
    return uuid.uuid4().hex

