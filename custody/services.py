"""The chain of custody's state changes. A package (``postal.Item``) has one status and exactly one
custodian at every moment; only these functions change them, each in one transaction that writes the
timeline event (``ItemEvent``) and the audit event.

Custodians: a post office, a postman (user), a manifest in transit, a one-stop desk, an agency, the citizen.
``check_custody(item)`` states the invariant; the tests replay thousands of random operations against it."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from accounts.models import AGENCY_ROLES, POST_OFFICE_ROLES, Role
from accounts.scopes import visible
from audit.services import record_event
from custody.models import (
    CompensationRule,
    Incident,
    IncidentReason,
    ItemEvent,
    LegLimit,
    Manifest,
    ManifestLine,
    UnitKind,
)
from dossiers.validators import validate_seal
from network.models import OneStopDesk, PostOffice
from postal import s10
from postal.models import Custodian, Item, ItemStatus

S = ItemStatus
TERMINAL = {S.DELIVERED, S.RETURNED_TO_AGENCY, S.CANCELLED}
# Statuses a package may take next (by a scan or a hand-over). Dispatch on a manifest (-> in_transit) and
# arrival from one (-> pending / at_one_stop_desk) go through the manifest functions.
ITEM_TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.HELD_AT_POST_OFFICE, S.CANCELLED},
    S.PICKED_UP: {S.PENDING, S.CANCELLED},
    S.IN_TRANSIT: {S.PENDING, S.AT_ONE_STOP_DESK},
    S.AT_ONE_STOP_DESK: {S.RECEIVED_BY_AGENCY, S.IN_TRANSIT, S.RESULT_READY},
    S.RECEIVED_BY_AGENCY: {S.AT_ONE_STOP_DESK, S.RESULT_READY},
    S.RESULT_READY: {S.IN_TRANSIT, S.AT_ONE_STOP_DESK},
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.DELIVERY_FAILED},
    S.DELIVERY_FAILED: {S.OUT_FOR_DELIVERY, S.HELD_AT_POST_OFFICE, S.PENDING},
    S.HELD_AT_POST_OFFICE: {S.DELIVERED, S.OUT_FOR_DELIVERY, S.IN_TRANSIT, S.PENDING},
    S.DELIVERED: set(),
    S.RETURNED_TO_AGENCY: set(),
    S.CANCELLED: set(),
}
CUSTODIAN_FIELDS = {
    Custodian.POST_OFFICE: "custodian_post_office",
    Custodian.POSTMAN: "custodian_user",
    Custodian.MANIFEST: "custodian_manifest",
    Custodian.DESK: "custodian_desk",
    Custodian.AGENCY: "custodian_agency",
    Custodian.CITIZEN: None,
}
OPEN_MANIFEST = (Manifest.Status.OPEN, Manifest.Status.CLOSED)


def _b(vi: str, en: str) -> str:
    return f"{vi} / {en}"


# --- Custodians -----------------------------------------------------------------------------------


def custodian_label(item: Item) -> str:
    field = CUSTODIAN_FIELDS[item.custodian_kind]
    return item.custodian_kind if field is None else f"{item.custodian_kind}:{getattr(item, field + '_id')}"


def set_custodian(item: Item, kind: str, holder=None) -> None:
    """Make ``holder`` (of ``kind``) the one custodian; every other custodian field is cleared."""
    for field in filter(None, CUSTODIAN_FIELDS.values()):
        setattr(item, field, None)
    field = CUSTODIAN_FIELDS[kind]
    if field is not None:
        if holder is None:
            raise ValueError(f"a {kind} custodian needs its holder")
        setattr(item, field, holder)
    item.custodian_kind = kind


def check_custody(item: Item) -> None:
    """The invariant: exactly one custodian, consistent with the status and the manifests."""
    set_fields = [f for f in filter(None, CUSTODIAN_FIELDS.values()) if getattr(item, f + "_id") is not None]
    expected = CUSTODIAN_FIELDS[item.custodian_kind]
    assert set_fields == ([expected] if expected else []), (item.item_id, item.custodian_kind, set_fields)
    in_transit_on = ManifestLine.objects.filter(item=item, manifest__status=Manifest.Status.DISPATCHED)
    if item.custodian_kind == Custodian.MANIFEST:
        assert item.custodian_manifest.status in (Manifest.Status.DISPATCHED,
                                                  Manifest.Status.RECEIVED_WITH_DISCREPANCIES), item.item_id
        assert item.manifest_lines.filter(manifest=item.custodian_manifest).exists(), item.item_id
        assert item.status == S.IN_TRANSIT, (item.item_id, item.status)
    else:
        assert not in_transit_on.filter(condition=ManifestLine.Condition.PENDING).exists(), item.item_id
    assert ManifestLine.objects.filter(item=item, manifest__status__in=OPEN_MANIFEST).count() <= 1, item.item_id


def unit_of(user, desk: OneStopDesk | None = None):
    """(kind, unit) a member of staff acts for: their post office, or their agency's one-stop desk."""
    if user.role in POST_OFFICE_ROLES and user.post_office_id:
        return UnitKind.POST_OFFICE, user.post_office
    if user.role in AGENCY_ROLES and user.agency_id:
        desks = OneStopDesk.objects.filter(agency_id=user.agency_id, active=True)
        if desk is not None:
            if not desks.filter(pk=desk.pk).exists():
                raise PermissionDenied(_b("Bạn không làm việc tại Bộ phận Một cửa này.",
                                          "You do not work at this one-stop desk."))
            return UnitKind.DESK, desk
        first = desks.order_by("code").first()
        if first:
            return UnitKind.DESK, first
    raise PermissionDenied(_b("Tài khoản này không gắn với bưu cục hay Bộ phận Một cửa nào.",
                              "This account belongs to no post office or one-stop desk."))


def holds(item: Item, kind: str, unit) -> bool:
    if kind == UnitKind.POST_OFFICE:
        return item.custodian_kind == Custodian.POST_OFFICE and item.custodian_post_office_id == unit.pk
    return item.custodian_kind == Custodian.DESK and item.custodian_desk_id == unit.pk


def _unit_custodian(kind: str) -> str:
    return Custodian.POST_OFFICE if kind == UnitKind.POST_OFFICE else Custodian.DESK


# --- Events ----------------------------------------------------------------------------------------


def _event(item: Item, status: str, *, actor=None, source: str, at=None, unit=None, unit_kind: str = "",
           manifest=None, reason: str = "", note: str = "", event_id: str | None = None, applied: bool = True,
           actor_label: str = "") -> ItemEvent:
    return ItemEvent.objects.create(
        event_id=event_id or uuid.uuid4().hex, item=item, status=status, reason=reason, note=note[:500],
        occurred_at=at or timezone.now(), source=source, unit_kind=unit_kind,
        post_office=unit if unit_kind == UnitKind.POST_OFFICE else None,
        desk=unit if unit_kind == UnitKind.DESK else None,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label or (actor.get_username() if getattr(actor, "pk", None) else "system"),
        manifest=manifest, applied=applied, custodian_after=custodian_label(item) if applied else "",
    )


def move(item: Item, status: str, custodian_kind: str, holder, *, actor=None, source: str, at=None, unit=None,
         unit_kind: str = "", manifest=None, reason: str = "", note: str = "", event_id: str | None = None,
         check_transition: bool = True) -> ItemEvent:
    """Change a package's status and custodian (the caller holds the row lock and the transaction)."""
    if check_transition and status != item.status and status not in ITEM_TRANSITIONS[item.status]:
        raise ValidationError({"status": _b(
            f"Bưu gửi {item.item_id} đang “{item.get_status_display()}”, không thể chuyển sang “{S(status).label}”.",
            f"Item {item.item_id} is “{item.status}”; it cannot become “{status}”.")})
    before = {"status": item.status, "custodian": custodian_label(item)}
    at = at or timezone.now()
    item.status = status
    set_custodian(item, custodian_kind, holder)
    item.last_event_at = max(filter(None, [item.last_event_at, at]))
    item.save()
    event = _event(item, status, actor=actor, source=source, at=at, unit=unit, unit_kind=unit_kind,
                   manifest=manifest, reason=reason, note=note, event_id=event_id)
    record_event(f"custody.{status}", item, actor, before, {"status": status, "custodian": custodian_label(item),
                                                             "event": event.event_id})
    return event


def record_intake(item: Item, actor=None, at=None) -> ItemEvent:
    """The first line of a new package's timeline (called by intake, in its transaction)."""
    kind = UnitKind.POST_OFFICE if item.custodian_kind == Custodian.POST_OFFICE else ""
    item.last_event_at = at or timezone.now()
    item.leg_started_at = item.last_event_at
    Item.objects.filter(pk=item.pk).update(last_event_at=item.last_event_at, leg_started_at=item.leg_started_at,
                                           leg_due_at=item.leg_due_at)
    return _event(item, item.status, actor=actor, source=ItemEvent.Source.INTAKE, at=item.last_event_at,
                  unit=item.custodian_post_office, unit_kind=kind)


# --- Where a package is going ----------------------------------------------------------------------


def delivery_post_office(dossier) -> PostOffice:
    """The post office that delivers a result: the one serving the return commune (a full post office before
    a commune point), else the post office that took the dossier in."""
    if dossier.return_commune_id:
        offices = PostOffice.objects.filter(served_communes=dossier.return_commune_id, active=True)
        office = offices.order_by("kind", "code").filter(kind=PostOffice.Kind.POST_OFFICE).first() or offices.first()
        if office:
            return office
    return dossier.post_office


def final_destination(item: Item):
    """(kind, unit) where the package must end up: the one-stop desk for a dossier, the delivering post
    office for a result (or for a dossier sent back to the citizen)."""
    dossier = item.dossier
    if item.kind == Item.Kind.RESULT or item.returning:
        return UnitKind.POST_OFFICE, delivery_post_office(dossier)
    if dossier.desk_id:
        return UnitKind.DESK, dossier.desk
    raise ValidationError({"item_id": _b(f"Hồ sơ của bưu gửi {item.item_id} chưa có Bộ phận Một cửa nhận.",
                                         f"The dossier of item {item.item_id} has no receiving one-stop desk.")})


def route_allows(item: Item, manifest: Manifest) -> bool:
    """May this package travel on this manifest? Straight to its destination, or through a post office on
    the way (a hub that carries to the desk, or the delivering post office's parent)."""
    kind, unit = final_destination(item)
    if manifest.destination_kind == kind and manifest.destination.pk == unit.pk:
        return True
    if manifest.destination_kind != UnitKind.POST_OFFICE:
        return False
    hub = manifest.destination_post_office
    if kind == UnitKind.DESK:
        return hub.carries_to.filter(pk=unit.pk).exists()
    return unit.parent_id == hub.pk or hub.parent_id == unit.pk or hub.pk == unit.parent_id


# --- Leg limits ---------------------------------------------------------------------------------------


def leg_of(origin_kind: str, destination_kind: str) -> str:
    return {
        (UnitKind.POST_OFFICE, UnitKind.DESK): LegLimit.Leg.POST_OFFICE_TO_DESK,
        (UnitKind.DESK, UnitKind.POST_OFFICE): LegLimit.Leg.DESK_TO_POST_OFFICE,
        (UnitKind.POST_OFFICE, UnitKind.POST_OFFICE): LegLimit.Leg.POST_OFFICE_TO_POST_OFFICE,
        (UnitKind.DESK, UnitKind.DESK): LegLimit.Leg.DESK_TO_DESK,
    }[(origin_kind, destination_kind)]


def leg_days(leg: str, province, other_province: bool) -> int:
    """Working days allowed for a leg: the province's own limit, else the national one, else the settings."""
    limits = LegLimit.objects.filter(leg=leg, other_province=other_province)
    limit = limits.filter(province=province).first() or limits.filter(province__isnull=True).first()
    if limit:
        return limit.working_days
    return (settings.LEG_COUNTER_TO_DESK_OTHER_PROVINCE_DAYS if other_province
            else settings.LEG_COUNTER_TO_DESK_DAYS)


def leg_due(start, origin, origin_kind: str, destination, destination_kind: str) -> datetime.datetime:
    from workdays.calendar import add_working_days

    other = origin.province_id != destination.province_id
    return add_working_days(start, leg_days(leg_of(origin_kind, destination_kind), origin.province, other))


def _check_admin_change(obj, actor) -> None:
    """Tariff-like settings (leg limits, compensation rules): the tariff managers of the row's province
    (national rows: national administrators), for the row as it was and as it will be."""
    from postal.services import _check_may

    _check_may(actor, "manage_tariff", obj.province_id)
    if obj.pk:
        old = type(obj).objects.filter(pk=obj.pk).values_list("province_id", flat=True).first()
        _check_may(actor, "manage_tariff", old)


def check_leg_limit(limit: LegLimit, actor=None) -> None:
    _check_admin_change(limit, actor)
    limit.full_clean()
    clash = LegLimit.objects.filter(leg=limit.leg, other_province=limit.other_province,
                                    province=limit.province).exclude(pk=limit.pk)
    if clash.exists():
        raise ValidationError({"leg": _b("Đã có thời hạn cho chặng này.", "This leg already has a limit.")})


def save_leg_limit(limit: LegLimit, actor=None) -> LegLimit:
    check_leg_limit(limit, actor)
    with transaction.atomic():
        before = None
        if limit.pk:
            old = LegLimit.objects.get(pk=limit.pk)
            before = {"working_days": old.working_days}
        limit.save()
        record_event("custody.leg_limit_saved", limit, actor, before,
                     {"leg": limit.leg, "other_province": limit.other_province, "working_days": limit.working_days})
    return limit


COMPENSATION_FIELDS = ["reason", "province", "postage_multiple", "fixed_amount", "maximum_amount", "basis"]


def check_compensation_rule(rule: CompensationRule, actor=None) -> None:
    _check_admin_change(rule, actor)
    rule.full_clean()
    if rule.postage_multiple is not None and rule.postage_multiple < 0:
        raise ValidationError({"postage_multiple": _b("Bội số cước không âm.", "The multiple cannot be negative.")})
    clash = CompensationRule.objects.filter(reason=rule.reason, province=rule.province).exclude(pk=rule.pk)
    if clash.exists():
        raise ValidationError({"reason": _b("Đã có mức bồi thường cho loại sự cố này (cùng phạm vi).",
                                            "This kind of incident already has a rule (same scope).")})


def save_compensation_rule(rule: CompensationRule, actor=None) -> CompensationRule:
    """Create or change a compensation rule (checked like the postage tariff), with its audit event."""
    from audit.services import snapshot

    check_compensation_rule(rule, actor)
    with transaction.atomic():
        before = None
        if rule.pk:
            before = snapshot(CompensationRule.objects.get(pk=rule.pk), COMPENSATION_FIELDS)
        rule.save()
        record_event("custody.compensation_rule_saved", rule, actor, before, snapshot(rule, COMPENSATION_FIELDS))
    return rule


# --- Manifests ---------------------------------------------------------------------------------------


def _manifest_code(origin, at) -> str:
    day = timezone.localtime(at).strftime("%y%m%d")
    prefix = f"BK-{origin.code}-{day}-"
    # longest first: after 999 comes 1000, which sorts before 999 as text
    last = (Manifest.objects.filter(code__startswith=prefix).order_by(Length("code").desc(), "-code")
            .values_list("code", flat=True).first())
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:03d}"


def open_manifest(actor, destination, *, desk: OneStopDesk | None = None) -> Manifest:
    """Open a manifest at the actor's unit for a destination (a one-stop desk or another post office)."""
    origin_kind, origin = unit_of(actor, desk)
    if isinstance(destination, OneStopDesk):
        destination_kind = UnitKind.DESK
    elif isinstance(destination, PostOffice):
        destination_kind = UnitKind.POST_OFFICE
    else:
        raise ValidationError({"destination": _b("Chọn nơi nhận: Bộ phận Một cửa hoặc bưu cục.",
                                                 "Choose a destination: a one-stop desk or a post office.")})
    if destination_kind == origin_kind and destination.pk == origin.pk:
        raise ValidationError({"destination": _b("Nơi nhận trùng nơi gửi.", "The destination is the origin.")})
    if not destination.active:
        raise ValidationError({"destination": _b(f"{destination} không còn hoạt động.", f"{destination} is inactive.")})
    for _attempt in range(5):
        at = timezone.now()
        try:
            with transaction.atomic():
                manifest = Manifest.objects.create(
                    code=_manifest_code(origin, at), province_id=origin.province_id, origin_kind=origin_kind,
                    origin_post_office=origin if origin_kind == UnitKind.POST_OFFICE else None,
                    origin_desk=origin if origin_kind == UnitKind.DESK else None, destination_kind=destination_kind,
                    destination_post_office=destination if destination_kind == UnitKind.POST_OFFICE else None,
                    destination_desk=destination if destination_kind == UnitKind.DESK else None, opened_by=actor)
                record_event("custody.manifest_opened", manifest, actor, after={
                    "code": manifest.code, "origin": f"{origin_kind}:{origin.pk}",
                    "destination": f"{destination_kind}:{destination.pk}"})
                return manifest
        except IntegrityError:
            continue  # two manifests opened at the same moment took the same number: take the next
    raise ValidationError({"destination": _b("Không cấp được số bảng kê, thử lại.", "Could not number the manifest; retry.")})


def _acting_unit(manifest: Manifest, actor, side: str):
    """Refuse unless the actor works at the manifest's origin (side='origin') or destination."""
    kind = manifest.origin_kind if side == "origin" else manifest.destination_kind
    unit = manifest.origin if side == "origin" else manifest.destination
    desk = unit if kind == UnitKind.DESK else None
    try:
        actor_kind, actor_unit = unit_of(actor, desk)
    except PermissionDenied:
        actor_kind, actor_unit = None, None
    if actor_kind != kind or actor_unit.pk != unit.pk:
        where = "nơi gửi" if side == "origin" else "nơi nhận"
        raise PermissionDenied(_b(f"Chỉ nhân viên tại {where} ({unit}) thực hiện được thao tác này.",
                                  f"Only staff at the {side} ({unit}) may do this."))
    return unit


def _locked(manifest: Manifest, *statuses) -> Manifest:
    locked = Manifest.objects.select_for_update().get(pk=manifest.pk)
    if locked.status not in statuses:
        raise ValidationError({"manifest": _b(
            f"Bảng kê {locked.code} đang “{locked.get_status_display()}”, không thực hiện được thao tác này.",
            f"Manifest {locked.code} is “{locked.status}”; this cannot be done now.")})
    return locked


def find_item(item_id_text: str, actor=None, field: str = "item_id") -> Item:
    """The package with this (validated) S10 id, visible to the actor; a clear error otherwise."""
    item_id = s10.validate(item_id_text, field)
    items = Item.objects.select_related("dossier__desk", "dossier__post_office", "dossier__return_commune")
    if actor is not None:
        # What the actor's unit holds counts too: a post office holds packages taken in elsewhere, and a desk
        # holds results of other agencies' dossiers (the centre's desk receives for every department).
        if getattr(actor, "post_office_id", None):
            held = Q(custodian_post_office=actor.post_office_id)
        elif getattr(actor, "agency_id", None) and getattr(actor, "role", None) in AGENCY_ROLES:
            held = Q(custodian_desk__agency_id=actor.agency_id)
        else:
            held = Q(pk__in=[])
        items = visible(actor, items) | items.filter(held)
    item = items.filter(item_id=item_id).first()
    if item is None:
        raise ValidationError({field: _b(f"Không có bưu gửi số hiệu {item_id}.", f"No item with id {item_id}.")})
    return item


def add_to_manifest(manifest: Manifest, item_id_text: str, actor) -> ManifestLine:
    """Scan a package onto an open manifest: a wrong check digit, a wrong destination, a package the origin
    does not hold or one already on another open manifest is refused with the reason."""
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.OPEN)
        unit = _acting_unit(manifest, actor, "origin")
        item = find_item(item_id_text, actor)
        item = Item.objects.select_for_update().get(pk=item.pk)
        if not holds(item, manifest.origin_kind, unit) or item.status in TERMINAL:
            raise ValidationError({"item_id": _b(
                f"Bưu gửi {item.item_id} không do {unit} giữ (đang: {custodian_label(item)}, {item.get_status_display()}).",
                f"Item {item.item_id} is not held by {unit} (now: {custodian_label(item)}, {item.status}).")})
        other = ManifestLine.objects.filter(item=item, manifest__status__in=OPEN_MANIFEST).select_related("manifest").first()
        if other:
            where = "này" if other.manifest_id == manifest.pk else f"khác ({other.manifest.code})"
            raise ValidationError({"item_id": _b(
                f"Bưu gửi {item.item_id} đã có trong bảng kê {where}.",
                f"Item {item.item_id} is already on {'this' if other.manifest_id == manifest.pk else 'another'} "
                f"open manifest ({other.manifest.code}).")})
        if not route_allows(item, manifest):
            kind, final = final_destination(item)
            raise ValidationError({"item_id": _b(
                f"Sai nơi nhận: bưu gửi {item.item_id} phải đến {final}, bảng kê này đi {manifest.destination}.",
                f"Wrong destination: item {item.item_id} must go to {final}; this manifest goes to "
                f"{manifest.destination}.")})
        line = ManifestLine.objects.create(manifest=manifest, item=item, added_by=actor)
        record_event("custody.manifest_item_added", manifest, actor, after={"item_id": item.item_id})
    return line


def remove_from_manifest(manifest: Manifest, item_id_text: str, actor) -> None:
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.OPEN)
        _acting_unit(manifest, actor, "origin")
        item_id = s10.validate(item_id_text)
        deleted, _ = ManifestLine.objects.filter(manifest=manifest, item__item_id=item_id).delete()
        if not deleted:
            raise ValidationError({"item_id": _b(f"Bưu gửi {item_id} không có trong bảng kê.",
                                                 f"Item {item_id} is not on this manifest.")})
        record_event("custody.manifest_item_removed", manifest, actor, after={"item_id": item_id})


def close_manifest(manifest: Manifest, seal_number: str, actor) -> Manifest:
    """Close and seal: no package can be added or removed afterwards."""
    try:
        seal = validate_seal(seal_number)
    except ValidationError as exc:
        raise ValidationError({"seal_number": exc.messages}) from exc
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.OPEN)
        _acting_unit(manifest, actor, "origin")
        if not manifest.lines.exists():
            raise ValidationError({"manifest": _b("Bảng kê chưa có bưu gửi nào.", "The manifest has no items.")})
        manifest.status = Manifest.Status.CLOSED
        manifest.seal_number = seal
        manifest.closed_by = actor
        manifest.closed_at = timezone.now()
        manifest.save()
        record_event("custody.manifest_closed", manifest, actor, {"status": "open"},
                     {"status": "closed", "seal_number": seal, "items": manifest.lines.count()})
    return manifest


def cancel_manifest(manifest: Manifest, actor) -> Manifest:
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.OPEN, Manifest.Status.CLOSED)
        _acting_unit(manifest, actor, "origin")
        before = manifest.status
        manifest.status = Manifest.Status.CANCELLED
        manifest.save()
        record_event("custody.manifest_cancelled", manifest, actor, {"status": before}, {"status": "cancelled"})
    return manifest


def dispatch_manifest(manifest: Manifest, actor, *, courier=None, courier_name: str = "", location: str = "") -> Manifest:
    """Hand the sealed manifest to the courier (both confirm: the sender is the actor, the courier named):
    every package on it is now held by the manifest, in transit, with the leg's due time."""
    if courier is None and not courier_name.strip():
        raise ValidationError({"courier": _b("Ghi người vận chuyển nhận bảng kê.", "Name the courier taking it.")})
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.CLOSED)
        origin = _acting_unit(manifest, actor, "origin")
        if courier is not None and (courier.role not in POST_OFFICE_ROLES or not courier.is_active):
            raise ValidationError({"courier": _b("Người vận chuyển phải là nhân viên bưu chính.",
                                                 "The courier must be postal staff.")})
        at = timezone.now()
        manifest.status = Manifest.Status.DISPATCHED
        manifest.courier = courier
        manifest.courier_name = (courier_name.strip() or (courier.get_full_name() if courier else ""))[:150]
        manifest.dispatched_by = actor
        manifest.dispatched_at = at
        manifest.dispatch_location = location.strip()[:255] or str(origin)
        manifest.due_at = leg_due(at, origin, manifest.origin_kind, manifest.destination, manifest.destination_kind)
        manifest.save()
        items = Item.objects.select_for_update().filter(manifest_lines__manifest=manifest)
        for item in items:
            if not holds(item, manifest.origin_kind, origin):
                raise ValidationError({"manifest": _b(f"Bưu gửi {item.item_id} không còn ở {origin}.",
                                                      f"Item {item.item_id} is no longer at {origin}.")})
            move(item, S.IN_TRANSIT, Custodian.MANIFEST, manifest, actor=actor, source=ItemEvent.Source.MANIFEST,
                 at=at, unit=origin, unit_kind=manifest.origin_kind, manifest=manifest)
            # A new leg: its own time limit, and it may be flagged overdue again.
            item.leg_started_at, item.leg_due_at, item.overdue_flagged_at = at, manifest.due_at, None
            item.save(update_fields=["leg_started_at", "leg_due_at", "overdue_flagged_at"])
        record_event("custody.manifest_dispatched", manifest, actor, {"status": "closed"}, {
            "status": "dispatched", "courier": manifest.courier_name, "location": manifest.dispatch_location,
            "due_at": manifest.due_at})
    return manifest


def _arrival_status(kind: str) -> str:
    return S.AT_ONE_STOP_DESK if kind == UnitKind.DESK else S.PENDING


def receive_item(manifest: Manifest, item_id_text: str, actor, *, condition: str = ManifestLine.Condition.OK,
                 note: str = "") -> ManifestLine | Incident:
    """Scan a package arriving with a manifest. On the manifest: the destination now holds it (a broken seal or
    damage opens an incident). Not on it: the destination takes it and an incident records the extra package."""
    if condition not in (ManifestLine.Condition.OK, ManifestLine.Condition.SEAL_BROKEN, ManifestLine.Condition.DAMAGED):
        raise ValidationError({"condition": _b("Tình trạng: nguyên vẹn, rách niêm phong hoặc hư hỏng.",
                                               "Condition: ok, seal_broken or damaged.")})
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.DISPATCHED, Manifest.Status.RECEIVED_WITH_DISCREPANCIES)
        unit = _acting_unit(manifest, actor, "destination")
        item_id = s10.validate(item_id_text)
        line = ManifestLine.objects.select_for_update().filter(manifest=manifest, item__item_id=item_id).first()
        at = timezone.now()
        if line is None:
            item = Item.objects.select_for_update().filter(item_id=item_id).first()
            if item is None:
                raise ValidationError({"item_id": _b(f"Không có bưu gửi số hiệu {item_id}.", f"No item with id {item_id}.")})
            if item.status in TERMINAL:
                raise ValidationError({"item_id": _b(f"Bưu gửi {item_id} đã kết thúc ({item.get_status_display()}).",
                                                     f"Item {item_id} is finished ({item.status}).")})
            if holds(item, manifest.destination_kind, unit):
                raise ValidationError({"item_id": _b(f"Bưu gửi {item_id} đã ở {unit}.", f"Item {item_id} is already at {unit}.")})
            # A package that is physically here: the destination takes it, and the discrepancy is followed up.
            # If it was travelling on another manifest, it will not arrive with that one: its line there is missing.
            ManifestLine.objects.filter(item=item, manifest__status=Manifest.Status.DISPATCHED,
                                        condition=ManifestLine.Condition.PENDING).update(
                condition=ManifestLine.Condition.MISSING, checked_by=actor, checked_at=at)
            move(item, _arrival_status(manifest.destination_kind), _unit_custodian(manifest.destination_kind), unit,
                 actor=actor, source=ItemEvent.Source.MANIFEST, at=at, unit=unit, unit_kind=manifest.destination_kind,
                 manifest=manifest, reason=IncidentReason.EXTRA, note=note, check_transition=False)
            item.leg_due_at, item.leg_started_at = None, at
            item.save(update_fields=["leg_due_at", "leg_started_at"])
            return open_incident(item, IncidentReason.EXTRA, actor, manifest=manifest, description=_b(
                f"Bưu gửi không có trong bảng kê {manifest.code} nhưng được giao đến {unit}.",
                f"Item not on manifest {manifest.code} but delivered to {unit}."))
        if line.condition != ManifestLine.Condition.PENDING and line.condition != ManifestLine.Condition.MISSING:
            raise ValidationError({"item_id": _b(f"Bưu gửi {item_id} đã được nhận.", f"Item {item_id} was already received.")})
        item = Item.objects.select_for_update().get(pk=line.item_id)
        if item.status in TERMINAL:
            raise ValidationError({"item_id": _b(f"Bưu gửi {item_id} đã kết thúc ({item.get_status_display()}).",
                                                 f"Item {item_id} is finished ({item.status}).")})
        was_missing = line.condition == ManifestLine.Condition.MISSING
        line.condition, line.checked_by, line.checked_at = condition, actor, at
        line.save()
        # Found after it was reported missing, it may since have set off on another manifest: not on that one.
        ManifestLine.objects.filter(item=item, manifest__status=Manifest.Status.DISPATCHED,
                                    condition=ManifestLine.Condition.PENDING).exclude(manifest=manifest).update(
            condition=ManifestLine.Condition.MISSING, checked_by=actor, checked_at=at)
        move(item, _arrival_status(manifest.destination_kind), _unit_custodian(manifest.destination_kind), unit,
             actor=actor, source=ItemEvent.Source.MANIFEST, at=at, unit=unit, unit_kind=manifest.destination_kind,
             manifest=manifest, reason=condition if condition != "ok" else "", note=note, check_transition=False)
        item.leg_due_at = None
        item.leg_started_at = at
        item.save(update_fields=["leg_due_at", "leg_started_at"])
        if was_missing:
            for incident in Incident.objects.filter(item=item, manifest=manifest, reason=IncidentReason.MISSING,
                                                    status__in=[Incident.Status.OPEN, Incident.Status.INVESTIGATING]):
                _close_incident(incident, Incident.Status.RESOLVED, actor,
                                _b("Đã tìm thấy và nhận bưu gửi.", "The item was found and received."))
        if condition != ManifestLine.Condition.OK:
            open_incident(item, condition, actor, manifest=manifest, description=note)
    return line


def finish_receipt(manifest: Manifest, actor, *, location: str = "") -> Manifest:
    """The destination confirms the manifest (who, when, where); packages not scanned are missing: each gets
    an incident and stays with the manifest until found."""
    with transaction.atomic():
        manifest = _locked(manifest, Manifest.Status.DISPATCHED)
        unit = _acting_unit(manifest, actor, "destination")
        at = timezone.now()
        missing = list(manifest.lines.select_for_update().filter(condition=ManifestLine.Condition.PENDING))
        for line in missing:
            line.condition, line.checked_by, line.checked_at = ManifestLine.Condition.MISSING, actor, at
            line.save()
            open_incident(line.item, IncidentReason.MISSING, actor, manifest=manifest, description=_b(
                f"Không thấy khi nhận bảng kê {manifest.code} tại {unit}.",
                f"Not found when manifest {manifest.code} was received at {unit}."))
        discrepancies = missing or manifest.lines.exclude(condition=ManifestLine.Condition.OK).exists() or \
            manifest.incidents.filter(reason=IncidentReason.EXTRA).exists()
        manifest.status = (Manifest.Status.RECEIVED_WITH_DISCREPANCIES if discrepancies else Manifest.Status.RECEIVED)
        manifest.received_by, manifest.received_at = actor, at
        manifest.receipt_location = location.strip()[:255] or str(unit)
        manifest.save()
        record_event("custody.manifest_received", manifest, actor, {"status": "dispatched"}, {
            "status": manifest.status, "missing": [line.item.item_id for line in missing],
            "location": manifest.receipt_location})
    return manifest


# --- Incidents ----------------------------------------------------------------------------------------


def _incident_code(at) -> str:
    return f"SC-{timezone.localtime(at):%y%m%d}-{uuid.uuid4().hex[:6].upper()}"


def open_incident(item: Item, reason: str, actor, *, manifest: Manifest | None = None, description: str = "") -> Incident:
    if reason not in IncidentReason.values:
        raise ValidationError({"reason": _b("Loại sự cố không hợp lệ.", "Unknown incident reason.")})
    with transaction.atomic():
        at = timezone.now()
        post_office = (manifest.origin_post_office if manifest else None) or item.custodian_post_office or \
            item.origin_post_office
        incident = Incident.objects.create(
            code=_incident_code(at), item=item, manifest=manifest, reason=reason, description=description[:1000],
            province_id=item.province_id, post_office=post_office,
            reported_by=actor if getattr(actor, "pk", None) else None)
        record_event("custody.incident_opened", incident, actor, after={
            "code": incident.code, "item_id": item.item_id, "reason": reason, "manifest": manifest and manifest.code})
        _event(item, item.status, actor=actor, source=ItemEvent.Source.SYSTEM, at=at, reason=reason,
               note=f"{incident.code}: {description}"[:500], applied=False, manifest=manifest)
        _tell_citizen(incident, "incident_opened")
    return incident


# Who may report an incident by hand (auditors only read), who follows incidents up, and the reasons staff
# choose from (missing and extra are recorded by the manifest receipt itself).
INCIDENT_REPORTER_ROLES = POST_OFFICE_ROLES | AGENCY_ROLES | {Role.CALL_CENTRE, Role.PROVINCIAL_ADMIN,
                                                              Role.NATIONAL_ADMIN}
INCIDENT_HANDLER_ROLES = {Role.POST_OFFICE_MANAGER, Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN}
STAFF_INCIDENT_REASONS = (IncidentReason.LOST, IncidentReason.DAMAGED, IncidentReason.SEAL_BROKEN,
                          IncidentReason.MISROUTED)


def _active(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.is_active)


def may_report_incident(user) -> bool:
    return _active(user) and (user.is_superuser or user.role in INCIDENT_REPORTER_ROLES)


def may_handle_incident(user) -> bool:
    return _active(user) and (user.is_superuser or user.role in INCIDENT_HANDLER_ROLES)


def report_incident(item: Item, reason: str, actor, *, description: str = "") -> Incident:
    """A member of staff opens an incident on a package they can see (lost, damaged, seal broken,
    misrouted); one open incident per package and reason."""
    if not may_report_incident(actor):
        raise PermissionDenied(_b("Bạn không ghi nhận được sự cố.", "You may not report incidents."))
    find_item(item.item_id, actor)  # outside the actor's scope: "no item with this id"
    if reason not in STAFF_INCIDENT_REASONS:
        raise ValidationError({"reason": _b("Loại sự cố: thất lạc, hư hỏng, rách niêm phong hoặc chuyển sai.",
                                            "Reason: lost, damaged, seal_broken or misrouted.")})
    description = (description or "").strip()
    if len(description) < 5:
        raise ValidationError({"description": _b("Mô tả sự cố (ít nhất 5 ký tự).",
                                                 "Describe the incident (at least 5 characters).")})
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).first()  # one report at a time per package
        open_one = Incident.objects.filter(item=item, reason=reason, status__in=[
            Incident.Status.OPEN, Incident.Status.INVESTIGATING]).first()
        if open_one:
            raise ValidationError({"reason": _b(f"Đã có sự cố {open_one.code} đang xử lý cho bưu gửi này.",
                                                f"Incident {open_one.code} is already open for this item.")})
        return open_incident(item, reason, actor, description=description)


def compensation_for(incident: Incident) -> int:
    """The rule's amount: a multiple of the postage the citizen paid, plus a fixed sum, capped."""
    rules = CompensationRule.objects.filter(reason=incident.reason)
    rule = rules.filter(province_id=incident.province_id).first() or rules.filter(province__isnull=True).first()
    if rule is None:
        raise ValidationError({"compensation_amount": _b(
            "Chưa có mức bồi thường cho loại sự cố này; nhập số tiền.",
            "No compensation rule for this kind of incident; enter the amount.")})
    postage = incident.item.dossier.postage_total
    amount = int(Decimal(postage) * rule.postage_multiple) + rule.fixed_amount
    return min(amount, rule.maximum_amount) if rule.maximum_amount is not None else amount


def _close_incident(incident: Incident, to: str, actor, resolution: str, amount: int | None = None) -> Incident:
    before = incident.status
    incident.status = to
    incident.resolution = resolution[:1000]
    if amount is not None:
        incident.compensation_amount = amount
    if to in (Incident.Status.RESOLVED, Incident.Status.COMPENSATED):
        incident.closed_at = timezone.now()
    incident.save()
    record_event(f"custody.incident_{to}", incident, actor, {"status": before},
                 {"status": to, "resolution": incident.resolution, "compensation_amount": incident.compensation_amount})
    return incident


def advance_incident(incident: Incident, to: str, actor, *, resolution: str = "", amount: int | None = None) -> Incident:
    """open → investigating → resolved or compensated (amount by the rules unless given)."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not visible(actor, Incident.objects.filter(pk=incident.pk)).exists():
            raise PermissionDenied(_b("Sự cố ngoài phạm vi của bạn.", "This incident is outside your scope."))
        if not may_handle_incident(actor):
            raise PermissionDenied(_b("Chỉ trưởng bưu cục hoặc quản trị xử lý sự cố.",
                                      "Only post-office managers and administrators handle incidents."))
        if to not in Incident.TRANSITIONS.get(incident.status, set()):
            raise ValidationError({"status": _b(
                f"Không thể chuyển sự cố từ “{incident.get_status_display()}” sang “{to}”.",
                f"An incident cannot go from “{incident.status}” to “{to}”.")})
        if to in (Incident.Status.RESOLVED, Incident.Status.COMPENSATED) and len(resolution.strip()) < 5:
            raise ValidationError({"resolution": _b("Ghi kết quả xử lý.", "Write how it was resolved.")})
        if to != Incident.Status.COMPENSATED:
            amount = None  # an amount means something only when compensating
        else:
            amount = compensation_for(incident) if amount is None else amount
            if amount < 0:
                raise ValidationError({"compensation_amount": _b("Số tiền không âm.", "The amount cannot be negative.")})
        incident = _close_incident(incident, to, actor, resolution.strip(), amount)
        if to in (Incident.Status.RESOLVED, Incident.Status.COMPENSATED):
            _tell_citizen(incident, f"incident_{to}")
    return incident


def _tell_citizen(incident: Incident, template: str) -> None:
    """Tell the applicant (after commit; a failed message never undoes the incident)."""
    try:
        from notifications.services import notify
    except ImportError:  # pragma: no cover - the notifications app is part of the product
        return
    dossier = incident.item.dossier
    context = {"tracking_code": dossier.display_tracking_code, "item_id": incident.item.item_id,
               "incident_code": incident.code, "reason": incident.get_reason_display(),
               "amount": f"{incident.compensation_amount or 0:,}".replace(",", ".")}
    for recipient in filter(None, [dossier.applicant_phone, dossier.applicant_email]):
        try:
            notify(template, recipient, context, related=incident)
        except ValidationError:
            continue  # an unusable contact: try the next one; the incident stands either way
        at = timezone.now()
        Incident.objects.filter(pk=incident.pk).update(citizen_notified_at=at)
        incident.citizen_notified_at = at
        return


# --- Overdue legs -------------------------------------------------------------------------------------

ON_A_LEG = (S.PENDING, S.PICKED_UP, S.IN_TRANSIT)


def responsible_post_office_id(item: Item):
    """The post office answerable for a late package: the one holding it, the one that dispatched the
    manifest it travels on, else the one that took it in."""
    if item.custodian_post_office_id:
        return item.custodian_post_office_id
    if item.custodian_user_id and item.custodian_user.post_office_id:
        return item.custodian_user.post_office_id
    if item.custodian_manifest_id and item.custodian_manifest.origin_post_office_id:
        return item.custodian_manifest.origin_post_office_id
    return item.origin_post_office_id


def overdue_items(now=None):
    """Packages whose leg is past its time limit and not finished, oldest first."""
    now = now or timezone.now()
    return (Item.objects.filter(status__in=ON_A_LEG, leg_due_at__lt=now)
            .select_related("dossier", "custodian_post_office", "custodian_manifest", "custodian_user",
                            "origin_post_office")
            .order_by("leg_due_at"))


def overdue_age(item: Item, now=None) -> datetime.timedelta:
    """How late, in working time (a weekend does not make a package later)."""
    from workdays.calendar import working_time_between

    return working_time_between(item.leg_due_at, now or timezone.now())


def flag_overdue(now=None) -> dict[int, list[str]]:
    """Flag newly overdue packages and tell each responsible post office's managers (daily task).
    Returns {post office id: [item ids]} of what was newly flagged."""
    from accounts.models import Role, User

    now = now or timezone.now()
    flagged: dict[int, list[Item]] = {}
    with transaction.atomic():
        items = list(overdue_items(now).filter(overdue_flagged_at__isnull=True).select_for_update(of=("self",)))
        for item in items:
            flagged.setdefault(responsible_post_office_id(item), []).append(item)
        Item.objects.filter(pk__in=[i.pk for i in items]).update(overdue_flagged_at=now)
        for item in items:
            record_event("custody.overdue_flagged", item, None, after={
                "leg_due_at": item.leg_due_at, "status": item.status, "custodian": custodian_label(item)})
        offices = PostOffice.objects.in_bulk([pk for pk in flagged if pk])
        for office_id, office_items in flagged.items():
            office = offices.get(office_id)
            if office is None:
                continue
            managers = User.objects.filter(post_office=office, role=Role.POST_OFFICE_MANAGER, is_active=True)
            listed = ", ".join(i.item_id for i in office_items[:20]) + ("…" if len(office_items) > 20 else "")
            for manager in managers:
                recipient = manager.email or manager.phone
                if not recipient:
                    continue
                try:
                    from notifications.services import notify

                    notify("items_overdue", recipient, {"count": len(office_items), "post_office": str(office),
                                                        "items": listed}, related=office)
                except ValidationError:
                    continue  # a manager with an unusable contact must not stop the others being told
    return {pk: [i.item_id for i in its] for pk, its in flagged.items()}
