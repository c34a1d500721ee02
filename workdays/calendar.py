"""The working-day calendar engine: deadlines in working days, half-days and hours.

What is a working day
---------------------
Monday to Friday, minus the public holidays the ``holidays`` package knows for
Vietnam (Tết, the fixed days and the substitute days it already carries), plus the
weekend days the package marks as make-up working days, and finally the
``CalendarOverride`` rows, which always win (``day_off`` / ``working_day``).
Working time is the sessions of a working day (settings ``WORKDAY_SESSIONS``,
default ``07:30-11:30,13:00-17:00``); the day-count cut-off is ``WORKDAY_CUTOFF``
(default ``16:00``). All moments are read and returned in ``settings.TIME_ZONE``
(Asia/Ho_Chi_Minh); a naive datetime is taken as local time, a ``date`` as 00:00.

Conventions (the ones the tests pin down)
----------------------------------------
* **Receipt day.** A dossier received on a working day at or before the cut-off
  (16:00:00) is received that day. Received after the cut-off, or on a day that is
  not a working day, it counts as received on the *next* working day.
* **Days.** The receipt day itself is not counted (Civil Code 2015, art. 147: a
  period in days starts on the day after the event). A limit of N working days is
  due at the **end of the Nth working day after the receipt day**, i.e. at the end
  of its last session (17:00). Received Monday 10:00 with 3 days: due Thursday 17:00;
  received Monday 16:30: receipt day Tuesday, due Friday 17:00. N = 0 means "the
  same day": due at the end of the receipt day.
* **Half-days.** A half-day is one session. The receipt session (the one the
  moment falls in, or the next one if it falls between sessions) is not counted;
  N half-days are due at the end of the Nth session after it. No cut-off applies.
* **Hours.** Pure working time: the clock runs only inside sessions of working
  days, from the receipt moment; the due moment is the earliest one at which
  ``hours`` of working time have elapsed (so a limit ending exactly at 11:30 is due
  11:30, not 13:00). No cut-off applies.
* **Pauses** (waiting for supplements) stop the clock: only the working time of a
  pause that falls inside the running clock (after the counting started, before
  the due moment) extends the deadline, so a pause over a holiday or a weekend adds
  nothing for those days. An open pause (no end) means the clock is stopped and
  there is no due moment yet.

How it is fast
--------------
The calendar precomputes, for a range of years, a byte per day (working or not),
``rank[i]`` = the number of working days before day i, and the sorted ordinals of
the working days. "Add N working days" is then two array look-ups (O(1)); working
time is handled on a single axis W(t) = rank(day) * day_length + session time
elapsed that day, so adding hours or measuring time between two moments is
arithmetic plus one look-up. The range is 2000..current year + 5, extended at its
end on demand up to 2099 (the start never moves, so the axis stays stable).

Caching across processes
------------------------
``get_calendar()`` returns a process-wide instance tagged with
``CalendarState.version``, a counter that the override services increment in the
same transaction as the change. The process that made the change drops its
instance on commit (``invalidate()``); every process re-reads the counter at most
every ``WORKDAY_CACHE_SECONDS`` (default 30) seconds and rebuilds when it moved,
so other processes see an override change within that many seconds.
"""

from __future__ import annotations

import operator
import threading
import time as monotonic_time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays as holidays_package
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

MIN_YEAR = 2000  # the range always starts here (building 2000..2031 takes ~30 ms)
MAX_YEAR = 2099  # the holidays package knows Tết up to 2100
YEARS_AHEAD = 5
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
US = 1_000_000
HOUR_US = 3600 * US

UNIT_DAYS = "days"
UNIT_HALF_DAYS = "half_days"
UNIT_HOURS = "hours"
UNITS = (UNIT_DAYS, UNIT_HALF_DAYS, UNIT_HOURS)

# Kinds of special day
HOLIDAY = "holiday"
DAY_OFF = "day_off"
WORKING_DAY = "working_day"


class OutOfRange(ValueError):
    """A date outside the years the calendar can cover (MIN_YEAR..MAX_YEAR)."""


def parse_clock(text: str, name: str = "WORKDAY_CUTOFF") -> int:
    """'16:00' -> microseconds since midnight."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except (ValueError, AttributeError):
        raise ImproperlyConfigured(f"{name}: expected HH:MM, got {text!r}") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ImproperlyConfigured(f"{name}: expected HH:MM, got {text!r}")
    return (hours * 60 + minutes) * 60 * US


def parse_sessions(text: str) -> tuple[tuple[int, int], ...]:
    """'07:30-11:30,13:00-17:00' -> ((start_us, end_us), ...), ordered and disjoint."""
    sessions = []
    for part in str(text).split(","):
        if not part.strip():
            continue
        if part.count("-") != 1:
            raise ImproperlyConfigured(f"WORKDAY_SESSIONS: expected HH:MM-HH:MM, got {part!r}")
        start, end = (parse_clock(p, "WORKDAY_SESSIONS") for p in part.split("-"))
        if end <= start:
            raise ImproperlyConfigured(f"WORKDAY_SESSIONS: a session must end after it starts: {part!r}")
        if sessions and start < sessions[-1][1]:
            raise ImproperlyConfigured(f"WORKDAY_SESSIONS: sessions must be in order and not overlap: {text!r}")
        sessions.append((start, end))
    if not sessions:
        raise ImproperlyConfigured("WORKDAY_SESSIONS: at least one session is needed")
    return tuple(sessions)


def time_of(us: int) -> time:
    seconds, micro = divmod(us, US)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


@dataclass(frozen=True)
class SpecialDay:
    """A day that differs from the weekly rule, or a holiday that falls on a weekend."""

    date: date
    working: bool
    kind: str  # HOLIDAY, DAY_OFF or WORKING_DAY
    name: str  # Vietnamese (for an override: its reason)
    name_en: str
    source: str  # "holidays" or "override"


@dataclass(frozen=True)
class Deadline:
    """The result of a deadline computation."""

    due: datetime | None  # None while an open pause stops the clock
    counted_from: datetime  # the first working moment the clock counts
    allowed: timedelta  # working time the limit allows
    paused: timedelta  # working time added by pauses (up to the due moment)
    stopped: bool  # an open pause stops the clock


class _Data:
    """The precomputed arrays for one range of years (immutable once built)."""

    __slots__ = ("lo_year", "hi_year", "base", "n_days", "is_work", "rank", "work_ords", "special", "package")

    def __init__(self, lo_year, hi_year, overrides):
        self.lo_year, self.hi_year = lo_year, hi_year
        first, last = date(lo_year, 1, 1).toordinal(), date(hi_year, 12, 31).toordinal()
        self.base, self.n_days = first, last - first + 1
        years = range(lo_year, hi_year + 1)
        vi = holidays_package.country_holidays("VN", years=years, language="vi")
        en = holidays_package.country_holidays("VN", years=years, language="en_US")
        package: dict[int, SpecialDay] = {}
        for day, name in vi.items():
            package[day.toordinal()] = SpecialDay(day, False, HOLIDAY, name, en.get(day, name), "holidays")
        for day in getattr(vi, "weekend_workdays", ()):
            if lo_year <= day.year <= hi_year:
                package[day.toordinal()] = SpecialDay(
                    day, True, WORKING_DAY, "Ngày làm việc bù", "Make-up working day", "holidays"
                )
        special = dict(package)
        for day, (kind, reason) in overrides.items():
            if lo_year <= day.year <= hi_year:
                special[day.toordinal()] = SpecialDay(day, kind == WORKING_DAY, kind, reason, reason, "override")
        is_work = bytearray(self.n_days)
        rank = [0] * (self.n_days + 1)
        work_ords = []
        weekday = date.fromordinal(first).weekday()
        count = 0
        for i in range(self.n_days):
            sd = special.get(first + i)
            working = sd.working if sd is not None else weekday not in WEEKEND
            if working:
                is_work[i] = 1
                work_ords.append(first + i)
                count += 1
            rank[i + 1] = count
            weekday = (weekday + 1) % 7
        self.is_work, self.rank, self.work_ords = is_work, rank, work_ords
        self.special, self.package = special, package


class WorkCalendar:
    """A national working-day calendar. Thread-safe: extending the range swaps one attribute."""

    def __init__(self, overrides=None, *, sessions=None, cutoff=None, last_year=None, version=0, tz=None):
        """overrides: {date: (kind, reason)} or {date: kind}; sessions/cutoff: strings as in settings."""
        self.version = version
        self.tz = tz or timezone.get_default_timezone()
        self.sessions = parse_sessions(sessions if sessions is not None else settings.WORKDAY_SESSIONS)
        self.cutoff_us = parse_clock(cutoff if cutoff is not None else settings.WORKDAY_CUTOFF)
        self.cutoff = time_of(self.cutoff_us)
        self.n_sessions = len(self.sessions)
        starts, ends, acc = [], [], 0
        for start, end in self.sessions:
            starts.append(acc)
            acc += end - start
            ends.append(acc)
        self.cum_start, self.cum_end, self.day_us = tuple(starts), tuple(ends), acc
        self.day_end = time_of(self.sessions[-1][1])
        self.overrides = {
            day: (value if isinstance(value, tuple) else (value, "")) for day, value in (overrides or {}).items()
        }
        if last_year is None:
            last_year = min(MAX_YEAR, timezone.localdate().year + YEARS_AHEAD)
        self._lock = threading.Lock()
        self._ends: dict[int, datetime] = {}  # ordinal -> end of that day (datetimes are immutable)
        self._data = _Data(MIN_YEAR, last_year, self.overrides)

    @classmethod
    def from_database(cls, version=None, **kwargs):
        from workdays.models import CalendarOverride, CalendarState

        if version is None:
            version = CalendarState.current_version()  # read before the overrides (see get_calendar)
        overrides = {o.date: (o.kind, o.reason) for o in CalendarOverride.objects.all()}
        return cls(overrides, version=version, **kwargs)

    # -- range ---------------------------------------------------------------------------------

    @property
    def years(self) -> tuple[int, int]:
        data = self._data
        return data.lo_year, data.hi_year

    def _extend(self, hi_year) -> _Data:
        """Extend the range up to hi_year. Only the end ever moves: the first year is fixed,
        so ranks and the working-time axis of days already covered never change, and a
        concurrent reader holding the previous arrays still gets consistent answers."""
        if hi_year > MAX_YEAR:
            raise OutOfRange(
                f"Ngày nằm ngoài phạm vi lịch {MIN_YEAR}–{MAX_YEAR}. / "
                f"The date is outside the calendar's range {MIN_YEAR}–{MAX_YEAR}."
            )
        with self._lock:
            data = self._data
            if data.hi_year < hi_year:
                data = _Data(data.lo_year, hi_year, self.overrides)
                self._data = data
            return data

    def _cover_day(self, ordinal) -> _Data:
        data = self._data
        i = ordinal - data.base
        if 0 <= i < data.n_days:
            return data
        if i < 0:
            raise OutOfRange(
                f"Ngày nằm ngoài phạm vi lịch {MIN_YEAR}–{MAX_YEAR}. / "
                f"The date is outside the calendar's range {MIN_YEAR}–{MAX_YEAR}."
            )
        return self._extend(date.fromordinal(ordinal).year)

    def _cover_index(self, data, k) -> _Data:
        """Make sure working day number k exists."""
        while k >= len(data.work_ords):
            missing = k - len(data.work_ords) + 1
            data = self._extend(data.hi_year + 1 + missing // 240)
        return data

    # -- conversions ---------------------------------------------------------------------------

    def local(self, value) -> datetime:
        """A date or datetime as an aware local datetime (a date is its 00:00)."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=self.tz)
            return value.astimezone(self.tz)
        if isinstance(value, date):
            return datetime.combine(value, time.min, tzinfo=self.tz)
        raise TypeError(f"expected a date or datetime, got {type(value).__name__}")

    def _ordinal(self, value) -> int:
        if isinstance(value, datetime):
            return self.local(value).toordinal()
        return value.toordinal()

    def _elapsed(self, tod) -> int:
        """Session time elapsed in a working day at time-of-day tod (µs)."""
        for (start, end), before in zip(self.sessions, self.cum_start, strict=True):
            if tod < end:
                return before + max(0, tod - start)
        return self.day_us

    def _w(self, value) -> int:
        """The working-time axis: µs of working time from the range start to the moment."""
        loc = self.local(value)
        data = self._cover_day(loc.toordinal())
        i = loc.toordinal() - data.base
        w = data.rank[i] * self.day_us
        if data.is_work[i]:
            tod = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * US + loc.microsecond
            w += self._elapsed(tod)
        return w

    def _moment(self, w, *, earliest=True) -> datetime:
        """The moment at working time w: the earliest (a session's end) or the latest
        (the next session's start) when w falls on a boundary."""
        if earliest:
            k, rem = divmod(w - 1, self.day_us)
            rem += 1
        else:
            k, rem = divmod(w, self.day_us)
        data = self._cover_index(self._data, k)
        for (start, _end), before, after in zip(self.sessions, self.cum_start, self.cum_end, strict=True):
            if rem < after or (earliest and rem == after):
                tod = start + rem - before
                break
        else:  # pragma: no cover - rem is always within the day
            tod = self.sessions[-1][1]
        return datetime.combine(date.fromordinal(data.work_ords[k]), time_of(tod), tzinfo=self.tz)

    def _day_end(self, ordinal) -> datetime:
        return datetime.combine(date.fromordinal(ordinal), self.day_end, tzinfo=self.tz)

    # -- days ----------------------------------------------------------------------------------

    def is_working_day(self, value) -> bool:
        o = self._ordinal(value)
        data = self._cover_day(o)
        return bool(data.is_work[o - data.base])

    def next_working_day(self, value) -> date:
        """The first working day strictly after the given day."""
        o = self._ordinal(value)
        data = self._cover_day(o)
        k = data.rank[o - data.base + 1]
        data = self._cover_index(data, k)
        return date.fromordinal(data.work_ords[k])

    def receipt_day(self, start) -> date:
        """The day a dossier received at ``start`` counts as received (the cut-off rule)."""
        data, k = self._receipt_index(self.local(start))
        return date.fromordinal(data.work_ords[k])

    def _receipt_index(self, loc):
        o = loc.toordinal()
        data = self._data
        i = o - data.base
        if not 0 <= i < data.n_days:
            data = self._cover_day(o)
            i = o - data.base
        tod = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * US + loc.microsecond
        if data.is_work[i] and tod <= self.cutoff_us:
            return data, data.rank[i]
        k = data.rank[i + 1]
        return self._cover_index(data, k), k

    def add_working_days(self, start, n: int) -> datetime:
        """The due moment of an N-working-day limit for a dossier received at ``start``:
        the end of the Nth working day after the receipt day (see the module docstring)."""
        n = operator.index(n)  # whole days only
        if n < 0:
            raise ValueError("n must be >= 0")
        tz = self.tz
        if isinstance(start, datetime):
            loc = start.astimezone(tz) if start.tzinfo is not None else start.replace(tzinfo=tz)
        else:
            loc = self.local(start)
        data, k = self._receipt_index(loc)
        k += n
        work_ords = data.work_ords
        if k >= len(work_ords):
            work_ords = self._cover_index(data, k).work_ords
        o = work_ords[k]
        due = self._ends.get(o)
        if due is None:
            due = self._ends[o] = self._day_end(o)
        return due

    def working_days_between(self, a, b) -> int:
        """The number of working days d with a's day < d <= b's day (negative if b is before a).
        For a dossier received before the cut-off, ``working_days_between(receipt, due) == N``."""
        oa, ob = self._ordinal(a), self._ordinal(b)
        self._cover_day(oa)
        data = self._cover_day(ob)
        return data.rank[ob - data.base + 1] - data.rank[oa - data.base + 1]

    def working_days_in(self, first: date, last: date) -> int:
        """The number of working days in [first, last]."""
        return self.working_days_between(first - timedelta(days=1), last)

    # -- half-days and hours -------------------------------------------------------------------

    def _receipt_session(self, loc) -> int:
        """The global index of the receipt session (sessions numbered from the range start)."""
        o = loc.toordinal()
        data = self._cover_day(o)
        i = o - data.base
        if data.is_work[i]:
            tod = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * US + loc.microsecond
            for j, (_start, end) in enumerate(self.sessions):
                if tod < end:
                    return data.rank[i] * self.n_sessions + j
            return (data.rank[i] + 1) * self.n_sessions
        return data.rank[i] * self.n_sessions

    def _session_end_w(self, g) -> int:
        k, j = divmod(g, self.n_sessions)
        return k * self.day_us + self.cum_end[j]

    def add_half_days(self, start, n: int) -> datetime:
        """The end of the Nth session after the receipt session."""
        n = operator.index(n)  # whole sessions only
        if n < 0:
            raise ValueError("n must be >= 0")
        return self._moment(self._session_end_w(self._receipt_session(self.local(start)) + n))

    def next_working_moment(self, start) -> datetime:
        """``start`` if it is inside a session of a working day, else the next session's start."""
        return self._moment(self._w(start), earliest=False)

    def add_working_hours(self, start, hours) -> datetime:
        """The earliest moment at which ``hours`` of working time have elapsed since ``start``."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        if hours == 0:
            return self.next_working_moment(start)
        return self._moment(self._w(start) + round(hours * HOUR_US))

    def working_time_between(self, a, b) -> timedelta:
        """Working (session) time between two moments; negative if b is before a."""
        return timedelta(microseconds=self._w(b) - self._w(a))

    def working_hours_between(self, a, b) -> float:
        return (self._w(b) - self._w(a)) / HOUR_US

    # -- deadlines with pauses -----------------------------------------------------------------

    def due(self, start, amount, unit=UNIT_DAYS, pauses=()) -> Deadline:
        """A deadline of ``amount`` units from ``start``, extended by the working time of
        ``pauses`` ([(pause_start, pause_end_or_None), ...]) that falls inside the clock."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}")
        if amount < 0:
            raise ValueError("amount must be >= 0")
        if unit != UNIT_HOURS:
            amount = operator.index(amount)  # whole days / sessions only
        loc = self.local(start)
        if unit == UNIT_DAYS:
            data, k = self._receipt_index(loc)
            clock = (k + 1) * self.day_us
            allowed = amount * self.day_us
        elif unit == UNIT_HALF_DAYS:
            g = self._receipt_session(loc)
            clock = self._session_end_w(g)
            allowed = self._session_end_w(g + amount) - clock
        else:
            clock = self._w(loc)
            allowed = round(amount * HOUR_US)
        intervals = []
        for pause_start, pause_end in pauses:
            ws = self._w(pause_start)
            if pause_end is None:
                intervals.append((ws, None))
                continue
            if self.local(pause_end) < self.local(pause_start):
                raise ValueError("a pause must end after it starts")
            intervals.append((ws, self._w(pause_end)))
        intervals.sort(key=lambda iv: iv[0])
        cur, remaining, paused, stopped = clock, allowed, 0, False
        for ws, we in intervals:
            if we is not None and we <= cur:
                continue  # entirely before the clock (or inside an earlier pause)
            ws = max(ws, cur)
            if ws - cur >= remaining:
                break  # the deadline falls before this pause
            remaining -= ws - cur
            if we is None:
                stopped = True
                break
            paused += we - ws
            cur = we
        counted_from = self._moment(clock, earliest=False)
        if stopped:
            due = None
        elif unit == UNIT_HOURS and allowed == 0 and paused == 0:
            due = self.next_working_moment(loc)
        else:
            due = self._moment(cur + remaining)
        return Deadline(due, counted_from, timedelta(microseconds=allowed), timedelta(microseconds=paused), stopped)

    def due_with_pauses(self, start, n_days, pauses=()) -> datetime | None:
        return self.due(start, n_days, UNIT_DAYS, pauses).due

    # -- listing -------------------------------------------------------------------------------

    def special_days(self, first: date, last: date, *, package_only=False) -> list[SpecialDay]:
        """Holidays, extra days off and make-up working days in [first, last], by date
        (overrides applied; with package_only, what the holidays package alone says)."""
        self._cover_day(first.toordinal())
        data = self._cover_day(last.toordinal())
        lo, hi = first.toordinal(), last.toordinal()
        source = data.package if package_only else data.special
        return sorted((sd for o, sd in source.items() if lo <= o <= hi), key=lambda sd: sd.date)

    def non_working_days(self, first: date, last: date, *, weekends=True):
        """Every non-working day in [first, last] (weekends included unless asked not to),
        with make-up working days too, as SpecialDay rows."""
        self._cover_day(first.toordinal())
        data = self._cover_day(last.toordinal())
        rows = []
        for o in range(first.toordinal(), last.toordinal() + 1):
            sd = data.special.get(o)
            if sd is not None:
                rows.append(sd)
            elif weekends and not data.is_work[o - data.base]:
                day = date.fromordinal(o)
                rows.append(SpecialDay(day, False, "weekend", "Nghỉ cuối tuần", "Weekend", "weekend"))
        return rows


# -- the process-wide instance ---------------------------------------------------------------------

_lock = threading.Lock()
_cached: WorkCalendar | None = None
_next_check = 0.0


def check_seconds() -> float:
    return float(getattr(settings, "WORKDAY_CACHE_SECONDS", 30))


def get_calendar() -> WorkCalendar:
    """The cached calendar; re-checks ``CalendarState.version`` at most every check_seconds()."""
    global _cached, _next_check
    cal = _cached
    now = monotonic_time.monotonic()
    if cal is not None and now < _next_check:
        return cal
    from workdays.models import CalendarState

    # The version is read before the overrides, so an instance is never tagged newer than its data.
    version = CalendarState.current_version()
    with _lock:
        if _cached is None or _cached.version != version:
            _cached = WorkCalendar.from_database(version)
        _next_check = now + check_seconds()
        return _cached


def invalidate():
    """Drop this process's calendar (the override services call it on commit)."""
    global _cached
    with _lock:
        _cached = None


def is_working_day(d) -> bool:
    return get_calendar().is_working_day(d)


def next_working_day(d) -> date:
    return get_calendar().next_working_day(d)


def add_working_days(start, n: int) -> datetime:
    return get_calendar().add_working_days(start, n)


def add_half_days(start, n: int) -> datetime:
    return get_calendar().add_half_days(start, n)


def add_working_hours(start, hours) -> datetime:
    return get_calendar().add_working_hours(start, hours)


def working_time_between(a, b) -> timedelta:
    return get_calendar().working_time_between(a, b)


def working_days_between(a, b) -> int:
    return get_calendar().working_days_between(a, b)


def due(start, amount, unit=UNIT_DAYS, pauses=()) -> Deadline:
    return get_calendar().due(start, amount, unit, pauses)


def due_with_pauses(start, n_days, pauses=()) -> datetime | None:
    return get_calendar().due_with_pauses(start, n_days, pauses)
