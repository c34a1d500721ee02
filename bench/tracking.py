"""Benchmark: public tracking lookups per second, over real HTTP, with 1 million packages in PostgreSQL.

Standalone: ``DATABASE_URL=postgres://… python bench/tracking.py``. PostgreSQL only (the data is generated with
``generate_series``); on another database it says so and stops without a figure.

Data, built once and reused by later runs (``tracking_data: reused``). It clashes with nothing real and is
found again by its own markers: province 93 "Tỉnh Benchmark tra cứu" (commune 93001, agency 993.00.01.H93, a
provincial centre with desk MC-BENCH-93), post office B93-TRACK, procedure 9.930001, every dossier's
``submission_key`` "bench-tracking:<n>", S10 indicators XD (dossier packages) and XK (result packages). Rows
are written by three ``INSERT … SELECT … generate_series`` statements in one transaction (no audit trail: a
benchmark's data generator needs none), then analysed:

* 625,000 dossiers (choice 3), each with its dossier package; 60 % of them also with a result package:
  1,000,000 packages (BENCH_ITEMS);
* each package's timeline, 1 to 6 events (about 3.8 million): taken in, on a manifest to the desk, at the desk,
  at the agency, result ready; the result's taken in, on the way, out for delivery, a failed attempt, delivered.
  Every 50th dossier is cancelled.

The generator prints ``tracking_generate_{dossiers,items,events}`` and ``tracking_generate: <n> items, …
in <s> s (<rate> items_per_s, <rate> rows_per_s)``; the foreign-key triggers are skipped for its transaction when
the database user may (``session_replication_role``), and JIT is off for it. Before each run the three tables
are vacuumed and analysed (as autovacuum keeps a live database; dead index entries left by a regeneration make
the planner slow).

Server: the project's WSGI application behind Django's HTTP/1.1 handler, pre-forked (BENCH_WORKERS processes,
default one per CPU, sharing the listening socket on 127.0.0.1, each with a thread per client connection,
TCP_NODELAY as production servers set it, and persistent database connections), DEBUG off, static files
collected (the manifest storage of production). The rate limits are raised for this server only —
``TRACKING_IP_LIMIT`` and ``TRACKING_PHONE_FAILURES`` are set to 1,000,000,000 in its environment — because every
client here comes from 127.0.0.1; with the production limits all but the first 30 lookups would be 429.

Load: BENCH_CLIENTS (default 8) clients, each a keep-alive ``http.client`` connection in its own thread, for
BENCH_SECONDS (default 20) after 2 unmeasured seconds, asking for random existing dossiers (20,000 sampled): 75 %
the page ``GET /tra-cuu/?ma=`` and 25 % the API ``GET /api/v1/tracking/{code}``; 80 % by tracking code (typed as
printed, with dashes), 20 % by item id. Any answer other than 200 is an error.

Lines printed (``<metric>: <value> <unit>``): the plans of the lookup statement by code and by item id (index
scans expected; the planning time shown is what the prepared statement saves, see custody.tracking._rows),
``tracking_requests``, ``tracking_errors`` (must be 0), ``tracking_page_p99``, ``tracking_api_p99``,
``tracking_p50``, ``tracking_server_cpu`` / ``tracking_client_cpu`` (CPU per request, whatever else the machine
runs), ``tracking_load_average``, then ``tracking_p99: <ms> ms`` (target ≤ 50 ms) and last
``tracking: <n> per_s`` (target ≥ 500/s). Clients, server and database share this machine's CPUs.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]  # bench/calendar.py
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")
os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
# A production-like process: no query log, no HTTPS redirect on this plain-HTTP loopback server.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Every client of this benchmark is 127.0.0.1: raise the limits against guessing for this server only.
os.environ["TRACKING_IP_LIMIT"] = "1000000000"
os.environ["TRACKING_PHONE_FAILURES"] = "1000000000"
if "SECRET_KEY" not in os.environ:
    import secrets

    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)

import datetime  # noqa: E402
import http.client  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARM_UP = 2.0
SAMPLE = 20_000
SEED = 93
PROVINCE, COMMUNE = "93", "93001"
AGENCY, CENTRE, DESK, OFFICE = "993.00.01.H93", "993.00.00.H93", "MC-BENCH-93", "B93-TRACK"
PROCEDURE = "9.930001"
KEY_PREFIX = "bench-tracking:"
DOSSIER_INDICATOR, RESULT_INDICATOR = "XD", "XK"
USERNAME = "bench_tracking"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # dossiers.models.TRACKING_ALPHABET


def dossier_count() -> int:
    return -(-ITEMS * 10 // 16)  # every dossier has a package, 6 in 10 a second one


# --- Data ---------------------------------------------------------------------------------------------------


def build_world() -> dict:
    """The province, network, procedure, a user and two manifests (once; later runs reuse them)."""
    from accounts.models import Role, User
    from catalog.services import DocumentData, FeeData, VersionData, current_version, save_version
    from custody.models import Manifest
    from geo.models import Commune, Province
    from network.models import Agency, OneStopDesk, PostOffice

    with transaction.atomic():
        province, _ = Province.objects.get_or_create(
            code=PROVINCE, defaults={"name": "Tỉnh Benchmark tra cứu", "division_type": "tỉnh"})
        commune, _ = Commune.objects.get_or_create(code=COMMUNE, defaults={
            "name": "Phường Thử Nghiệm Tra Cứu", "division_type": "phường", "province": province})
        agency, _ = Agency.objects.get_or_create(identifier=AGENCY, defaults={
            "name": "Sở Tư pháp tỉnh Benchmark tra cứu", "level": Agency.Level.PROVINCIAL_DEPARTMENT,
            "province": province, "commune": commune})
        centre, _ = Agency.objects.get_or_create(identifier=CENTRE, defaults={
            "name": "Trung tâm PVHCC tỉnh Benchmark tra cứu", "level": Agency.Level.PROVINCIAL_CENTRE,
            "province": province, "commune": commune})
        desk, _ = OneStopDesk.objects.get_or_create(code=DESK, defaults={
            "name": "Trung tâm PVHCC tỉnh Benchmark tra cứu", "agency": centre,
            "level": OneStopDesk.Level.PROVINCIAL, "province": province, "commune": commune})
        office, created = PostOffice.objects.get_or_create(code=OFFICE, defaults={
            "name": "Bưu cục Thử Nghiệm Tra Cứu", "province": province, "commune": commune})
        if created:
            office.served_communes.set([commune])
            office.carries_to.set([desk])
        version = current_version(PROCEDURE, province)
        if version is None:
            version, _ = save_version(VersionData(
                code=PROCEDURE, name="Thủ tục thử nghiệm tra cứu", field_code="BENCH-TRACKING",
                field_name="Lĩnh vực thử nghiệm", level="provincial", agency_id=agency.pk, processing_time=5,
                processing_unit="days", receive_by_post=True, return_by_post=True,
                receive_basis="Quyết định thử nghiệm", return_basis="Quyết định thử nghiệm",
                documents=[DocumentData("Tờ khai theo mẫu", "original", 1, True)],
                fees=[FeeData("Lệ phí thử nghiệm", "le_phi", "LP-BENCH-T", 25_000)],
            ), province)
        user = User.objects.filter(username=USERNAME).first()
        if user is None:
            user = User(username=USERNAME, role=Role.COUNTER_CLERK, post_office=office,
                        first_name="Giao dịch viên thử nghiệm")
            user.set_unusable_password()
            user.save()
        manifests = {}
        for direction, values in (
            ("out", {"origin_kind": "post_office", "origin_post_office": office, "destination_kind": "desk",
                     "destination_desk": desk}),
            ("back", {"origin_kind": "desk", "origin_desk": desk, "destination_kind": "post_office",
                      "destination_post_office": office}),
        ):
            manifests[direction], _ = Manifest.objects.get_or_create(
                code=f"BK-BENCH-TRACKING-{direction.upper()}",
                defaults={"status": Manifest.Status.RECEIVED, "province": province, "opened_by": user,
                          "seal_number": "BENCH", **values})
    return {"province": province, "commune": commune, "agency": agency, "desk": desk, "office": office,
            "version": version, "user": user, "manifests": manifests}


def _columns(model, given: dict[str, str], params: list) -> tuple[str, str]:
    """(column list, select list) for an INSERT … SELECT of ``model``: ``given`` SQL expressions by column,
    every other column its model default (so that fields added later do not break the generator)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        names.append(connection.ops.quote_name(f.column))
        if f.column in given:
            values.append(given[f.column].replace("%", "%%"))  # a modulo, not a placeholder
        elif f.null:
            values.append("NULL")
        elif f.has_default() or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = timezone.now() if not f.has_default() else f.get_default()
            values.append("%s")
            params.append(f.get_db_prep_save(default, connection))
        elif f.get_internal_type() in ("CharField", "TextField") and f.blank:
            values.append("''")
        else:
            raise RuntimeError(f"bench/tracking.py does not know how to fill {model.__name__}.{f.name}")
    return ", ".join(names), ", ".join(values)


def _base30(expr: str, width: int) -> str:
    """SQL: ``expr`` (a bigint) as ``width`` characters of the tracking alphabet."""
    return " || ".join(f"substr('{ALPHABET}', (({expr}) / {30 ** k}::bigint % 30)::int + 1, 1)"
                       for k in range(width - 1, -1, -1))


def _s10(indicator: str, serial: str) -> str:
    """SQL: the S10 id of ``serial`` (an int expression) with its check digit (postal.s10)."""
    weighted = " + ".join(f"{w} * (({serial}) / {10 ** (7 - k)} % 10)" for k, w in enumerate((8, 6, 4, 2, 3, 5, 9, 7)))
    check = f"(11 - ({weighted}) % 11)"
    digit = f"(CASE {check} WHEN 10 THEN 0 WHEN 11 THEN 5 ELSE {check} END)"
    return f"'{indicator}' || lpad(({serial})::text, 8, '0') || {digit}::text || 'VN'"


def existing() -> int:
    from postal.models import Item

    return Item.objects.filter(dossier__submission_key__startswith=KEY_PREFIX).count()


def _skip_foreign_key_triggers(cursor) -> None:
    """The generated rows refer only to rows that exist (and the removed ones only to each other): skip the
    per-row foreign-key triggers for this transaction when allowed (a superuser's session); otherwise they run,
    just slower."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        print("tracking_generate_note: foreign keys checked row by row (not a superuser)")


def wipe() -> None:
    """Remove the benchmark's dossiers, packages and events (a run with another BENCH_ITEMS)."""
    with transaction.atomic(), connection.cursor() as cursor:
        _skip_foreign_key_triggers(cursor)
        mine = "SELECT id FROM dossiers_dossier WHERE submission_key LIKE %s"
        items = f"SELECT id FROM postal_item WHERE dossier_id IN ({mine})"
        cursor.execute(f"DELETE FROM custody_itemevent WHERE item_id IN ({items})", [KEY_PREFIX + "%"])
        cursor.execute(f"DELETE FROM postal_item WHERE id IN ({items})", [KEY_PREFIX + "%"])
        cursor.execute("DELETE FROM dossiers_charge WHERE dossier_id IN (" + mine + ")", [KEY_PREFIX + "%"])
        cursor.execute("DELETE FROM dossiers_dossier WHERE submission_key LIKE %s", [KEY_PREFIX + "%"])


def generate(world: dict) -> None:
    from custody.models import ItemEvent
    from dossiers.models import Dossier
    from postal.models import Item

    n_dossiers = dossier_count()
    start = timezone.now() - datetime.timedelta(days=90)
    w = {k: (v.pk if hasattr(v, "pk") else v) for k, v in world.items() if k != "manifests"}
    out, back = world["manifests"]["out"].pk, world["manifests"]["back"].pk
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL jit = off")  # compiling these long expressions costs more than it saves
        _skip_foreign_key_triggers(cursor)
        # Dossiers: n = 1 … N; the tracking code is n scrambled (a bijection mod 30^11) behind a "Y".
        params: list = []
        code = "'Y' || " + _base30("(g.n::bigint * 1000000007) % " + str(30 ** 11), 11)
        at = f"('{start.isoformat()}'::timestamptz + make_interval(secs => g.n * 11))"
        given = {
            "tracking_code": code, "submission_key": f"'{KEY_PREFIX}' || g.n", "service_choice": "3",
            "channel": "'counter'", "status": "CASE WHEN g.n % 50 = 0 THEN 'cancelled' ELSE 'received' END",
            "version_id": str(w["version"]), "procedure_id": str(world["version"].procedure_id),
            "province_id": str(w["province"]), "agency_id": str(w["agency"]), "desk_id": str(w["desk"]),
            "post_office_id": str(w["office"]), "received_at": at, "expected_arrival": at + " + interval '1 day'",
            "applicant_kind": "'person'", "applicant_name": "'Nguyễn Văn Thử ' || g.n",
            "applicant_id_number": "'0891950' || lpad((g.n % 100000)::text, 5, '0')",
            "applicant_phone": "'09' || lpad(((g.n * 7919) % 100000000)::text, 8, '0')",
            "return_street": "(g.n % 500 + 1) || ' Trần Hưng Đạo'", "return_commune_id": str(w["commune"]),
            "weight_grams": "300", "postage_total": "38000", "fee_total": "25000", "amount_paid": "63000",
            "created_at": at, "updated_at": at,
        }
        columns, select = _columns(Dossier, given, params)
        mark = time.perf_counter()
        cursor.execute(f"INSERT INTO dossiers_dossier ({columns}) SELECT {select} "
                       f"FROM generate_series(1::bigint, {n_dossiers}) AS g(n)", params)
        print(f"tracking_generate_dossiers: {n_dossiers} in {time.perf_counter() - mark:.1f} s", flush=True)
        mark = time.perf_counter()
        # Packages: the dossier's (serial n) and, from progress 4 on, the result's (serial n).
        params = []
        n = "split_part(d.submission_key, ':', 2)::int"
        p = f"({n} %% 10)"  # progress 0 … 9 (%% : the statement has parameters)
        dossier_status = (f"(ARRAY['pending','in_transit','at_one_stop_desk','received_by_agency','result_ready'])"
                          f"[least({p}, 4) + 1]")
        result_status = (f"(ARRAY['pending','in_transit','pending','out_for_delivery','delivery_failed','delivered'])"
                         f"[{p} - 3]")
        status = (f"CASE WHEN d.status = 'cancelled' AND k.kind = 'dossier' THEN 'cancelled' "
                  f"WHEN k.kind = 'dossier' THEN {dossier_status} ELSE {result_status} END")
        custodian = {
            "pending": "post_office", "in_transit": "manifest", "at_one_stop_desk": "desk",
            "received_by_agency": "agency", "result_ready": "desk", "out_for_delivery": "post_office",
            "delivery_failed": "post_office", "delivered": "citizen", "cancelled": "post_office",
        }
        case = lambda values: "CASE " + " ".join(  # noqa: E731
            f"WHEN s.status = '{s}' THEN {v}" for s, v in values.items()) + " ELSE NULL END"
        given = {
            "item_id": f"CASE WHEN s.kind = 'dossier' THEN {_s10(DOSSIER_INDICATOR, 's.n')} "
                       f"ELSE {_s10(RESULT_INDICATOR, 's.n')} END",
            "kind": "s.kind", "dossier_id": "s.dossier_id", "province_id": str(w["province"]),
            "origin_post_office_id": str(w["office"]), "status": "s.status",
            "custodian_kind": case({k: f"'{v}'" for k, v in custodian.items()}),
            "custodian_post_office_id": case({k: str(w["office"]) for k, v in custodian.items()
                                              if v == "post_office"}),
            "custodian_desk_id": case({k: str(w["desk"]) for k, v in custodian.items() if v == "desk"}),
            "custodian_agency_id": case({"received_by_agency": str(w["agency"])}),
            "custodian_manifest_id": f"CASE WHEN s.status = 'in_transit' THEN "
                                     f"(CASE WHEN s.kind = 'dossier' THEN {out} ELSE {back} END) END",
            "last_event_at": "s.created + make_interval(hours => 3 * (s.events - 1))",
            "weight_grams": "300", "created_at": "s.created", "updated_at": "s.created",
        }
        columns, select = _columns(Item, given, params)
        cursor.execute(
            f"INSERT INTO postal_item ({columns}) SELECT {select} FROM ("
            f"  SELECT d.id AS dossier_id, {n} AS n, k.kind, {status} AS status,"
            f"    d.received_at + CASE WHEN k.kind = 'result' THEN interval '15 hours' ELSE interval '0' END AS created,"
            f"    CASE WHEN k.kind = 'dossier' THEN least({p}, 4) + 1 ELSE {p} - 3 END AS events"
            f"  FROM dossiers_dossier d CROSS JOIN (VALUES ('dossier'), ('result')) AS k(kind)"
            f"  WHERE d.submission_key LIKE %s AND (k.kind = 'dossier' OR {p} >= 4)"
            f") AS s ORDER BY s.dossier_id, s.kind", [*params, KEY_PREFIX + "%"])
        items = cursor.rowcount
        print(f"tracking_generate_items: {items} in {time.perf_counter() - mark:.1f} s", flush=True)
        mark = time.perf_counter()
        # Events: 1 … 6 per package, three hours apart.
        params = []
        units = {  # status -> (unit kind, post office?, desk?)
            "pending": "post_office", "in_transit": None, "at_one_stop_desk": "desk",
            "received_by_agency": "desk", "result_ready": "desk", "out_for_delivery": "post_office",
            "delivery_failed": "post_office", "delivered": "post_office",
        }
        ev_status = ("CASE WHEN it.kind = 'dossier' THEN (ARRAY['pending','in_transit','at_one_stop_desk',"
                     "'received_by_agency','result_ready'])[e.s + 1] ELSE (ARRAY['pending','in_transit','pending',"
                     "'out_for_delivery','delivery_failed','delivered'])[e.s + 1] END")
        unit_kind = ("CASE WHEN x.status = 'in_transit' THEN (CASE WHEN x.kind = 'dossier' THEN 'post_office' "
                     "ELSE 'desk' END) " + " ".join(f"WHEN x.status = '{s}' THEN '{u}'" for s, u in units.items()
                                                     if u) + " END")
        given = {
            "event_id": "'bt-' || x.item_id || '-' || x.s", "item_id": "x.item_id", "status": "x.status",
            "reason": "CASE WHEN x.status = 'delivery_failed' THEN 'nobody_home' ELSE '' END",
            "occurred_at": "x.at", "recorded_at": "x.at",
            "source": "CASE WHEN x.s = 0 THEN 'intake' WHEN x.status = 'in_transit' OR x.s = 2 THEN 'manifest' "
                      "ELSE 'scan' END",
            "unit_kind": unit_kind,
            "post_office_id": f"CASE WHEN ({unit_kind}) = 'post_office' THEN {w['office']} END",
            "desk_id": f"CASE WHEN ({unit_kind}) = 'desk' THEN {w['desk']} END",
            "actor_label": f"'{USERNAME}'",
            "manifest_id": f"CASE WHEN x.status = 'in_transit' THEN (CASE WHEN x.kind = 'dossier' THEN {out} "
                           f"ELSE {back} END) END",
            "applied": "true", "custodian_after": "''",
        }
        columns, select = _columns(ItemEvent, given, params)
        cursor.execute(
            f"INSERT INTO custody_itemevent ({columns}) SELECT {select} FROM ("
            f"  SELECT it.id AS item_id, it.kind, e.s, {ev_status} AS status,"
            f"    it.created_at + make_interval(hours => 3 * e.s) AS at"
            f"  FROM postal_item it JOIN dossiers_dossier d ON d.id = it.dossier_id"
            f"  CROSS JOIN LATERAL generate_series(0, CASE WHEN it.kind = 'dossier' THEN least({p}, 4) "
            f"    ELSE {p} - 4 END) AS e(s)"
            f"  WHERE d.submission_key LIKE %s"
            f") AS x ORDER BY x.item_id, x.s", [*params, KEY_PREFIX + "%"])
        events = cursor.rowcount
        print(f"tracking_generate_events: {events} in {time.perf_counter() - mark:.1f} s", flush=True)
    seconds = time.perf_counter() - began
    print(f"tracking_generate: {items} items, {n_dossiers} dossiers, {events} events in {seconds:.1f} s "
          f"({items / seconds:,.0f} items_per_s, {(items + n_dossiers + events) / seconds:,.0f} rows_per_s)",
          flush=True)


# --- Server -------------------------------------------------------------------------------------------------


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
                        # The handler writes the headers and the body separately: without TCP_NODELAY the
                        # second write waits for the client's delayed ACK (40 ms), as no production server does.
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
    server.socket.close()
    return server.server_port, pids


def stop_server(pids) -> float:
    """Stop the workers; the CPU seconds (user + system) they used."""
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    used = 0.0
    for pid in pids:
        _, _, usage = os.wait4(pid, 0)
        used += usage.ru_utime + usage.ru_stime
    return used


# --- Load ---------------------------------------------------------------------------------------------------


def targets(rng: random.Random) -> list[tuple[str, str]]:
    """(kind, path) of random existing dossiers in the mix: page/api × tracking code/item id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.tracking_code, i.item_id FROM dossiers_dossier d TABLESAMPLE SYSTEM (5) "
            "JOIN postal_item i ON i.dossier_id = d.id AND i.kind = 'dossier' "
            "WHERE d.submission_key LIKE %s LIMIT %s", [KEY_PREFIX + "%", SAMPLE])
        rows = cursor.fetchall()
    assert rows, "no benchmark dossiers"
    mix = []
    for code, item_id in rows:
        typed = "-".join(code[i:i + 4] for i in range(0, 12, 4)) if rng.random() < 0.8 else item_id
        if rng.random() < 0.75:
            mix.append(("page", f"/tra-cuu/?ma={typed}"))
        else:
            mix.append(("api", f"/api/v1/tracking/{typed}"))
    rng.shuffle(mix)
    return mix


def run(port: int, mix, seconds: float):
    """CLIENTS keep-alive clients asking in a loop for ``seconds``: (wall, [(kind, latency)], errors)."""
    stop_at = [0.0]
    barrier = threading.Barrier(CLIENTS + 1)
    results, errors, lock = [], [], threading.Lock()

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], []
        k = i * 997
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            kind, target = mix[k % len(mix)]
            k += 1
            began = time.perf_counter()
            conn.request("GET", target, headers={"Accept": "text/html,application/json"})
            response = conn.getresponse()
            body = response.read()
            mine.append((kind, time.perf_counter() - began))
            if response.status != 200:
                bad.append((response.status, target, body[:200]))
        conn.close()
        with lock:
            results.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds + 0.05
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, results, errors


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def plans(sample_code: str, sample_item: str) -> None:
    """The lookup queries' plans (custody.tracking's SQL): index scans, never a sequential scan of a big table."""
    from custody import tracking

    queries = {"by_code": (tracking.lookup_sql("code"), sample_code),
               "by_item": (tracking.lookup_sql("item"), sample_item)}
    with connection.cursor() as cursor:
        for name, (sql, param) in queries.items():
            cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, [param])  # the first plans load the catalogs
            cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, [param])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            seq = [t for t in ("dossiers_dossier", "postal_item", "custody_itemevent") if f"Seq Scan on {t}" in plan]
            used = sorted({line.split(" using ")[1].split(" on ")[0] for line in plan.splitlines() if " using " in line})
            timing = [line.strip() for line in plan.splitlines() if line.startswith(("Planning Time", "Execution Time"))]
            print(f"tracking_plan_{name}: {'SEQUENTIAL SCAN of ' + ', '.join(seq) if seq else 'index'} "
                  f"({', '.join(used)}; {'; '.join(timing)})")


def main() -> None:
    if connection.vendor != "postgresql":
        print("tracking_note: this benchmark needs PostgreSQL (DATABASE_URL=postgres://…); not run")
        return
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"tracking_collectstatic: {time.perf_counter() - began:.1f} s")
    world = build_world()
    have = existing()
    if have and have != ITEMS:
        print(f"tracking_data: {have} items from another run; regenerating {ITEMS}", flush=True)
        began = time.perf_counter()
        wipe()
        print(f"tracking_wipe: {time.perf_counter() - began:.1f} s", flush=True)
        have = 0
    if have:
        print(f"tracking_data: reused ({have} items)")
    else:
        generate(world)
    began = time.perf_counter()
    with connection.cursor() as cursor:  # as autovacuum keeps a live database (and dead rows slow the planner)
        cursor.execute("VACUUM (ANALYZE) dossiers_dossier, postal_item, custody_itemevent")
    print(f"tracking_vacuum: {time.perf_counter() - began:.1f} s")
    rng = random.Random(SEED)
    mix = targets(rng)
    with connection.cursor() as cursor:
        cursor.execute("SELECT d.tracking_code, i.item_id FROM dossiers_dossier d JOIN postal_item i "
                       "ON i.dossier_id = d.id WHERE d.submission_key = %s AND i.kind = 'dossier'",
                       [KEY_PREFIX + str(dossier_count() // 2)])
        code, item_id = cursor.fetchone()
    plans(code, item_id)
    threads = -(-CLIENTS // WORKERS)
    port, pids = start_server(WORKERS, threads)
    server_cpu = None
    try:
        _, warm, _ = run(port, mix, WARM_UP)
        client_cpu = time.process_time()
        seconds, results, errors = run(port, mix, SECONDS)
        client_cpu = time.process_time() - client_cpu
    finally:
        server_cpu = stop_server(pids)
    latencies = [t for _, t in results]
    print(f"tracking_database: {connection.vendor}")
    print(f"tracking_workers: {WORKERS} processes x {threads} threads")
    print(f"tracking_clients: {CLIENTS}")
    print(f"tracking_requests: {len(results)} count")
    print(f"tracking_errors: {len(errors)} count")
    for status, target, body in errors[:3]:
        print(f"tracking_error_sample: {status} {target} {body!r}")
    for kind in ("page", "api"):
        mine = [t for k, t in results if k == kind]
        if mine:
            print(f"tracking_{kind}_p99: {percentile(mine, 0.99) * 1000:.1f} ms ({len(mine)} requests)")
    print(f"tracking_p50: {statistics.median(latencies) * 1000:.1f} ms")
    # What one lookup costs in CPU (whatever else the machine runs): the server's processes (warm-up included)
    # and this process's clients. The database's own CPU comes on top.
    print(f"tracking_server_cpu: {server_cpu / (len(results) + len(warm)) * 1000:.2f} ms per_request")
    print(f"tracking_client_cpu: {client_cpu / len(results) * 1000:.2f} ms per_request")
    print(f"tracking_load_average: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)")
    print(f"tracking_p99: {percentile(latencies, 0.99) * 1000:.1f} ms")
    print(f"tracking: {(len(results) - len(errors)) / seconds:.1f} per_s")


if __name__ == "__main__":
    main()
