"""PDF downloads of the one-stop forms 01–06 and the register (form 07) as PDF or .xlsx.

Printing reads only. A dossier is looked up through the user's scope (``accounts.scopes.visible``) by its
tracking code or its dossier code: outside the scope it answers 404, exactly like one that does not exist.
Forms 02–05 are found by their id among the dossier's own requests, notices and extensions. The register of
a desk is open to the staff of the desk's agency and to provincial roles (administrators, auditors) of its
province; anyone else gets 404."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import AGENCY_ROLES, Role
from accounts.scopes import can_act, visible
from dossiers.models import TRACKING_LENGTH, Dossier, Status
from network.models import OneStopDesk
from onestop import forms_pdf
from onestop import register as register_module

REGISTER_ROLES = AGENCY_ROLES | {Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN, Role.AUDITOR}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 200


def _dossier(request, ref: str) -> Dossier:
    """The dossier with this tracking code (dashes, spaces and case ignored) or dossier code, if the user may
    see it; else 404."""
    if not can_act(request.user, "view"):
        raise Http404
    ref = (ref or "").strip()
    compact = ref.replace("-", "").replace(" ", "").upper()
    if len(compact) == TRACKING_LENGTH and "." not in ref:
        queryset = Dossier.objects.filter(tracking_code=compact)
    elif 0 < len(ref) <= 60:
        queryset = Dossier.objects.filter(code=ref)
    else:
        raise Http404
    dossier = forms_pdf.forms_queryset(visible(request.user, queryset)).first()
    if dossier is None:
        raise Http404
    return dossier


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "ho-so"


def _download(content: bytes, filename: str, content_type: str = "application/pdf", inline: bool = True):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _one(objects, pk: int, **where):
    found = next((o for o in objects if o.pk == pk and all(getattr(o, k) == v for k, v in where.items())), None)
    if found is None:
        raise Http404
    return found


@require_GET
@login_required
def form_01(request, ref):
    dossier = _dossier(request, ref)
    if not dossier.code or not dossier.accepted_at:
        raise Http404
    return _download(forms_pdf.render_form_01(dossier), f"mau-01-{_safe(dossier.code)}.pdf")


@require_GET
@login_required
def form_02(request, ref, pk):
    dossier = _dossier(request, ref)
    supplement = _one(dossier.supplement_requests.all(), pk)
    supplement.dossier = dossier
    name = _safe(forms_pdf.document_ref(dossier))
    return _download(forms_pdf.render_form_02(supplement), f"mau-02-{name}-{supplement.number}.pdf")


@require_GET
@login_required
def form_03(request, ref, pk):
    dossier = _dossier(request, ref)
    notice = _one(dossier.notices.all(), pk, kind="refusal")
    notice.dossier = dossier
    return _download(forms_pdf.render_form_03(notice), f"mau-03-{_safe(forms_pdf.document_ref(dossier))}.pdf")


@require_GET
@login_required
def form_04(request, ref, pk):
    dossier = _dossier(request, ref)
    extension = _one(dossier.extensions.all(), pk)
    extension.dossier = dossier
    return _download(forms_pdf.render_form_04(extension),
                     f"mau-04-{_safe(forms_pdf.document_ref(dossier))}-{extension.pk}.pdf")


@require_GET
@login_required
def form_05(request, ref, pk):
    dossier = _dossier(request, ref)
    notice = _one(dossier.notices.all(), pk, kind="stop")
    notice.dossier = dossier
    return _download(forms_pdf.render_form_05(notice), f"mau-05-{_safe(forms_pdf.document_ref(dossier))}.pdf")


@require_GET
@login_required
def form_06(request, ref):
    dossier = _dossier(request, ref)
    if not dossier.accepted_at:
        raise Http404
    return _download(forms_pdf.render_form_06(dossier), f"mau-06-{_safe(forms_pdf.document_ref(dossier))}.pdf")


# --- The register (form 07) ---------------------------------------------------------------------------


def may_read_registers(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.role in REGISTER_ROLES))


def register_desks(user):
    """The desks whose register ``user`` may read."""
    if not may_read_registers(user):
        return OneStopDesk.objects.none()
    return visible(user, OneStopDesk.objects.all()).select_related("agency__parent", "province")


def register_desk(user, code: str) -> OneStopDesk:
    """The desk whose register ``user`` may read, else 404."""
    desk = register_desks(user).filter(code=code).first() if code else None
    if desk is None:
        raise Http404
    return desk


def _parse_date(raw: str, field: str) -> datetime.date:
    raw = (raw or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValidationError({field: f"Ngày không hợp lệ (yyyy-mm-dd hoặc dd/mm/yyyy): {raw[:20]} / "
                                  f"Invalid date (yyyy-mm-dd or dd/mm/yyyy): {raw[:20]}"})


def register_params(query) -> tuple[datetime.date, datetime.date, list[str], str]:
    """(from, to, statuses, format) from the query string; defaults: this month up to today, PDF."""
    today = timezone.localdate()
    date_from = _parse_date(query["from"], "from") if query.get("from") else today.replace(day=1)
    date_to = _parse_date(query["to"], "to") if query.get("to") else max(today, date_from)
    statuses = [s for value in query.getlist("status") for s in value.split(",") if s.strip()]
    fmt = (query.get("format") or "pdf").strip().lower()
    if fmt not in ("pdf", "xlsx"):
        raise ValidationError({"format": "Định dạng là pdf hoặc xlsx. / The format is pdf or xlsx."})
    register_module.check_period(date_from, date_to)
    return date_from, date_to, statuses, fmt


def _bad_request(error: ValidationError) -> HttpResponseBadRequest:
    lines = [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def _register_file(desk, rows, date_from, date_to, fmt) -> HttpResponse:
    name = f"so-theo-doi-{_safe(desk.code)}-{date_from:%Y%m%d}-{date_to:%Y%m%d}"
    if fmt == "xlsx":
        return _download(register_module.render_register_xlsx(desk, rows), f"{name}.xlsx", XLSX, inline=False)
    return _download(register_module.render_register(desk, rows), f"{name}.pdf")


@require_GET
@login_required
def register(request, desk_code):
    """The register of one desk as a file: ``?from=&to=&status=&format=pdf|xlsx`` (default: this month, PDF)."""
    desk = register_desk(request.user, desk_code)
    try:
        date_from, date_to, statuses, fmt = register_params(request.GET)
        rows = register_module.register_rows(desk, date_from, date_to, statuses, user=request.user)
    except ValidationError as error:
        return _bad_request(error)
    return _register_file(desk, rows, date_from, date_to, fmt)


class RegisterForm(forms.Form):
    desk = forms.ChoiceField(label=_("Bộ phận Một cửa"))
    date_from = forms.DateField(label=_("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}),
                                input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    date_to = forms.DateField(label=_("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}),
                              input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    status = forms.ChoiceField(label=_("Trạng thái"), required=False)

    def __init__(self, *args, desks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desk"].choices = [(d.code, f"{d.code} — {d.name}") for d in desks]
        self.fields["status"].choices = [("", _("Tất cả"))] + list(Status.choices)
        self.fields["desk"].widget.attrs["autofocus"] = True

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to"):
            try:
                register_module.check_period(data["date_from"], data["date_to"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error("date_to" if field == "to" else "date_from", messages)
        return data


@require_GET
@login_required
def register_index(request):
    """Form 07 in the browser: choose the desk, the period and the status; see the first rows and the
    totals; download the register as PDF or .xlsx (the buttons submit ``format``)."""
    desks = list(register_desks(request.user).order_by("code"))
    if not desks:
        raise Http404
    today = timezone.localdate()
    data = {"desk": desks[0].code, "date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat(),
            "status": ""}
    mapping = {"desk": "desk", "from": "date_from", "to": "date_to", "status": "status"}
    data.update({field: request.GET[key] for key, field in mapping.items() if key in request.GET})
    form = RegisterForm(data, desks=desks)
    context = {"form": form, "rows": [], "counts": None, "desk": None, "more": 0}
    if form.is_valid():
        desk = next(d for d in desks if d.code == form.cleaned_data["desk"])
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        status = form.cleaned_data["status"] or None
        rows = register_module.register_rows(desk, date_from, date_to, status, user=request.user)
        fmt = (request.GET.get("format") or "").strip().lower()
        if fmt in ("pdf", "xlsx"):
            return _register_file(desk, rows, date_from, date_to, fmt)
        context.update(rows=rows[:PREVIEW_ROWS], more=max(len(rows) - PREVIEW_ROWS, 0),
                       counts=register_module.summary(rows), desk=desk)
    return render(request, "onestop/forms_register.html", context, status=200 if form.is_valid() else 400)


urlpatterns = [
    path("ho-so/<str:ref>/mau-01.pdf", form_01, name="form_01"),
    path("ho-so/<str:ref>/mau-02/<int:pk>.pdf", form_02, name="form_02"),
    path("ho-so/<str:ref>/mau-03/<int:pk>.pdf", form_03, name="form_03"),
    path("ho-so/<str:ref>/mau-04/<int:pk>.pdf", form_04, name="form_04"),
    path("ho-so/<str:ref>/mau-05/<int:pk>.pdf", form_05, name="form_05"),
    path("ho-so/<str:ref>/mau-06.pdf", form_06, name="form_06"),
    path("so-theo-doi/", register_index, name="register"),
    path("so-theo-doi/<str:desk_code>/", register, name="register"),
]
