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
    now = now or timezone.now()
    if dossier.status in (S.SUPPLEMENT_REQUESTED, S.FINANCIAL_OBLIGATION):
        # The clock stands still while paused: the time left is what was left when the pause began.
        pause = next((p for p in dossier.pauses.all() if p.ended_at is None), None)
        if pause is not None and pause.started_at < now:
            now = pause.started_at
    return working_time_between(now, dossier.due_at)


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
    _release_the_counter_at_commit()
    number = _bump_code_counter(agency.pk, day)
    if number is None:  # the agency's first code of the day (or the day is full)
        CodeCounter.objects.bulk_create([CodeCounter(agency=agency, day=day)], ignore_conflicts=True)
        number = _bump_code_counter(agency.pk, day)
    if number is None:
        raise ValidationError({"code": _b("Đã hết số hồ sơ trong ngày (9999).", "No codes left today (9999).")})
    return f"{agency.identifier}-{day:%y%m%d}-{number:04d}"


def _release_the_counter_at_commit() -> None:
    """PostgreSQL: the counter's row lock is held until the transaction ends, so the codes of one unit are
    given one transaction after the other; with a synchronous commit each of them would keep the lock while
    the commit record is written to disk. The transaction commits asynchronously instead (the lock goes as soon
    as the commit is recorded), and right after it, before the caller goes on, a tiny synchronous commit waits
    until the WAL up to it — the acceptance's commit included — is flushed (and replicated, as the server's
    synchronous_commit asks). Many acceptances share one flush; none is answered before it is durable, and if
    the server fails in between, the code and the acceptance are lost together (no gap, no code shown)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    if any(hook is _wait_for_wal_flush for _sids, hook, _robust in connection.run_on_commit):
        return  # already arranged in this transaction
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    transaction.on_commit(_wait_for_wal_flush)


def _wait_for_wal_flush() -> None:
    """A transaction with an id and one WAL record, committed synchronously (autocommit): it returns once the
    WAL up to its commit — everything committed before it on this server — is on disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_logical_emit_message(true, 'bcci.flush', '')")


def _bump_code_counter(agency_id: int, day: datetime.date) -> int | None:
    """Take the day's next number in one statement (UPDATE … RETURNING, PostgreSQL and SQLite ≥ 3.35): the
    counter's row stays locked until the caller's transaction ends, so numbers are consecutive and never
    shared. None when the counter does not exist yet or has reached MAX_SEQUENCE."""
    from django.db import connection

    meta, quote = CodeCounter._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    last, agency_col, day_col = (quote(meta.get_field(name).column) for name in ("last", "agency", "day"))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {last} = {last} + 1 WHERE {agency_col} = %s AND {day_col} = %s "
                       f"AND {last} < %s RETURNING {last}",
                       [agency_id, meta.get_field("day").get_db_prep_value(day, connection), MAX_SEQUENCE])
        row = cursor.fetchone()
    return row[0] if row else None


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
        if request.item_id and request.item.status == ItemStatus.AT_ONE_STOP_DESK:
            # The desk hands the supplement package to the agency, as it does the dossier's on acceptance.
            from custody.services import move

            package = Item.objects.select_for_update().get(pk=request.item_id)
            move(package, ItemStatus.RECEIVED_BY_AGENCY, Custodian.AGENCY, locked.agency, actor=actor,
                 source="system", at=at, unit=locked.desk, unit_kind="desk" if locked.desk_id else "")
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
        if dossier.status not in (S.ACCEPTED, S.PROCESSING):
            # Waiting for a supplement or a financial obligation: those steps end the wait, not a hand-off
            # (which would leave the clock paused and the request open).
            raise ValidationError({"status": _b(
                f"Hồ sơ đang “{dossier.get_status_display()}”: chỉ chuyển xử lý hồ sơ đã tiếp nhận hoặc đang "
                "giải quyết.",
                f"The dossier is “{dossier.status}”: only an accepted dossier or one in progress is handed on.")},
                code="transition")
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


# --- Supplement by post (issue #6) ----------------------------------------------------------------------
#
# The citizen answers a request to supplement (form 02) at a post office: the clerk takes the package in as
# a new item of kind "supplement", linked to the open request; it travels on a manifest to the desk like the
# dossier did, and the desk's ``receive_supplement`` needs it there.
#
# Which post offices may take it in: any post office of the dossier's province (and the one that took the
# dossier in, wherever it is). The citizen holds form 02 with the tracking code — 12 random characters,
# unguessable — and may no longer live near the first post office; every post office of the province sends
# manifests towards the province's one-stop desks, while one of another province does not. So the clerk's
# usual scope (their own post office's dossiers) is widened to the province for this one step, and only for
# a dossier waiting for a supplement.


def supplement_counter_dossiers(actor, *, waiting_only: bool = True):
    """Dossiers whose supplement ``actor`` may take in at their post office: those their post office took in,
    and the province's dossiers waiting for a supplement (``waiting_only=False``: all of the province's)."""
    from django.db.models import Q

    office_id = getattr(actor, "post_office_id", None)
    if not office_id or not can_act(actor, "take_in"):
        return Dossier.objects.none()
    province = Q(province_id=actor.post_office.province_id)
    if waiting_only:
        province &= Q(status=S.SUPPLEMENT_REQUESTED)
    return Dossier.objects.filter(Q(post_office_id=office_id) | province)


def supplement_postage(dossier: Dossier, post_office, weight_grams=None, on=None):
    """Send postage from the post office to the dossier's desk (free programmes applied), as at intake."""
    from postal.models import Service
    from postal.services import quote_postage

    desk = dossier.desk
    destination = (desk.commune if desk and desk.commune_id else None) or dossier.agency.commune
    return quote_postage(Service.SEND_DOSSIER, post_office.commune, destination, dossier.province,
                         dossier.procedure, weight_grams, on)


def take_in_supplement(dossier: Dossier, actor, *, seal_numbers, payment_method, payment_reference: str = "",
                       weight_grams=None, item_id: str = "", at=None) -> Item:
    """A clerk takes in the supplement package for a dossier waiting for one: a new item of kind
    "supplement" held by the clerk's post office (its S10 id allocated, or a pre-printed one), its intake
    event and leg time to the desk, linked to the open request; the send postage charged (a receipt when
    anything is paid). The item carries ``charge`` and ``receipt`` (None when nothing was paid)."""
    from custody.models import UnitKind
    from custody.services import leg_due, record_intake
    from dossiers.models import Charge
    from dossiers.validators import validate_seal
    from postal import s10
    from postal.models import PaymentMethod, Service
    from postal.services import create_item, issue_receipt

    if not can_act(actor, "take_in"):
        raise PermissionDenied(_b("Bạn không có quyền tiếp nhận hồ sơ.", "You are not allowed to take in dossiers."))
    post_office = actor.post_office if getattr(actor, "post_office_id", None) else None
    if post_office is None:
        raise ValidationError({"post_office": _b("Tài khoản không gắn với bưu cục nào.",
                                                 "This account belongs to no post office.")})
    if not supplement_counter_dossiers(actor, waiting_only=False).filter(pk=dossier.pk).exists():
        raise PermissionDenied(_b("Hồ sơ thuộc tỉnh khác: chỉ bưu cục trong tỉnh nhận hồ sơ bổ sung.",
                                  "The dossier belongs to another province: only its post offices take the "
                                  "supplement in."))
    if not post_office.active or not post_office.accepts_dossiers:
        raise ValidationError({"post_office": _b(f"Bưu cục {post_office.code} không tiếp nhận hồ sơ TTHC.",
                                                 f"Post office {post_office.code} does not take in dossiers.")})
    errors: dict[str, list[str]] = {}
    seals = []
    for raw in seal_numbers or ():
        if (raw or "").strip():
            try:
                seals.append(validate_seal(raw))
            except ValidationError as exc:
                errors.setdefault("seal_numbers", []).extend(exc.messages)
    if not seals and "seal_numbers" not in errors:
        errors["seal_numbers"] = [_b("Nhập số niêm phong của túi hồ sơ bổ sung.",
                                     "Enter the supplement package's seal number.")]
    if len(seals) > 10 or len(set(seals)) != len(seals):
        errors.setdefault("seal_numbers", []).append(_b("Số niêm phong bị trùng hoặc quá nhiều (tối đa 10).",
                                                        "Seal numbers repeat or are too many (at most 10)."))
    if weight_grams is not None and (not isinstance(weight_grams, int) or not 0 < weight_grams <= 30_000):
        errors["weight_grams"] = [_b("Khối lượng từ 1 đến 30 000 g.", "Weight between 1 and 30,000 g.")]
    if (item_id or "").strip():
        try:
            item_id = s10.validate(item_id, "item_id")
        except ValidationError as exc:
            errors.setdefault("item_id", []).extend(exc.messages)
    else:
        item_id = ""
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    with transaction.atomic():
        locked = (Dossier.objects.select_for_update(of=("self",))
                  .select_related("desk__commune", "agency__commune", "province", "procedure").get(pk=dossier.pk))
        request = (SupplementRequest.objects.select_for_update()
                   .filter(dossier=locked, status=SupplementRequest.Status.OPEN).order_by("-number").first())
        if locked.status != S.SUPPLEMENT_REQUESTED or request is None:
            raise ValidationError({"status": _b("Hồ sơ không chờ bổ sung.",
                                                "The dossier is not waiting for a supplement.")})
        if request.item_id:
            taken = Item.objects.get(pk=request.item_id)
            raise ValidationError({"item_id": _b(
                f"Hồ sơ bổ sung lần {request.number} đã được tiếp nhận (bưu gửi {taken.item_id}).",
                f"Supplement #{request.number} was already taken in (item {taken.item_id}).")})
        if locked.desk is None:
            raise ValidationError({"desk": _b("Hồ sơ không có Bộ phận Một cửa nhận.", "The dossier has no desk.")})
        postage = supplement_postage(locked, post_office, weight_grams, timezone.localdate(at))
        if postage.amount > 0 and payment_method not in PaymentMethod.values:
            raise ValidationError({"payment_method": _b(
                "Chọn hình thức thanh toán: tiền mặt, chuyển khoản hoặc QR.",
                "Choose how the citizen pays: cash, transfer or QR.")})
        item = create_item(locked, Item.Kind.SUPPLEMENT, Service.SEND_DOSSIER, post_office=post_office,
                           actor=actor, item_id=item_id, seal_numbers=seals, weight_grams=weight_grams)
        item.leg_due_at = leg_due(at, post_office, UnitKind.POST_OFFICE, locked.desk, UnitKind.DESK)
        record_intake(item, actor, at)
        request.item = item
        request.save(update_fields=["item"])
        label = f"{Charge.Kind.POSTAGE_SEND.label} — bổ sung lần {request.number}"
        if postage.programme:
            label = f"{label} — {postage.programme.name}"
        position = (locked.charges.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        charge = Charge.objects.create(
            dossier=locked, position=position, kind=Charge.Kind.POSTAGE_SEND, label=label[:255],
            list_amount=postage.list_amount, amount=postage.amount, free_programme=postage.programme,
            zone=postage.zone)
        Dossier.objects.filter(pk=locked.pk).update(postage_total=F("postage_total") + postage.amount,
                                                    amount_paid=F("amount_paid") + postage.amount, updated_at=at)
        receipt = None
        if postage.amount > 0:
            receipt = issue_receipt(
                locked, post_office=post_office, payer_name=locked.applicant_name, method=payment_method,
                payment_reference=(payment_reference or "").strip()[:100], actor=actor, at=at,
                lines=[{"kind": Charge.Kind.POSTAGE_SEND.value, "label": charge.label, "amount": postage.amount,
                        "on_behalf": False}])
        record_event("onestop.supplement_taken_in", locked, actor, after={
            "number": request.number, "item_id": item.item_id, "post_office": post_office.code,
            "seal_numbers": seals, "weight_grams": weight_grams, "postage": postage.amount,
            "free_programme": postage.programme.pk if postage.programme else None,
            "receipt": receipt.code if receipt else None, "leg_due_at": item.leg_due_at})
    item.charge, item.receipt = charge, receipt
    return item
