"""Load the government's known day moves (2025–2026) as calendar overrides. Idempotent.

Sources, and how sure we are of them:

* 2025, 30/4–1/5: Saturday 26/04/2025 worked, Friday 02/05/2025 off (five days off
  30/04–04/05). Announced with the 2025 Tết schedule in Thông báo 6150/TB-BLĐTBXH
  (12/11/2024) — the move itself is well known (DOMAIN.md §5); the document number is
  *unconfirmed*. The ``holidays`` package 0.109 already carries this move; the
  overrides pin it so that the calendar does not depend on the package version.
* 2026, Tết: the 14/02–22/02/2026 break (nine days) reported as decided by the Prime
  Minister is *unconfirmed*. It needs no override: 14–15/02 and 21–22/02 are weekends
  and the package already has the five statutory days 16–20/02; the command only checks it.
* 2026, Quốc khánh: Saturday 22/08/2026 worked, Monday 31/08/2026 off (so 29/08–02/09
  are off) — as the ``holidays`` package 0.109 has it, citing a secondary source;
  *unconfirmed*.

An existing override of the same kind is left as it is (an administrator may have
improved its reason); one of the other kind is reported and left alone unless
``--force``. A move an administrator removed is loaded again on the next run: remove
it from this list as well.
"""

from datetime import date, timedelta

from django.core.management.base import BaseCommand

from workdays.calendar import WorkCalendar
from workdays.models import CalendarOverride, OverrideKind
from workdays.services import set_override
from workdays.tasks import refresh_calendar

WORKING, OFF = OverrideKind.WORKING_DAY, OverrideKind.DAY_OFF

KNOWN_MOVES = [
    (date(2025, 4, 26), WORKING,
     "Làm bù cho thứ Sáu 02/05/2025 (nghỉ 30/4–4/5/2025; Thông báo 6150/TB-BLĐTBXH ngày 12/11/2024, "
     "số hiệu chưa đối chiếu) / Make-up working day for Friday 02/05/2025 (document number unconfirmed)"),
    (date(2025, 5, 2), OFF,
     "Nghỉ hoán đổi, làm bù thứ Bảy 26/04/2025 (Thông báo 6150/TB-BLĐTBXH ngày 12/11/2024, "
     "số hiệu chưa đối chiếu) / Day off swapped with Saturday 26/04/2025 (document number unconfirmed)"),
    (date(2026, 8, 22), WORKING,
     "Làm bù cho thứ Hai 31/08/2026 (nghỉ Quốc khánh 29/8–2/9/2026; chưa xác nhận) / "
     "Make-up working day for Monday 31/08/2026 (National Day break; unconfirmed)"),
    (date(2026, 8, 31), OFF,
     "Nghỉ hoán đổi, làm bù thứ Bảy 22/08/2026 (nghỉ Quốc khánh 29/8–2/9/2026; chưa xác nhận) / "
     "Day off swapped with Saturday 22/08/2026 (National Day break; unconfirmed)"),
]

# Breaks that need no override but are checked against the calendar: (first, last, label).
EXPECTED_BREAKS = [
    (date(2026, 2, 14), date(2026, 2, 22), "Tết Bính Ngọ 2026 (14/02–22/02, chưa xác nhận / unconfirmed)"),
]


class Command(BaseCommand):
    help = "Load the known official day moves (2025–2026) as calendar overrides (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="overwrite an override of the other kind")
        parser.add_argument("--no-refresh", action="store_true", help="do not run refresh_calendar afterwards")

    def handle(self, *args, force=False, no_refresh=False, **options):
        created = 0
        for day, kind, reason in KNOWN_MOVES:
            existing = CalendarOverride.objects.filter(date=day).first()
            if existing is not None and existing.kind == kind:
                continue
            if existing is not None and not force:
                self.stderr.write(f"{day:%d/%m/%Y}: kept the existing override ({existing.kind}); use --force")
                continue
            set_override(day, kind, reason, actor=None)
            created += 1
        self.stdout.write(f"calendar overrides: {created} loaded, {len(KNOWN_MOVES) - created} already there")
        cal = WorkCalendar.from_database()
        for first, last, label in EXPECTED_BREAKS:
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            working = [d for d in days if cal.is_working_day(d)]
            if working:
                self.stderr.write(f"{label}: still working days: {', '.join(f'{d:%d/%m/%Y}' for d in working)}")
            else:
                self.stdout.write(f"{label}: covered by the calendar")
        if not no_refresh:
            result = refresh_calendar.call()
            self.stdout.write(f"refresh_calendar: years {result['known_years']} known, {result['days']} special days")
            for warning in result["warnings"]:
                self.stderr.write(warning)
