"""Benchmark: dossier codes ``{agency identifier}-{yyMMdd}-{NNNN}`` issued for one receiving unit by 16 concurrent
workers.

Standalone: ``DATABASE_URL=postgres://… python bench/dossier_codes.py`` (the database DATABASE_URL names; the
target is PostgreSQL — on SQLite, which serialises writers, it runs but says so). It migrates and builds its own
data, which clashes with nothing real: province 97 "Tỉnh Benchmark tiếp nhận" (shared with the other benchmarks)
and its own receiving unit, agency ``000.00.97.BENCH`` "Đơn vị thử nghiệm cấp mã hồ sơ". The codes are only
issued, never given to a dossier: the agency's counters are reset at the start of each run.

A day holds at most 9,999 codes per receiving unit, so the run fills ``BENCH_DAYS`` days (default 1) of the
benchmark's own calendar, one after the other: on each day every worker — a process forked after setup, with
its own database connection — calls ``onestop.services.next_code`` in a transaction of its own, all at once on
the same counter (the worst case: every code waits for the row lock of the one counter), until the day is full.

Lines printed (``<metric>: <value> <unit>``): ``dossier_codes_database``, ``dossier_codes_workers``,
``dossier_codes_issued``, ``dossier_codes_failed_workers`` (if any), ``dossier_codes_gaps`` (numbers of a day
skipped: must be 0), ``dossier_codes_duplicates`` (codes issued more than once: must be 0) and, last, the
headline ``dossier_codes: <n> per_s``.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]  # bench/calendar.py
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")
os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(ROOT, "var", "bench_intake.sqlite3"))
os.environ.setdefault("DEBUG", "false")  # DEBUG=true would keep every query in memory
if "SECRET_KEY" not in os.environ:
    import secrets

    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)

import datetime  # noqa: E402
import multiprocessing  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

WORKERS = int(os.environ.get("BENCH_WORKERS", "16"))
DAYS = int(os.environ.get("BENCH_DAYS", "1"))
PER_DAY = int(os.environ.get("BENCH_CODES_PER_DAY", "9999"))
PROVINCE, AGENCY = "97", "000.00.97.BENCH"
FIRST_DAY = datetime.date(2099, 1, 5)  # the benchmark's own days: never a real dossier's


def build():
    """The province and the receiving unit (once); its counters emptied for this run."""
    from geo.models import Province
    from network.models import Agency
    from onestop.models import CodeCounter

    with transaction.atomic():
        province, _ = Province.objects.get_or_create(
            code=PROVINCE, defaults={"name": "Tỉnh Benchmark tiếp nhận", "division_type": "tỉnh"})
        agency, _ = Agency.objects.get_or_create(identifier=AGENCY, defaults={
            "name": "Đơn vị thử nghiệm cấp mã hồ sơ", "level": Agency.Level.PROVINCIAL_CENTRE, "province": province})
        CodeCounter.objects.filter(agency=agency).delete()
    return agency


def moment(day_index: int) -> datetime.datetime:
    day = FIRST_DAY + datetime.timedelta(days=day_index)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def worker(shares, start, results) -> None:
    """Issue ``shares[d]`` codes on day d, each in its own transaction, once ``start`` is set; send them back."""
    from network.models import Agency
    from onestop.services import next_code

    codes = []
    try:
        agency = Agency.objects.get(identifier=AGENCY)
        start.wait()
        for day_index, count in enumerate(shares):
            at = moment(day_index)
            for _ in range(count):
                with transaction.atomic():
                    codes.append(next_code(agency, at))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        results.put((codes, repr(exc)))
    else:
        results.put((codes, None))
    finally:
        connection.close()


def main() -> None:
    call_command("migrate", verbosity=0)
    build()
    connections.close_all()  # the workers are forked: each opens its own connection
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    shares = [[PER_DAY // WORKERS + (1 if i < PER_DAY % WORKERS else 0) for _day in range(DAYS)]
              for i in range(WORKERS)]
    processes = [context.Process(target=worker, args=(share, start, results)) for share in shares]
    for process in processes:
        process.start()
    time.sleep(1.0)  # let every worker connect and wait at the start line
    began = time.perf_counter()
    start.set()
    codes, errors = [], []
    for _ in processes:
        done, error = results.get(timeout=3600)
        codes.extend(done)
        if error:
            errors.append(error)
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    by_day: dict[str, list[int]] = {}
    for code in codes:
        _agency, day, number = code.rsplit("-", 2)
        by_day.setdefault(day, []).append(int(number))
    gaps = sum(len(set(range(1, max(numbers) + 1)) - set(numbers)) for numbers in by_day.values())
    duplicates = sum(n - 1 for n in Counter(codes).values() if n > 1)
    print(f"dossier_codes_database: {connection.vendor}")
    if connection.vendor != "postgresql":
        print("dossier_codes_note: not PostgreSQL — SQLite serialises writers; these are not the benchmark's figures")
    print(f"dossier_codes_workers: {WORKERS} processes")
    print(f"dossier_codes_days: {len(by_day)} count")
    print(f"dossier_codes_issued: {len(codes)} count")
    if errors:
        print(f"dossier_codes_failed_workers: {len(errors)} count ({errors[0]})")
    print(f"dossier_codes_gaps: {gaps} count")
    print(f"dossier_codes_duplicates: {duplicates} count")
    print(f"dossier_codes: {len(codes) / elapsed:.0f} per_s")


if __name__ == "__main__":
    main()
