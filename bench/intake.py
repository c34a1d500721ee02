"""Benchmark: dossiers taken in per second through the API, with 8 concurrent clients, over real HTTP.

Standalone: ``DATABASE_URL=postgres://… python bench/intake.py`` (the database DATABASE_URL names; without
it, its own SQLite file ``var/bench_intake.sqlite3``, never the development database; the target is
PostgreSQL — on SQLite, which serialises writers, it runs but says so). It migrates, then builds
its own data once, which clashes with nothing real and is reused by later runs:

* province 97 "Tỉnh Benchmark tiếp nhận" with communes 97001 / 97002, an agency 997.00.01.H97, a provincial
  centre and its one-stop desk MC-BENCH-97, the province's own postage rates;
* procedure 9.970001 published in province 97 (three documents, two mandatory, a fee collected by the post);
* CLIENTS post offices B97-01…, each with a counter clerk ``bench_intake_NN`` and its own S10 range
  (indicator ZZ, 10 million serials each).

Each client is one counter: its clerk's session (cookie + CSRF token, as a browser or a connected client
holds it), one keep-alive HTTP connection, and a stream of ``POST /api/v1/dossiers/`` (choice 3: send and
return, everything brought, a seal, cash) each with its own ``Idempotency-Key``. The server is the project's
WSGI application behind Django's own HTTP/1.1 request handler, pre-forked: WORKERS processes (default: one per
CPU) sharing the listening socket, each with enough threads that every client connection has its own thread
and its own persistent database connection (CONN_MAX_AGE, as in production) — the model of a gunicorn
``gthread`` deployment. DEBUG is off (DEBUG=true would record every query). Clients and server run on this
machine, so they share its CPUs with the database.

Lines printed (``<metric>: <value> <unit>``):

* ``intake_database``, ``intake_workers``, ``intake_clients``, ``intake_cpus`` and ``intake_load_average``
  (the machine's 1-minute load during the run: the figures mean little on a machine busy with other work);
* ``intake_requests``, ``intake_errors`` (answers other than 201: must be 0), ``intake_p50`` / ``intake_p95``
  (time of one request as the client sees it);
* ``intake_queries``: database queries of one intake request, session and idempotency record included
  (measured in this process with the test client, after a first request);
* ``intake_slip_p50``: median time of ``dossiers.printing.render_slip`` for a dossier just taken in (loaded
  with ``printing.print_queryset``; fonts set up by a first unmeasured render). Target ≤ 150 ms;
* ``intake`` (last line, the headline): dossiers created per second. Target ≥ 200/s.

Re-runnable: before and after the run it removes the dossiers it created (with their checklist lines,
charges, items and their custody events, receipts and receipt counters) and its clerks' idempotency
records; the post offices, clerks and catalogue stay. Audit events are append-only and stay.
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
# A production-like process: no query log, no HTTPS redirect on this plain-HTTP loopback server.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
if "SECRET_KEY" not in os.environ:
    import secrets

    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)

import datetime  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection, connections, transaction  # noqa: E402
from django.db.models import ProtectedError, RestrictedError  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
PER_CLIENT = int(os.environ.get("BENCH_PER_CLIENT", "250"))
WARM_UP = 5  # requests per client, not measured
SLIPS = 40
PROVINCE = "97"
COMMUNES = [("97001", "Phường Thử Nghiệm Một", "phường"), ("97002", "Xã Thử Nghiệm Hai", "xã")]
AGENCY, CENTRE, DESK = "997.00.01.H97", "997.00.00.H97", "MC-BENCH-97"
PROCEDURE = "9.970001"
OFFICE_PREFIX = "B97-"
CLERK_PREFIX = "bench_intake_"
INDICATOR = "ZZ"
SESSIONS = []  # the clients' session keys, removed at the end


# --- Data ---------------------------------------------------------------------------------------------------


def build_world() -> None:
    """The province, catalogue, network, tariff, ranges and clerks (once; later runs reuse them)."""
    from accounts.models import Role, User
    from catalog.services import DocumentData, FeeData, VersionData, current_version, save_version
    from geo.models import Commune, Province
    from network.models import Agency, OneStopDesk, PostOffice
    from postal.models import ItemSeries, PostageRate

    with transaction.atomic():
        province, _ = Province.objects.get_or_create(
            code=PROVINCE, defaults={"name": "Tỉnh Benchmark tiếp nhận", "division_type": "tỉnh"})
        communes = [Commune.objects.get_or_create(code=code, defaults={
            "name": name, "division_type": kind, "province": province})[0] for code, name, kind in COMMUNES]
        agency, _ = Agency.objects.get_or_create(identifier=AGENCY, defaults={
            "name": "Sở Tư pháp tỉnh Benchmark", "level": Agency.Level.PROVINCIAL_DEPARTMENT, "province": province,
            "commune": communes[0]})
        centre, _ = Agency.objects.get_or_create(identifier=CENTRE, defaults={
            "name": "Trung tâm PVHCC tỉnh Benchmark", "level": Agency.Level.PROVINCIAL_CENTRE,
            "province": province, "commune": communes[0]})
        desk, _ = OneStopDesk.objects.get_or_create(code=DESK, defaults={
            "name": "Trung tâm PVHCC tỉnh Benchmark", "agency": centre, "level": OneStopDesk.Level.PROVINCIAL,
            "province": province, "commune": communes[0]})
        if current_version(PROCEDURE, province) is None:
            save_version(VersionData(
                code=PROCEDURE, name="Thủ tục thử nghiệm tiếp nhận qua bưu chính", field_code="BENCH-INTAKE",
                field_name="Lĩnh vực thử nghiệm", level="provincial", agency_id=agency.pk, processing_time=3,
                processing_unit="days", receive_by_post=True, return_by_post=True,
                receive_basis="Quyết định thử nghiệm", return_basis="Quyết định thử nghiệm",
                documents=[DocumentData("Tờ khai theo mẫu", "original", 1, True),
                           DocumentData("Giấy tờ chứng minh", "certified_copy", 1, True),
                           DocumentData("Văn bản ủy quyền", "certified_copy", 1, False)],
                fees=[FeeData("Lệ phí thử nghiệm", "le_phi", "LP-BENCH", 25_000)],
            ), province)
        if not PostageRate.objects.filter(province=province).exists():
            PostageRate.objects.bulk_create([
                PostageRate(province=province, service=service, zone=zone, base_amount=amount, step_amount=3_000,
                            valid_from=datetime.date(2025, 7, 1))
                for service in ("send_dossier", "return_result")
                for zone, amount in (("same_commune", 16_000), ("same_province", 22_000),
                                     ("other_province", 32_000))])
        for n in range(1, CLIENTS + 1):
            office, created = PostOffice.objects.get_or_create(code=f"{OFFICE_PREFIX}{n:02d}", defaults={
                "name": f"Bưu cục thử nghiệm {n}", "province": province, "commune": communes[0]})
            if created:
                office.served_communes.set(communes)
                office.carries_to.set([desk])
            first = n * 10_000_000
            ItemSeries.objects.get_or_create(post_office=office, service="send_dossier", defaults={
                "indicator": INDICATOR, "first_serial": first, "last_serial": first + 9_999_999,
                "next_serial": first})
            if not User.objects.filter(username=f"{CLERK_PREFIX}{n:02d}").exists():
                clerk = User(username=f"{CLERK_PREFIX}{n:02d}", role=Role.COUNTER_CLERK, post_office=office,
                             first_name=f"Giao dịch viên {n}")
                clerk.set_unusable_password()
                clerk.save()


def clerks():
    from accounts.models import User

    return list(User.objects.filter(username__startswith=CLERK_PREFIX, post_office__code__startswith=OFFICE_PREFIX)
                .select_related("post_office").order_by("username")[:CLIENTS])


def cleanup() -> int:
    """Remove the dossiers this benchmark created (and what hangs from them); the number removed."""
    from audit.models import AppendOnlyError
    from dossiers.models import Dossier

    dossiers = Dossier.objects.filter(province__code=PROVINCE, post_office__code__startswith=OFFICE_PREFIX)
    count = dossiers.count()
    try:
        _remove(dossiers)
    except (DatabaseError, AppendOnlyError, ProtectedError, RestrictedError) as exc:
        print(f"intake_cleanup_note: the benchmark's dossiers stay in province {PROVINCE} ({exc})")
    return count


def _remove_dependents(model, rows, skip=()) -> None:
    """Rows of other models that point at ``rows`` (custody events of the packages, receipts…), which the
    benchmark's intakes created: removed as they are (their own managers may refuse deletes)."""
    for relation in model._meta.related_objects:
        if relation.one_to_many and relation.related_model not in (model, *skip):
            related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": rows})
            related._raw_delete(connection.alias)


def _remove(dossiers) -> None:
    from bcci.models import IdempotencyRecord
    from dossiers.models import Dossier
    from postal.models import Item, ReceiptCounter

    with transaction.atomic():
        items = Item.objects.filter(dossier__in=dossiers)
        _remove_dependents(Item, items)
        items._raw_delete(connection.alias)
        _remove_dependents(Dossier, dossiers, skip=(Item,))
        dossiers.delete()
        ReceiptCounter.objects.filter(post_office__code__startswith=OFFICE_PREFIX).delete()
        IdempotencyRecord.objects.filter(user__username__startswith=CLERK_PREFIX).delete()


def payload(world: dict, n: int) -> dict:
    return {
        "service_choice": 3, "procedure_code": PROCEDURE,
        "applicant": {"kind": "person", "name": f"Nguyễn Văn Thử {n}", "id_number": "089195000123",
                      "phone": "0912345678", "email": "thu@example.vn"},
        "return_address": {"street": f"{n % 500 + 1} Trần Hưng Đạo", "commune_code": COMMUNES[1][0]},
        "checklist": world["checklist"], "seal_numbers": [f"NP{n:08d}"], "weight_grams": 300,
        "payment": {"method": "cash"},
    }


def world_data() -> dict:
    from catalog.services import current_version
    from geo.models import Province

    version = current_version(PROCEDURE, Province.objects.get(code=PROVINCE))
    return {"checklist": [{"document_id": d.pk, "brought_count": d.count}
                          for d in version.documents.all() if d.mandatory]}


# --- Server -------------------------------------------------------------------------------------------------


def start_server(workers: int, threads: int):
    """A pre-forked HTTP/1.1 server of the project's WSGI application: (port, child pids)."""
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, WSGIServer):  # ThreadingMixIn: keep-alive is allowed
        request_queue_size = 128

    app = get_wsgi_application()
    server = Server(("127.0.0.1", 0), QuietHandler)
    server.set_app(app)
    connections.close_all()  # never share the parent's database connections with the children
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: `threads` threads, each accepting one connection at a time
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

            def serve():
                while True:
                    try:
                        request, address = server.get_request()
                        # The handler writes headers and body separately: without TCP_NODELAY the second write
                        # waits for the client's delayed ACK (40 ms), which no production server does.
                        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
    server.socket.close()  # the parent only connects
    return server.server_port, pids


def stop_server(pids) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for pid in pids:
        os.waitpid(pid, 0)


# --- Clients ------------------------------------------------------------------------------------------------


def session_headers(user) -> dict:
    """What a logged-in client sends: its session cookie and the CSRF token (cookie + header)."""
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


def run_clients(port: int, headers: list[dict], world: dict, per_client: int, start_at: int):
    """Every client sends ``per_client`` intakes at once: (wall seconds, latencies, error answers)."""
    barrier = threading.Barrier(len(headers) + 1)
    latencies, errors, lock = [], [], threading.Lock()

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], []
        barrier.wait()
        for k in range(per_client):
            body = json.dumps(payload(world, start_at + i * per_client + k)).encode()
            began = time.perf_counter()
            conn.request("POST", "/api/v1/dossiers/", body, {**headers[i], "Idempotency-Key": str(uuid.uuid4())})
            response = conn.getresponse()
            content = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 201:
                bad.append((response.status, content[:300]))
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(headers))]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, errors


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- Measures in this process -------------------------------------------------------------------------------


def queries_per_intake(world: dict, user) -> int:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    for n in (99_999_998, 99_999_999):  # the first request fills the process's caches (content types, calendar)
        with CaptureQueriesContext(connection) as ctx:
            response = client.post("/api/v1/dossiers/", payload(world, n), content_type="application/json",
                                   headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 201, response.content[:500]
    return len(ctx.captured_queries)


def slip_p50_ms():
    """Median render time of the slip, or None when dossiers.printing.render_slip is not there yet."""
    try:
        from dossiers.printing import print_queryset, render_slip
    except ImportError:
        return None
    from dossiers.models import Dossier

    dossiers = list(print_queryset(Dossier.objects.filter(
        province__code=PROVINCE, post_office__code__startswith=OFFICE_PREFIX).order_by("-pk"))[:SLIPS + 1])
    render_slip(dossiers[0])  # fonts and styles are set up once per process
    timings = []
    for dossier in dossiers[1:]:
        began = time.perf_counter()
        pdf = render_slip(dossier)
        timings.append((time.perf_counter() - began) * 1000)
        assert pdf.startswith(b"%PDF")
    return statistics.median(timings)


def main() -> None:
    call_command("migrate", verbosity=0)
    build_world()
    removed = cleanup()
    if removed:
        print(f"intake_cleanup_before: {removed} dossiers")
    world, users = world_data(), clerks()
    assert len(users) == CLIENTS, "clerks missing"
    headers = [session_headers(user) for user in users]
    queries = queries_per_intake(world, users[0])
    threads = -(-CLIENTS // WORKERS)
    port, pids = start_server(WORKERS, threads)
    load_before = os.getloadavg()[0]
    try:
        run_clients(port, headers, world, WARM_UP, 0)
        seconds, latencies, errors = run_clients(port, headers, world, PER_CLIENT, CLIENTS * WARM_UP)
    finally:
        stop_server(pids)
    load = (load_before + os.getloadavg()[0]) / 2
    created = len(latencies) - len(errors)
    print(f"intake_database: {connection.vendor}")
    if connection.vendor != "postgresql":
        print("intake_note: not PostgreSQL — SQLite serialises writers; these are not the benchmark's figures")
    print(f"intake_workers: {WORKERS} processes x {threads} threads")
    print(f"intake_clients: {CLIENTS}")
    print(f"intake_cpus: {os.cpu_count()} count")
    print(f"intake_load_average: {load:.1f} load")
    print(f"intake_requests: {len(latencies)} count")
    print(f"intake_errors: {len(errors)} count")
    for status, content in errors[:3]:
        print(f"intake_error_sample: {status} {content!r}")
    print(f"intake_queries: {queries} count")
    print(f"intake_p50: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"intake_p95: {percentile(latencies, 0.95) * 1000:.1f} ms")
    slip = slip_p50_ms()
    if slip is None:
        print("intake_slip_note: dossiers.printing.render_slip is not there yet; slip not measured")
    else:
        print(f"intake_slip_p50: {slip:.1f} ms")
    cleanup()
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=SESSIONS).delete()
    print(f"intake: {created / seconds:.1f} per_s")


if __name__ == "__main__":
    main()
