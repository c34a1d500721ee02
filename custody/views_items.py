"""The staff view of one package (bưu gửi): its status and current custodian, every line of its timeline,
who held it and when, the manifests it travelled on and its incidents.

Who may see a package: ``accounts.scopes.visible`` (the post office that took it in, the agency deciding the
dossier, the province), and also the units that handled it — the post office or one-stop desk holding it, or
where one of its events happened, or at either end of a manifest it was on (a centre's desk receives
dossiers for every department; a delivering post office receives results taken in elsewhere). Anything else
answers 404, like a package that does not exist. Reading changes nothing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, re_path, reverse
from django.views.decorators.http import require_GET

from accounts.models import AGENCY_ROLES, POST_OFFICE_ROLES, User
from accounts.scopes import scope_q, visible
from custody.models import Incident, ItemEvent, Manifest, ManifestLine
from dossiers.models import Dossier
from network.models import Agency, OneStopDesk, PostOffice
from postal import s10
from postal.models import Custodian, Item

# An S10 id as people type it in an address bar (any case); anything else is left to other pages.
ITEM_PATH = r"^(?P<item_id>[A-Za-z]{2}[0-9]{9}[A-Za-z]{2})/$"


# --- Scopes ---------------------------------------------------------------------------------------------


def _unit_q(user, *, events: str, lines: str, custodian: str) -> Q | None:
    """Rows handled by the user's own unit (their post office, or their agency's desks)."""
    if user.role in POST_OFFICE_ROLES and user.post_office_id:
        office = user.post_office_id
        event_q = Q(post_office_id=office)
        line_q = Q(manifest__origin_post_office_id=office) | Q(manifest__destination_post_office_id=office)
        held_q = Q(**{f"{custodian}custodian_post_office_id": office})
    elif user.role in AGENCY_ROLES and user.agency_id:
        agency = user.agency_id
        event_q = Q(desk__agency_id=agency)
        line_q = Q(manifest__origin_desk__agency_id=agency) | Q(manifest__destination_desk__agency_id=agency)
        held_q = Q(**{f"{custodian}custodian_desk__agency_id": agency})
    else:
        return None
    return (held_q | Exists(ItemEvent.objects.filter(event_q, item_id=OuterRef(events)))
            | Exists(ManifestLine.objects.filter(line_q, item_id=OuterRef(lines))))


def items_for(user, queryset=None):
    """The packages ``user`` may look at (see the module's docstring)."""
    queryset = Item.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated or not user.is_active:
        return queryset.none()
    base = scope_q(user, Item)
    if base is None:
        return queryset
    extra = _unit_q(user, events="pk", lines="pk", custodian="")
    return queryset.filter(base | extra if extra is not None else base)


def manifests_for(user, queryset=None):
    """The manifests ``user`` may look at: those of their scope (by origin) and those coming to their unit
    (or, for a provincial role, to their province)."""
    queryset = Manifest.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated or not user.is_active:
        return queryset.none()
    base = scope_q(user, Manifest)
    if base is None:
        return queryset
    if user.role in POST_OFFICE_ROLES and user.post_office_id:
        extra = Q(destination_post_office_id=user.post_office_id)
    elif user.role in AGENCY_ROLES and user.agency_id:
        extra = Q(destination_desk__agency_id=user.agency_id)
    elif user.province_id:
        extra = Q(destination_post_office__province_id=user.province_id) | Q(
            destination_desk__province_id=user.province_id)
    else:
        extra = Q(pk__in=[])
    return queryset.filter(base | extra)


def incident_url(incident) -> str:
    """The incident's page, when the incidents' pages are installed (another change), else ""."""
    for name, arg in (("custody:incident", incident.code), ("custody:incident_detail", incident.code)):
        try:
            return reverse(name, args=[arg])
        except NoReverseMatch:
            continue
    return ""


def dossier_url(user, dossier) -> str:
    if not visible(user, Dossier.objects.filter(pk=dossier.pk)).exists():
        return ""
    try:
        return reverse("dossiers:detail", args=[dossier.tracking_code])
    except NoReverseMatch:
        return ""


# --- What the page (and the API) shows ---------------------------------------------------------------------


def item_queryset():
    return Item.objects.select_related(
        "dossier__procedure", "dossier__agency", "dossier__desk", "origin_post_office", "custodian_post_office",
        "custodian_user", "custodian_desk", "custodian_agency", "custodian_manifest")


def get_item(user, item_id_text: str) -> Item:
    """The package with this id within the user's reach; a malformed id raises ValidationError (item_id),
    an unknown or out-of-scope one Http404."""
    item_id = s10.validate(item_id_text, country=None)
    item = items_for(user, item_queryset()).filter(item_id=item_id).first()
    if item is None:
        raise Http404
    return item


def _person(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


def unit_label(kind: str, unit) -> str:
    if unit is None:
        return ""
    return f"{unit.code} — {unit.name}"


def _holders(labels: set[str]) -> dict[str, dict]:
    """{"post_office:3": {"kind", "kind_label", "code", "name", "url"}} for the custodian labels."""
    wanted: dict[str, set[int]] = {}
    for label in labels:
        kind, _sep, pk = label.partition(":")
        if pk.isdigit():
            wanted.setdefault(kind, set()).add(int(pk))
    found: dict[str, dict] = {}
    models = {Custodian.POST_OFFICE: PostOffice, Custodian.DESK: OneStopDesk, Custodian.AGENCY: Agency,
              Custodian.MANIFEST: Manifest, Custodian.POSTMAN: User}
    for kind, pks in wanted.items():
        model = models.get(kind)
        if model is None:
            continue
        for obj in model.objects.filter(pk__in=pks):
            if kind == Custodian.MANIFEST:
                code, name, url = obj.code, "", reverse("custody:manifest_detail", args=[obj.code])
            elif kind == Custodian.POSTMAN:
                code, name, url = obj.get_username(), _person(obj), ""
            elif kind == Custodian.AGENCY:
                code, name, url = obj.identifier, obj.name, ""
            else:
                code, name, url = obj.code, obj.name, ""
            found[f"{kind}:{obj.pk}"] = {"kind": kind, "kind_label": str(Custodian(kind).label), "code": code,
                                         "name": name, "url": url}
    return found


def _holder(label: str, holders: dict) -> dict:
    if label in holders:
        return holders[label]
    kind = label.partition(":")[0]
    kind_label = str(Custodian(kind).label) if kind in Custodian.values else kind
    return {"kind": kind, "kind_label": kind_label, "code": "", "name": "", "url": ""}


def current_custodian(item: Item) -> dict:
    holder = item.custodian
    kind_label = str(Custodian(item.custodian_kind).label)
    if holder is None:
        return {"kind": item.custodian_kind, "kind_label": kind_label, "code": "", "name": "", "url": ""}
    if item.custodian_kind == Custodian.MANIFEST:
        return {"kind": item.custodian_kind, "kind_label": kind_label, "code": holder.code, "name": "",
                "url": reverse("custody:manifest_detail", args=[holder.code])}
    if item.custodian_kind == Custodian.POSTMAN:
        return {"kind": item.custodian_kind, "kind_label": kind_label, "code": holder.get_username(),
                "name": _person(holder), "url": ""}
    code = holder.identifier if item.custodian_kind == Custodian.AGENCY else holder.code
    return {"kind": item.custodian_kind, "kind_label": kind_label, "code": code, "name": holder.name, "url": ""}


def item_details(user, item: Item) -> dict:
    """Everything the staff view shows about one package, as plain data (the API serialises the same)."""
    events = list(ItemEvent.objects.filter(item=item).select_related("post_office", "desk", "actor", "manifest")
                  .order_by("occurred_at", "pk"))
    holders = _holders({e.custodian_after for e in events if e.applied and e.custodian_after})
    timeline = []
    for event in events:
        unit = event.post_office or event.desk
        if event.applied:
            applied_label = "applied"
        elif event.source == ItemEvent.Source.SYSTEM:
            applied_label = "note"
        else:
            applied_label = "late"
        timeline.append({
            "event": event, "event_id": event.event_id, "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at, "status": event.status, "status_label": event.get_status_display(),
            "unit_kind": event.unit_kind, "unit_code": unit.code if unit else "",
            "unit": unit_label(event.unit_kind, unit), "actor": _person(event.actor) or event.actor_label,
            "actor_username": event.actor.get_username() if event.actor else "",
            "source": event.source, "source_label": event.get_source_display(), "applied": event.applied,
            "applied_label": applied_label, "reason": event.reason,
            "reason_label": event.get_reason_display() if event.reason else "", "note": event.note,
            "manifest_code": event.manifest.code if event.manifest else "",
            "manifest_url": reverse("custody:manifest_detail", args=[event.manifest.code]) if event.manifest else "",
        })
    # The custodian history: each change of holder, from the applied events' "custodian after".
    history: list[dict] = []
    for event in events:
        if not event.applied or not event.custodian_after:
            continue
        if history and history[-1]["label"] == event.custodian_after:
            continue
        if history:
            history[-1]["until"] = event.occurred_at
        history.append({"label": event.custodian_after, **_holder(event.custodian_after, holders),
                        "since": event.occurred_at, "until": None, "status": event.status,
                        "status_label": event.get_status_display()})
    lines = list(ManifestLine.objects.filter(item=item).select_related(
        "manifest__origin_post_office", "manifest__origin_desk", "manifest__destination_post_office",
        "manifest__destination_desk").order_by("added_at", "pk"))
    manifests = [{
        "manifest": line.manifest, "code": line.manifest.code, "status": line.manifest.status,
        "status_label": line.manifest.get_status_display(),
        "origin": unit_label(line.manifest.origin_kind, line.manifest.origin),
        "destination": unit_label(line.manifest.destination_kind, line.manifest.destination),
        "condition": line.condition, "condition_label": line.get_condition_display(),
        "added_at": line.added_at, "dispatched_at": line.manifest.dispatched_at,
        "received_at": line.manifest.received_at, "checked_at": line.checked_at,
        "url": reverse("custody:manifest_detail", args=[line.manifest.code]),
    } for line in lines]
    on_lines = {line.manifest_id for line in lines}
    incidents = []
    for incident in Incident.objects.filter(item=item).select_related("manifest").order_by("reported_at", "pk"):
        incidents.append({
            "incident": incident, "code": incident.code, "reason": incident.reason,
            "reason_label": incident.get_reason_display(), "status": incident.status,
            "status_label": incident.get_status_display(), "description": incident.description,
            "reported_at": incident.reported_at, "closed_at": incident.closed_at,
            "compensation_amount": incident.compensation_amount,
            "manifest_code": incident.manifest.code if incident.manifest else "",
            "url": incident_url(incident)})
        if incident.manifest_id and incident.manifest_id not in on_lines:  # an extra package: not on its list
            on_lines.add(incident.manifest_id)
            manifest = incident.manifest
            manifests.append({
                "manifest": manifest, "code": manifest.code, "status": manifest.status,
                "status_label": manifest.get_status_display(),
                "origin": unit_label(manifest.origin_kind, manifest.origin),
                "destination": unit_label(manifest.destination_kind, manifest.destination),
                "condition": "extra", "condition_label": str(incident.get_reason_display()),
                "added_at": None, "dispatched_at": manifest.dispatched_at, "received_at": manifest.received_at,
                "checked_at": incident.reported_at,
                "url": reverse("custody:manifest_detail", args=[manifest.code])})
    dossier = item.dossier
    return {
        "item": item, "custodian": current_custodian(item), "timeline": timeline, "custodians": history,
        "manifests": manifests, "incidents": incidents, "dossier": dossier,
        "dossier_url": dossier_url(user, dossier),
    }


@login_required
@require_GET
def item_detail(request, item_id):
    try:
        item = get_item(request.user, item_id)
    except ValidationError as exc:
        raise Http404 from exc
    return render(request, "custody/item_detail.html", item_details(request.user, item))


urlpatterns = [
    re_path(ITEM_PATH, item_detail, name="item"),
]
