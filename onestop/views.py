"""The one-stop desk in the browser (Decree 118/2025): the desk's work queue with a scan box, one dossier's
reception check and every step of its life, the deadlines per agency, and a processor's own dossiers.

* ``desk`` — what waits at the user's desk: packages arrived for a decision (and dossiers whose supplement
  came), dossiers waiting for a supplement, accepted dossiers to assign, results to hand to the post or to
  return at the desk; a box to jump to a dossier by its package's S10 id, its tracking code or its code.
* ``dossier`` — the checklist as counted at the post office with a tick per document for the officer's own
  check, then the steps the status allows and the user may do (``onestop.services.check_may``): accept,
  request a supplement (form 02), the supplement received, refuse (form 03), assign / hand off (form 06),
  financial obligation, extension (form 04), stop (form 05), withdrawal, the result, the result handed to the
  post or returned at the desk; scans (``attach``), served through a view that checks the scope; the audit.
* ``deadlines`` — per deciding agency, the dossiers at risk and overdue, most urgent first.
* ``inbox`` — the dossiers whose open step is assigned to the user.

Every action is a POST that calls ONE service; a refusal (``ValidationError`` / ``PermissionDenied``) is shown
next to its form with the bilingual message and nothing changes (400 / 403); success redirects with a message.
A dossier outside the user's scope answers 404; roles that have no business at a desk get a 403 page."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AGENCY_ROLES, Role
from accounts.scopes import can_act, visible
from audit.models import AuditEvent
from catalog.models import DocumentKind
from dossiers.models import TRANSITIONS, ChecklistLine, Dossier, ServiceChoice, Status
from onestop import services
from onestop.forms import (
    ACTION_FORMS,
    ScanBoxForm,
    SupplementForm,
    SupplementIntakeForm,
    TrackingCodeForm,
    add_service_errors,
    check_upload,
)
from onestop.models import Attachment, Notice, ProcessingStep, SupplementRequest
from postal import s10
from postal.models import Custodian, Item, ItemStatus

S = Status
AT_DESK = (ItemStatus.AT_ONE_STOP_DESK, ItemStatus.RECEIVED_BY_AGENCY)
RUNNING = (S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.FINANCIAL_OBLIGATION)
READER_ROLES = {Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN, Role.AUDITOR}
LIST_LIMIT = 200

DEADLINE_LABELS = {
    "on_time": gettext_lazy("Trong hạn"), "at_risk": gettext_lazy("Sắp đến hạn"), "overdue": gettext_lazy("Quá hạn"),
    "done_on_time": gettext_lazy("Đúng hạn"), "done_late": gettext_lazy("Trễ hạn"),
    "paused": gettext_lazy("Tạm dừng tính thời gian"),
}


# --- Who may come ---------------------------------------------------------------------------------------


def _forbidden(request, message=""):
    return render(request, "dossiers/forbidden.html", {"message": message}, status=403)


def _desk_role(user) -> bool:
    return user.role in AGENCY_ROLES and bool(user.agency_id)


def _reader(user) -> bool:
    return user.is_national or user.role in READER_ROLES


NOT_DESK = ("Trang này dành cho cán bộ Bộ phận Một cửa, chuyên viên xử lý và nhân viên bưu điện tại Bộ phận "
            "Một cửa. / This page is for one-stop desk staff and agency processors.")


def desk_staff(readers: bool = False):
    """Agency staff (one-stop officer, processor, seconded postal staff); with ``readers`` also the provincial
    and national administrators and auditors, who only read. Anyone else gets a 403 page saying why."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (_desk_role(user) or (readers and _reader(user))):
                return _forbidden(request, NOT_DESK)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _url(name, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _first_url(name, *candidates) -> str:
    """The URL of ``name`` with the first argument list it accepts (the PDF views come in their own change)."""
    for args in candidates:
        url = _url(name, *args)
        if url:
            return url
    return ""


# --- Deadlines as people read them -----------------------------------------------------------------------


def working_span(delta: datetime.timedelta | None) -> str:
    """Working time as days (of the calendar's working day), hours and minutes: "2 ngày 3 giờ 15 phút"."""
    from workdays.calendar import get_calendar

    if delta is None:
        return ""
    us = abs(delta // datetime.timedelta(microseconds=1))
    days, rest = divmod(us, get_calendar().day_us)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes = rest // 60_000_000
    parts = []
    if days:
        parts.append(_("%(n)d ngày") % {"n": days})
    if hours:
        parts.append(_("%(n)d giờ") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)d phút") % {"n": minutes})
    return " ".join(parts) or _("dưới 1 phút")


@dataclass
class Deadline:
    state: str
    label: str
    remaining: datetime.timedelta | None
    text: str


def deadline_of(dossier: Dossier, now=None) -> Deadline:
    """The badge and the remaining working time; a clock stopped by a pause (supplement, financial obligation)
    is shown as such, its due date moves when the pause ends."""
    now = now or timezone.now()
    paused = dossier.decided_at is None and dossier.status in RUNNING and any(
        p.ended_at is None for p in dossier.pauses.all())
    state = "paused" if paused and dossier.due_at else services.deadline_state(dossier, now)
    left = services.remaining(dossier, now) if dossier.due_at and not dossier.decided_at else None
    text = ""
    if left is not None and state not in ("none", "paused"):
        span = working_span(left)
        text = (_("còn %(t)s làm việc") if left.total_seconds() >= 0 else _("quá %(t)s làm việc")) % {"t": span}
    elif state == "paused":
        text = _("đồng hồ đang dừng")
    return Deadline(state, str(DEADLINE_LABELS.get(state, "")), left, text)


def _with_deadline(dossiers, now=None) -> list[dict]:
    now = now or timezone.now()
    return [{"dossier": d, "deadline": deadline_of(d, now)} for d in dossiers]


# --- Queries ----------------------------------------------------------------------------------------------


def _list_queryset(user):
    return visible(user, Dossier.objects.select_related("procedure", "version", "agency", "desk").prefetch_related(
        "pauses", Prefetch("items", queryset=Item.objects.order_by("created_at"))))


def _page_queryset(user):
    return visible(user, Dossier.objects.select_related(
        "procedure", "version", "agency", "desk", "post_office", "province", "accepted_by", "received_by",
        "return_commune__province",
    ).prefetch_related(
        Prefetch("checklist", queryset=ChecklistLine.objects.order_by("position")),
        Prefetch("items", queryset=Item.objects.select_related(
            "custodian_post_office", "custodian_user", "custodian_desk", "custodian_agency",
            "custodian_manifest").order_by("created_at")),
        "pauses",
    ))


def normalise_code(text: str) -> str:
    return (text or "").replace("-", "").replace(" ", "").upper()


def get_dossier(request, tracking_code: str) -> Dossier:
    """The dossier within the user's scope (else 404), for a user who works at a desk or reads (else 403)."""
    dossier = get_object_or_404(_page_queryset(request.user), tracking_code=normalise_code(tracking_code))
    user = request.user
    if not (_desk_role(user) or _reader(user)):
        raise PermissionDenied(NOT_DESK)
    return dossier


def find_dossiers(user, text: str) -> list[Dossier]:
    """Dossiers in scope whose package (any: dossier, supplement, result) has this S10 id, or with this
    tracking code or dossier code."""
    text = (text or "").strip()
    if not text:
        return []
    compact = normalise_code(text)
    condition = Q(code__iexact=text)
    if compact.isalnum():
        condition |= Q(tracking_code=compact)
        condition |= Exists(Item.objects.filter(dossier=OuterRef("pk"), item_id=s10.normalise(text)))
    return list(visible(user, Dossier.objects.all()).filter(condition).order_by("-received_at")[:2])


# --- The desk's queue --------------------------------------------------------------------------------------


def _open_request(status=SupplementRequest.Status.OPEN):
    return SupplementRequest.objects.filter(dossier=OuterRef("pk"), status=status)


def desk_queue(user) -> dict:
    """The sections of the desk's queue for the user's agency (the desk's agency)."""
    base = _list_queryset(user)
    if not user.is_national:
        base = base.filter(desk__agency_id=user.agency_id)
    package_here = Exists(Item.objects.filter(dossier=OuterRef("pk"), kind=Item.Kind.DOSSIER, status__in=AT_DESK))
    supplement_here = Exists(SupplementRequest.objects.filter(
        dossier=OuterRef("pk"), status=SupplementRequest.Status.OPEN, item__status__in=AT_DESK))
    open_request = Exists(_open_request())
    result_item = Exists(Item.objects.filter(dossier=OuterRef("pk"), kind=Item.Kind.RESULT).exclude(
        status=ItemStatus.CANCELLED))

    to_decide = base.annotate(package_here=package_here, request_open=open_request,
                              supplement_here=supplement_here).filter(
        Q(status=S.RECEIVED, package_here=True)
        | Q(status=S.SUPPLEMENT_REQUESTED, accepted_at__isnull=True, request_open=False)
        | Q(status=S.SUPPLEMENT_REQUESTED, supplement_here=True))
    to_decide = list(to_decide.order_by("received_at", "pk")[:LIST_LIMIT])
    decided_ids = {d.pk for d in to_decide}
    coming = list(base.annotate(package_here=package_here).filter(status=S.RECEIVED, package_here=False)
                  .order_by("expected_arrival", "received_at")[:LIST_LIMIT])
    waiting = list(base.annotate(request_open=open_request).filter(status=S.SUPPLEMENT_REQUESTED, request_open=True)
                   .exclude(pk__in=decided_ids).prefetch_related(Prefetch(
                       "supplement_requests", queryset=SupplementRequest.objects.filter(
                           status=SupplementRequest.Status.OPEN).select_related("item")))
                   .order_by("updated_at")[:LIST_LIMIT])
    to_assign = list(base.filter(status=S.ACCEPTED).order_by("due_at", "pk")[:LIST_LIMIT])
    processed = base.filter(status=S.PROCESSED).annotate(has_result_item=result_item)
    to_post = list(processed.filter(service_choice__in=[ServiceChoice.RECEIVE, ServiceChoice.BOTH],
                                    has_result_item=False)
                   .order_by("decided_at", "pk")[:LIST_LIMIT])
    at_desk = list(processed.filter(service_choice=ServiceChoice.SEND).order_by("decided_at", "pk")[:LIST_LIMIT])
    results_here = Item.objects.filter(kind=Item.Kind.RESULT, status=ItemStatus.RESULT_READY,
                                       custodian_kind=Custodian.DESK).select_related("dossier", "custodian_desk")
    if not user.is_national:
        results_here = results_here.filter(custodian_desk__agency_id=user.agency_id)
    now = timezone.now()
    for dossier in to_decide:
        dossier.package = next((i for i in dossier.items.all() if i.kind == Item.Kind.DOSSIER), None)
    return {
        "to_decide": to_decide, "coming": coming, "waiting": _with_deadline(waiting, now),
        "to_assign": _with_deadline(to_assign, now), "to_post": _with_deadline(to_post, now),
        "at_desk": _with_deadline(at_desk, now), "results_count": len(to_post) + len(at_desk),
        "results_here": list(results_here.order_by("created_at")[:LIST_LIMIT]),
    }


@desk_staff()
@require_GET
def desk(request):
    """The desk's work queue; ``?q=`` (the scan box) opens the dossier it names."""
    form = ScanBoxForm(request.GET if "q" in request.GET else None)
    if form.is_bound and form.is_valid():
        found = find_dossiers(request.user, form.cleaned_data["q"])
        if len(found) == 1:
            return redirect("onestop:dossier", tracking_code=found[0].tracking_code)
        text = form.cleaned_data["q"].strip()
        form.add_error("q", (f"Không tìm thấy hồ sơ “{text}” trong phạm vi của bạn. / "
                             f"No dossier “{text}” within your scope.") if not found else
                       (f"Có nhiều hồ sơ ứng với “{text}”; nhập mã đầy đủ. / "
                        f"Several dossiers match “{text}”; enter the full code."))
    context = {"form": form, "manifests_url": _url("custody:manifest_list"),
               "register_url": _url("onestop:register"), **desk_queue(request.user)}
    return render(request, "onestop/desk.html", context)


# --- Deadlines and the inbox ------------------------------------------------------------------------------


@desk_staff(readers=True)
@require_GET
def deadlines(request):
    """Per deciding agency: dossiers at risk (less than ONESTOP_AT_RISK_PERCENT of their time left) and
    overdue, most urgent first; the counts on top (the clock of a paused dossier stands still)."""
    from django.conf import settings

    now = timezone.now()
    running = list(_list_queryset(request.user).filter(
        status__in=RUNNING, due_at__isnull=False, decided_at__isnull=True).order_by("due_at"))
    agencies: dict[int, dict] = {}
    totals = {"running": 0, "on_time": 0, "at_risk": 0, "overdue": 0, "paused": 0}
    for dossier in running:
        row = {"dossier": dossier, "deadline": deadline_of(dossier, now)}
        group = agencies.setdefault(dossier.agency_id, {
            "agency": dossier.agency, "rows": [], "running": 0, "on_time": 0, "at_risk": 0, "overdue": 0,
            "paused": 0})
        state = row["deadline"].state
        for bucket in (group, totals):
            bucket["running"] += 1
            if state in bucket:
                bucket[state] += 1
        if state in ("at_risk", "overdue"):
            group["rows"].append(row)
    groups = sorted(agencies.values(), key=lambda g: (-g["overdue"], -g["at_risk"], g["agency"].name))
    for group in groups:
        group["rows"].sort(key=lambda r: r["deadline"].remaining or datetime.timedelta(0))
    return render(request, "onestop/deadlines.html", {
        "groups": groups, "totals": totals, "percent": settings.ONESTOP_AT_RISK_PERCENT, "now": now})


@desk_staff()
@require_GET
def inbox(request):
    """The dossiers whose open step (form 06) is assigned to the user, most urgent first."""
    user = request.user
    open_steps = ProcessingStep.objects.filter(to_user=user, done_at__isnull=True)
    dossiers = list(_list_queryset(user).filter(Exists(open_steps.filter(dossier=OuterRef("pk"))))
                    .prefetch_related(Prefetch("steps", queryset=ProcessingStep.objects.filter(
                        to_user=user, done_at__isnull=True).select_related("from_user"), to_attr="my_steps"))
                    .order_by("due_at", "pk")[:LIST_LIMIT])
    now = timezone.now()
    rows = [{"dossier": d, "deadline": deadline_of(d, now), "step": d.my_steps[-1] if d.my_steps else None}
            for d in dossiers]
    rows.sort(key=lambda r: (r["deadline"].remaining is None, r["deadline"].remaining or datetime.timedelta(0)))
    return render(request, "onestop/inbox.html", {"rows": rows})


# --- One dossier --------------------------------------------------------------------------------------------


def _may(user, dossier, action: str, step: str) -> bool:
    try:
        services.check_may(user, action, dossier, step)
    except PermissionDenied:
        return False
    return True


def available_actions(user, dossier: Dossier, facts: dict) -> set[str]:
    """The steps the status allows (TRANSITIONS) and the user may do (check_may): only those are shown."""
    status = dossier.status
    allowed = TRANSITIONS.get(status, set())
    found = set()
    reception = "desk_reception" if status in (S.RECEIVED, S.SUPPLEMENT_REQUESTED) else "process"
    if (status == S.RECEIVED or (status == S.SUPPLEMENT_REQUESTED and not dossier.accepted_at
                                 and not facts["open_request"])) and _may(user, dossier, "desk_reception", "accept"):
        found.add("accept")
    if S.SUPPLEMENT_REQUESTED in allowed and not facts["open_request"] and \
            _may(user, dossier, reception, "request_supplement"):
        found.add("supplement")
    if status == S.SUPPLEMENT_REQUESTED and facts["open_request"] and \
            _may(user, dossier, "desk_reception", "request_supplement"):
        found.add("receive_supplement")
    if S.REFUSED in allowed and _may(user, dossier, "desk_reception", "refuse"):
        found.add("refuse")
    may_process = _may(user, dossier, "process", "process")
    if status in (S.ACCEPTED, S.PROCESSING) and may_process:
        found.add("hand_off")
    if S.FINANCIAL_OBLIGATION in allowed and may_process:
        found.add("obligation")
    if status == S.FINANCIAL_OBLIGATION and may_process:
        found.add("obligation_met")
    if status in RUNNING and dossier.due_at and may_process:
        found.add("extend")
    if S.STOPPED in allowed and may_process:
        found.add("stop")
    if S.WITHDRAWN in allowed and _may(user, dossier, "desk_reception", "accept"):
        found.add("withdraw")
    if S.PROCESSED in allowed and _may(user, dossier, "record_result", "process"):
        found.add("result")
    if status == S.PROCESSED and not facts["result_item"] and _may(user, dossier, "hand_result", "hand_result"):
        if dossier.returns_result:
            found.add("hand_result")
        found.add("return_at_desk")
    if status != S.CANCELLED and _may(user, dossier, "digitise", "digitise"):
        found.add("attach")
    return found


def _events(dossier: Dossier) -> list[AuditEvent]:
    """The audit trail of the dossier and its packages (the dossier itself is in the user's scope)."""
    types = ContentType.objects.get_for_models(Dossier, Item)
    condition = Q(content_type=types[Dossier], object_id=str(dossier.pk))
    item_ids = [str(item.pk) for item in dossier.items.all()]
    if item_ids:
        condition |= Q(content_type=types[Item], object_id__in=item_ids)
    return list(AuditEvent.objects.filter(condition).select_related("actor").order_by("time", "id"))


def _initial_lines(lines) -> list[dict]:
    """Documents counted short at the post office (accepted there with the manager's override)."""
    rows = []
    for line in lines:
        if line.mandatory and line.brought_count < line.required_count:
            rows.append({"name": line.name, "kind": line.required_kind,
                         "count": str(line.required_count - line.brought_count),
                         "reason": "Chưa nộp" if not line.brought_count else "Nộp thiếu so với quy định"})
    return rows


def _form_links(dossier, requests, extensions, notices) -> list[dict]:
    """Every printable form that exists for this dossier, when the PDF views are installed."""
    tc = dossier.tracking_code
    links = []

    def add(name, label, *candidates):
        url = _first_url(name, *candidates)
        if url:
            links.append({"name": name, "label": label, "url": url})

    add("dossiers:slip", _("Phiếu hồ sơ (bưu cục)"), (tc,))
    if dossier.code:
        add("onestop:form_01", _("Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả"), (tc,))
    for request in requests:
        add("onestop:form_02", _("Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (lần %(n)d)") % {
            "n": request.number}, (tc, request.pk))
    for notice in notices:
        if notice.kind == Notice.Kind.REFUSAL:
            add("onestop:form_03", _("Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ"), (tc, notice.pk))
    for extension in extensions:
        add("onestop:form_04", _("Mẫu 04 — Văn bản xin lỗi và đề nghị gia hạn (%(d)s)") % {
            "d": timezone.localtime(extension.new_due_at).strftime("%d/%m/%Y")}, (tc, extension.pk))
    for notice in notices:
        if notice.kind == Notice.Kind.STOP:
            add("onestop:form_05", _("Mẫu 05 — Thông báo dừng giải quyết hồ sơ"), (tc, notice.pk))
    if dossier.accepted_at:
        add("onestop:form_06", _("Mẫu 06 — Phiếu kiểm soát quá trình giải quyết hồ sơ"), (tc,))
    seen, unique = set(), []
    for link in links:  # a view taking the dossier only prints its latest form: list it once
        if link["url"] not in seen:
            seen.add(link["url"])
            unique.append(link)
    return unique


@dataclass(frozen=True)
class Panel:
    action: str
    group: str  # reception | processing | result
    title: str
    button: str
    accesskey: str = ""
    help: str = ""
    danger: bool = False


L = gettext_lazy
PANELS = [
    Panel("accept", "reception", L("Tiếp nhận hồ sơ (mẫu 01)"), L("Tiếp nhận, cấp mã hồ sơ"), "a",
          L("Hồ sơ đầy đủ, hợp lệ: cấp mã hồ sơ và ngày hẹn trả theo thời hạn giải quyết.")),
    Panel("receive_supplement", "reception", L("Đã nhận hồ sơ bổ sung"), L("Xác nhận đã nhận hồ sơ bổ sung"), "n",
          L("Công dân đã bổ sung theo phiếu yêu cầu (qua bưu chính hoặc trực tiếp).")),
    Panel("supplement", "reception", L("Yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02)"),
          L("Lập phiếu yêu cầu bổ sung"), "b",
          L("Liệt kê từng giấy tờ cần bổ sung với loại bản, số lượng và lý do. Thời gian giải quyết chưa tính "
            "(hoặc tạm dừng nếu đã tiếp nhận).")),
    Panel("refuse", "reception", L("Từ chối tiếp nhận (mẫu 03)"), L("Từ chối tiếp nhận"), "",
          L("Hồ sơ không đủ điều kiện: túi hồ sơ được chuyển trả công dân qua bưu chính."), True),
    Panel("hand_off", "processing", L("Phân công / chuyển xử lý (mẫu 06)"), L("Chuyển hồ sơ"), "g",
          L("Mỗi lần chuyển là một dòng của phiếu kiểm soát quá trình giải quyết.")),
    Panel("result", "processing", L("Ghi nhận kết quả giải quyết"), L("Ghi nhận kết quả"), "k"),
    Panel("obligation", "processing", L("Yêu cầu thực hiện nghĩa vụ tài chính"), L("Thông báo nghĩa vụ tài chính"),
          "", L("Thời gian giải quyết tạm dừng đến khi công dân thực hiện xong.")),
    Panel("obligation_met", "processing", L("Nghĩa vụ tài chính đã thực hiện"), L("Xác nhận đã thực hiện"), ""),
    Panel("extend", "processing", L("Gia hạn — văn bản xin lỗi (mẫu 04)"), L("Gia hạn"), "",
          L("Chỉ ban hành trước ngày hẹn trả kết quả.")),
    Panel("stop", "processing", L("Dừng giải quyết (mẫu 05)"), L("Dừng giải quyết"), "", "", True),
    Panel("withdraw", "processing", L("Công dân rút hồ sơ"), L("Ghi nhận rút hồ sơ"), "",
          L("Theo văn bản đề nghị của công dân."), True),
    Panel("hand_result", "result", L("Chuyển kết quả cho bưu chính"), L("Đóng túi kết quả và chuyển"), "c",
          L("Túi kết quả được cấp số hiệu bưu gửi, do Bộ phận Một cửa giữ đến khi lên bảng kê chuyển bưu cục.")),
    Panel("return_at_desk", "result", L("Trả kết quả tại Bộ phận Một cửa"), L("Đã trả kết quả cho công dân"), "t"),
]
# The likely next step by status: its first field (or its button) gets the focus.
PRIMARY = {S.RECEIVED: ("accept",), S.SUPPLEMENT_REQUESTED: ("receive_supplement", "accept"),
           S.ACCEPTED: ("hand_off",), S.PROCESSING: ("result",), S.FINANCIAL_OBLIGATION: ("obligation_met",),
           S.PROCESSED: ("hand_result", "return_at_desk")}
GROUPS = [("reception", L("Tiếp nhận")), ("processing", L("Giải quyết")), ("result", L("Trả kết quả"))]


def page_context(request, dossier: Dossier, bound: dict | None = None) -> dict:
    user = request.user
    bound = bound or {}
    lines = list(dossier.checklist.all())
    items = list(dossier.items.all())
    requests = list(dossier.supplement_requests.select_related("requested_by", "answered_by", "item")
                    .order_by("number"))
    open_request = next((r for r in requests if r.status == SupplementRequest.Status.OPEN), None)
    kind_labels = dict(DocumentKind.choices)
    for r in requests:
        r.display_lines = [{**line, "kind_label": kind_labels.get(line.get("kind"), line.get("kind"))}
                           for line in r.lines]
    package = next((i for i in items if i.kind == Item.Kind.DOSSIER), None)
    result_item = next((i for i in items if i.kind == Item.Kind.RESULT and i.status != ItemStatus.CANCELLED), None)
    facts = {"open_request": open_request, "result_item": result_item}
    actions = available_actions(user, dossier, facts)
    actions |= set(bound)  # a refused form stays on the page with its message
    notices = list(dossier.notices.select_related("issued_by").order_by("issued_at"))
    extensions = list(dossier.extensions.select_related("issued_by").order_by("issued_at"))
    steps = list(dossier.steps.select_related("from_user", "to_user").order_by("position"))
    attachments = [{"attachment": a, "url": reverse("onestop:attachment", args=[dossier.tracking_code, a.pk])}
                   for a in dossier.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")]
    forms = {}
    for name in actions:
        cls = ACTION_FORMS[name]
        if name in bound:
            forms[name] = bound[name]
        elif cls is SupplementForm:
            forms[name] = cls(dossier=dossier, user=user, initial_lines=_initial_lines(lines))
        else:
            forms[name] = cls(dossier=dossier, user=user)
    primary = "" if bound else next((name for name in PRIMARY.get(dossier.status, ()) if name in forms), "")
    if primary:
        first = next(iter(forms[primary].visible_fields()), None)
        if first is not None:
            first.field.widget.attrs["autofocus"] = True
    now = timezone.now()
    return {
        "dossier": dossier, "lines": lines, "items": items, "package": package, "primary": primary,
        "package_here": package is not None and package.status in AT_DESK, "result_item": result_item,
        "requests": requests, "open_request": open_request, "notices": notices, "extensions": extensions,
        "pauses": list(dossier.pauses.all()), "steps": steps, "attachments": attachments,
        "deadline": deadline_of(dossier, now), "allowed": services.allowed_time(dossier),
        "allowed_text": working_span(services.allowed_time(dossier)), "past_due": bool(dossier.due_at and now >= dossier.due_at),
        "groups": [{"key": key, "title": title, "panels": [
            {"panel": p, "form": forms[p.action],
             "url": reverse(f"onestop:{p.action}", args=[dossier.tracking_code])}
            for p in PANELS if p.group == key and p.action in forms]} for key, title in GROUPS],
        "attach_form": forms.get("attach"), "bound": bool(bound),
        "attach_url": reverse("onestop:attach", args=[dossier.tracking_code]),
        "actions": actions, "events": _events(dossier),
        "form_links": _form_links(dossier, requests, extensions, notices),
        "manifests_url": _url("custody:manifest_list") if result_item and result_item.status == ItemStatus.RESULT_READY
        else "", "result_item_url": _url("custody:item", result_item.item_id) if result_item else "",
        "clerk_url": _url("dossiers:detail", dossier.tracking_code),
        "kinds": DocumentKind.choices,
        "desk_staff": _desk_role(user),
    }


@login_required
@require_GET
def dossier_page(request, tracking_code):
    try:
        dossier = get_dossier(request, tracking_code)
    except PermissionDenied as exc:
        return _forbidden(request, str(exc))
    return render(request, "onestop/dossier.html", page_context(request, dossier))


# --- The steps -------------------------------------------------------------------------------------------------


def _day(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _run_accept(request, dossier, data):
    d = services.accept(dossier, request.user)
    return (f"Đã tiếp nhận hồ sơ: mã {d.code}, hẹn trả kết quả {_day(d.due_at)}. / "
            f"Dossier accepted: code {d.code}, due {_day(d.due_at)}.")


def _run_supplement(request, dossier, data):
    r = services.request_supplement(dossier, request.user, data["lines"], data["reason"])
    return (f"Đã lập phiếu yêu cầu bổ sung lần {r.number} ({len(r.lines)} giấy tờ); công dân được thông báo. / "
            f"Request to supplement #{r.number} issued ({len(r.lines)} documents); the citizen is told.")


def _run_receive_supplement(request, dossier, data):
    d = services.receive_supplement(dossier, request.user)
    return ("Đã nhận hồ sơ bổ sung." + (f" Hẹn trả kết quả: {_day(d.due_at)}." if d.due_at else "") +
            " / The supplement was received." + (f" Due: {_day(d.due_at)}." if d.due_at else ""))


def _run_refuse(request, dossier, data):
    services.refuse(dossier, request.user, data["reason"])
    return ("Đã từ chối tiếp nhận; túi hồ sơ được chuyển trả công dân qua bưu chính. / "
            "Refused; the package goes back to the citizen by post.")


def _run_hand_off(request, dossier, data):
    step = services.hand_off(dossier, request.user, to_user=data.get("to_user"), to_label=data.get("to_label") or "",
                             task=data.get("task") or "", days=data.get("days"), note=data.get("note") or "")
    who = step.to_user.get_full_name() or step.to_user.username if step.to_user else step.to_label
    return f"Đã chuyển hồ sơ cho {who} (bước {step.position}). / Handed to {who} (step {step.position})."


def _run_obligation(request, dossier, data):
    services.require_financial_obligation(dossier, request.user, data["amount"], data["reason"])
    return ("Đã thông báo nghĩa vụ tài chính; thời gian giải quyết tạm dừng. / "
            "Financial obligation notified; the clock is paused.")


def _run_obligation_met(request, dossier, data):
    d = services.financial_obligation_met(dossier, request.user)
    return (f"Công dân đã thực hiện nghĩa vụ tài chính; hẹn trả {_day(d.due_at)}. / "
            f"The obligation is met; due {_day(d.due_at)}.")


def _run_extend(request, dossier, data):
    e = services.extend(dossier, request.user, data["new_due"], data["reason"])
    return (f"Đã gia hạn đến {_day(e.new_due_at)} (mẫu 04). / Extended to {_day(e.new_due_at)} (form 04).")


def _run_stop(request, dossier, data):
    services.stop(dossier, request.user, data["reason"])
    return "Đã dừng giải quyết hồ sơ (mẫu 05). / Processing stopped (form 05)."


def _run_withdraw(request, dossier, data):
    services.withdraw(dossier, request.user, data["reason"])
    return "Đã ghi nhận công dân rút hồ sơ. / The withdrawal is recorded."


def _run_result(request, dossier, data):
    d = services.record_result(dossier, request.user, data["reference"], fees_due=data.get("fees_due") or 0)
    if data.get("file"):
        services.attach(d, request.user, data["file"], kind=Attachment.Kind.RESULT,
                        document_name=f"Kết quả {d.result_reference}")
    late = d.due_at is not None and d.decided_at > d.due_at
    return (f"Đã ghi nhận kết quả {d.result_reference} ({'trễ hạn' if late else 'đúng hạn'}). / "
            f"Result {d.result_reference} recorded ({'late' if late else 'on time'}).")


def _run_hand_result(request, dossier, data):
    item = services.hand_result_to_post(dossier, request.user, seal_numbers=data["seal_numbers"])
    return (f"Đã đóng túi kết quả số hiệu {item.item_id}; đưa vào bảng kê chuyển bưu cục. / "
            f"Result package {item.item_id} sealed; put it on a manifest to the post office.")


def _run_return_at_desk(request, dossier, data):
    services.return_at_desk(dossier, request.user)
    return "Đã trả kết quả tại Bộ phận Một cửa. / The result was returned at the desk."


def _run_attach(request, dossier, data):
    a = services.attach(dossier, request.user, data["file"], document_name=data.get("document_name") or "")
    return (f"Đã lưu tệp {a.original_name} ({a.content_type}). / Stored {a.original_name} ({a.content_type}).")


RUNNERS: dict[str, Callable] = {
    "accept": _run_accept, "supplement": _run_supplement, "receive_supplement": _run_receive_supplement,
    "refuse": _run_refuse, "hand_off": _run_hand_off, "obligation": _run_obligation,
    "obligation_met": _run_obligation_met, "extend": _run_extend, "stop": _run_stop, "withdraw": _run_withdraw,
    "result": _run_result, "hand_result": _run_hand_result, "return_at_desk": _run_return_at_desk,
    "attach": _run_attach,
}


@login_required
@require_POST
def act(request, tracking_code, action):
    """One step: the form, then its service; a refusal re-renders the page with the message by the form."""
    try:
        dossier = get_dossier(request, tracking_code)
    except PermissionDenied as exc:
        return _forbidden(request, str(exc))
    form = ACTION_FORMS[action](request.POST, request.FILES, dossier=dossier, user=request.user)
    status = 400
    if form.is_valid():
        data = form.service_kwargs()
        try:
            check_upload(data.get("file"))
            with transaction.atomic():  # the result and its scan: both or neither
                message = RUNNERS[action](request, dossier, data)
        except PermissionDenied as exc:
            add_service_errors(form, exc)
            status = 403
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(reverse("onestop:dossier", args=[dossier.tracking_code]) + _anchor(action))
    dossier = get_dossier(request, tracking_code)  # as it is now (unchanged)
    return render(request, "onestop/dossier.html", page_context(request, dossier, {action: form}), status=status)


def _anchor(action: str) -> str:
    """Where the page opens after a step: at the top, where the next step's field has the focus (a fragment
    would cancel ``autofocus``), except after an upload or the result handed over, shown further down."""
    return {"attach": "#attachments", "hand_result": "#result"}.get(action, "")


@login_required
@require_GET
def attachment(request, tracking_code, pk):
    """A scan, only to someone who may see its dossier (never a bare MEDIA URL), as a download."""
    try:
        dossier = get_dossier(request, tracking_code)
    except PermissionDenied as exc:
        return _forbidden(request, str(exc))
    found = get_object_or_404(Attachment.objects.filter(dossier=dossier), pk=pk)
    ext = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(found.content_type, "")
    stem = PurePath(found.original_name or "tep").stem or "tep"
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=found.content_type, as_attachment=True,
                            filename=f"{dossier.tracking_code}-{stem}{ext}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The supplement at a post office's counter ---------------------------------------------------------------


def counter_staff(view):
    """Post-office staff who take dossiers in, at their post office (the clerk's side of a supplement)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (can_act(user, "take_in") and user.post_office_id):
            return _forbidden(request, "Chỉ nhân viên bưu cục tiếp nhận hồ sơ bổ sung. / "
                                       "Only post-office staff take a supplement in.")
        return view(request, *args, **kwargs)

    return wrapped


@counter_staff
@require_GET
def supplement_lookup(request):
    """The counter's box: the tracking code printed on the request to supplement (form 02)."""
    form = TrackingCodeForm(request.GET if "tracking_code" in request.GET else None)
    if form.is_bound and form.is_valid():
        code = normalise_code(form.cleaned_data["tracking_code"])
        if services.supplement_counter_dossiers(request.user).filter(tracking_code=code).exists():
            return redirect("onestop:supplement_intake", tracking_code=code)
        form.add_error("tracking_code", "Không tìm thấy hồ sơ trong tỉnh với mã tra cứu này. / "
                                        "No dossier of the province has this tracking code.")
    return render(request, "onestop/supplement_lookup.html", {"form": form})


def _supplement_context(request, dossier, form) -> dict:
    open_request = (dossier.supplement_requests.filter(status=SupplementRequest.Status.OPEN)
                    .select_related("item").order_by("-number").first())
    kind_labels = dict(DocumentKind.choices)
    lines = [{**line, "kind_label": kind_labels.get(line.get("kind"), line.get("kind"))}
             for line in (open_request.lines if open_request else [])]
    weight = form.cleaned_data.get("weight_grams") if form.is_bound and hasattr(form, "cleaned_data") else None
    quote, quote_error = None, ""
    try:
        quote = services.supplement_postage(dossier, request.user.post_office, weight)
    except ValidationError as exc:
        quote_error = " ".join(exc.messages)
    receipts = [{"receipt": r, "url": _url("dossiers:receipt", dossier.tracking_code, r.pk)}
                for r in dossier.receipts.filter(post_office_id=request.user.post_office_id).order_by("-issued_at")[:3]]
    return {"dossier": dossier, "form": form, "open_request": open_request, "lines": lines, "quote": quote,
            "quote_error": quote_error, "receipts": receipts,
            "may_take_in": dossier.status == S.SUPPLEMENT_REQUESTED and open_request is not None
            and not open_request.item_id,
            "clerk_url": _url("dossiers:detail", dossier.tracking_code)
            if visible(request.user, Dossier.objects.filter(pk=dossier.pk)).exists() else ""}


@counter_staff
def supplement_intake(request, tracking_code):
    """Take the supplement package in (``take_in_supplement``): its S10 id, seals, postage and receipt; it then
    travels on a manifest to the desk. Any post office of the dossier's province may do it."""
    dossier = get_object_or_404(
        services.supplement_counter_dossiers(request.user).select_related(
            "procedure", "version", "agency", "desk", "province"),
        tracking_code=normalise_code(tracking_code))
    status = 200
    if request.method == "POST":
        form = SupplementIntakeForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                item = services.take_in_supplement(dossier, request.user, **form.service_kwargs())
            except PermissionDenied as exc:
                add_service_errors(form, exc)
                status = 403
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                paid = f"{item.charge.amount:,}".replace(",", ".")
                messages.success(request, (
                    f"Đã tiếp nhận hồ sơ bổ sung, số hiệu {item.item_id}; cước {paid} ₫. / "
                    f"Supplement taken in: item {item.item_id}; postage {paid} ₫."))
                return redirect("onestop:supplement_intake", tracking_code=dossier.tracking_code)
    elif request.method == "GET":
        form = SupplementIntakeForm(initial={"payment_method": "cash"})
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "onestop/supplement_intake.html", _supplement_context(request, dossier, form),
                  status=status)


ACTION_PATHS = {
    "accept": "tiep-nhan", "supplement": "yeu-cau-bo-sung", "receive_supplement": "nhan-bo-sung",
    "refuse": "tu-choi", "hand_off": "chuyen-xu-ly", "obligation": "nghia-vu-tai-chinh",
    "obligation_met": "nghia-vu-tai-chinh/da-thuc-hien", "extend": "gia-han", "stop": "dung-giai-quyet",
    "withdraw": "rut-ho-so", "result": "ket-qua", "hand_result": "chuyen-ket-qua", "return_at_desk": "tra-tai-quay",
    "attach": "tep",
}

urlpatterns = [
    path("", desk, name="desk"),
    path("bo-sung-qua-buu-dien/", supplement_lookup, name="supplement_lookup"),
    path("han-giai-quyet/", deadlines, name="deadlines"),
    path("cua-toi/", inbox, name="inbox"),
    path("<str:tracking_code>/", dossier_page, name="dossier"),
    *[path(f"<str:tracking_code>/{slug}/", act, {"action": action}, name=action) for action, slug in
      ACTION_PATHS.items()],
    path("<str:tracking_code>/tep/<int:pk>/", attachment, name="attachment"),
    path("<str:tracking_code>/bo-sung-qua-buu-dien/", supplement_intake, name="supplement_intake"),
]
