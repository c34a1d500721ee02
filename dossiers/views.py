"""Clerk screens: take a dossier in at the counter (one page; htmx fills the procedure panel, the charges,
the commune and old-address answers and the item-id check), a dossier's page, and the post office's list.

Every change goes through ``dossiers.services`` (``take_in``, ``cancel``); these views only read and
render. What a user may see is ``accounts.scopes.visible``: a dossier outside it answers 404."""

from __future__ import annotations

import datetime
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scopes import can_act, visible
from audit.models import AuditEvent
from catalog.search import search_versions
from dossiers.forms import CancelForm, DossierFilterForm, IntakeForm
from dossiers.models import ChecklistLine, Dossier, ServiceChoice, Status
from dossiers.services import (
    by_post_refusal,
    cancel,
    destination_desk,
    may_override_checklist,
    missing_documents,
    quote,
    take_in,
    validate_intake,
    version_for,
)
from geo.services import resolve_address, search_communes
from network.models import PostOffice
from postal import s10
from postal.models import Item, Receipt, Zone

SEARCH_LIMIT = 10
PAGE_SIZE = 50


def _forbidden(request, message=""):
    return render(request, "dossiers/forbidden.html", {"message": message}, status=403)


def clerk_only(view):
    """Staff who take dossiers in (``can_act(user, "take_in")``) at their own post office; anonymous users
    go to the login page, others get a 403 page saying why."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not can_act(user, "take_in"):
            return _forbidden(request, _("Vai trò của bạn không tiếp nhận hồ sơ. / "
                                         "Your role does not take in dossiers."))
        post_office = (PostOffice.objects.select_related("province", "commune").filter(pk=user.post_office_id)
                       .first() if user.post_office_id else None)
        if post_office is None:
            return _forbidden(request, _("Tiếp nhận hồ sơ cần tài khoản gắn với một bưu cục. / "
                                         "Taking in dossiers needs an account bound to a post office."))
        request.post_office = post_office
        return view(request, *args, **kwargs)

    return wrapped


# --- Intake -------------------------------------------------------------------------------------------


def _version(request, source) -> object | None:
    code = (source.get("procedure_code") or "").strip()
    return version_for(code, request.post_office.province) if code else None


def _missing_context(request, form, version) -> dict:
    missing = missing_documents(version, form.checklist_entries()) if version and form.sends else []
    refusal = by_post_refusal(version, form.choice()) if version and form.choice() else None
    return {"form": form, "missing": missing if not refusal else [],
            "may_override": may_override_checklist(request.user)}


def _panel_context(request, form, version, the_quote=None) -> dict:
    context = {"form": form, "version": version, "procedure_code": form.raw("procedure_code").strip()}
    if version is not None:
        context.update(_missing_context(request, form, version))
        context.update(
            desk=the_quote.desk if the_quote else destination_desk(version, request.post_office),
            refusal=by_post_refusal(version, form.choice()) if form.choice() else None,
            rows=form.checklist_rows(),
        )
    return context


def _quote_context(request, form, version) -> dict:
    context = {"version": version, "form": form}
    choice = form.choice()
    if version is None or not choice or by_post_refusal(version, choice):
        return context
    commune = form.commune() if form.returns else None
    try:
        the_quote = quote(version, choice, request.post_office, commune, form.weight())
    except ValidationError as exc:
        context["quote_errors"] = exc.messages
        return context
    charges = []
    for charge in the_quote.charges:
        zone = charge["zone"]
        charges.append({**charge, "zone_label": Zone(zone).label if zone in Zone.values else "",
                        "free": charge["free_programme"] is not None,
                        "provisional": charge["kind"] == "postage_return" and commune is None})
    context.update(quote=the_quote, charges=charges,
                   provisional=any(c["provisional"] for c in charges))
    return context


def _intake_context(request, form, version) -> dict:
    context = {"form": form, "post_office": request.post_office, "choices": ServiceChoice.choices,
               "summary": form.error_summary() if form.is_bound else [],
               "procedure_label": f"{version.procedure.code} — {version.name}" if version else "",
               "commune": form.commune(), "choice": form.choice()}
    quote_context = _quote_context(request, form, version)
    context.update(_panel_context(request, form, version, quote_context.get("quote")))
    context.update(quote_context)
    context["blocked"] = bool(context.get("refusal")) or bool(context.get("missing") and not context.get("may_override"))
    return context


@clerk_only
@require_http_methods(["GET", "POST"])
def intake(request):
    """The intake page. POST: ``take_in`` with the form's ``submission_key`` (the same form sent twice
    creates one dossier), then redirect to the dossier; any error re-renders the page with every message
    next to its field and nothing saved."""
    if request.method == "POST":
        version = _version(request, request.POST)
        form = IntakeForm(request.POST, version=version)
        form_ok = form.is_valid()
        data = form.intake_data()
        key = (form.cleaned_data.get("submission_key") or "").strip() or None
        try:
            if form_ok:
                dossier = take_in(data, request.user, post_office=request.post_office, submission_key=key)
                if getattr(dossier, "replayed", False):
                    messages.info(request, _("Biểu mẫu này đã được gửi: hồ sơ đã tiếp nhận trước đó. / "
                                             "This form was already sent: the dossier was taken in before."))
                else:
                    messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s. / Dossier %(code)s taken in.")
                                     % {"code": dossier.display_tracking_code})
                return redirect("dossiers:detail", tracking_code=dossier.tracking_code)
            validate_intake(data, request.user, request.post_office)  # every other error, at once
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            return _forbidden(request, " ".join(str(a) for a in exc.args))
    else:
        version = _version(request, request.GET)
        form = IntakeForm(initial={
            "submission_key": uuid.uuid4().hex, "service_choice": ServiceChoice.BOTH, "applicant_kind": "person",
            "payment_method": "cash", "procedure_code": version.procedure.code if version else ""},
            version=version)
    return render(request, "dossiers/intake.html", _intake_context(request, form, version))


@clerk_only
@require_GET
def procedure_search(request):
    """Published versions of the post office's province matching a code or name (the listbox)."""
    query = (request.GET.get("procedure_q") or request.GET.get("q") or "").strip()[:100]
    versions = list(search_versions(query, province=request.post_office.province)[:SEARCH_LIMIT]) if query else []
    return render(request, "dossiers/_procedure_options.html", {"versions": versions, "query": query})


@clerk_only
@require_GET
def procedure_panel(request):
    """The chosen procedure: agency, desk, legal time, refusal, checklist to count (and the charges,
    swapped out of band)."""
    version = _version(request, request.GET)
    form = IntakeForm(request.GET, version=version)
    quote_context = _quote_context(request, form, version)
    context = _panel_context(request, form, version, quote_context.get("quote"))
    context.update(quote_context)
    context["oob"] = True
    return render(request, "dossiers/_procedure_panel.html", context)


@clerk_only
@require_GET
def checklist_missing(request):
    """The "still missing" box for the counts typed so far."""
    version = _version(request, request.GET)
    form = IntakeForm(request.GET, version=version)
    return render(request, "dossiers/_missing.html", _missing_context(request, form, version))


@clerk_only
@require_GET
def quote_summary(request):
    version = _version(request, request.GET)
    form = IntakeForm(request.GET, version=version)
    return render(request, "dossiers/_quote.html", _quote_context(request, form, version))


@clerk_only
@require_GET
def commune_search(request):
    query = (request.GET.get("commune_q") or request.GET.get("q") or "").strip()[:100]
    communes = list(search_communes(query, limit=SEARCH_LIMIT)) if query else []
    return render(request, "dossiers/_commune_options.html", {"communes": communes, "query": query})


@clerk_only
@require_GET
def address_resolve(request):
    """An old (three-level) address read by the resolver: the candidates, for the clerk to confirm one."""
    text = (request.GET.get("return_address_input") or request.GET.get("address") or "").strip()[:500]
    result = resolve_address(text) if text else None
    english = (get_language() or "vi").startswith("en")
    message = ""
    if result:
        message = result.resolution.message_en if english else result.resolution.message_vi
    return render(request, "dossiers/_address_result.html", {"result": result, "message": message, "text": text})


@clerk_only
@require_GET
def item_id_check(request):
    """A typed or scanned S10 id: its check digit and whether it is already used."""
    text = (request.GET.get("item_id") or "").strip()[:30]
    context = {"text": text}
    if text:
        try:
            value = s10.validate(text, "item_id")
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            context["value"] = value
            if Item.objects.filter(item_id=value).exists():
                context["error"] = (f"Số hiệu {value} đã được dùng. / Item id {value} is already used.")
    return render(request, "dossiers/_item_id_check.html", context)


# --- One dossier --------------------------------------------------------------------------------------


def _dossier_queryset(user):
    return visible(user, Dossier.objects.select_related(
        "procedure", "version", "agency", "desk", "post_office", "province", "received_by", "checklist_override_by",
        "return_commune__province", "applicant_commune__province",
    ).prefetch_related(
        Prefetch("checklist", queryset=ChecklistLine.objects.order_by("position")),
        "charges__free_programme",
        Prefetch("items", queryset=Item.objects.select_related(
            "custodian_post_office", "custodian_user", "custodian_desk", "custodian_agency").order_by("created_at")),
        Prefetch("receipts", queryset=Receipt.objects.select_related("post_office").order_by("year", "number")),
    ))


def _get_dossier(request, tracking_code: str) -> Dossier:
    code = (tracking_code or "").replace("-", "").replace(" ", "").upper()
    return get_object_or_404(_dossier_queryset(request.user), tracking_code=code)


def _events(user, dossier):
    types = ContentType.objects.get_for_models(Dossier, Item, Receipt)
    condition = Q(content_type=types[Dossier], object_id=str(dossier.pk))
    item_ids = [str(item.pk) for item in dossier.items.all()]
    receipt_ids = [str(receipt.pk) for receipt in dossier.receipts.all()]
    if item_ids:
        condition |= Q(content_type=types[Item], object_id__in=item_ids)
    if receipt_ids:
        condition |= Q(content_type=types[Receipt], object_id__in=receipt_ids)
    return list(visible(user, AuditEvent.objects.filter(condition).select_related("actor")).order_by("time", "id"))


def _url(name, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the PDF views are installed by their own change
        return ""


def _detail_context(request, dossier, cancel_form=None) -> dict:
    receipts = [{"receipt": r, "url": _url("dossiers:receipt", dossier.tracking_code, r.pk)}
                for r in dossier.receipts.all()]
    may_cancel = dossier.status == Status.RECEIVED and can_act(request.user, "cancel_dossier", dossier)
    return {
        "dossier": dossier, "lines": list(dossier.checklist.all()), "charges": list(dossier.charges.all()),
        "items": list(dossier.items.all()), "receipts": receipts, "events": _events(request.user, dossier),
        "slip_url": _url("dossiers:slip", dossier.tracking_code),
        "label_url": _url("dossiers:label", dossier.tracking_code) if dossier.outbound_item else "",
        "may_cancel": may_cancel, "cancel_form": cancel_form or CancelForm(),
        "may_take_in": can_act(request.user, "take_in"),
    }


@login_required
@require_GET
def detail(request, tracking_code):
    dossier = _get_dossier(request, tracking_code)
    return render(request, "dossiers/detail.html", _detail_context(request, dossier))


@login_required
@require_POST
def cancel_dossier(request, tracking_code):
    dossier = _get_dossier(request, tracking_code)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            cancel(dossier, request.user, form.cleaned_data["reason"])
        except PermissionDenied as exc:
            return _forbidden(request, " ".join(str(a) for a in exc.args))
        except ValidationError as exc:
            for name, errors in (exc.message_dict.items() if hasattr(exc, "error_dict")
                                 else [("reason", exc.messages)]):
                form.add_error("reason" if name not in form.fields else name, list(errors))
        else:
            messages.success(request, _("Đã hủy hồ sơ %(code)s. / Dossier %(code)s cancelled.")
                             % {"code": dossier.display_tracking_code})
            return redirect("dossiers:detail", tracking_code=dossier.tracking_code)
    return render(request, "dossiers/detail.html", _detail_context(request, dossier, form))


# --- The list -----------------------------------------------------------------------------------------


def _search(queryset, text: str):
    text = text.strip()
    if not text:
        return queryset
    compact = text.replace("-", "").replace(" ", "").upper()
    condition = Q(applicant_name__icontains=text) | Q(external_code__iexact=text)
    if compact.isalnum():
        condition |= Q(tracking_code=compact)
        condition |= Exists(Item.objects.filter(dossier=OuterRef("pk"), item_id=s10.normalise(text)))
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) >= 9 and not any(ch.isalpha() for ch in text):
        phone = "0" + digits[2:] if digits.startswith("84") and len(digits) == 11 else digits
        condition |= Q(applicant_phone=phone) | Q(applicant_id_number=digits)
    return queryset.filter(condition)


@login_required
@require_GET
def dossier_list(request):
    form = DossierFilterForm(request.GET)
    values = form.values()
    dossiers = visible(request.user, Dossier.objects.select_related("procedure", "post_office").prefetch_related(
        Prefetch("items", queryset=Item.objects.only("id", "item_id", "kind", "dossier_id"))))
    if "status" in values:
        dossiers = dossiers.filter(status=values["status"])
    if "service_choice" in values:
        dossiers = dossiers.filter(service_choice=values["service_choice"])
    tz = timezone.get_current_timezone()
    if "date_from" in values:
        dossiers = dossiers.filter(received_at__gte=datetime.datetime.combine(values["date_from"], datetime.time.min,
                                                                              tzinfo=tz))
    if "date_to" in values:
        end = values["date_to"] + datetime.timedelta(days=1)
        dossiers = dossiers.filter(received_at__lt=datetime.datetime.combine(end, datetime.time.min, tzinfo=tz))
    dossiers = _search(dossiers, values.get("q", "")).order_by("-received_at", "-id")
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dossiers/list.html", {
        "form": form, "page": page, "dossiers": page.object_list, "filtered": bool(values),
        "may_take_in": can_act(request.user, "take_in")})


urlpatterns = [
    path("", dossier_list, name="list"),
    path("tiep-nhan/", intake, name="intake"),
    path("tiep-nhan/thu-tuc/", procedure_search, name="procedure_search"),
    path("tiep-nhan/thu-tuc/chon/", procedure_panel, name="procedure_panel"),
    path("tiep-nhan/con-thieu/", checklist_missing, name="checklist_missing"),
    path("tiep-nhan/cuoc/", quote_summary, name="quote"),
    path("tiep-nhan/xa-phuong/", commune_search, name="commune_search"),
    path("tiep-nhan/dia-chi-cu/", address_resolve, name="address_resolve"),
    path("tiep-nhan/so-hieu/", item_id_check, name="item_id_check"),
    path("<str:tracking_code>/", detail, name="detail"),
    path("<str:tracking_code>/huy/", cancel_dossier, name="cancel"),
]
