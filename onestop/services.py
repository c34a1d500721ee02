"""The one-stop desk's state changes (Decree 118/2025): accept with a code and an appointment, ask to
supplement, refuse, process with hand-offs, extend, stop, withdraw, financial obligation, record the result and
hand it to the post. Each function locks the dossier, checks the transition table (dossiers.models.TRANSITIONS)
and who may act, then writes everything with its audit event in one transaction. Two officers pressing
"accept" at once: one gets the code, the other a clear message."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role
from accounts.scopes import can_act, visible
from audit.services import record_event
from catalog.models import DocumentKind
from dossiers.models import TRANSITIONS, Dossier, ServiceChoice, Status
from network.models import OneStopDesk
from onestop.models import (
    Attachment,
    ClockPause,
    CodeCounter,
    Extension,
    Notice,
    ProcessingStep,
    SecondedPolicy,
    SupplementRequest,
)
from postal.models import Custodian, Item, ItemStatus

S = Status
MAX_SEQUENCE = 9999


def _b(vi: str, en: str) -> str:
    return f"{vi} / {en}"


# --- Who may act --------------------------------------------------------------------------------------

SECONDED_STEPS = {"accept": "may_accept", "request_supplement": "may_request_supplement", "refuse": "may_refuse",
                  "hand_result": "may_hand_result", "digitise": "may_digitise"}


def policy_for(province) -> SecondedPolicy:
    return SecondedPolicy.objects.filter(province=province).first() or SecondedPolicy(province=province)


def check_may(actor, action: str, dossier: Dossier, step: str) -> None:
    """``action``: the role's action (desk_reception, process, record_result, hand_result, digitise);
    ``step``: the workflow step, which a province may open to seconded postal staff at a Mode 2 desk."""
    if not can_act(actor, action, dossier):
        raise PermissionDenied(_b("Bạn không có quyền thực hiện bước này với hồ sơ này.",
                                  "You may not do this step on this dossier."))
    if actor.role == Role.SECONDED_STAFF:
        desk = dossier.desk
        allowed = SECONDED_STEPS.get(step)
        if desk is None or desk.mode != OneStopDesk.Mode.SECONDED or desk.agency_id != actor.agency_id or \
                not allowed or not getattr(policy_for(dossier.province), allowed):
            raise PermissionDenied(_b(
                "Tỉnh không giao bước này cho nhân viên bưu điện tại Bộ phận Một cửa.",
                "The province does not let seconded postal staff do this step."))


def _lock(dossier: Dossier, to: str) -> Dossier:
    locked = (Dossier.objects.select_for_update(of=("self",))
              .select_related("version", "agency", "desk", "province", "procedure").get(pk=dossier.pk))
    if to not in TRANSITIONS.get(locked.status, set()):
        raise ValidationError({"status": _b(
            f"Hồ sơ đang “{locked.get_status_display()}”, không thể chuyển sang “{Status(to).label}”"
            + (" (có thể người khác vừa xử lý hồ sơ này)." if locked.status != dossier.status else "."),
            f"The dossier is “{locked.status}”; it cannot become “{to}”"
            + (" (someone else may have just handled it)." if locked.status != dossier.status else "."))},
            code="transition")
    return locked


def _set_status(dossier: Dossier, to: str, actor, action: str, extra: dict | None = None, fields=()) -> None:
    before = dossier.status
    dossier.status = to
    dossier.save(update_fields=["status", "updated_at", *fields])
    record_event(action, dossier, actor, {"status": before}, {"status": to, "portal_status": dossier.portal_status,
                                                              **(extra or {})})


def _notify(dossier: Dossier, template: str, context: dict) -> None:
    from notifications.services import notify

    try:
        notify(template, dossier.applicant_phone, {
            "tracking_code": dossier.display_tracking_code, "procedure": dossier.version.name,
            "code": dossier.code or "", **context}, related=dossier)
    except ValidationError:
        pass  # an unusable phone number never stops the dossier


# --- Deadlines ---------------------------------------------------------------------------------------


def legal_due(dossier: Dossier, start=None) -> datetime.datetime:
    """The appointment: the procedure's legal time from acceptance on the working-day calendar (cut-off
    rule included), extended by the clock pauses."""
    from workdays.calendar import due

    version = dossier.version
    pauses = [(p.started_at, p.ended_at) for p in dossier.pauses.all()]
    deadline = due(start or dossier.accepted_at, version.processing_time, version.processing_unit, pauses)
    return deadline.due


def _shift_for_pause(dossier: Dossier, pause: ClockPause) -> None:
    """A pause that ends moves the due date by the working time it lasted."""
    from workdays.calendar import add_working_hours, working_time_between

    if dossier.due_at is None:
        return
    lost = working_time_between(pause.started_at, pause.ended_at)
    if lost.total_seconds() > 0:
        dossier.due_at = add_working_hours(dossier.due_at, lost.total_seconds() / 3600)


def remaining(dossier: Dossier, now=None) -> datetime.timedelta | None:
    """Working time left to the due date (negative when late); None before acceptance."""
    from workdays.calendar import working_time_between

    if dossier.due_at is None:
        return None
    return working_time_between(now or timezone.now(), dossier.due_at)


def allowed_time(dossier: Dossier) -> datetime.timedelta | None:
    from workdays.calendar import working_time_between

    if dossier.due_at is None or dossier.accepted_at is None:
        return None
    return working_time_between(dossier.accepted_at, dossier.due_at)


def deadline_state(dossier: Dossier, now=None) -> str:
    """on_time | at_risk | overdue | done_on_time | done_late | none (not running)."""
    if dossier.due_at is None:
        return "none"
    if dossier.decided_at:
        return "done_on_time" if dossier.decided_at <= dossier.due_at else "done_late"
    if dossier.status in (S.REFUSED, S.STOPPED, S.WITHDRAWN, S.CANCELLED):
        return "none"
    left = remaining(dossier, now)
    if left.total_seconds() < 0:
        return "overdue"
    total = allowed_time(dossier)
    if total and left.total_seconds() < total.total_seconds() * settings.ONESTOP_AT_RISK_PERCENT / 100:
        return "at_risk"
    return "on_time"


# --- Reception ---------------------------------------------------------------------------------------


def next_code(agency, at) -> str:
    """``{agency identifier}-{yyMMdd}-{NNNN}``: the agency's next number of the (local) day, under a row lock,
    in the caller's transaction — a failed acceptance takes no number."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_code must run inside transaction.atomic()")
    day = timezone.localtime(at).date()
    CodeCounter.objects.get_or_create(agency=agency, day=day)
    counter = CodeCounter.objects.select_for_update().get(agency=agency, day=day)
    if counter.last >= MAX_SEQUENCE:
        raise ValidationError({"code": _b("Đã hết số hồ sơ trong ngày (9999).", "No codes left today (9999).")})
    CodeCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    return f"{agency.identifier}-{day:%y%m%d}-{counter.last + 1:04d}"


def _package_at_desk(dossier: Dossier) -> Item | None:
    return dossier.items.filter(kind=Item.Kind.DOSSIER).first()


def accept(dossier: Dossier, actor, *, at=None) -> Dossier:
    """Tiếp nhận: the dossier gets its code and its appointment date (form 01); the clock starts."""
    check_may(actor, "desk_reception", dossier, "accept")
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.ACCEPTED)
        package = _package_at_desk(dossier)
        if package is not None and package.status not in (ItemStatus.AT_ONE_STOP_DESK, ItemStatus.RECEIVED_BY_AGENCY):
            raise ValidationError({"item": _b(
                f"Túi hồ sơ {package.item_id} chưa được nhận tại Bộ phận Một cửa (đang: {package.get_status_display()}).",
                f"Package {package.item_id} has not been received at the desk yet ({package.status}).")})
        if dossier.supplement_requests.filter(status=SupplementRequest.Status.OPEN).exists():
            raise ValidationError({"supplement": _b("Hồ sơ còn yêu cầu bổ sung chưa được đáp ứng.",
                                                    "A request to supplement is still open.")})
        dossier.code = next_code(dossier.agency, at)
        dossier.accepted_at = at
        dossier.accepted_by = actor
        dossier.due_at = dossier.original_due_at = legal_due(dossier, at)
        _set_status(dossier, S.ACCEPTED, actor, "onestop.accepted",
                    {"code": dossier.code, "due_at": dossier.due_at},
                    fields=["code", "accepted_at", "accepted_by", "due_at", "original_due_at"])
        if package is not None and package.status == ItemStatus.AT_ONE_STOP_DESK:
            from custody.services import move

            package = Item.objects.select_for_update().get(pk=package.pk)
            move(package, ItemStatus.RECEIVED_BY_AGENCY, Custodian.AGENCY, dossier.agency, actor=actor,
                 source="system", at=at, unit=dossier.desk, unit_kind="desk" if dossier.desk_id else "")
        _notify(dossier, "dossier_accepted", {"due": timezone.localtime(dossier.due_at).strftime("%d/%m/%Y")})
    return dossier


@dataclass
class SupplementLine:
    name: str
    kind: str
    count: int
    reason: str


def _check_lines(lines: list[SupplementLine]) -> list[dict]:
    if not lines:
        raise ValidationError({"lines": _b("Liệt kê từng giấy tờ cần bổ sung.", "List each document to supplement.")})
    cleaned = []
    for n, line in enumerate(lines, start=1):
        if not (line.name or "").strip():
            raise ValidationError({"lines": _b(f"Dòng {n}: thiếu tên giấy tờ.", f"Line {n}: the document name is missing.")})
        if line.kind not in DocumentKind.values:
            raise ValidationError({"lines": _b(f"Dòng {n}: loại bản không hợp lệ.", f"Line {n}: unknown kind of copy.")})
        if not 1 <= int(line.count) <= 99:
            raise ValidationError({"lines": _b(f"Dòng {n}: số lượng từ 1 đến 99.", f"Line {n}: count between 1 and 99.")})
        if not (line.reason or "").strip():
            raise ValidationError({"lines": _b(f"Dòng {n}: ghi lý do.", f"Line {n}: give the reason.")})
        cleaned.append({"name": line.name.strip()[:500], "kind": line.kind, "count": int(line.count),
                        "reason": line.reason.strip()[:500]})
    return cleaned


def request_supplement(dossier: Dossier, actor, lines: list[SupplementLine], reason: str, *, at=None) -> SupplementRequest:
    """Form 02: each missing or wrong item with counts and the reason. Before acceptance the clock does not
    start; after, it pauses until the supplement arrives. The citizen is told and may send it by post."""
    step = "request_supplement"
    check_may(actor, "desk_reception" if dossier.status in (S.RECEIVED, S.SUPPLEMENT_REQUESTED) else "process",
              dossier, step)
    cleaned = _check_lines(lines)
    if len((reason or "").strip()) < 5:
        raise ValidationError({"reason": _b("Ghi lý do chung.", "Give the overall reason.")})
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.SUPPLEMENT_REQUESTED)
        if dossier.supplement_requests.filter(status=SupplementRequest.Status.OPEN).exists():
            raise ValidationError({"supplement": _b("Đã có yêu cầu bổ sung đang chờ.", "A request is already open.")})
        number = dossier.supplement_requests.count() + 1
        request = SupplementRequest.objects.create(dossier=dossier, number=number, reason=reason.strip()[:1000],
                                                   lines=cleaned, requested_at=at, requested_by=actor)
        if dossier.accepted_at and not dossier.pauses.filter(ended_at__isnull=True).exists():
            ClockPause.objects.create(dossier=dossier, reason="supplement", started_at=at)
        _set_status(dossier, S.SUPPLEMENT_REQUESTED, actor, "onestop.supplement_requested",
                    {"number": number, "lines": cleaned, "reason": request.reason})
        _notify(dossier, "supplement_requested", {
            "items": "; ".join(f"{x['name']} ({DocumentKind(x['kind']).label} × {x['count']})" for x in cleaned),
            "reason": request.reason})
    return request


def receive_supplement(dossier: Dossier, actor, *, at=None) -> Dossier:
    """The supplement arrived (by post or in person): the request is answered; an accepted dossier goes back
    to processing with its due date moved by the pause; one not yet accepted waits for acceptance."""
    check_may(actor, "desk_reception", dossier, "request_supplement")
    at = at or timezone.now()
    with transaction.atomic():
        locked = Dossier.objects.select_for_update(of=("self",)).select_related("version", "agency", "desk").get(
            pk=dossier.pk)
        request = locked.supplement_requests.filter(status=SupplementRequest.Status.OPEN).first()
        if locked.status != S.SUPPLEMENT_REQUESTED or request is None:
            raise ValidationError({"status": _b("Hồ sơ không chờ bổ sung.", "The dossier is not waiting for a supplement.")})
        if request.item_id:
            item = request.item
            if item.status not in (ItemStatus.AT_ONE_STOP_DESK, ItemStatus.RECEIVED_BY_AGENCY):
                raise ValidationError({"item": _b(
                    f"Túi hồ sơ bổ sung {item.item_id} chưa đến Bộ phận Một cửa.",
                    f"The supplement package {item.item_id} has not reached the desk.")})
        request.status, request.answered_at, request.answered_by = SupplementRequest.Status.ANSWERED, at, actor
        request.save()
        record_event("onestop.supplement_received", locked, actor, after={"number": request.number})
        pause = locked.pauses.filter(ended_at__isnull=True).first()
        if pause:
            pause.ended_at = at
            pause.save()
            _shift_for_pause(locked, pause)
            locked.save(update_fields=["due_at", "updated_at"])
        if locked.accepted_at:
            _set_status(locked, S.PROCESSING, actor, "onestop.processing_resumed", {"due_at": locked.due_at})
    return locked


def refuse(dossier: Dossier, actor, reason: str, *, at=None) -> Notice:
    """Form 03: not eligible. The package goes back to the citizen by post (or waits at the post office that
    took it in when no return address was given)."""
    check_may(actor, "desk_reception", dossier, "refuse")
    if len((reason or "").strip()) < 10:
        raise ValidationError({"reason": _b("Ghi rõ lý do từ chối (ít nhất 10 ký tự).",
                                            "Write why (at least 10 characters).")})
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.REFUSED)
        notice = Notice.objects.create(dossier=dossier, kind=Notice.Kind.REFUSAL, reason=reason.strip()[:1000],
                                       issued_at=at, issued_by=actor)
        dossier.decided_at = None
        _set_status(dossier, S.REFUSED, actor, "onestop.refused", {"reason": notice.reason})
        for item in Item.objects.select_for_update().filter(dossier=dossier, kind__in=["dossier", "supplement"]):
            if item.status not in (ItemStatus.CANCELLED, ItemStatus.DELIVERED):
                item.returning = True
                item.save(update_fields=["returning", "updated_at"])
                if item.custodian_kind == Custodian.AGENCY:
                    from custody.services import move

                    move(item, ItemStatus.AT_ONE_STOP_DESK, Custodian.DESK, dossier.desk, actor=actor, source="system",
                         at=at, unit=dossier.desk, unit_kind="desk", check_transition=False)
        for request in dossier.supplement_requests.filter(status=SupplementRequest.Status.OPEN):
            request.status = SupplementRequest.Status.CLOSED
            request.save()
        _notify(dossier, "dossier_refused", {"reason": notice.reason})
    return notice


# --- Processing --------------------------------------------------------------------------------------


def _open_step(dossier: Dossier) -> ProcessingStep | None:
    return dossier.steps.filter(done_at__isnull=True).order_by("-position").first()


def hand_off(dossier: Dossier, actor, *, to_user=None, to_label: str = "", task: str = "", days: int | None = None,
             note: str = "", at=None) -> ProcessingStep:
    """Assign or pass the dossier on inside the agency (a line of form 06): the open step closes, a new one
    opens with its own time (working days) when given."""
    from workdays.calendar import add_working_days

    check_may(actor, "process", dossier, "process")
    if to_user is None and not to_label.strip():
        raise ValidationError({"to_user": _b("Chọn người hoặc bộ phận nhận.", "Choose who receives it.")})
    if to_user is not None and (to_user.agency_id != dossier.agency_id or not to_user.is_active or
                                to_user.role not in (Role.AGENCY_PROCESSOR, Role.ONE_STOP_OFFICER)):
        raise ValidationError({"to_user": _b("Người nhận phải là cán bộ của cơ quan giải quyết.",
                                             "The receiver must be staff of the deciding agency.")})
    if days is not None and not 0 <= days <= 365:
        raise ValidationError({"days": _b("Số ngày từ 0 đến 365.", "Days between 0 and 365.")})
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.PROCESSING)
        current = _open_step(dossier)
        if current:
            current.done_at = at
            current.save()
        position = (dossier.steps.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        step = ProcessingStep.objects.create(
            dossier=dossier, position=position, from_user=actor, to_user=to_user, to_label=to_label.strip()[:255],
            task=task.strip()[:500], sent_at=at, due_at=add_working_days(at, days) if days is not None else None,
            note=note.strip()[:500])
        _set_status(dossier, S.PROCESSING, actor, "onestop.handed_off", {
            "step": position, "to_user": to_user.get_username() if to_user else None, "to_label": step.to_label})
    return step


def require_financial_obligation(dossier: Dossier, actor, amount: int, reason: str, *, at=None) -> Notice:
    """The citizen must pay (tax, charge) before processing goes on; the clock pauses meanwhile."""
    check_may(actor, "process", dossier, "process")
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _b("Số tiền phải lớn hơn 0.", "The amount must be more than 0.")})
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.FINANCIAL_OBLIGATION)
        notice = Notice.objects.create(dossier=dossier, kind=Notice.Kind.FINANCIAL_OBLIGATION, amount=amount,
                                       reason=(reason or "").strip()[:1000], issued_at=at, issued_by=actor)
        ClockPause.objects.create(dossier=dossier, reason="financial_obligation", started_at=at)
        _set_status(dossier, S.FINANCIAL_OBLIGATION, actor, "onestop.financial_obligation", {"amount": amount})
        _notify(dossier, "financial_obligation", {"amount": f"{amount:,}".replace(",", ".")})
    return notice


def financial_obligation_met(dossier: Dossier, actor, *, at=None) -> Dossier:
    check_may(actor, "process", dossier, "process")
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.PROCESSING)
        if dossier.status != S.FINANCIAL_OBLIGATION:
            raise ValidationError({"status": _b("Hồ sơ không chờ nghĩa vụ tài chính.",
                                                "The dossier is not waiting for a financial obligation.")})
        Notice.objects.filter(dossier=dossier, kind=Notice.Kind.FINANCIAL_OBLIGATION, met_at__isnull=True).update(met_at=at)
        pause = dossier.pauses.filter(ended_at__isnull=True).first()
        if pause:
            pause.ended_at = at
            pause.save()
            _shift_for_pause(dossier, pause)
        _set_status(dossier, S.PROCESSING, actor, "onestop.financial_obligation_met", {"due_at": dossier.due_at},
                    fields=["due_at"])
    return dossier


def extend(dossier: Dossier, actor, new_due: datetime.datetime, reason: str, *, at=None) -> Extension:
    """Form 04: an apology and a new date, only before the current due date."""
    check_may(actor, "process", dossier, "process")
    at = at or timezone.now()
    if len((reason or "").strip()) < 10:
        raise ValidationError({"reason": _b("Ghi rõ lý do gia hạn (ít nhất 10 ký tự).", "Write why (at least 10 characters).")})
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("version", "agency", "desk").get(pk=dossier.pk)
        if dossier.status not in (S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.FINANCIAL_OBLIGATION) or not dossier.due_at:
            raise ValidationError({"status": _b("Chỉ gia hạn hồ sơ đang giải quyết.", "Only a dossier in progress can be extended.")})
        if at >= dossier.due_at:
            raise ValidationError({"new_due": _b(
                "Đã quá hạn: văn bản xin lỗi và gia hạn phải ban hành trước ngày hẹn trả.",
                "Too late: the apology and extension must be issued before the due date.")})
        if new_due <= dossier.due_at:
            raise ValidationError({"new_due": _b("Hạn mới phải sau hạn hiện tại.", "The new date must be after the current one.")})
        extension = Extension.objects.create(dossier=dossier, previous_due_at=dossier.due_at, new_due_at=new_due,
                                             reason=reason.strip()[:1000], issued_at=at, issued_by=actor)
        previous = dossier.due_at
        dossier.due_at = new_due
        dossier.save(update_fields=["due_at", "updated_at"])
        record_event("onestop.extended", dossier, actor, {"due_at": previous}, {"due_at": new_due, "reason": extension.reason})
        _notify(dossier, "dossier_extended", {"due": timezone.localtime(new_due).strftime("%d/%m/%Y"),
                                              "reason": extension.reason})
    return extension


def _close(dossier: Dossier, actor, to: str, kind: str, reason: str, at=None) -> Notice:
    at = at or timezone.now()
    if len((reason or "").strip()) < 10:
        raise ValidationError({"reason": _b("Ghi rõ lý do (ít nhất 10 ký tự).", "Write why (at least 10 characters).")})
    with transaction.atomic():
        dossier = _lock(dossier, to)
        notice = Notice.objects.create(dossier=dossier, kind=kind, reason=reason.strip()[:1000], issued_at=at,
                                       issued_by=actor)
        dossier.pauses.filter(ended_at__isnull=True).update(ended_at=at)
        dossier.steps.filter(done_at__isnull=True).update(done_at=at)
        _set_status(dossier, to, actor, f"onestop.{to}", {"reason": notice.reason})
        _notify(dossier, f"dossier_{to}", {"reason": notice.reason})
    return notice


def stop(dossier: Dossier, actor, reason: str, *, at=None) -> Notice:
    """Form 05: processing stops (e.g. the citizen did not supplement in time)."""
    check_may(actor, "process", dossier, "process")
    return _close(dossier, actor, S.STOPPED, Notice.Kind.STOP, reason, at)


def withdraw(dossier: Dossier, actor, reason: str, *, at=None) -> Notice:
    """The citizen withdraws the dossier (recorded by the desk on their written request)."""
    check_may(actor, "desk_reception", dossier, "accept")
    return _close(dossier, actor, S.WITHDRAWN, Notice.Kind.WITHDRAWAL, reason, at)


# --- Result -----------------------------------------------------------------------------------------


def record_result(dossier: Dossier, actor, reference: str, *, fees_due: int = 0, at=None) -> Dossier:
    """The agency's decision is ready: reference, any fees still due; on time or late on the calendar."""
    check_may(actor, "record_result", dossier, "process")
    if not (reference or "").strip():
        raise ValidationError({"reference": _b("Nhập số, ký hiệu của kết quả.", "Enter the result's reference.")})
    if not isinstance(fees_due, int) or fees_due < 0:
        raise ValidationError({"fees_due": _b("Số tiền không âm.", "The amount cannot be negative.")})
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.PROCESSED)
        dossier.steps.filter(done_at__isnull=True).update(done_at=at)
        dossier.result_reference = reference.strip()[:255]
        dossier.result_fees_due = fees_due
        dossier.decided_at = at
        _set_status(dossier, S.PROCESSED, actor, "onestop.processed", {
            "reference": dossier.result_reference, "fees_due": fees_due,
            "on_time": dossier.due_at is not None and at <= dossier.due_at},
            fields=["result_reference", "result_fees_due", "decided_at"])
        _notify(dossier, "result_ready", {"by_post": "có" if dossier.returns_result else "không"})
    return dossier


def hand_result_to_post(dossier: Dossier, actor, *, seal_numbers=(), at=None) -> Item:
    """The result leaves the agency as a sealed package with its S10 id, held by the desk, to go on a
    manifest to the post office that serves the citizen's address."""
    from custody.services import delivery_post_office, move
    from dossiers.validators import validate_seal
    from postal.services import allocate_item_id

    check_may(actor, "hand_result", dossier, "hand_result")
    if dossier.service_choice not in (ServiceChoice.RECEIVE, ServiceChoice.BOTH):
        raise ValidationError({"service_choice": _b(
            "Công dân không đăng ký nhận kết quả qua bưu chính; kết quả chờ tại Bộ phận Một cửa.",
            "The citizen did not choose to receive the result by post; it waits at the desk.")})
    seals = []
    for raw in seal_numbers:
        try:
            seals.append(validate_seal(raw))
        except ValidationError as exc:
            raise ValidationError({"seal_numbers": exc.messages}) from None
    if not seals:
        raise ValidationError({"seal_numbers": _b("Nhập số niêm phong của túi kết quả.", "Enter the seal number.")})
    at = at or timezone.now()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("desk", "agency", "post_office",
                                                                               "return_commune").get(pk=dossier.pk)
        if dossier.status != S.PROCESSED:
            raise ValidationError({"status": _b("Hồ sơ chưa có kết quả.", "The dossier has no result yet.")})
        if dossier.items.filter(kind=Item.Kind.RESULT).exclude(status=ItemStatus.CANCELLED).exists():
            raise ValidationError({"status": _b("Kết quả đã được chuyển cho bưu chính.", "The result was already handed over.")})
        if dossier.desk is None:
            raise ValidationError({"desk": _b("Hồ sơ không có Bộ phận Một cửa.", "The dossier has no desk.")})
        office = delivery_post_office(dossier)
        series, item_id = allocate_item_id(office, "return_result")
        item = Item.objects.create(item_id=item_id, kind=Item.Kind.RESULT, dossier=dossier,
                                   province_id=dossier.province_id, origin_post_office=office, series=series,
                                   status=ItemStatus.RESULT_READY, custodian_kind=Custodian.DESK,
                                   custodian_desk=dossier.desk, seal_numbers=seals, last_event_at=at,
                                   leg_started_at=at)
        record_event("postal.item_created", item, actor, after={"item_id": item_id, "kind": "result",
                                                                "custodian": f"desk:{dossier.desk_id}"})
        move(item, ItemStatus.RESULT_READY, Custodian.DESK, dossier.desk, actor=actor, source="system", at=at,
             unit=dossier.desk, unit_kind="desk", check_transition=False)
    return item


def return_at_desk(dossier: Dossier, actor, *, at=None) -> Dossier:
    """The citizen collects the result at the desk (no return by post)."""
    check_may(actor, "hand_result", dossier, "hand_result")
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.RESULT_RETURNED)
        dossier.returned_at = at
        _set_status(dossier, S.RESULT_RETURNED, actor, "onestop.result_returned", {"where": "desk"},
                    fields=["returned_at"])
    return dossier


def result_delivered(dossier: Dossier, actor=None, *, at=None) -> Dossier:
    """The post delivered the result (called by the delivery of the result package)."""
    at = at or timezone.now()
    with transaction.atomic():
        dossier = _lock(dossier, S.RESULT_RETURNED)
        dossier.returned_at = at
        _set_status(dossier, S.RESULT_RETURNED, actor, "onestop.result_returned", {"where": "post"},
                    fields=["returned_at"])
    return dossier


# --- Scanned documents --------------------------------------------------------------------------------

SIGNATURES = [(b"%PDF-", "application/pdf", ".pdf"), (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
              (b"\x89PNG\r\n\x1a\n", "image/png", ".png")]


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) by the file's first bytes, whatever its name says."""
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def attach(dossier: Dossier, actor, upload, *, kind: str = Attachment.Kind.SCAN, document_name: str = "") -> Attachment:
    """Store a scanned PDF, JPEG or PNG (by its bytes) up to ATTACHMENT_MAX_BYTES on the configured storage."""
    from django.core.files.base import ContentFile

    check_may(actor, "digitise", dossier, "digitise")
    if upload is None:
        raise ValidationError({"file": _b("Chọn tệp.", "Choose a file.")})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": _b(
            f"Tệp quá lớn (tối đa {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB).",
            f"The file is too large (at most {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB).")})
    data = upload.read()
    found = sniff(data[:16])
    if found is None:
        raise ValidationError({"file": _b("Tệp không phải PDF, JPEG hay PNG (theo nội dung tệp).",
                                          "The file is not a PDF, JPEG or PNG (by its content).")})
    content_type, ext = found
    if not visible(actor, Dossier.objects.filter(pk=dossier.pk)).exists():
        raise PermissionDenied(_b("Hồ sơ ngoài phạm vi của bạn.", "This dossier is outside your scope."))
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        attachment = Attachment(dossier=dossier, kind=kind, original_name=(upload.name or "tep")[:255],
                                content_type=content_type, size=len(data), sha256=digest,
                                document_name=document_name.strip()[:500], uploaded_by=actor)
        attachment.file.save(f"{dossier.tracking_code}-{digest[:12]}{ext}", ContentFile(data), save=False)
        attachment.save()
        record_event("onestop.attached", dossier, actor, after={"attachment": attachment.pk, "kind": kind,
                                                                "content_type": content_type, "size": len(data),
                                                                "sha256": digest})
    return attachment
