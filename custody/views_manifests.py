"""Hand-over manifests (bảng kê giao nhận) in the browser, keyboard first: a scanner is a keyboard that types
the S10 id and Enter.

* the list: the unit's outgoing manifests and those coming to it, a box to jump to a package by its id, and
  the form that opens a manifest for a destination;
* one manifest: at the origin, the scan box (htmx adds each package and answers at once, a refusal in both
  languages with a visual "beep"), the lines, close and seal, print, dispatch with the courier; at the
  destination, the scan box that receives each package with its condition, then the confirmation that lists
  what is missing; both sides' confirmations (who, when, where); cancel while not dispatched;
* the PDF.

Every change goes through ``custody.services`` (``open_manifest``, ``add_to_manifest``,
``remove_from_manifest``, ``close_manifest``, ``dispatch_manifest``, ``receive_item``, ``finish_receipt``,
``cancel_manifest``); a refusal changes nothing. A manifest the user may not see answers 404
(``custody.views_items.manifests_for``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AGENCY_ROLES, POST_OFFICE_ROLES
from accounts.scopes import visible
from custody import printing, services
from custody.forms import (
    CloseForm,
    DispatchForm,
    FinishForm,
    ItemSearchForm,
    OpenManifestForm,
    ReceiveForm,
    RemoveForm,
    ScanForm,
    add_service_errors,
)
from custody.models import Incident, IncidentReason, Manifest, ManifestLine, UnitKind
from custody.views_items import incident_url, items_for, manifests_for, unit_label
from custody.views_items import urlpatterns as item_urlpatterns
from dossiers.models import Dossier
from network.models import OneStopDesk
from postal import s10

ACTIVE = (Manifest.Status.OPEN, Manifest.Status.CLOSED, Manifest.Status.DISPATCHED)
FINISHED = (Manifest.Status.RECEIVED, Manifest.Status.RECEIVED_WITH_DISCREPANCIES, Manifest.Status.CANCELLED)
RECENT = 20
ARRIVED = (ManifestLine.Condition.OK, ManifestLine.Condition.SEAL_BROKEN, ManifestLine.Condition.DAMAGED)


# --- Who acts for which unit ---------------------------------------------------------------------------------


def acting_unit(user, desk=None):
    """(kind, unit) the user acts for, or (None, None) for roles bound to no post office or desk."""
    try:
        return services.unit_of(user, desk)
    except PermissionDenied:
        return None, None


def agency_desks(user) -> list:
    if user.role in AGENCY_ROLES and user.agency_id:
        return list(OneStopDesk.objects.filter(agency_id=user.agency_id, active=True).order_by("code"))
    return []


def unit_q(user, side: str) -> Q | None:
    """Manifests whose ``side`` ("origin" / "destination") is the user's own unit."""
    if user.role in POST_OFFICE_ROLES and user.post_office_id:
        return Q(**{f"{side}_post_office_id": user.post_office_id})
    if user.role in AGENCY_ROLES and user.agency_id:
        return Q(**{f"{side}_desk__agency_id": user.agency_id})
    return None


def sides(user, manifest: Manifest) -> set[str]:
    """Which ends of the manifest the user works at (the services check it again when acting)."""
    found = set()
    for side in ("origin", "destination"):
        kind = getattr(manifest, f"{side}_kind")
        if kind == UnitKind.POST_OFFICE:
            if user.role in POST_OFFICE_ROLES and user.post_office_id and \
                    user.post_office_id == getattr(manifest, f"{side}_post_office_id"):
                found.add(side)
        else:
            desk = getattr(manifest, f"{side}_desk")
            if user.role in AGENCY_ROLES and user.agency_id and desk is not None and desk.agency_id == user.agency_id:
                found.add(side)
    return found


def _refusal_text(exc) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc.args[0] if exc.args else exc)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- Queries ----------------------------------------------------------------------------------------------------


def manifest_queryset():
    return Manifest.objects.select_related(
        "origin_post_office", "origin_desk", "destination_post_office", "destination_desk", "opened_by",
        "closed_by", "dispatched_by", "received_by", "courier", "province")


def get_manifest(user, code: str) -> Manifest:
    return get_object_or_404(manifests_for(user, manifest_queryset()), code=(code or "").strip().upper())


def manifest_lines(manifest: Manifest) -> list[ManifestLine]:
    return list(manifest.lines.select_related("item__dossier__procedure", "added_by", "checked_by")
                .order_by("added_at", "pk"))


def _listing(queryset):
    return list(queryset.annotate(item_count=Count("lines")).select_related(
        "origin_post_office", "origin_desk", "destination_post_office", "destination_desk", "opened_by"))


# --- The list --------------------------------------------------------------------------------------------------


def _list_context(request, open_form=None, search_form=None) -> dict:
    user = request.user
    kind, unit = acting_unit(user)
    visible_manifests = manifests_for(user, Manifest.objects.all())
    context = {"unit": unit, "unit_kind": kind, "search_form": search_form or ItemSearchForm(),
               "statuses": Manifest.Status}
    if unit is not None:
        context["open_form"] = open_form or OpenManifestForm(kind=kind, unit=unit, desks=agency_desks(user))
        outgoing, incoming = unit_q(user, "origin"), unit_q(user, "destination")
        context.update(
            outgoing=_listing(visible_manifests.filter(outgoing, status__in=ACTIVE).order_by("-opened_at")),
            incoming=_listing(visible_manifests.filter(
                incoming, status__in=(Manifest.Status.DISPATCHED, Manifest.Status.RECEIVED_WITH_DISCREPANCIES))
                .order_by("due_at", "dispatched_at")),
            coming=_listing(visible_manifests.filter(
                incoming, status__in=(Manifest.Status.OPEN, Manifest.Status.CLOSED)).order_by("-opened_at")),
            finished=_listing(visible_manifests.filter(outgoing | incoming, status__in=FINISHED)
                              .order_by("-received_at", "-opened_at")[:RECENT]),
        )
    else:
        context["scoped"] = _listing(visible_manifests.order_by("-opened_at")[:100])
    return context


@login_required
@require_GET
def manifest_list(request):
    search_form = None
    if "item_id" in request.GET:
        search_form = ItemSearchForm(request.GET)
        if search_form.is_valid():
            try:
                item_id = s10.validate(search_form.cleaned_data["item_id"], country=None)
            except ValidationError as exc:
                add_service_errors(search_form, exc)
            else:
                if items_for(request.user).filter(item_id=item_id).exists():
                    return redirect("custody:item", item_id=item_id)
                search_form.add_error("item_id", f"Không có bưu gửi số hiệu {item_id} trong phạm vi của bạn. / "
                                                 f"No item {item_id} within your scope.")
    return render(request, "custody/manifest_list.html", _list_context(request, search_form=search_form))


@login_required
@require_POST
def manifest_open(request):
    user = request.user
    kind, unit = acting_unit(user)
    if unit is None:
        return render(request, "custody/manifest_list.html", {
            **_list_context(request), "page_error": services._b(
                "Tài khoản này không gắn với bưu cục hay Bộ phận Một cửa nào.",
                "This account belongs to no post office or one-stop desk.")}, status=403)
    desks = agency_desks(user)
    # An agency with several desks: the destinations offered depend on the sending desk chosen.
    chosen = request.POST.get("origin_desk", "")
    origin_desk = next((d for d in desks if str(d.pk) == chosen), None) if len(desks) > 1 else None
    form = OpenManifestForm(request.POST, kind=kind, unit=origin_desk or unit, desks=desks)
    destination = form.destination_unit() if form.is_valid() else None
    if destination is not None:
        try:
            manifest = services.open_manifest(user, destination, desk=origin_desk)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Đã lập bảng kê {manifest.code}. Quét số hiệu từng bưu gửi. / "
                                      f"Manifest {manifest.code} opened. Scan each item.")
            return redirect("custody:manifest_detail", code=manifest.code)
    return render(request, "custody/manifest_list.html", _list_context(request, open_form=form), status=400)


# --- One manifest ------------------------------------------------------------------------------------------------


def _counts(lines) -> dict:
    arrived = sum(1 for line in lines if line.condition in ARRIVED)
    missing = sum(1 for line in lines if line.condition == ManifestLine.Condition.MISSING)
    return {"total": len(lines), "arrived": arrived, "missing": missing,
            "pending": sum(1 for line in lines if line.condition == ManifestLine.Condition.PENDING),
            "weight": sum(line.item.weight_grams or 0 for line in lines)}


def scan_context(request, manifest: Manifest, *, form=None, feedback=None) -> dict:
    """What the scan area (lines, counts, the box) shows; re-rendered after each scan."""
    user = request.user
    at = sides(user, manifest)
    lines = manifest_lines(manifest)
    dossier_ids = {line.item.dossier_id for line in lines}
    seen = set(visible(user, Dossier.objects.filter(pk__in=dossier_ids)).values_list("pk", flat=True))
    rows = [{"line": line, "item": line.item, "dossier": line.item.dossier,
             "dossier_url": reverse("dossiers:detail", args=[line.item.dossier.tracking_code])
             if line.item.dossier_id in seen else "",
             "item_url": reverse("custody:item", args=[line.item.item_id])} for line in lines]
    may_add = manifest.status == Manifest.Status.OPEN and "origin" in at
    may_receive = manifest.status in (Manifest.Status.DISPATCHED, Manifest.Status.RECEIVED_WITH_DISCREPANCIES) \
        and "destination" in at
    extras = [{"incident": i, "url": incident_url(i), "item_url": reverse("custody:item", args=[i.item.item_id])}
              for i in manifest.incidents.filter(reason=IncidentReason.EXTRA).select_related("item__dossier")]
    scan_mode = "add" if may_add else "receive" if may_receive else ""
    if form is None and scan_mode:
        form = ScanForm(auto_id="scan_%s") if scan_mode == "add" else ReceiveForm(auto_id="scan_%s")
    return {"manifest": manifest, "rows": rows, "counts": _counts(lines), "scan_mode": scan_mode,
            "scan_form": form, "feedback": feedback, "extras": extras, "may_remove": may_add}


def detail_context(request, manifest: Manifest, **forms) -> dict:
    user = request.user
    at = sides(user, manifest)
    status = manifest.status
    origin_acts = "origin" in at
    destination_acts = "destination" in at
    context = scan_context(request, manifest, form=forms.pop("scan_form", None), feedback=forms.pop("feedback", None))
    incidents = [{"incident": i, "url": incident_url(i)} for i in
                 manifest.incidents.select_related("item").order_by("reported_at", "pk")]
    context.update({
        "origin_label": unit_label(manifest.origin_kind, manifest.origin),
        "destination_label": unit_label(manifest.destination_kind, manifest.destination),
        "sides": at, "incidents": incidents,
        "may_close": status == Manifest.Status.OPEN and origin_acts,
        "may_dispatch": status == Manifest.Status.CLOSED and origin_acts,
        "may_cancel": status in (Manifest.Status.OPEN, Manifest.Status.CLOSED) and origin_acts,
        "may_finish": status == Manifest.Status.DISPATCHED and destination_acts,
        "close_form": forms.get("close_form") or CloseForm(),
        "dispatch_form": forms.get("dispatch_form") or (DispatchForm(manifest=manifest)
                                                        if status == Manifest.Status.CLOSED else None),
        "finish_form": forms.get("finish_form") or FinishForm(),
        "page_error": forms.get("page_error", ""),
        "pdf_url": reverse("custody:manifest_pdf", args=[manifest.code]),
        "missing_rows": [r for r in context["rows"] if r["line"].condition == ManifestLine.Condition.MISSING],
    })
    return context


@login_required
@require_GET
def manifest_detail(request, code):
    manifest = get_manifest(request.user, code)
    return render(request, "custody/manifest_detail.html", detail_context(request, manifest))


def _scan_response(request, manifest, form, feedback, status=200):
    """htmx: the scan area alone (always 200, so htmx swaps it in); otherwise the whole page."""
    manifest = get_manifest(request.user, manifest.code)
    if request.htmx:
        return render(request, "custody/manifest_scan.html",
                      scan_context(request, manifest, form=form, feedback=feedback))
    if feedback and feedback.get("level") != "refused":
        if feedback["level"] == "ok":
            messages.success(request, feedback["message"])
        else:
            messages.warning(request, feedback["message"])
        return redirect("custody:manifest_detail", code=manifest.code)
    return render(request, "custody/manifest_detail.html",
                  detail_context(request, manifest, scan_form=form, feedback=feedback), status=status)


def _refused(exc) -> tuple[dict, int]:
    return {"level": "refused", "message": _refusal_text(exc)}, 403 if isinstance(exc, PermissionDenied) else 400


def _fresh(form_class):
    return form_class(auto_id="scan_%s")


@login_required
@require_POST
def manifest_add(request, code):
    manifest = get_manifest(request.user, code)
    form = ScanForm(request.POST, auto_id="scan_%s")
    if not form.is_valid():
        return _scan_response(request, manifest, _fresh(ScanForm), {
            "level": "refused", "message": " ".join(form.errors.get("item_id", []))}, 400)
    try:
        line = services.add_to_manifest(manifest, form.cleaned_data["item_id"], request.user)
    except (ValidationError, PermissionDenied) as exc:
        feedback, status = _refused(exc)
        return _scan_response(request, manifest, _fresh(ScanForm), {**feedback, "item_id": s10.normalise(
            form.cleaned_data["item_id"])[:20]}, status)
    item_id = line.item.item_id
    return _scan_response(request, manifest, _fresh(ScanForm), {
        "level": "ok", "item_id": item_id,
        "message": f"Đã thêm {item_id} vào bảng kê. / {item_id} added to the manifest."})


@login_required
@require_POST
def manifest_remove(request, code):
    manifest = get_manifest(request.user, code)
    form = RemoveForm(request.POST)
    item_id = s10.normalise(request.POST.get("item_id", ""))[:20]
    try:
        if not form.is_valid():
            raise ValidationError({"item_id": form.errors.get("item_id", [])})
        services.remove_from_manifest(manifest, form.cleaned_data["item_id"], request.user)
    except (ValidationError, PermissionDenied) as exc:
        feedback, status = _refused(exc)
        return _scan_response(request, manifest, None, feedback, status)
    return _scan_response(request, manifest, None, {
        "level": "ok", "item_id": item_id,
        "message": f"Đã bỏ {item_id} khỏi bảng kê. / {item_id} removed from the manifest."})


@login_required
@require_POST
def manifest_receive(request, code):
    manifest = get_manifest(request.user, code)
    form = ReceiveForm(request.POST, auto_id="scan_%s")
    fresh = ReceiveForm(auto_id="scan_%s", initial={"condition": request.POST.get("condition") or "ok"})
    if not form.is_valid():
        errors = [m for messages_ in form.errors.values() for m in messages_]
        return _scan_response(request, manifest, fresh, {"level": "refused", "message": " ".join(errors)}, 400)
    data = form.cleaned_data
    try:
        result = services.receive_item(manifest, data["item_id"], request.user, condition=data["condition"],
                                       note=data["note"])
    except (ValidationError, PermissionDenied) as exc:
        feedback, status = _refused(exc)
        return _scan_response(request, manifest, fresh, {**feedback, "item_id": s10.normalise(data["item_id"])[:20]},
                              status)
    if isinstance(result, Incident):
        item_id = result.item.item_id
        feedback = {"level": "warning", "item_id": item_id, "message": (
            f"{item_id} không có trong bảng kê: đã nhận và ghi sự cố {result.code} (thừa so với bảng kê). / "
            f"{item_id} is not on the manifest: taken in and recorded as incident {result.code} (extra item).")}
    else:
        item_id = result.item.item_id
        if result.condition == ManifestLine.Condition.OK:
            feedback = {"level": "ok", "item_id": item_id,
                        "message": f"Đã nhận {item_id} (nguyên vẹn). / {item_id} received (intact)."}
        else:
            label = result.get_condition_display()
            feedback = {"level": "warning", "item_id": item_id, "message": (
                f"Đã nhận {item_id} — {label}: đã ghi sự cố. / {item_id} received — {result.condition}: "
                f"an incident was recorded.")}
    return _scan_response(request, manifest, ReceiveForm(auto_id="scan_%s"), feedback)


def _step(request, manifest, form, action, ok_message: str, form_key: str, fields=None):
    """Run one step (close, dispatch, finish, cancel): on success back to the page with a message; a refusal
    re-renders the page with the reason next to the field (nothing changed)."""
    if form is None or form.is_valid():
        try:
            result = action()
        except (ValidationError, PermissionDenied) as exc:
            if form is not None:
                add_service_errors(form, exc, fields)
                page_error = "" if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") and all(
                    (fields or {}).get(k, k) in form.fields for k in exc.message_dict) else _refusal_text(exc)
            else:
                page_error = _refusal_text(exc)
            status = 403 if isinstance(exc, PermissionDenied) else 400
            context = detail_context(request, get_manifest(request.user, manifest.code),
                                     **({form_key: form} if form is not None else {}), page_error=page_error)
            return render(request, "custody/manifest_detail.html", context, status=status)
        messages.success(request, ok_message.format(code=result.code))
        return redirect("custody:manifest_detail", code=result.code)
    context = detail_context(request, get_manifest(request.user, manifest.code), **{form_key: form})
    return render(request, "custody/manifest_detail.html", context, status=400)


@login_required
@require_POST
def manifest_close(request, code):
    manifest = get_manifest(request.user, code)
    form = CloseForm(request.POST)
    return _step(request, manifest, form,
                 lambda: services.close_manifest(manifest, form.cleaned_data["seal_number"], request.user),
                 "Đã niêm phong bảng kê {code}. In bảng kê và giao cho người vận chuyển. / "
                 "Manifest {code} sealed. Print it and hand it to the courier.", "close_form")


@login_required
@require_POST
def manifest_dispatch(request, code):
    manifest = get_manifest(request.user, code)
    form = DispatchForm(request.POST, manifest=manifest)
    return _step(request, manifest, form,
                 lambda: services.dispatch_manifest(manifest, request.user, courier=form.courier_user(),
                                                    courier_name=form.cleaned_data["courier_name"],
                                                    location=form.cleaned_data["location"]),
                 "Đã giao bảng kê {code} cho người vận chuyển. / Manifest {code} handed to the courier.",
                 "dispatch_form")


@login_required
@require_POST
def manifest_finish(request, code):
    manifest = get_manifest(request.user, code)
    form = FinishForm(request.POST)
    return _step(request, manifest, form,
                 lambda: services.finish_receipt(manifest, request.user, location=form.cleaned_data["location"]),
                 "Đã xác nhận nhận bảng kê {code}. / Receipt of manifest {code} confirmed.", "finish_form")


@login_required
@require_POST
def manifest_cancel(request, code):
    manifest = get_manifest(request.user, code)
    return _step(request, manifest, None, lambda: services.cancel_manifest(manifest, request.user),
                 "Đã hủy bảng kê {code}. / Manifest {code} cancelled.", "")


@login_required
@require_GET
def manifest_pdf(request, code):
    manifest = get_manifest(request.user, code)
    content = printing.render_manifest(printing.manifest_for_print(manifest))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bang-ke-{manifest.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("bang-ke/", manifest_list, name="manifest_list"),
    path("bang-ke/lap/", manifest_open, name="manifest_open"),
    path("bang-ke/<str:code>/", manifest_detail, name="manifest_detail"),
    path("bang-ke/<str:code>/them/", manifest_add, name="manifest_add"),
    path("bang-ke/<str:code>/bo/", manifest_remove, name="manifest_remove"),
    path("bang-ke/<str:code>/niem-phong/", manifest_close, name="manifest_close"),
    path("bang-ke/<str:code>/giao/", manifest_dispatch, name="manifest_dispatch"),
    path("bang-ke/<str:code>/nhan/", manifest_receive, name="manifest_receive"),
    path("bang-ke/<str:code>/xac-nhan/", manifest_finish, name="manifest_finish"),
    path("bang-ke/<str:code>/huy/", manifest_cancel, name="manifest_cancel"),
    path("bang-ke/<str:code>/bang-ke.pdf", manifest_pdf, name="manifest_pdf"),
    *item_urlpatterns,
]
