"""The calendar page: a year month by month, the sessions and cut-off, and a deadline calculator."""

import calendar as stdlib_calendar
from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.scopes import can_act
from workdays.calendar import (
    DAY_OFF,
    HOLIDAY,
    MAX_YEAR,
    MIN_YEAR,
    UNIT_DAYS,
    OutOfRange,
    get_calendar,
    time_of,
)
from workdays.forms import DeadlineForm
from workdays.models import CalendarState


def weekday_names():
    return [_("Thứ Hai"), _("Thứ Ba"), _("Thứ Tư"), _("Thứ Năm"), _("Thứ Sáu"), _("Thứ Bảy"), _("Chủ Nhật")]


def kind_label(kind):
    return {
        HOLIDAY: _("Nghỉ lễ"),
        DAY_OFF: _("Nghỉ thêm (điều chỉnh)"),
        "weekend": _("Nghỉ cuối tuần"),
    }.get(kind, _("Làm việc bù"))


def _year(request):
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    # The first covered year has no "previous working day" before it: start one year later.
    return min(max(year, MIN_YEAR + 1), MAX_YEAR)


def _months(cal, year):
    english = (get_language() or "vi").startswith("en")
    names = weekday_names()
    special = {sd.date: sd for sd in cal.special_days(date(year, 1, 1), date(year, 12, 31))}
    months = []
    for month in range(1, 13):
        last = date(year, month, stdlib_calendar.monthrange(year, month)[1])
        weeks = []
        for week in stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                sd = special.get(day)
                if day.month != month:
                    css = "other"
                elif sd is not None:
                    css = "makeup" if sd.working else "holiday"
                else:
                    css = "" if cal.is_working_day(day) else "muted"
                cells.append({"day": day, "css": css, "title": (sd.name_en if english else sd.name) if sd else ""})
            weeks.append(cells)
        rows = [
            {
                "date": sd.date,
                "weekday": names[sd.date.weekday()],
                "name": sd.name_en if english else sd.name,
                "kind": kind_label(sd.kind),
                "working": sd.working,
                "override": sd.source == "override",
            }
            for sd in sorted(special.values(), key=lambda sd: sd.date)
            if sd.date.month == month
        ]
        months.append({
            "number": month,
            "name": _("Tháng %(m)s") % {"m": month},
            "working_days": cal.working_days_in(date(year, month, 1), last),
            "weeks": weeks,
            "days": rows,
        })
    return months


def _deadline(cal, form):
    """The calculator's result, or None with the errors added to the form."""
    if not form.is_valid():
        return None
    start, amount, unit = form.cleaned_data["start"], form.cleaned_data["amount"], form.cleaned_data["unit"]
    try:
        deadline = cal.due(start, amount, unit)
        receipt_day = cal.receipt_day(start) if unit == UNIT_DAYS else None
    except OutOfRange as exc:
        form.add_error("start", str(exc))
        return None
    names = weekday_names()
    return {
        "start": cal.local(start),
        "due": deadline.due,
        "due_weekday": names[deadline.due.weekday()],
        "counted_from": deadline.counted_from,
        "receipt_day": receipt_day,
        "amount": amount,
        "unit": dict(form.fields["unit"].choices)[unit],
    }


@login_required
def calendar_page(request):
    cal = get_calendar()
    form = DeadlineForm(request.GET if "start" in request.GET else None)
    result = _deadline(cal, form) if form.is_bound else None
    if request.htmx and form.is_bound:
        return render(request, "workdays/_deadline.html", {"form": form, "result": result})
    year = _year(request)
    state = CalendarState.objects.filter(pk=1).first()
    context = {
        "year": year,
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "months": _months(cal, year),
        "weekdays": weekday_names(),
        "working_days": cal.working_days_in(date(year, 1, 1), date(year, 12, 31)),
        "sessions": [(time_of(start), time_of(end)) for start, end in cal.sessions],
        "cutoff": cal.cutoff,
        "state": state,
        "can_edit": can_act(request.user, "manage_units"),
        "form": form,
        "result": result,
    }
    return render(request, "workdays/calendar.html", context)
