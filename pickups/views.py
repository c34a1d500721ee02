"""Staff pages: register a pickup for a caller (call centre, counter), the dispatcher's screen (assign,
cancel), the postman's run (start, fail, collect at the door) and a pickup's page.

Pickups outside the user's scope answer 404; a page the role has no use for answers 403."""

import datetime
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.scopes import can_act, visible
from audit.models import AuditEvent
from catalog.views_public import format_dong
from dossiers.services import ChecklistEntry, IntakeData, may_override_checklist, quote, version_for
from geo.models import Commune
from pickups import services
from pickups.common import apply_errors, request_data
from pickups.forms import AssignForm, CollectForm, PickupForm, ReasonForm
from pickups.models import OPEN_STATUSES, PickupRequest, Status, normalise_code
from pickups.views_public import form_context

RELATED = ("procedure", "version", "commune", "province", "post_office", "assigned_postman", "dossier")


def _pickups(user):
    return visible(user, PickupRequest.objects.select_related(*RELATED))


def _get(request, code) -> PickupRequest:
    return get_object_or_404(_pickups(request.user), code=normalise_code(code))


def _require(user, action):
    if not can_act(user, action):
        raise PermissionDenied(_("Bạn không có quyền dùng trang này. / You may not use this page."))


def print_links(dossier) -> list[tuple[str, str]]:
    """Links to the dossier's slip and label PDFs, when the dossiers app provides them."""
    if dossier is None:
        return []
    links = []
    for name, label in (("dossiers:slip", _("Phiếu hồ sơ (PDF)")), ("dossiers:label", _("Nhãn bưu gửi (PDF)"))):
        for args in ((dossier.tracking_code,), (dossier.pk,)):
            try:
                links.append((label, reverse(name, args=args)))
                break
            except NoReverseMatch:
                continue
    return links


@login_required
def pickup_list(request):
    """The pickups the user may see, newest date first; filter by status."""
    pickups = _pickups(request.user)
    status = request.GET.get("status") or ""
    if status in Status.values:
        pickups = pickups.filter(status=status)
    elif status == "open":
        pickups = pickups.filter(status__in=OPEN_STATUSES)
    query = normalise_code(request.GET.get("q"))
    if query:
        pickups = pickups.filter(Q(code__startswith=query) | Q(phone__contains=query))
    pickups = pickups.order_by("-preferred_date", "-window_start", "-created_at")[:200]
    return render(request, "pickups/list.html", {
        "pickups": pickups, "status": status, "statuses": Status.choices, "q": request.GET.get("q", ""),
        "can_request": can_act(request.user, "request_pickup"),
        "can_dispatch": can_act(request.user, "assign_pickup"), "can_run": can_act(request.user, "collect_pickup")})


@login_required
def new_pickup(request):
    """A call-centre agent or a clerk registers a pickup for a caller (no SMS code)."""
    _require(request.user, "request_pickup")
    province = request.user.province
    form = PickupForm(request.POST or None, province=province)
    commune = None
    if request.method == "POST" and form.is_valid():
        data, commune = request_data(form, province)
        try:
            pickup = services.request_pickup(data, request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Đã đăng ký yêu cầu thu gom %(code)s. Đọc mã này cho người gọi.")
                             % {"code": pickup.display_code})
            return redirect("pickups:detail", code=pickup.code) if can_act(request.user, "view", pickup) \
                else redirect("pickups:new")
    context = form_context(form, commune, province)
    context["province"] = province
    return render(request, "pickups/new.html", context)


@login_required
def detail(request, code):
    pickup = _get(request, code)
    user = request.user
    postmen = services.postmen_of(pickup.post_office) if can_act(user, "assign_pickup", pickup) else []
    runner = can_act(user, "collect_pickup", pickup) and (
        user.pk == pickup.assigned_postman_id or can_act(user, "assign_pickup", pickup))
    return render(request, "pickups/detail.html", {
        "pickup": pickup, "events": AuditEvent.objects.for_object(pickup)[:50], "postmen": postmen,
        "can_assign": bool(postmen) and pickup.status in (Status.REGISTERED, Status.ASSIGNED),
        "can_cancel": pickup.status in (Status.REGISTERED, Status.ASSIGNED) and (
            can_act(user, "assign_pickup", pickup) or can_act(user, "request_pickup", pickup)),
        "runner": runner, "print_links": print_links(pickup.dossier)})


@login_required
def dispatch(request):
    """The post-office manager's screen: open requests of their post office — late, today, upcoming."""
    _require(request.user, "assign_pickup")
    today = timezone.localdate()
    pickups = _pickups(request.user).filter(status__in=OPEN_STATUSES)
    if request.user.post_office_id:
        pickups = pickups.filter(post_office_id=request.user.post_office_id)
    pickups = list(pickups.order_by("preferred_date", "window_start", "created_at"))
    postmen = {}
    for pickup in pickups:
        if pickup.post_office_id not in postmen:
            postmen[pickup.post_office_id] = services.postmen_of(pickup.post_office)
        pickup.postmen = postmen[pickup.post_office_id]
    sections = [
        (_("Quá ngày hẹn"), "late", [p for p in pickups if p.preferred_date < today]),
        (_("Hôm nay"), "today", [p for p in pickups if p.preferred_date == today]),
        (_("Sắp tới"), "upcoming", [p for p in pickups if p.preferred_date > today]),
    ]
    return render(request, "pickups/dispatch.html", {"sections": sections, "today": today,
                                                     "post_office": request.user.post_office})


def _back(request, pickup, default="pickups:detail"):
    target = request.POST.get("next") or ""
    if target in ("dispatch", "my_run"):
        return redirect(f"pickups:{target}")
    return redirect(default, code=pickup.code)


def _act(request, pickup, fn):
    try:
        fn()
    except PermissionDenied:
        raise
    except ValidationError as exc:
        for messages_ in exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]:
            for message in messages_:
                messages.error(request, message)
        return False
    return True


@login_required
@require_POST
def assign(request, code):
    pickup = _get(request, code)
    form = AssignForm(request.POST)
    postman = None
    if form.is_valid():
        postman = User.objects.filter(pk=form.cleaned_data["postman"]).first()
    if _act(request, pickup, lambda: services.assign_pickup(pickup, postman, request.user)):
        messages.success(request, _("Đã phân công %(code)s cho %(name)s.")
                         % {"code": pickup.display_code, "name": postman.get_full_name() or postman.username})
    return _back(request, pickup)


@login_required
@require_POST
def cancel(request, code):
    pickup = _get(request, code)
    if _act(request, pickup, lambda: services.cancel_pickup(pickup, request.user, request.POST.get("reason", ""))):
        messages.success(request, _("Đã hủy yêu cầu %(code)s.") % {"code": pickup.display_code})
    return _back(request, pickup)


@login_required
def my_run(request):
    """The postman's run: assigned and started pickups, then today's finished ones."""
    _require(request.user, "collect_pickup")
    today = timezone.localdate()
    mine = _pickups(request.user).filter(assigned_postman=request.user)
    active = mine.filter(status__in=(Status.ASSIGNED, Status.COLLECTING)).order_by(
        "preferred_date", "window_start", "created_at")
    since = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    finished = mine.filter(status__in=(Status.COLLECTED, Status.FAILED, Status.CANCELLED),
                           closed_at__gte=since).order_by("-closed_at")
    finished = list(finished)
    for pickup in finished:
        pickup.links = print_links(pickup.dossier)
    return render(request, "pickups/my_run.html", {"active": active, "finished": finished, "today": today,
                                                   "fail_form": ReasonForm()})


@login_required
@require_POST
def start(request, code):
    pickup = _get(request, code)
    if _act(request, pickup, lambda: services.start_pickup(pickup, request.user)):
        return redirect("pickups:collect", code=pickup.code)
    return _back(request, pickup)


@login_required
@require_POST
def fail(request, code):
    pickup = _get(request, code)
    if _act(request, pickup, lambda: services.fail_pickup(pickup, request.user, request.POST.get("reason", ""))):
        messages.success(request, _("Đã ghi nhận không thu gom được %(code)s.") % {"code": pickup.display_code})
    return _back(request, pickup, "pickups:detail")


SEALS = re.compile(r"[\s,;]+")


def intake_from_form(form, pickup) -> IntakeData:
    data = form.cleaned_data
    checklist = [ChecklistEntry(doc.pk, data.get(f"count_{doc.pk}") or 0, data.get(f"kind_{doc.pk}") or "")
                 for doc in form.documents]
    code = (data.get("return_commune") or "").strip()
    if not code and data.get("commune_q"):
        matches = form_communes(form)
        code = matches[0].code if len(matches) == 1 else ""
    return_commune = Commune.objects.select_related("province").filter(code=code).first() if code else None
    return IntakeData(
        service_choice=data["service_choice"], procedure_code=pickup.procedure.code,
        applicant_kind=data["applicant_kind"], applicant_name=data["applicant_name"],
        applicant_id_number=data["applicant_id_number"], applicant_phone=data["applicant_phone"],
        applicant_email=data.get("applicant_email", ""), applicant_street=pickup.street,
        applicant_commune=pickup.commune, return_street=data.get("return_street", ""),
        return_commune=return_commune,
        checklist=checklist, seal_numbers=[s for s in SEALS.split(data.get("seal_numbers", "")) if s],
        weight_grams=data.get("weight_grams"), payment_method=data.get("payment_method", ""),
        payment_reference=data.get("payment_reference", ""), override_reason=data.get("override_reason", ""),
        note=data.get("note", ""))


def form_communes(form):
    from geo.services import search_communes

    query = (form.data.get("commune_q") or "").strip()
    return list(search_communes(query, limit=8)) if query else []


COLLECT_ALIASES = {"procedure_code": None, "checklist": None, "__all__": None}


@login_required
def collect(request, code):
    """At the door: the checklist, the seal, the payment — the pickup becomes the intake."""
    pickup = _get(request, code)
    services._check_runner(request.user, pickup)
    if pickup.status == Status.COLLECTED:
        return redirect("pickups:detail", code=pickup.code)
    version = version_for(pickup.procedure.code, pickup.province)
    documents = list(version.documents.all()) if version else []
    defaults = services.intake_defaults(pickup)
    initial = {**defaults, "return_commune": pickup.commune.code, "payment_method": "cash"}
    form = CollectForm(request.POST or None, initial=initial, documents=documents,
                       may_override=may_override_checklist(request.user))
    if request.method == "POST" and form.is_valid():
        data = intake_from_form(form, pickup)
        try:
            dossier = services.collect_pickup(pickup, data, request.user)
        except ValidationError as exc:
            if PickupRequest.objects.filter(pk=pickup.pk, status=Status.COLLECTED).exists():
                return redirect("pickups:detail", code=pickup.code)  # the form sent twice: the first one won
            apply_errors(form, exc, COLLECT_ALIASES)
        else:
            messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.display_tracking_code})
            return redirect("pickups:detail", code=pickup.code)
    estimate = None
    if version is not None:
        try:
            q = quote(version, pickup.service_choice, pickup.post_office, pickup.commune)
        except ValidationError:
            q = None
        if q is not None:
            estimate = {"total_text": format_dong(q.total), "postage_text": format_dong(q.postage),
                        "fees_text": format_dong(q.fees)}
    chosen = (form.data.get("return_commune") if form.is_bound else pickup.commune.code) or ""
    communes = form_communes(form) if form.is_bound else []
    chosen_commune = Commune.objects.filter(code=chosen).select_related("province").first() if chosen else None
    if chosen_commune and chosen_commune not in communes:
        communes = [chosen_commune, *communes]
    return render(request, "pickups/collect.html", {
        "pickup": pickup, "form": form, "version": version, "estimate": estimate, "communes": communes,
        "chosen_commune": chosen})


urlpatterns = [
    path("", pickup_list, name="list"),
    path("dat-ho/", new_pickup, name="new"),
    path("dieu-phoi/", dispatch, name="dispatch"),
    path("cua-toi/", my_run, name="my_run"),
    path("<str:code>/", detail, name="detail"),
    path("<str:code>/phan-cong/", assign, name="assign"),
    path("<str:code>/huy/", cancel, name="cancel"),
    path("<str:code>/bat-dau/", start, name="start"),
    path("<str:code>/khong-thu-gom-duoc/", fail, name="fail"),
    path("<str:code>/thu-gom/", collect, name="collect"),
]
