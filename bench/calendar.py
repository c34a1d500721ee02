"""Benchmark: the mean time of one add_working_days over 100,000 random inputs.

Standalone: ``python bench/calendar.py`` (any DATABASE_URL; it migrates first and
loads the known official overrides). The last line is ``calendar: <mean> us``.

This file is named like the standard library's ``calendar``. Run as a script it drops
its own folder from the import path before anything imports ``calendar``; imported as
``calendar`` (by a sibling script run from bench/, whose folder is on sys.path) it
hands the import over to the standard library module.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
N = 100_000


def _hand_over_to_stdlib():
    import importlib.util
    import sysconfig

    path = os.path.join(sysconfig.get_paths()["stdlib"], "calendar.py")
    spec = importlib.util.spec_from_file_location("calendar", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["calendar"] = module  # the import statement returns what sys.modules holds
    spec.loader.exec_module(module)


def main():
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]
    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")

    import io
    import random
    import time
    from datetime import datetime, timedelta

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from workdays import calendar as workcal

    def mean_us(func, starts, amounts):
        begin = time.perf_counter()
        for start, amount in zip(starts, amounts, strict=True):
            func(start, amount)
        return (time.perf_counter() - begin) / len(starts) * 1e6

    call_command("migrate", verbosity=0)
    call_command("load_calendar_overrides", "--no-refresh", stdout=io.StringIO())

    rng = random.Random(45)
    tz = timezone.get_default_timezone()
    first = datetime(2025, 1, 1, tzinfo=tz)
    span = int((datetime(2028, 1, 1, tzinfo=tz) - first).total_seconds())
    starts = [first + timedelta(seconds=rng.randrange(span)) for _ in range(N)]
    days = [rng.randint(1, 60) for _ in range(N)]
    hours = [rng.randint(1, 60 * 8) for _ in range(N)]
    ends = [start + timedelta(days=d) for start, d in zip(starts, days, strict=True)]

    workcal.invalidate()
    begin = time.perf_counter()
    workcal.get_calendar()
    build_ms = (time.perf_counter() - begin) * 1e3
    workcal.add_working_days(starts[0], 1)  # warm up

    hours_us = mean_us(workcal.add_working_hours, starts, hours)
    half_us = mean_us(workcal.add_half_days, starts, [2 * d for d in days])
    between_us = mean_us(workcal.working_time_between, starts, ends)
    days_us = mean_us(workcal.add_working_days, starts, days)
    print(f"calendar_build: {build_ms:.1f} ms")
    print(f"add_working_hours: {hours_us:.2f} us")
    print(f"add_half_days: {half_us:.2f} us")
    print(f"working_time_between: {between_us:.2f} us")
    print(f"calendar: {days_us:.2f} us")


if __name__ == "__main__":
    main()
else:
    _hand_over_to_stdlib()
