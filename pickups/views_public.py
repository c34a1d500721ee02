"""The public pages (no account): request a pickup, confirm the phone with the code sent by SMS, see the
request's code. Also the two htmx pickers (communes, procedures) that the staff form uses too."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo.models import Commune, Province
from pickups import verification
from pickups.common import apply_errors, client_ip, request_data, with_service
from pickups.forms import SEARCH_LIMIT, PickupForm
from pickups.models import PickupRequest

FORM_ALIASES = {"__all__": None}


def form_context(form, commune=None, province=None):
    """What the request form shows besides its fields: the commune and procedure choices."""
    if commune is None:
        code = form.chosen_commune() if form.is_bound else ""
        commune = Commune.objects.select_related("province").filter(code=code).first() if code else None
    communes = with_service(form.commune_matches()) if form.is_bound else []
    if commune is not None and commune not in communes:
        communes = with_service([commune, *communes])
    procedure_province = commune.province if commune else province
    procedures = form.procedure_matches(procedure_province) if form.is_bound else []
    chosen_procedure = form.chosen_procedure(procedure_province) if form.is_bound else ""
    return {"form": form, "communes": communes, "chosen_commune": commune.code if commune else "",
            "procedures": procedures, "chosen_procedure": chosen_procedure, "procedure_province": procedure_province,
            "today": timezone.localdate()}


def request_pickup(request):
    form = PickupForm(request.POST or None)
    commune = None
    if request.method == "POST" and form.is_valid():
        data, commune = request_data(form)
        try:
            row = verification.start_verification(data, ip=client_ip(request))
        except ValidationError as exc:
            apply_errors(form, exc, FORM_ALIASES)
        else:
            return redirect("pickup_public:verify", flow=row.flow)
    return render(request, "pickups/public/request.html", form_context(form, commune))


def verify(request, flow):
    row = verification.latest(flow)
    if row is None:
        raise Http404
    if row.verified_at and row.pickup_id:
        return redirect("pickup_public:done", code=row.pickup.code)
    errors = []
    if request.method == "POST":
        try:
            if "resend" in request.POST:
                verification.resend_code(flow, ip=client_ip(request))
                messages.success(request, _("Đã gửi mã mới đến số điện thoại của bạn."))
                return redirect("pickup_public:verify", flow=flow)
            pickup = verification.confirm_code(flow, request.POST.get("code", ""))
            return redirect("pickup_public:done", code=pickup.code)
        except ValidationError as exc:
            errors = [m for messages_ in exc.message_dict.values() for m in messages_]
            row = verification.latest(flow)
    now = timezone.now()
    return render(request, "pickups/public/verify.html", {
        "row": row, "errors": errors, "phone_tail": row.phone[-3:], "expired": now >= row.expires_at,
        "attempts_left": max(0, verification.MAX_ATTEMPTS - row.attempts),
        "minutes": int(verification.CODE_TTL.total_seconds() // 60)})


def done(request, code):
    pickup = get_object_or_404(PickupRequest.objects.select_related("procedure", "version", "commune", "province",
                                                                    "post_office"), code=code)
    return render(request, "pickups/public/done.html", {"pickup": pickup})


@require_GET
def commune_choices(request):
    """htmx: the communes the search box finds, as radio choices named ``field`` (default ``commune``)."""
    query = (request.GET.get("commune_q") or "").strip()
    province = request.GET.get("province") or None
    field = request.GET.get("field") if request.GET.get("field") in ("commune", "return_commune") else "commune"
    communes = []
    if query:
        from geo.services import search_communes

        communes = with_service(list(search_communes(query, province=province, limit=SEARCH_LIMIT)))
    return render(request, "pickups/_commune_choices.html",
                  {"communes": communes, "query": query, "field": field, "show_service": field == "commune"})


@require_GET
def procedure_choices(request):
    """htmx: procedures of the chosen commune's province that may be sent by post, as radio choices."""
    code = (request.GET.get("commune") or "").strip()
    commune = Commune.objects.select_related("province").filter(code=code).first() if code else None
    province = commune.province if commune else Province.objects.filter(code=request.GET.get("province") or "").first()
    form = PickupForm(request.GET)
    procedures = form.procedure_matches(province)
    return render(request, "pickups/_procedure_choices.html", {
        "procedures": procedures, "procedure_province": province, "query": (request.GET.get("procedure_q") or "").strip(),
        "chosen_procedure": (request.GET.get("procedure_code") or "").strip()})


urlpatterns = [
    path("", request_pickup, name="request"),
    path("xac-nhan/<str:flow>/", verify, name="verify"),
    path("da-dat/<str:code>/", done, name="done"),
    path("xa-phuong/", commune_choices, name="communes"),
    path("thu-tuc/", procedure_choices, name="procedures"),
]
