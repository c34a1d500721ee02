"""The working-day calendar: holidays, make-up days, cut-off, hours, half-days, pauses,
override changes through the service, the refresh task, the admin, the page and the API."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from workdays import calendar as workcal
from workdays.calendar import OutOfRange, WorkCalendar
from workdays.models import CalendarOverride, CalendarState, PublicHoliday
from workdays.services import remove_override, set_override
from workdays.tasks import refresh_calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.fixture(autouse=True)
def fresh_calendar():
    """The process-wide calendar must not carry one test's overrides into another."""
    workcal.invalidate()
    yield
    workcal.invalidate()


@pytest.fixture(scope="module")
def cal():
    """The national calendar with the default sessions and cut-off, no database needed."""
    return WorkCalendar({}, sessions="07:30-11:30,13:00-17:00", cutoff="16:00")


def staff(user):
    user.is_staff = True
    user.save()
    return user


# -- what the holidays package knows (2025–2027) -------------------------------------------------

@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Tết 2026 (Bính Ngọ): the package's five days 16–20/02 and the weekends around them
        # make the 14/02–22/02 break, without any move.
        (date(2026, 2, 13), True),
        *[(date(2026, 2, d), False) for d in range(14, 23)],
        (date(2026, 2, 23), True),
        # Tết 2027 (Đinh Mùi): 04/02–10/02
        (date(2027, 2, 3), True),
        *[(date(2027, 2, d), False) for d in range(4, 11)],
        (date(2027, 2, 11), True),
        # 2025: Saturday 26/04 worked, Friday 02/05 off (the package already carries the move)
        (date(2025, 4, 26), True),
        (date(2025, 4, 30), False),
        (date(2025, 5, 1), False),
        (date(2025, 5, 2), False),
        # 2026: Hùng Kings on Sunday 26/04, observed Monday 27/04; 30/4 and 1/5
        (date(2026, 4, 27), False),
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        # 2/9 with 1/9 (2025, 2026) or 3/9 (2027); 2026 also swaps Monday 31/08 with Saturday 22/08
        (date(2025, 9, 1), False),
        (date(2025, 9, 2), False),
        (date(2026, 8, 22), True),
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2027, 9, 2), False),
        (date(2027, 9, 3), False),
        # Labour Day 2027 on a Saturday, observed Monday 03/05
        (date(2027, 5, 3), False),
        # an ordinary Saturday and Monday
        (date(2026, 3, 7), False),
        (date(2026, 3, 9), True),
    ],
)
def test_working_days_2025_2027(cal, day, working):
    assert cal.is_working_day(day) is working


def test_next_working_day_skips_tet(cal):
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.next_working_day(at(2026, 2, 13, 9)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2025, 4, 25)) == date(2025, 4, 26)


# -- days: the due-date convention ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("received", "n", "due"),
    [
        # the receipt day is not counted: due at the end of the Nth working day after it
        (at(2026, 3, 9, 10), 3, at(2026, 3, 12, 17)),
        (at(2026, 3, 9, 10), 0, at(2026, 3, 9, 17)),
        # cut-off 16:00: at 16:00 still that day, after it the next working day
        (at(2026, 3, 9, 16, 0), 3, at(2026, 3, 12, 17)),
        (at(2026, 3, 9, 16, 30), 3, at(2026, 3, 13, 17)),
        (at(2026, 3, 9, 16, 30), 0, at(2026, 3, 10, 17)),
        # received on a Saturday: counts as received on Monday
        (at(2026, 3, 7, 10), 3, at(2026, 3, 12, 17)),
        (at(2026, 3, 6, 16, 30), 3, at(2026, 3, 12, 17)),
        (at(2026, 3, 6, 15, 0), 3, at(2026, 3, 11, 17)),
        # across Tết 2026
        (at(2026, 2, 12, 10), 3, at(2026, 2, 24, 17)),
        (at(2026, 2, 13, 9), 1, at(2026, 2, 23, 17)),
        (at(2026, 2, 13, 16, 30), 1, at(2026, 2, 24, 17)),
        (at(2026, 2, 17, 10), 1, at(2026, 2, 24, 17)),
        # across Tết 2027
        (at(2027, 2, 3, 10), 1, at(2027, 2, 11, 17)),
        # the 2025 make-up Saturday counts, the swapped Friday does not
        (at(2025, 4, 24, 10), 2, at(2025, 4, 26, 17)),
        (at(2025, 4, 24, 10), 5, at(2025, 5, 5, 17)),
        # 30/4–1/5/2026 and the Hùng Kings Monday
        (at(2026, 4, 29, 10), 1, at(2026, 5, 4, 17)),
        (at(2026, 4, 24, 10), 1, at(2026, 4, 28, 17)),
        # Quốc khánh 2026: Saturday 22/08 worked, 31/08–02/09 off
        (at(2026, 8, 21, 10), 1, at(2026, 8, 22, 17)),
        (at(2026, 8, 28, 10), 1, at(2026, 9, 3, 17)),
    ],
)
def test_add_working_days(cal, received, n, due):
    assert cal.add_working_days(received, n) == due


def test_add_working_days_reads_any_timezone_and_dates(cal):
    # 09:30 UTC is 16:30 in Hanoi: after the cut-off
    assert cal.add_working_days(datetime(2026, 3, 9, 9, 30, tzinfo=UTC), 3) == at(2026, 3, 13, 17)
    assert cal.add_working_days(datetime(2026, 3, 9, 16, 30), 3) == at(2026, 3, 13, 17)  # naive = local
    assert cal.add_working_days(date(2026, 3, 9), 3) == at(2026, 3, 12, 17)
    due = cal.add_working_days(at(2026, 3, 9, 10), 3)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(hours=7)


def test_receipt_day_and_days_between(cal):
    assert cal.receipt_day(at(2026, 2, 13, 16, 30)) == date(2026, 2, 23)
    assert cal.receipt_day(at(2026, 2, 13, 15)) == date(2026, 2, 13)
    received = at(2026, 2, 12, 10)
    assert cal.working_days_between(received, cal.add_working_days(received, 7)) == 7
    assert cal.working_days_between(at(2026, 2, 24), at(2026, 2, 12)) == -3
    assert cal.working_days_in(date(2026, 2, 1), date(2026, 2, 28)) == 15


def test_negative_and_fractional_amounts_are_refused(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 3, 9), -1)
    with pytest.raises(TypeError):
        cal.add_working_days(at(2026, 3, 9), 1.5)
    with pytest.raises(TypeError):
        cal.due(at(2026, 3, 9), 1.5, "half_days")
    assert cal.due(at(2026, 3, 9, 10), 1.5, "hours").due == at(2026, 3, 9, 11, 30)
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2026, 3, 9), -1)


# -- hours, half-days, working time --------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2026, 3, 9, 10), 2, at(2026, 3, 9, 13, 30)),  # across lunch
        (at(2026, 3, 9, 10), 1.5, at(2026, 3, 9, 11, 30)),  # ends at the session's end, not 13:00
        (at(2026, 3, 9, 12), 1, at(2026, 3, 9, 14)),  # received during lunch
        (at(2026, 3, 9, 6), 1, at(2026, 3, 9, 8, 30)),  # before opening
        (at(2026, 3, 9, 10), 8, at(2026, 3, 10, 10)),  # a full working day
        (at(2026, 3, 13, 16), 2, at(2026, 3, 16, 8, 30)),  # across a weekend
        (at(2026, 3, 8, 10), 1, at(2026, 3, 9, 8, 30)),  # received on a Sunday
        (at(2026, 2, 13, 16), 2, at(2026, 2, 23, 8, 30)),  # across Tết
        (at(2026, 3, 9, 12), 0, at(2026, 3, 9, 13)),  # 0 hours: the next working moment
        (at(2026, 3, 9, 16, 30), 24, at(2026, 3, 12, 16, 30)),  # no cut-off for hours
    ],
)
def test_add_working_hours(cal, start, hours, due):
    assert cal.add_working_hours(start, hours) == due


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (at(2026, 3, 9, 10), 1, at(2026, 3, 9, 17)),  # the morning is the receipt session
        (at(2026, 3, 9, 10), 2, at(2026, 3, 10, 11, 30)),
        (at(2026, 3, 9, 10), 0, at(2026, 3, 9, 11, 30)),
        (at(2026, 3, 9, 12), 1, at(2026, 3, 10, 11, 30)),  # during lunch: the afternoon is the receipt session
        (at(2026, 3, 9, 18), 1, at(2026, 3, 10, 17)),
        (at(2026, 3, 7, 10), 1, at(2026, 3, 9, 17)),  # Saturday: Monday morning is the receipt session
        (at(2026, 2, 13, 14), 1, at(2026, 2, 23, 11, 30)),  # across Tết
    ],
)
def test_add_half_days(cal, start, n, due):
    assert cal.add_half_days(start, n) == due


def test_working_time_between(cal):
    assert cal.working_time_between(at(2026, 3, 9, 10), at(2026, 3, 9, 14)) == 2.5 * H  # lunch excluded
    assert cal.working_time_between(at(2026, 3, 13, 16), at(2026, 3, 16, 8, 30)) == 2 * H  # weekend excluded
    assert cal.working_time_between(at(2026, 2, 12, 7, 30), at(2026, 2, 24, 7, 30)) == 24 * H  # 12, 13, 23/02
    assert cal.working_time_between(at(2026, 3, 9, 14), at(2026, 3, 9, 10)) == -2.5 * H
    assert cal.working_time_between(at(2026, 3, 7, 8), at(2026, 3, 7, 12)) == timedelta(0)
    assert cal.working_hours_between(at(2026, 3, 9, 7, 30), at(2026, 3, 9, 17)) == 8


# -- pauses ---------------------------------------------------------------------------------------

def test_pause_over_tet_only_counts_its_working_time(cal):
    received = at(2026, 2, 11, 9)  # days counted: 12/02, 13/02, 23/02
    assert cal.due_with_pauses(received, 3) == at(2026, 2, 23, 17)
    # waiting for supplements from Friday 13/02 07:30 to Monday 23/02 07:30: only Friday is working time
    deadline = cal.due(received, 3, "days", [(at(2026, 2, 13, 7, 30), at(2026, 2, 23, 7, 30))])
    assert deadline.paused == 8 * H
    assert deadline.due == at(2026, 2, 24, 17)
    # 13/02 15:00 -> 23/02 09:00: 2 h + 1.5 h
    deadline = cal.due(received, 3, "days", [(at(2026, 2, 13, 15), at(2026, 2, 23, 9))])
    assert deadline.paused == 3.5 * H
    assert deadline.due == at(2026, 2, 24, 11)
    assert deadline.counted_from == at(2026, 2, 12, 7, 30)
    assert deadline.allowed == 24 * H


def test_pauses_outside_the_clock_overlaps_and_open_pauses(cal):
    received = at(2026, 3, 9, 9)  # 3 days: due Thu 12/03 17:00
    # a pause on the receipt day (not counted) and one after the due date change nothing
    pauses = [(at(2026, 3, 9, 10), at(2026, 3, 9, 15)), (at(2026, 3, 13, 8), at(2026, 3, 16, 8))]
    assert cal.due(received, 3, "days", pauses).due == at(2026, 3, 12, 17)
    # overlapping pauses count their union once: Tue 07:30 -> Wed 07:30 = one working day
    pauses = [(at(2026, 3, 10, 7, 30), at(2026, 3, 10, 17)), (at(2026, 3, 10, 13), at(2026, 3, 11, 7, 30))]
    deadline = cal.due(received, 3, "days", pauses)
    assert (deadline.paused, deadline.due) == (8 * H, at(2026, 3, 13, 17))
    # an open pause stops the clock
    deadline = cal.due(received, 3, "days", [(at(2026, 3, 10, 9), None)])
    assert deadline.stopped and deadline.due is None
    # hours and half-days are paused alike
    assert cal.due(at(2026, 3, 9, 8), 4, "hours", [(at(2026, 3, 9, 9), at(2026, 3, 9, 10))]).due == at(
        2026, 3, 9, 14, 30)
    assert cal.due(at(2026, 3, 9, 8), 1, "half_days", [(at(2026, 3, 9, 13), at(2026, 3, 9, 15))]).due == at(
        2026, 3, 10, 9, 30)
    with pytest.raises(ValueError):
        cal.due(received, 3, "days", [(at(2026, 3, 10, 9), at(2026, 3, 10, 8))])


# -- configuration and range ----------------------------------------------------------------------

def test_sessions_and_cutoff_are_configurable():
    other = WorkCalendar({}, sessions="08:00-12:00,13:30-17:30", cutoff="15:00")
    assert other.add_working_days(at(2026, 3, 9, 15, 30), 1) == at(2026, 3, 11, 17, 30)
    assert other.add_working_hours(at(2026, 3, 9, 11), 2) == at(2026, 3, 9, 14, 30)
    single = WorkCalendar({}, sessions="08:00-16:00", cutoff="16:00")
    assert single.add_half_days(at(2026, 3, 9, 9), 1) == at(2026, 3, 10, 16)
    for bad in ("07:30-11:30,11:00-17:00", "17:00-07:30", "7h30-11h", ""):
        with pytest.raises(ImproperlyConfigured):
            WorkCalendar({}, sessions=bad)
    with pytest.raises(ImproperlyConfigured):
        WorkCalendar({}, cutoff="25:00")


def test_overrides_win_over_the_package():
    overrides = {date(2026, 3, 7): ("working_day", "x"), date(2026, 3, 9): "day_off", date(2026, 2, 20): "working_day"}
    other = WorkCalendar(overrides)
    assert other.is_working_day(date(2026, 3, 7)) and not other.is_working_day(date(2026, 3, 9))
    assert other.is_working_day(date(2026, 2, 20))
    assert other.add_working_days(at(2026, 3, 6, 10), 2) == at(2026, 3, 10, 17)


def test_range_extends_on_demand():
    small = WorkCalendar({}, last_year=2027)
    assert small.years == (workcal.MIN_YEAR, 2027)
    assert small.add_working_days(at(2027, 12, 30, 10), 60).year == 2028
    assert small.is_working_day(date(2045, 3, 6))  # a Monday
    assert small.years[1] == 2045
    with pytest.raises(OutOfRange):
        small.is_working_day(date(1999, 12, 31))
    with pytest.raises(OutOfRange):
        small.add_working_days(at(2099, 12, 1), 100)


# -- the service: set / remove an override -------------------------------------------------------

def queued_refreshes() -> int:
    """How many calendar refreshes wait on the configured queue (database or Redis)."""
    from django.conf import settings

    if settings.TASK_BACKEND == "rq":
        import django_rq

        queue = django_rq.get_queue("default")
        return sum(1 for job in queue.get_jobs() if job.func_name.endswith("refresh_calendar"))
    return DBTaskResult.objects.filter(task_path__endswith="refresh_calendar", status="READY").count()


@pytest.mark.django_db
def test_set_override_writes_event_invalidates_and_enqueues(national_admin, django_capture_on_commit_callbacks):
    friday = at(2026, 3, 6, 10)
    assert workcal.add_working_days(friday, 1) == at(2026, 3, 9, 17)
    tasks_before = queued_refreshes()
    with django_capture_on_commit_callbacks(execute=True):
        override = set_override(date(2026, 3, 7), "working_day", "Làm bù (thử) / Make-up (test)", national_admin)
    assert workcal.add_working_days(friday, 1) == at(2026, 3, 7, 17)
    event = AuditEvent.objects.get(action="workdays.override_set")
    assert event.object_id == str(override.pk) and event.actor == national_admin
    assert event.before is None and event.after["kind"] == "working_day" and event.after["date"] == "2026-03-07"
    assert CalendarState.current_version() == 1
    assert queued_refreshes() == tasks_before + 1

    # the same values again: nothing changes, no event
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        set_override("2026-03-07", "working_day", "Làm bù (thử) / Make-up (test)", national_admin)
    assert callbacks == [] and AuditEvent.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        set_override(date(2026, 3, 7), "day_off", "Đổi ý / Changed", national_admin)
    changed = AuditEvent.objects.filter(action="workdays.override_set").first()
    assert changed.before["kind"] == "working_day" and changed.after["kind"] == "day_off"
    assert workcal.add_working_days(friday, 1) == at(2026, 3, 9, 17)


@pytest.mark.django_db
def test_remove_override_records_the_removed_row(national_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        override = set_override(date(2026, 3, 9), "day_off", "Nghỉ thêm / Extra day off", national_admin)
    assert not workcal.is_working_day(date(2026, 3, 9))
    with django_capture_on_commit_callbacks(execute=True):
        remove_override(date(2026, 3, 9), national_admin)
    assert workcal.is_working_day(date(2026, 3, 9))
    assert not CalendarOverride.objects.exists()
    event = AuditEvent.objects.get(action="workdays.override_removed")
    assert event.object_id == str(override.pk) and event.before["kind"] == "day_off" and event.after is None
    assert CalendarState.current_version() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("2026-13-01", "day_off", "x"), "date"),
        (("", "day_off", "x"), "date"),
        ((date(1990, 1, 1), "day_off", "x"), "date"),
        ((date(2026, 3, 9), "holiday", "x"), "kind"),
        ((date(2026, 3, 9), "day_off", "   "), "reason"),
        ((date(2026, 3, 9), "day_off", "x" * 256), "reason"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(national_admin, args, field):
    with pytest.raises(ValidationError) as info:
        set_override(*args, actor=national_admin)
    assert field in info.value.message_dict
    assert " / " in info.value.message_dict[field][0]
    assert not CalendarOverride.objects.exists()
    assert not AuditEvent.objects.exists()
    assert CalendarState.current_version() == 0


@pytest.mark.django_db
def test_remove_missing_override_and_permissions(national_admin, ag_admin, ag_clerk):
    with pytest.raises(ValidationError) as info:
        remove_override(date(2026, 3, 9), national_admin)
    assert "date" in info.value.message_dict
    for user in (ag_admin, ag_clerk):
        with pytest.raises(PermissionDenied):
            set_override(date(2026, 3, 9), "day_off", "x", user)
    set_override(date(2026, 3, 9), "day_off", "x", national_admin)
    with pytest.raises(PermissionDenied):
        remove_override(date(2026, 3, 9), ag_admin)
    assert CalendarOverride.objects.count() == 1


@pytest.mark.django_db
def test_other_processes_pick_up_a_change_by_the_version(monkeypatch):
    first = workcal.get_calendar()
    assert workcal.get_calendar() is first
    # another process adds an override and bumps the version (no on_commit here)
    CalendarOverride.objects.create(date=date(2026, 3, 9), kind="day_off", reason="x")
    CalendarState.objects.create(pk=1, version=7)
    assert workcal.get_calendar() is first  # within the check interval: cached
    monkeypatch.setattr(workcal, "_next_check", 0.0)
    second = workcal.get_calendar()
    assert second is not first and second.version == 7
    assert not second.is_working_day(date(2026, 3, 9))
    monkeypatch.setattr(workcal, "_next_check", 0.0)
    assert workcal.get_calendar() is second  # unchanged version: no rebuild


# -- the refresh task and the data load ------------------------------------------------------------

@pytest.mark.django_db
def test_refresh_calendar_materialises_next_years_holidays(national_admin):
    this_year = timezone.localdate().year
    set_override(date(this_year, 3, 3) if date(this_year, 3, 3).weekday() < 5 else date(this_year, 3, 5),
                 "working_day", "Thử / Test", national_admin)
    result = refresh_calendar.call()
    assert result["years"] == [this_year - 1, this_year + 2]
    assert this_year + 1 in result["known_years"]
    next_tet = PublicHoliday.objects.filter(date__year=this_year + 1, name="Tết Nguyên Đán").get()
    assert next_tet.source == "holidays" and next_tet.kind == "day_off" and next_tet.name_en == "Lunar New Year"
    assert PublicHoliday.objects.filter(source="override").count() == 1
    state = CalendarState.objects.get(pk=1)
    assert state.known_years == result["known_years"] and state.refreshed_at is not None
    assert any("already a working day" in w for w in state.warnings)  # a make-up day on a weekday
    # idempotent, and follows removals
    again = refresh_calendar.call()
    assert (again["created"], again["updated"], again["removed"]) == (0, 0, 0)
    remove_override(CalendarOverride.objects.get().date, national_admin)
    assert refresh_calendar.call()["removed"] == 1
    assert not PublicHoliday.objects.filter(source="override").exists()


@pytest.mark.django_db
def test_load_calendar_overrides_is_idempotent(capsys):
    call_command("load_calendar_overrides", "--no-refresh")
    call_command("load_calendar_overrides")
    moves = dict(CalendarOverride.objects.values_list("date", "kind"))
    assert moves == {
        date(2025, 4, 26): "working_day", date(2025, 5, 2): "day_off",
        date(2026, 8, 22): "working_day", date(2026, 8, 31): "day_off",
    }
    assert AuditEvent.objects.filter(action="workdays.override_set").count() == 4
    assert all("/" in reason for reason in CalendarOverride.objects.values_list("reason", flat=True))
    out = capsys.readouterr().out
    assert "0 loaded, 4 already there" in out and "Tết Bính Ngọ 2026" in out
    this_year = timezone.localdate().year
    if this_year - 1 <= 2026 <= this_year + 2:  # the years refresh_calendar materialises
        assert PublicHoliday.objects.filter(date=date(2026, 8, 22), kind="working_day", source="override").exists()


# -- admin ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_admin_only_national_admin_edits(client, national_admin, ag_admin, ag_clerk):
    staff(national_admin)
    staff(ag_admin)
    staff(ag_clerk)
    url = "/admin/workdays/calendaroverride/"
    client.force_login(ag_clerk)
    assert client.get(url).status_code == 403
    client.force_login(ag_admin)
    assert client.get(url).status_code == 200
    assert client.get(url + "add/").status_code == 403
    assert client.post(url + "add/", {"date": "2026-03-07", "kind": "working_day", "reason": "x"}).status_code == 403
    assert not CalendarOverride.objects.exists()

    client.force_login(national_admin)
    response = client.post(url + "add/", {"date": "2026-03-07", "kind": "working_day", "reason": "Làm bù / Make-up"})
    assert response.status_code == 302
    override = CalendarOverride.objects.get(date=date(2026, 3, 7))
    assert AuditEvent.objects.filter(action="workdays.override_set", object_id=str(override.pk)).exists()
    response = client.post(url + "add/", {"date": "2026-03-08", "kind": "weekend", "reason": ""})
    assert response.status_code == 200 and " / " in response.content.decode()
    response = client.post(f"{url}{override.pk}/change/", {"kind": "day_off", "reason": "Nghỉ / Off"})
    assert response.status_code == 302
    assert CalendarOverride.objects.get(pk=override.pk).kind == "day_off"
    response = client.post(f"{url}{override.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not CalendarOverride.objects.exists()
    assert AuditEvent.objects.filter(action="workdays.override_removed", object_id=str(override.pk)).exists()

    set_override(date(2026, 3, 9), "day_off", "a", national_admin)
    set_override(date(2026, 3, 10), "day_off", "b", national_admin)
    response = client.post(url, {"action": "delete_selected", "post": "yes",
                                 "_selected_action": list(CalendarOverride.objects.values_list("pk", flat=True))})
    assert response.status_code == 302 and not CalendarOverride.objects.exists()
    assert AuditEvent.objects.filter(action="workdays.override_removed").count() == 3


@pytest.mark.django_db
def test_public_holiday_admin_is_read_only(client, national_admin):
    staff(national_admin)
    refresh_calendar.call()
    client.force_login(national_admin)
    assert client.get("/admin/workdays/publicholiday/").status_code == 200
    holiday = PublicHoliday.objects.first()
    assert client.get("/admin/workdays/publicholiday/add/").status_code == 403
    assert client.post(f"/admin/workdays/publicholiday/{holiday.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PublicHoliday.objects.filter(pk=holiday.pk).exists()


# -- the page -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_calendar_page_shows_the_year(client, ag_clerk):
    assert client.get("/calendar/").status_code == 302  # login required
    client.force_login(ag_clerk)
    page = client.get("/calendar/?year=2026").content.decode()
    assert "16/02/2026" in page and "Tết Nguyên Đán" in page
    assert "22/08/2026" in page  # the make-up Saturday
    assert "07:30–11:30" in page and "13:00–17:00" in page and "16:00" in page
    assert "/admin/workdays/calendaroverride/" not in page  # a clerk may not edit
    assert "25/04/2025" not in client.get("/calendar/?year=2025").content.decode()
    assert "26/04/2025" in client.get("/calendar/?year=2025").content.decode()
    assert client.get("/calendar/?year=abc").status_code == 200


@pytest.mark.django_db
def test_calendar_page_calculator(client, ag_clerk, national_admin):
    client.force_login(ag_clerk)
    params = {"start": "2026-02-13T16:30", "amount": "1", "unit": "days"}
    page = client.get("/calendar/", params).content.decode()
    assert "24/02/2026 17:00" in page and "23/02/2026" in page and "<html" in page
    partial = client.get("/calendar/", params, HTTP_HX_REQUEST="true").content.decode()
    assert "24/02/2026 17:00" in partial and "<html" not in partial
    partial = client.get("/calendar/", {"start": "2026-03-09T10:00", "amount": "2", "unit": "hours"},
                         HTTP_HX_REQUEST="true").content.decode()
    assert "09/03/2026 13:30" in partial
    partial = client.get("/calendar/", {"start": "x", "amount": "-1", "unit": "days"},
                         HTTP_HX_REQUEST="true").content.decode()
    assert "errorlist" in partial and " / " in partial
    staff(national_admin)
    client.force_login(national_admin)
    assert "/admin/workdays/calendaroverride/" in client.get("/calendar/").content.decode()


# -- the API --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_days(client, ag_clerk):
    url = "/api/v1/calendar/days/"
    assert client.get(url, {"from": "2026-01-01", "to": "2026-12-31"}).status_code in (401, 403)
    client.force_login(ag_clerk)
    body = client.get(url, {"from": "2025-01-01", "to": "2026-12-31"}).json()
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-02-17"]["working"] is False and days["2026-02-17"]["kind"] == "holiday"
    assert days["2025-04-26"]["working"] is True and days["2025-04-26"]["kind"] == "working_day"
    assert "2026-03-07" not in days  # weekends only on request
    with_weekends = client.get(url, {"from": "2026-03-01", "to": "2026-03-31", "weekends": "true"}).json()
    assert [d["date"] for d in with_weekends["days"]][:2] == ["2026-03-01", "2026-03-07"]
    assert with_weekends["working_days"] == 22
    for params, field in [
        ({"to": "2026-12-31"}, "from"),
        ({"from": "2026-02-30", "to": "2026-12-31"}, "from"),
        ({"from": "2026-12-31", "to": "2026-01-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-12-31"}, "to"),
    ]:
        response = client.get(url, params)
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["field"] == field and " / " in error["message"]


@pytest.mark.django_db
def test_api_due_date(client, ag_clerk):
    url = "/api/v1/calendar/due-date/"
    client.force_login(ag_clerk)
    response = client.post(url, {"start": "2026-02-13T16:30:00+07:00", "amount": 1, "unit": "days"},
                           content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["due"] == "2026-02-24T17:00:00+07:00" and body["receipt_day"] == "2026-02-23"
    assert body["counted_from"] == "2026-02-24T07:30:00+07:00" and body["allowed_seconds"] == 8 * 3600
    body = client.post(url, {"start": "2026-02-11T09:00", "amount": 3, "pauses": [
        {"start": "2026-02-13T07:30:00+07:00", "end": "2026-02-23T07:30:00+07:00"}]},
        content_type="application/json").json()
    assert body["due"] == "2026-02-24T17:00:00+07:00" and body["paused_seconds"] == 8 * 3600
    body = client.post(url, {"start": "2026-03-09T10:00:00+07:00", "amount": 2, "unit": "hours"},
                       content_type="application/json").json()
    assert body["due"] == "2026-03-09T13:30:00+07:00" and body["receipt_day"] is None
    body = client.post(url, {"start": "2026-03-09T10:00:00+07:00", "amount": 1, "unit": "half_days"},
                       content_type="application/json").json()
    assert body["due"] == "2026-03-09T17:00:00+07:00"
    body = client.post(url, {"start": "2026-03-09T10:00:00+07:00", "amount": 3,
                             "pauses": [{"start": "2026-03-10T08:00:00+07:00"}]},
                       content_type="application/json").json()
    assert body["due"] is None and body["stopped"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "2026-03-09T10:00:00+07:00", "amount": "three"}, "amount"),
        ({"start": "2026-03-09T10:00:00+07:00", "amount": -1}, "amount"),
        ({"start": "2026-03-09T10:00:00+07:00"}, "amount"),
        ({"start": "yesterday", "amount": 1}, "start"),
        ({"start": "1990-03-09T10:00:00+07:00", "amount": 1}, "start"),
        ({"start": "2026-03-09T10:00:00+07:00", "amount": 1, "unit": "weeks"}, "unit"),
        ({"start": "2026-03-09T10:00:00+07:00", "amount": 1, "pauses": "no"}, "pauses"),
        ({"start": "2026-03-09T10:00:00+07:00", "amount": 1,
          "pauses": [{"start": "2026-03-10T10:00:00+07:00", "end": "2026-03-10T09:00:00+07:00"}]}, "pauses.0.end"),
    ],
)
def test_api_due_date_errors_name_the_field(client, ag_clerk, payload, field):
    client.force_login(ag_clerk)
    response = client.post("/api/v1/calendar/due-date/", payload, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == field and " / " in errors[0]["message"], errors


def test_api_schema_documents_the_calendar():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/calendar/due-date/" in schema["paths"]
    days = schema["paths"]["/api/v1/calendar/days/"]["get"]
    assert {p["name"] for p in days["parameters"]} >= {"from", "to"}


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["2000", "-5", "1999", "abc", "2100"])
def test_calendar_page_never_fails_on_an_odd_year(client, ag_clerk, year):
    client.force_login(ag_clerk)
    assert client.get(f"/calendar/?year={year}").status_code == 200
