"""Changing the calendar: each change in one transaction with its audit event.

Only national administrators (``can_act(user, "manage_units")``) may set or remove
an override: the calendar is national and every province's deadlines depend on it.
``actor=None`` is the system (management commands, data loads).

After the commit, the process drops its cached calendar (other processes see the
new ``CalendarState.version`` within ``WORKDAY_CACHE_SECONDS``) and the
``refresh_calendar`` task is enqueued to rematerialise the ``PublicHoliday`` table.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scopes import can_act
from audit.services import record_event, snapshot
from workdays import calendar
from workdays.models import CalendarOverride, CalendarState, OverrideKind

OVERRIDE_FIELDS = ["date", "kind", "reason"]
REASON_MAX = CalendarOverride._meta.get_field("reason").max_length


def _check_actor(actor):
    if actor is not None and not can_act(actor, "manage_units"):
        raise PermissionDenied(
            _("Chỉ quản trị toàn quốc được sửa lịch làm việc. / Only national administrators may edit the calendar.")
        )


def clean_date(value) -> date:
    """A date (or an ISO string) inside the calendar's range, else ValidationError on "date"."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise ValidationError({"date": _("Ngày không hợp lệ (YYYY-MM-DD). / Invalid date (YYYY-MM-DD).")})
    if not calendar.MIN_YEAR <= value.year <= calendar.MAX_YEAR:
        raise ValidationError({"date": _("Ngày phải trong các năm %(lo)s–%(hi)s. / The date must be in %(lo)s–%(hi)s.")
                               % {"lo": calendar.MIN_YEAR, "hi": calendar.MAX_YEAR}})
    return value


def clean_override(day, kind, reason) -> tuple[date, str, str]:
    """Validate the three inputs; every error names its field (Vietnamese / English)."""
    errors = {}
    try:
        day = clean_date(day)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind not in OverrideKind.values:
        errors["kind"] = [_("Loại phải là ngày nghỉ thêm hoặc ngày làm việc bù. / "
                            "The kind must be day_off or working_day.")]
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = [_("Cần ghi lý do hoặc căn cứ pháp lý. / A reason or legal basis is required.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("Lý do dài quá %(n)s ký tự. / The reason is longer than %(n)s characters.")
                            % {"n": REASON_MAX}]
    if errors:
        raise ValidationError(errors)
    return day, kind, reason


def _changed():
    """Bump the version every process compares with, and act after the commit."""
    state, _created = CalendarState.objects.get_or_create(pk=1)
    CalendarState.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())
    transaction.on_commit(calendar.invalidate)
    transaction.on_commit(_enqueue_refresh, robust=True)


def _enqueue_refresh():
    # robust on_commit: a failure is logged, the change stays committed and the daily run catches up
    from workdays.tasks import refresh_calendar

    refresh_calendar.enqueue()


def set_override(day, kind, reason, actor=None) -> CalendarOverride:
    """Create or change the override of a date. Setting the same kind and reason again
    changes nothing and writes no event (so data loads are idempotent)."""
    _check_actor(actor)
    day, kind, reason = clean_override(day, kind, reason)
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(date=day).first()
        if override is not None and override.kind == kind and override.reason == reason:
            return override
        before = snapshot(override, OVERRIDE_FIELDS) if override is not None else None
        if override is None:
            override = CalendarOverride(date=day)
        override.kind, override.reason = kind, reason
        override.full_clean(validate_unique=False)
        override.save()
        record_event("workdays.override_set", override, actor, before=before,
                     after=snapshot(override, OVERRIDE_FIELDS))
        _changed()
    return override


def remove_override(day, actor=None) -> None:
    """Remove the override of a date. The audit event refers to the override's id and
    keeps its last values in ``before``, so the removal stays traceable."""
    _check_actor(actor)
    day = clean_date(day)
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(date=day).first()
        if override is None:
            raise ValidationError({"date": _("Ngày này không có điều chỉnh nào. / There is no override on this date.")})
        record_event("workdays.override_removed", override, actor, before=snapshot(override, OVERRIDE_FIELDS))
        override.delete()
        _changed()
