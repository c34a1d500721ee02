"""Benchmark: 100,000 S10 item ids allocated by 16 concurrent workers from one post office's range.

Standalone: ``DATABASE_URL=postgres://… python bench/item_ids.py`` (the database DATABASE_URL names; without
it, the SQLite file ``var/bench_intake.sqlite3`` that bench/intake.py uses; the target is PostgreSQL — on
SQLite, which serialises writers, it runs but says so). It migrates and builds its
own data, which clashes with nothing real: province 97 "Tỉnh Benchmark tiếp nhận" (shared with
bench/intake.py), commune 97001, post office B97-IDS and its range of indicator ZY (10,000,000 serials). The
range is created afresh for each run: the ids are only allocated, never used by a package.

Each worker is a process (forked after setup, with its own database connection) that calls
``postal.services.allocate_item_id`` in a transaction of its own, 100,000 / 16 times, all at once on the
same range: the worst case, where every allocation waits for the row lock of the one range.

Lines printed (``<metric>: <value> <unit>``): ``item_ids_database``, ``item_ids_workers``, ``item_ids_cpus``,
``item_ids_load_average`` (the machine's 1-minute load during the run: waiting for the range's row lock, the
workers are slowed most by a busy machine, as the holder of the lock may wait for a CPU),
``item_ids_allocated``, ``item_ids_invalid`` (ids whose S10 check digit is wrong: must be 0),
``item_ids_gaps`` (serials of the range skipped: must be 0), ``item_ids_collisions`` (ids issued more than
once, from the uniqueness of all ids produced: must be 0) and, last, the headline ``item_ids: <n> per_s``.
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

import multiprocessing  # noqa: E402
import time  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

ALLOCATIONS = int(os.environ.get("BENCH_ALLOCATIONS", "100000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "16"))
PROVINCE, COMMUNE, OFFICE = "97", "97001", "B97-IDS"
INDICATOR, FIRST, SIZE = "ZY", 10_000_000, 10_000_000
SERVICE = "send_dossier"


def build() -> None:
    """The province, commune and post office (once), and a fresh range for this run."""
    from geo.models import Commune, Province
    from network.models import PostOffice
    from postal.models import Item, ItemSeries

    with transaction.atomic():
        province, _ = Province.objects.get_or_create(
            code=PROVINCE, defaults={"name": "Tỉnh Benchmark tiếp nhận", "division_type": "tỉnh"})
        commune, _ = Commune.objects.get_or_create(code=COMMUNE, defaults={
            "name": "Phường Thử Nghiệm Một", "division_type": "phường", "province": province})
        office, _ = PostOffice.objects.get_or_create(code=OFFICE, defaults={
            "name": "Bưu cục thử nghiệm cấp số hiệu", "province": province, "commune": commune})
        series = ItemSeries.objects.filter(post_office=office)
        assert not Item.objects.filter(series__in=series).exists(), "the benchmark's range was used by a package"
        series.delete()
        ItemSeries.objects.create(post_office=office, service=SERVICE, indicator=INDICATOR, first_serial=FIRST,
                                  last_serial=FIRST + SIZE - 1, next_serial=FIRST)


def worker(count: int, start, results) -> None:
    """Allocate ``count`` ids, each in its own transaction, once ``start`` is set; send them back."""
    from network.models import PostOffice
    from postal.services import allocate_item_id

    ids = []
    try:
        office = PostOffice.objects.get(code=OFFICE)
        start.wait()
        for _ in range(count):
            with transaction.atomic():
                ids.append(allocate_item_id(office, SERVICE)[1])
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        results.put((ids, repr(exc)))
    else:
        results.put((ids, None))
    finally:
        connection.close()


def main() -> None:
    from postal import s10

    call_command("migrate", verbosity=0)
    build()
    connections.close_all()  # the workers are forked: each opens its own connection
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    shares = [ALLOCATIONS // WORKERS + (1 if i < ALLOCATIONS % WORKERS else 0) for i in range(WORKERS)]
    processes = [context.Process(target=worker, args=(share, start, results)) for share in shares]
    for process in processes:
        process.start()
    time.sleep(1.0)  # let every worker connect and wait at the start line
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    start.set()
    ids, errors = [], []
    for _ in processes:
        done, error = results.get(timeout=3600)
        ids.extend(done)
        if error:
            errors.append(error)
    elapsed = time.perf_counter() - began
    load = (load_before + os.getloadavg()[0]) / 2
    for process in processes:
        process.join()
    serials = {int(item_id[2:10]) for item_id in ids}
    print(f"item_ids_database: {connection.vendor}")
    if connection.vendor != "postgresql":
        print("item_ids_note: not PostgreSQL — SQLite serialises writers; these are not the benchmark's figures")
    print(f"item_ids_workers: {WORKERS} processes")
    print(f"item_ids_cpus: {os.cpu_count()} count")
    print(f"item_ids_load_average: {load:.1f} load")
    print(f"item_ids_allocated: {len(ids)} count")
    if errors:
        print(f"item_ids_failed_workers: {len(errors)} count ({errors[0]})")
    print(f"item_ids_invalid: {sum(1 for item_id in ids if not s10.is_valid(item_id))} count")
    print(f"item_ids_gaps: {len(set(range(FIRST, FIRST + len(ids))) - serials)} count")
    print(f"item_ids_collisions: {len(ids) - len(set(ids))} count")
    print(f"item_ids: {len(ids) / elapsed:.0f} per_s")


if __name__ == "__main__":
    main()
