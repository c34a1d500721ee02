"""Background jobs of the calendar (Django's ``django.tasks`` API).

``refresh_calendar`` runs after every override change (enqueued on commit by
``workdays.services``) and should also run daily (e.g. ``refresh_calendar.enqueue()``
from a scheduler): it rebuilds the calendar from the ``holidays`` package and the
overrides, checks that each year from last year to ``years_ahead`` years ahead knows
Tết and the fixed holidays, materialises those years' special days into
``PublicHoliday`` (so the admin and the calendar page show them, and an administrator
sees before New Year whether next year's Tết is in), and records the known years and
any warnings on ``CalendarState``.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from workdays import calendar
from workdays.models import CalendarState, HolidaySource, OverrideKind, PublicHoliday

# Holidays every year must have (Labour Code 2019, art. 112), by the package's Vietnamese names.
REQUIRED = ("Tết Dương lịch", "Tết Nguyên Đán", "Ngày Chiến thắng", "Ngày Quốc tế Lao động", "Quốc khánh")


def _check_year(cal, year) -> list[str]:
    """Warnings for one year (an empty list: the year is known)."""
    days = cal.special_days(date(year, 1, 1), date(year, 12, 31), package_only=True)
    names = {sd.name for sd in days if sd.kind == calendar.HOLIDAY}
    warnings = [
        f"{year}: thiếu ngày lễ «{name}» / the holiday «{name}» is missing" for name in REQUIRED if name not in names
    ]
    return warnings


def _check_overrides(cal, first, last) -> list[str]:
    """Overrides that look like mistakes. Pinning what the package already says (e.g. an
    extra day off on a package holiday) is deliberate and not reported."""
    warnings = []
    package = {sd.date: sd for sd in cal.special_days(first, last, package_only=True)}
    for day, (kind, _reason) in sorted(cal.overrides.items()):
        if not first <= day <= last:
            continue
        sd = package.get(day)
        if sd is None and kind == OverrideKind.DAY_OFF and day.weekday() in calendar.WEEKEND:
            warnings.append(f"{day:%d/%m/%Y}: ngày nghỉ thêm rơi vào cuối tuần, không có tác dụng / "
                            "the extra day off is a weekend day and changes nothing")
        elif sd is None and kind == OverrideKind.WORKING_DAY and day.weekday() not in calendar.WEEKEND:
            warnings.append(f"{day:%d/%m/%Y}: ngày làm bù vốn là ngày làm việc, không có tác dụng / "
                            "the make-up working day is already a working day and changes nothing")
        elif sd is not None and kind == OverrideKind.WORKING_DAY and not sd.working:
            warnings.append(f"{day:%d/%m/%Y}: ngày làm bù bỏ ngày lễ «{sd.name}» / "
                            f"the make-up working day cancels the holiday «{sd.name_en}»")
    return warnings


@task()
def refresh_calendar(years_ahead: int = 2) -> dict:
    """Rebuild and check the calendar; materialise last year .. years_ahead ahead into PublicHoliday."""
    this_year = timezone.localdate().year
    first_year, last_year = this_year - 1, min(calendar.MAX_YEAR, this_year + max(0, int(years_ahead)))
    cal = calendar.WorkCalendar.from_database(last_year=max(last_year, this_year + calendar.YEARS_AHEAD))
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    known, warnings = [], []
    for year in range(first_year, last_year + 1):
        year_warnings = _check_year(cal, year)
        warnings.extend(year_warnings)
        if not year_warnings:
            known.append(year)
    warnings.extend(_check_overrides(cal, first, last))
    days = cal.special_days(first, last)
    with transaction.atomic():
        existing = {ph.date: ph for ph in PublicHoliday.objects.filter(date__range=(first, last))}
        wanted = {sd.date for sd in days}
        removed, _detail = PublicHoliday.objects.filter(date__range=(first, last)).exclude(date__in=wanted).delete()
        created = updated = 0
        for sd in days:
            values = {
                "name": sd.name[:255],
                "name_en": sd.name_en[:255],
                "kind": OverrideKind.WORKING_DAY if sd.working else OverrideKind.DAY_OFF,
                "source": HolidaySource.OVERRIDE if sd.source == "override" else HolidaySource.HOLIDAYS,
            }
            row = existing.get(sd.date)
            if row is None:
                PublicHoliday.objects.create(date=sd.date, **values)
                created += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                PublicHoliday.objects.filter(pk=row.pk).update(**values)
                updated += 1
        state, _created = CalendarState.objects.select_for_update().get_or_create(pk=1)
        state.refreshed_at = timezone.now()
        state.known_years = known
        state.warnings = warnings
        state.save(update_fields=["refreshed_at", "known_years", "warnings"])
    return {
        "years": [first_year, last_year],
        "known_years": known,
        "days": len(days),
        "created": created,
        "updated": updated,
        "removed": removed,
        "warnings": warnings,
    }
