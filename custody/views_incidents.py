"""Incidents and overdue packages in the browser.

* ``incident_list`` — the incidents the user may see (their scope, what they reported, what their unit
  found on arrival), filtered by status, reason and answerable post office;
* ``incident_new`` — report an incident on a package the user can see (lost, damaged, seal broken,
  misrouted): ``custody.services.report_incident``; the citizen is told;
* ``incident_detail`` — one incident with its history and, for post-office managers and administrators,
  the next steps: investigate, resolve (with the resolution), compensate (the amount the rules propose,
  editable with a note): ``custody.services.advance_incident``;
* ``overdue`` — packages past their leg's time limit per post office (the user's own; provincial and
  national roles choose among theirs), with their age in working time.

An incident outside the user's scope answers 404; a page the role has no use for answers 403."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.scopes import visible
from audit.models import AuditEvent
from custody import services
from custody.api_scans import incident_queryset, may_see_overdue, overdue_for, overdue_offices, overdue_rows
from custody.models import Incident, IncidentReason
from network.models import PostOffice

LIST_LIMIT = 200


def _link(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page of another part of the custody app not installed
        return ""


def _apply_errors(form: forms.Form, exc: ValidationError, fields: dict | None = None) -> None:
    """A service's errors onto the form's fields (unknown keys: the form's own errors)."""
    fields = fields or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages_ in exc.message_dict.items():
        name = fields.get(key, key)
        form.add_error(name if name in form.fields else None, messages_)


def _office_choices(user) -> list[tuple[str, str]]:
    return [(str(o.pk), f"{o.code} — {o.name}") for o in overdue_offices(user)]


# --- Incidents ---------------------------------------------------------------------------------------------


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Trạng thái"), required=False)
    reason = forms.ChoiceField(label=gettext_lazy("Loại sự cố"), required=False)
    post_office = forms.ChoiceField(label=gettext_lazy("Bưu cục chịu trách nhiệm"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("Tất cả"))]
        self.fields["status"].choices = every + [("active", _("Chưa xong"))] + list(Incident.Status.choices)
        self.fields["reason"].choices = every + list(IncidentReason.choices)
        offices = PostOffice.objects.filter(
            pk__in=incident_queryset(user).exclude(post_office=None).values("post_office")).order_by("code")
        self.fields["post_office"].choices = every + [(str(o.pk), f"{o.code} — {o.name}") for o in offices]


@login_required
def incident_list(request):
    user = request.user
    form = IncidentFilterForm(request.GET or None, user=user)
    incidents = incident_queryset(user)
    if form.is_valid():
        data = form.cleaned_data
        if data["status"] == "active":
            incidents = incidents.filter(status__in=[Incident.Status.OPEN, Incident.Status.INVESTIGATING])
        elif data["status"]:
            incidents = incidents.filter(status=data["status"])
        if data["reason"]:
            incidents = incidents.filter(reason=data["reason"])
        if data["post_office"]:
            incidents = incidents.filter(post_office_id=data["post_office"])
    incidents = list(incidents.order_by("-reported_at", "-pk")[:LIST_LIMIT])
    return render(request, "custody/incident_list.html", {
        "form": form, "incidents": incidents, "limit": LIST_LIMIT,
        "can_report": services.may_report_incident(user)})


class ReportForm(forms.Form):
    item_id = forms.CharField(label=gettext_lazy("Số hiệu bưu gửi"), max_length=40, widget=forms.TextInput(attrs={
        "autofocus": True, "autocomplete": "off", "spellcheck": "false", "placeholder": "EH100000005VN"}))
    reason = forms.ChoiceField(label=gettext_lazy("Loại sự cố"),
                               choices=[(r.value, r.label) for r in services.STAFF_INCIDENT_REASONS])
    description = forms.CharField(label=gettext_lazy("Mô tả"), max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request):
    user = request.user
    if not services.may_report_incident(user):
        raise PermissionDenied(_("Bạn không ghi nhận được sự cố. / You may not report incidents."))
    form = ReportForm(request.POST or None, initial={"item_id": request.GET.get("item_id", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.find_item(data["item_id"], user)
            incident = services.report_incident(item, data["reason"], user, description=data["description"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Đã ghi nhận sự cố %(code)s; công dân đã được báo.") % {"code": incident.code})
            if incident_queryset(user).filter(pk=incident.pk).exists():
                return redirect("custody:incident_detail", code=incident.code)
            return redirect("custody:incident_list")
    return render(request, "custody/incident_new.html", {"form": form})


class AdvanceForm(forms.Form):
    ACTIONS = {"investigate": Incident.Status.INVESTIGATING, "resolve": Incident.Status.RESOLVED,
               "compensate": Incident.Status.COMPENSATED}

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    resolution = forms.CharField(label=gettext_lazy("Kết quả xử lý"), max_length=1000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.IntegerField(label=gettext_lazy("Số tiền bồi thường (đồng)"), min_value=0, max_value=10**12,
                                required=False)
    amount_note = forms.CharField(label=gettext_lazy("Lý do điều chỉnh số tiền"), max_length=300, required=False)

    def __init__(self, *args, proposed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposed = proposed

    def clean(self):
        data = super().clean()
        if data.get("action") == "compensate":
            amount = data.get("amount")
            if amount is None:
                self.add_error("amount", _("Nhập số tiền bồi thường. / Enter the amount."))
            elif self.proposed is not None and amount != self.proposed and not (data.get("amount_note") or "").strip():
                self.add_error("amount_note", _("Số tiền khác mức theo quy định: ghi lý do. / The amount differs "
                                                "from the rules' amount: give the reason."))
        return data


def _proposed(incident):
    try:
        return services.compensation_for(incident)
    except ValidationError:
        return None


@login_required
def incident_detail(request, code):
    incident = get_object_or_404(incident_queryset(request.user), code=code)
    return _detail(request, incident)


def _detail(request, incident, form=None, status=200):
    user = request.user
    proposed = _proposed(incident)
    next_statuses = Incident.TRANSITIONS.get(incident.status, set())
    # advance_incident asks for the incident in the user's own scope (not only one they found or reported)
    may_handle = services.may_handle_incident(user) and visible(user, Incident.objects.filter(pk=incident.pk)).exists()
    form = form or AdvanceForm(initial={"amount": proposed}, proposed=proposed)
    context = {
        "incident": incident, "form": form, "proposed": proposed, "may_handle": may_handle and bool(next_statuses),
        "can_investigate": Incident.Status.INVESTIGATING in next_statuses,
        "can_resolve": Incident.Status.RESOLVED in next_statuses,
        "can_compensate": Incident.Status.COMPENSATED in next_statuses,
        "item_url": _link("custody:item", incident.item.item_id),
        "manifest_url": _link("custody:manifest_detail", incident.manifest.code) if incident.manifest else "",
        "history": AuditEvent.objects.for_object(incident)[:50],
        "posted": form.data.get("action") if form.is_bound else "",
    }
    return render(request, "custody/incident_detail.html", context, status=status)


@login_required
@require_POST
def incident_advance(request, code):
    incident = get_object_or_404(incident_queryset(request.user), code=code)
    form = AdvanceForm(request.POST, proposed=_proposed(incident))
    if form.is_valid():
        data = form.cleaned_data
        to = AdvanceForm.ACTIONS[data["action"]]
        resolution = (data["resolution"] or "").strip()
        amount = None
        if to == Incident.Status.COMPENSATED:
            amount = data["amount"]
            note = (data["amount_note"] or "").strip()
            if note:
                resolution = f"{resolution} — {_('Số tiền')}: {note}"
        try:
            services.advance_incident(incident, to, request.user, resolution=resolution, amount=amount)
        except ValidationError as exc:
            _apply_errors(form, exc, {"status": "action", "compensation_amount": "amount"})
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Đã cập nhật sự cố %(code)s.") % {"code": incident.code})
            return redirect("custody:incident_detail", code=incident.code)
    incident.refresh_from_db()
    return _detail(request, incident, form, status=400)


# --- Overdue packages --------------------------------------------------------------------------------------


@login_required
def overdue(request):
    user = request.user
    if not may_see_overdue(user):
        raise PermissionDenied(_("Trang này dành cho bưu cục và cấp tỉnh. / This page is for post offices and "
                                 "provincial staff."))
    offices = overdue_offices(user)
    choices = _office_choices(user)
    chosen = request.GET.get("post_office") or ""
    office = None
    if chosen:
        office = get_object_or_404(offices, pk=chosen) if chosen.isdigit() else None
        if office is None:
            return render(request, "custody/overdue.html", {"choices": choices, "chosen": chosen, "rows": [],
                                                             "bad_choice": True}, status=400)
    elif len(choices) == 1:
        office = offices.first()
    now = timezone.now()
    selected = [office.pk] if office else offices
    rows = overdue_rows(overdue_for(selected, now)[:LIST_LIMIT], now)
    for row in rows:
        row["item_url"] = _link("custody:item", row["item_id"])
    return render(request, "custody/overdue.html", {
        "choices": choices, "chosen": str(office.pk) if office else "", "office": office, "rows": rows,
        "limit": LIST_LIMIT, "now": now, "single": len(choices) == 1})


urlpatterns = [
    path("su-co/", incident_list, name="incident_list"),
    path("su-co/ghi-nhan/", incident_new, name="incident_new"),
    path("su-co/<str:code>/", incident_detail, name="incident_detail"),
    path("su-co/<str:code>/xu-ly/", incident_advance, name="incident_advance"),
    path("qua-han/", overdue, name="overdue"),
]
