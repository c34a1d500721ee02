"""Benchmark: scan events applied per second through the bulk API, over real HTTP, on PostgreSQL.

Standalone: ``DATABASE_URL=postgres://… python bench/scan_ingest.py`` (the database DATABASE_URL names; the target
is PostgreSQL — on SQLite, which serialises writers, it runs but says so). It migrates, then builds its own world
once, which clashes with nothing real and is reused by later runs:

* province 96 "Tỉnh Benchmark quét" with commune 96001, an agency 996.00.01.H96, a provincial centre and its
  one-stop desk MC-BENCH-96, procedure 9.960001 published there;
* CLIENTS post offices B96-01… (BENCH_CLIENTS, default one per CPU, at least 2), each with a counter clerk ``bench_scan_NN`` (the scanner's account) and a
  postman ``bench_scan_pm_NN``, and one dossier (tracking code starting ``BENCHSCAN``).

Each run then bulk-creates its packages (``bulk_create``, no audit trail: a benchmark's data generator needs
none): ITEMS_PER_CLIENT packages per post office, S10 indicator XS, pending at that post office with the
dossier's intake event. Before and after the run it removes those packages with their timeline events and
incidents (audit events are append-only and stay).

Each client is one scanner: its clerk's session (cookie + CSRF token, as a connected client holds it), one
keep-alive HTTP connection, and BATCHES batches of 1,000 events ``POST /api/v1/scans/``, one after the other.
A batch takes 1,000 distinct packages of the post office, each one step further round the delivery loop
(pending → held at the post office → out for delivery with the postman → delivery failed, nobody home → held at
the post office → …), with 1 % of the events repeated from the previous batch (duplicates) and 1 % dated before
the package's last event (late). Any answer other than 200, or any event rejected, is an error. The server is
the project's WSGI application behind Django's own HTTP/1.1 handler, pre-forked: WORKERS processes (default:
one per CPU) sharing the listening socket, a thread per client connection, persistent database connections,
DEBUG off — a gunicorn ``gthread`` deployment in miniature. Clients, server and database share this machine.

Lines printed (``<metric>: <value> <unit>``):

* ``scan_ingest_database``, ``scan_ingest_workers``, ``scan_ingest_clients``;
* ``scan_ingest_queries``: database queries of one 1,000-event batch (measured in this process with the test
  client): constant, whatever the batch size;
* ``scan_ingest_in_process_p50``: one 1,000-event batch through ``custody.scans.ingest`` in this process;
* ``scan_ingest_batches``, ``scan_ingest_errors`` (must be 0), ``scan_ingest_events`` with their outcomes,
  ``scan_ingest_batch_p50``;
* ``scan_ingest_batch_p99: <s> s`` (target ≤ 1 s per 1,000-event batch), then last ``scan_ingest: <n> per_s``
  (events applied per second, wall clock; target ≥ 3,000/s).

``BENCH_PROFILE=1`` also prints the top of a profile of ``custody.scans.ingest`` for one batch.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]  # bench/calendar.py
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")
os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(ROOT, "var", "bench_scans.sqlite3"))
# A production-like process: no query log, no HTTPS redirect on this plain-HTTP loopback server.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
if "SECRET_KEY" not in os.environ:
    import secrets

    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)

import datetime  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socketserver  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

# One scanner per CPU by default: every batch is served at once, none waits in a queue behind another.
CLIENTS = int(os.environ.get("BENCH_CLIENTS", str(max(2, os.cpu_count() or 2))))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
BATCHES = int(os.environ.get("BENCH_BATCHES", "12"))  # measured batches per client
WARM_UP = 1  # batches per client, not measured
BATCH = 1000
ITEMS_PER_CLIENT = int(os.environ.get("BENCH_ITEMS_PER_CLIENT", "3000"))
IN_PROCESS = 5  # batches timed in this process
PROVINCE = "96"
COMMUNE = ("96001", "Phường Thử Nghiệm Quét", "phường")
AGENCY, CENTRE, DESK = "996.00.01.H96", "996.00.00.H96", "MC-BENCH-96"
PROCEDURE = "9.960001"
OFFICE_PREFIX = "B96-"
CLERK_PREFIX = "bench_scan_"
POSTMAN_PREFIX = "bench_scan_pm_"
TRACKING_PREFIX = "BENCHSCAN"
INDICATOR = "XS"
# The delivery loop a package goes round, batch after batch: status -> (next status, with the postman?, reason)
LOOP = {"pending": ("held_at_post_office", False, ""), "held_at_post_office": ("out_for_delivery", True, ""),
        "out_for_delivery": ("delivery_failed", True, "nobody_home"),
        "delivery_failed": ("held_at_post_office", False, "")}
SESSIONS = []


# --- Data ---------------------------------------------------------------------------------------------------


def build_world() -> None:
    """The province, network, procedure, staff and one dossier per post office (once; later runs reuse them)."""
    from accounts.models import Role, User
    from catalog.services import DocumentData, VersionData, current_version, save_version
    from dossiers.models import Dossier
    from geo.models import Commune, Province
    from network.models import Agency, OneStopDesk, PostOffice

    with transaction.atomic():
        province, _ = Province.objects.get_or_create(
            code=PROVINCE, defaults={"name": "Tỉnh Benchmark quét", "division_type": "tỉnh"})
        code, name, kind = COMMUNE
        commune, _ = Commune.objects.get_or_create(code=code, defaults={
            "name": name, "division_type": kind, "province": province})
        agency, _ = Agency.objects.get_or_create(identifier=AGENCY, defaults={
            "name": "Sở Tư pháp tỉnh Benchmark quét", "level": Agency.Level.PROVINCIAL_DEPARTMENT,
            "province": province, "commune": commune})
        centre, _ = Agency.objects.get_or_create(identifier=CENTRE, defaults={
            "name": "Trung tâm PVHCC tỉnh Benchmark quét", "level": Agency.Level.PROVINCIAL_CENTRE,
            "province": province, "commune": commune})
        desk, _ = OneStopDesk.objects.get_or_create(code=DESK, defaults={
            "name": "Trung tâm PVHCC tỉnh Benchmark quét", "agency": centre, "level": OneStopDesk.Level.PROVINCIAL,
            "province": province, "commune": commune})
        version = current_version(PROCEDURE, province)
        if version is None:
            version, _ = save_version(VersionData(
                code=PROCEDURE, name="Thủ tục thử nghiệm quét bưu gửi", field_code="BENCH-SCAN",
                field_name="Lĩnh vực thử nghiệm", level="provincial", agency_id=agency.pk, processing_time=3,
                processing_unit="days", receive_by_post=True, return_by_post=True,
                receive_basis="Quyết định thử nghiệm", return_basis="Quyết định thử nghiệm",
                documents=[DocumentData("Tờ khai theo mẫu", "original", 1, True)],
            ), province)
        for n in range(1, CLIENTS + 1):
            office, created = PostOffice.objects.get_or_create(code=f"{OFFICE_PREFIX}{n:02d}", defaults={
                "name": f"Bưu cục thử nghiệm quét {n}", "province": province, "commune": commune})
            if created:
                office.served_communes.set([commune])
                office.carries_to.set([desk])
            for prefix, role in ((CLERK_PREFIX, Role.COUNTER_CLERK), (POSTMAN_PREFIX, Role.POSTMAN)):
                if not User.objects.filter(username=f"{prefix}{n:02d}").exists():
                    user = User(username=f"{prefix}{n:02d}", role=role, post_office=office,
                                first_name=f"{role.label} {n}")
                    user.set_unusable_password()
                    user.save()
            if not Dossier.objects.filter(tracking_code=f"{TRACKING_PREFIX}{n:03d}").exists():
                Dossier.objects.create(
                    tracking_code=f"{TRACKING_PREFIX}{n:03d}", service_choice=3, channel="counter",
                    version=version, procedure=version.procedure, province=province, agency=agency, desk=desk,
                    post_office=office, received_at=timezone.now(), applicant_kind="person",
                    applicant_name=f"Nguyễn Văn Quét {n}", applicant_id_number="089195000123",
                    applicant_phone="0912345678", return_street="1 Trần Hưng Đạo", return_commune=commune)


def offices():
    from accounts.models import User
    from dossiers.models import Dossier

    rows = []
    for n in range(1, CLIENTS + 1):
        clerk = User.objects.select_related("post_office").get(username=f"{CLERK_PREFIX}{n:02d}")
        rows.append({"n": n, "clerk": clerk, "office": clerk.post_office, "postman": f"{POSTMAN_PREFIX}{n:02d}",
                     "dossier": Dossier.objects.get(tracking_code=f"{TRACKING_PREFIX}{n:03d}")})
    return rows


def bench_items():
    from postal.models import Item

    return Item.objects.filter(dossier__tracking_code__startswith=TRACKING_PREFIX, item_id__startswith=INDICATOR)


def cleanup() -> int:
    """Remove this benchmark's packages with their timeline events and incidents; how many packages."""
    from custody.models import Incident, ItemEvent, ManifestLine
    from postal.models import Item

    with transaction.atomic():
        items = bench_items()
        count = items.count()
        ItemEvent.objects.filter(item__in=items)._raw_delete(connection.alias)
        ManifestLine.objects.filter(item__in=items)._raw_delete(connection.alias)
        Incident.objects.filter(item__in=items)._raw_delete(connection.alias)
        Item.objects.filter(pk__in=items.values("pk"))._raw_delete(connection.alias)
    return count


def create_items(world) -> dict[int, list[list]]:
    """ITEMS_PER_CLIENT pending packages per post office, with their intake event: {n: [[item_id, status]]}."""
    from custody.models import ItemEvent
    from postal import s10
    from postal.models import Custodian, Item

    at = timezone.now() - datetime.timedelta(hours=1)
    pools, items = {}, []
    for office in world:
        pool = []
        for k in range(ITEMS_PER_CLIENT):
            item_id = s10.make(INDICATOR, office["n"] * 1_000_000 + k)
            pool.append([item_id, "pending"])
            items.append(Item(item_id=item_id, kind=Item.Kind.DOSSIER, dossier=office["dossier"],
                              province_id=office["office"].province_id, origin_post_office=office["office"],
                              status="pending", custodian_kind=Custodian.POST_OFFICE,
                              custodian_post_office=office["office"], last_event_at=at, leg_started_at=at))
        pools[office["n"]] = pool
    with transaction.atomic():
        created = Item.objects.bulk_create(items, batch_size=2000)
        ItemEvent.objects.bulk_create([
            ItemEvent(event_id=f"bench-scan-intake-{item.item_id}", item=item, status="pending", occurred_at=at,
                      source=ItemEvent.Source.INTAKE, unit_kind="post_office", post_office_id=item.origin_post_office_id,
                      actor_label="bench", custodian_after=f"post_office:{item.origin_post_office_id}")
            for item in created], batch_size=2000)
    with connection.cursor() as cursor:
        for table in ("postal_item", "custody_itemevent"):
            cursor.execute(f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else f"ANALYZE {table}")
    return pools


class Scanner:
    """Builds the batches of one post office's scanner, moving each package one step round the loop."""

    def __init__(self, office, pool, run: str):
        self.office, self.pool, self.run = office, pool, run
        self.rng = random.Random(office["n"])
        self.cursor = 0
        self.sent = 0
        self.previous: list[dict] = []

    def batch(self) -> list[dict]:
        now = timezone.now()
        events = []
        for k in range(BATCH):
            roll = self.rng.random()
            if self.previous and roll < 0.01:  # a scanner resending an event: a duplicate
                events.append(self.rng.choice(self.previous))
                continue
            entry = self.pool[self.cursor % len(self.pool)]
            self.cursor += 1
            self.sent += 1
            if roll < 0.02:  # an event that reaches the server after a later one: late, kept on the timeline
                events.append({"event_id": f"{self.run}-{self.office['n']}-{self.sent}", "item_id": entry[0],
                               "event_type": "held_at_post_office", "unit": self.office["office"].code,
                               "time": (now - datetime.timedelta(days=1)).isoformat(), "actor": ""})
                continue
            status, with_postman, reason = LOOP[entry[1]]
            entry[1] = status
            events.append({"event_id": f"{self.run}-{self.office['n']}-{self.sent}", "item_id": entry[0],
                           "event_type": status, "unit": self.office["office"].code,
                           "time": (now + datetime.timedelta(microseconds=k)).isoformat(),
                           "actor": self.office["postman"] if with_postman else "", "reason": reason})
        self.previous = events
        return events


# --- Server (as bench/intake.py) ----------------------------------------------------------------------------


def start_server(workers: int, threads: int):
    """A pre-forked HTTP/1.1 server of the project's WSGI application: (port, child pids)."""
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        request_queue_size = 128

    app = get_wsgi_application()
    server = Server(("127.0.0.1", 0), QuietHandler)
    server.set_app(app)
    connections.close_all()  # never share the parent's database connections with the children
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

            def serve():
                while True:
                    try:
                        request, address = server.get_request()
                    except OSError:
                        continue
                    try:
                        server.finish_request(request, address)
                    except Exception:  # noqa: BLE001 - a broken connection must not stop the worker
                        pass
                    finally:
                        server.shutdown_request(request)

            for _ in range(threads):
                threading.Thread(target=serve, daemon=True).start()
            while True:
                time.sleep(3600)
        pids.append(pid)
    server.socket.close()
    return server.server_port, pids


def stop_server(pids) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for pid in pids:
        os.waitpid(pid, 0)


def session_headers(user) -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    SESSIONS.append(session.session_key)
    token = _get_new_csrf_string()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={token}",
            "X-CSRFToken": token, "Content-Type": "application/json", "Accept": "application/json"}


def run_clients(port: int, scanners: list[Scanner], headers: list[dict], batches: int):
    """Every scanner sends ``batches`` batches, one after the other: (wall seconds, latencies, outcomes, errors)."""
    bodies = [[json.dumps({"events": s.batch()}).encode() for _ in range(batches)] for s in scanners]
    barrier = threading.Barrier(len(scanners) + 1)
    latencies, errors, outcomes, lock = [], [], {}, threading.Lock()

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, bad, counts = [], [], {}
        barrier.wait()
        for body in bodies[i]:
            began = time.perf_counter()
            conn.request("POST", "/api/v1/scans/", body, headers[i])
            response = conn.getresponse()
            content = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200:
                bad.append((response.status, content[:300]))
                continue
            answer = json.loads(content)
            for outcome, n in answer["counts"].items():
                counts[outcome] = counts.get(outcome, 0) + n
            if answer["counts"]["rejected"]:
                rejected = next(r for r in answer["results"] if r["outcome"] == "rejected")
                bad.append((200, json.dumps(rejected, ensure_ascii=False)[:300]))
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)
            for outcome, n in counts.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(scanners))]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, outcomes, errors


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- Measures in this process -------------------------------------------------------------------------------


def queries_per_batch(scanner: Scanner) -> int:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(scanner.office["clerk"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/scans/", {"events": scanner.batch()}, content_type="application/json")
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def in_process(scanner: Scanner) -> float:
    from custody import scans

    timings = []
    for _ in range(IN_PROCESS):
        events = scanner.batch()
        began = time.perf_counter()
        results = scans.ingest(events, scanner.office["clerk"])
        timings.append(time.perf_counter() - began)
        assert not [r for r in results if r.outcome == "rejected"], [r for r in results if r.outcome == "rejected"][:1]
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        events = scanner.batch()
        profile.enable()
        scans.ingest(events, scanner.office["clerk"])
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    return statistics.median(timings)


def main() -> None:
    call_command("migrate", verbosity=0)
    build_world()
    removed = cleanup()
    if removed:
        print(f"scan_ingest_cleanup_before: {removed} items")
    world = offices()
    started = time.perf_counter()
    pools = create_items(world)
    print(f"scan_ingest_items: {sum(len(p) for p in pools.values())} count "
          f"(created in {time.perf_counter() - started:.1f} s)")
    run = f"bench-{int(time.time())}"
    scanners = [Scanner(office, pools[office["n"]], run) for office in world]
    try:
        queries = queries_per_batch(scanners[0])
        in_process_p50 = in_process(scanners[0])
        headers = [session_headers(s.office["clerk"]) for s in scanners]
        port, pids = start_server(WORKERS, -(-CLIENTS // WORKERS))
        try:
            run_clients(port, scanners, headers, WARM_UP)
            seconds, latencies, outcomes, errors = run_clients(port, scanners, headers, BATCHES)
        finally:
            stop_server(pids)
    finally:
        cleanup()
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=SESSIONS).delete()
    events = len(latencies) * BATCH
    applied = outcomes.get("applied", 0)
    print(f"scan_ingest_database: {connection.vendor}")
    if connection.vendor != "postgresql":
        print("scan_ingest_note: not PostgreSQL — SQLite serialises writers; these are not the benchmark's figures")
    print(f"scan_ingest_workers: {WORKERS} processes")
    print(f"scan_ingest_clients: {CLIENTS}")
    print(f"scan_ingest_queries: {queries} count per {BATCH}-event batch")
    print(f"scan_ingest_in_process_p50: {in_process_p50:.3f} s per {BATCH}-event batch")
    print(f"scan_ingest_batches: {len(latencies)} count")
    print(f"scan_ingest_errors: {len(errors)} count")
    for status, content in errors[:3]:
        print(f"scan_ingest_error_sample: {status} {content!r}")
    print(f"scan_ingest_events: {events} count ({', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))})")
    print(f"scan_ingest_batch_p50: {statistics.median(latencies):.3f} s")
    print(f"scan_ingest_batch_p99: {percentile(latencies, 0.99):.3f} s")
    print(f"scan_ingest: {applied / seconds:.0f} per_s")


if __name__ == "__main__":
    main()
