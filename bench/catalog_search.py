"""Benchmark: one public catalogue search over 34 provinces × 2,000 procedures.

Standalone: ``python bench/catalog_search.py``. It uses the database DATABASE_URL
names; when DATABASE_URL is not set it uses its own SQLite file
``var/bench_catalog.sqlite3`` rather than the development database, so that 68,000
synthetic procedures never show up in the demo's public catalogue. It migrates,
loads the 34 provinces (``load_units``) if they are not there, and builds its data
once (marked by a Field with code "BENCH"; later runs reuse it):

* 2,000 procedures with Vietnamese names composed from a vocabulary (so that a word
  hits anywhere from a handful to thousands of rows), codes ``8.9xxxxx``;
* in each of the 34 provinces, a published version of every procedure (68,000
  versions) with one of five agencies of the province, two documents and a fee.

Rows are inserted with ``bulk_create``, bypassing ``catalog.services`` (a data
generator for a benchmark needs no audit trail). Before timing, the searched tables
are analysed (and vacuumed on PostgreSQL), as autovacuum keeps a live database. Then
it times 500 searches (after 30 unmeasured ones) with a realistic mix: one word
without diacritics, two words, a code prefix, with and without a province, field,
agency or "by post" filter, words that match nothing. Each search is
``catalog.search.search_versions`` plus what a results page does
(``catalog.search.page_of``): the first page of 20 rows with their joined objects
and the exact total count.

Output lines are ``<metric>: <value> ms``; the last one is ``catalog_search: <p95> ms``.
"""

import os
import sys

# bench/ holds a calendar.py that would shadow the standard library's: drop this
# folder from the import path, then add the repo root.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")
os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(ROOT, "var", "bench_catalog.sqlite3"))

import datetime  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from catalog.models import FeeLine, Field, Procedure, ProcedureVersion, RequiredDocument  # noqa: E402
from catalog.search import ByPost, page_of, search_versions  # noqa: E402
from geo.models import Province  # noqa: E402
from geo.text import fold  # noqa: E402
from network.models import Agency  # noqa: E402

PROVINCES = 34
PROCEDURES = 2_000
AGENCIES_PER_PROVINCE = 5
SEARCHES = 500
WARM_UP = 30
PAGE = 20
SEED = 45
MARKER = "BENCH"
CODE_PREFIX = "8.9"

ACTIONS = [
    "Đăng ký", "Cấp", "Cấp lại", "Cấp đổi", "Gia hạn", "Điều chỉnh", "Thay đổi nội dung", "Xác nhận",
    "Thẩm định", "Công nhận", "Chứng thực", "Thu hồi", "Phê duyệt", "Giải quyết", "Đăng ký lại", "Trích lục",
]
SUBJECTS = [  # (subject, field code)
    ("khai sinh", "HT"), ("kết hôn", "HT"), ("khai tử", "HT"), ("giám hộ", "HT"), ("nhận cha, mẹ, con", "HT"),
    ("thay đổi, cải chính hộ tịch", "HT"), ("giấy chứng nhận quyền sử dụng đất", "DD"),
    ("biến động đất đai", "DD"), ("chuyển mục đích sử dụng đất", "DD"), ("giấy phép xây dựng", "XD"),
    ("chứng chỉ hành nghề xây dựng", "XD"), ("giấy phép lái xe", "GT"), ("phù hiệu xe kinh doanh vận tải", "GT"),
    ("giấy phép kinh doanh vận tải bằng xe ô tô", "GT"), ("hộ kinh doanh", "KD"), ("doanh nghiệp tư nhân", "KD"),
    ("hợp tác xã", "KD"), ("chứng chỉ hành nghề khám bệnh, chữa bệnh", "YT"), ("giấy phép hoạt động nhà thuốc", "YT"),
    ("giấy phép lao động cho người nước ngoài", "LD"), ("trợ cấp thất nghiệp", "LD"),
    ("trợ cấp xã hội hằng tháng", "BT"), ("hỗ trợ chi phí mai táng", "BT"), ("văn bằng, chứng chỉ", "GD"),
    ("cơ sở giáo dục mầm non", "GD"), ("lý lịch tư pháp", "TP"), ("bản sao từ sổ gốc", "TP"),
    ("giấy phép khai thác nước mặt", "MT"), ("đánh giá tác động môi trường", "MT"),
    ("giấy phép bán lẻ rượu", "CT"), ("giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "CT"),
    ("chứng nhận kinh tế trang trại", "NN"), ("giấy phép khai thác thủy sản", "NN"),
    ("mã số thuế cá nhân", "TH"), ("miễn, giảm tiền thuê đất", "TH"), ("thẻ bảo hiểm y tế", "BH"),
    ("sổ bảo hiểm xã hội", "BH"), ("giấy phép tổ chức lễ hội", "VH"), ("biển hiệu quảng cáo", "VH"),
    ("thường trú", "CA"),
]
QUALIFIERS = [
    "", "", "", "có yếu tố nước ngoài", "cho tổ chức", "cho cá nhân", "lần đầu", "trong trường hợp bị mất, hư hỏng",
    "tại cấp xã", "đối với doanh nghiệp", "do thay đổi thông tin", "kết hợp", "lưu động",
]
FIELDS = {
    "HT": "Hộ tịch", "DD": "Đất đai", "XD": "Xây dựng", "GT": "Đường bộ", "KD": "Thành lập và hoạt động doanh nghiệp",
    "YT": "Khám bệnh, chữa bệnh", "LD": "Việc làm", "BT": "Bảo trợ xã hội", "GD": "Giáo dục và Đào tạo",
    "TP": "Lý lịch tư pháp", "MT": "Tài nguyên nước và môi trường", "CT": "Lưu thông hàng hóa trong nước",
    "NN": "Nông nghiệp và thủy sản", "TH": "Thuế", "BH": "Bảo hiểm xã hội và y tế", "VH": "Văn hóa",
    "CA": "Đăng ký, quản lý cư trú",
}
AGENCY_NAMES = [
    ("Sở Tư pháp", Agency.Level.PROVINCIAL_DEPARTMENT), ("Sở Xây dựng", Agency.Level.PROVINCIAL_DEPARTMENT),
    ("Sở Nông nghiệp và Môi trường", Agency.Level.PROVINCIAL_DEPARTMENT),
    ("Trung tâm Phục vụ hành chính công", Agency.Level.PROVINCIAL_CENTRE),
    ("Chi cục Thuế khu vực", Agency.Level.MINISTRY_BRANCH),
]
DOCUMENTS = ["Tờ khai theo mẫu", "Giấy tờ tùy thân", "Giấy tờ chứng minh nơi cư trú", "Bản vẽ thiết kế",
             "Giấy ủy quyền", "Giấy chứng nhận đăng ký doanh nghiệp", "Ảnh 4x6", "Đơn đề nghị"]
REASONS = ["Người yêu cầu phải có mặt trực tiếp để ký vào sổ", "Kết quả phải trao trực tiếp cho người yêu cầu"]


def procedure_names(rng: random.Random) -> list[tuple[str, str]]:
    """PROCEDURES distinct (name, field code) pairs."""
    combos = [(f"{action} {subject}{' ' + qualifier if qualifier else ''}", field_code)
              for action in ACTIONS for subject, field_code in SUBJECTS for qualifier in QUALIFIERS]
    return rng.sample(combos, PROCEDURES)


def provinces() -> list[Province]:
    if Province.objects.filter(retired=False).count() < PROVINCES:
        call_command("load_units", stdout=io.StringIO())
    return list(Province.objects.filter(retired=False).order_by("code")[:PROVINCES])


def build_data() -> None:
    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        units = provinces()
        fields = {code: Field.objects.create(code=f"{MARKER}-{code}", name=name) for code, name in FIELDS.items()}
        procedures = Procedure.objects.bulk_create([
            Procedure(code=f"{CODE_PREFIX}{n:05d}", name=name, field=fields[field_code],
                      level=rng.choice(["provincial", "commune"]))
            for n, (name, field_code) in enumerate(procedure_names(rng), 1)
        ])
        agencies = {}
        for province in units:
            agencies[province.pk] = Agency.objects.bulk_create([
                Agency(identifier=f"{MARKER}.{province.code}.{i}", name=f"{name} {province.name}", level=level,
                       province=province)
                for i, (name, level) in enumerate(AGENCY_NAMES, 1)
            ])
        for province in units:
            versions = []
            for proc in procedures:
                receive, give_back = rng.random() < 0.6, rng.random() < 0.75
                basis_date = datetime.date(2017, rng.randint(1, 12), rng.randint(1, 28))
                basis = f"Quyết định {rng.randint(100, 3000)}/QĐ-UBND"
                versions.append(ProcedureVersion(
                    procedure=proc, province=province, number=1, status=ProcedureVersion.Status.PUBLISHED,
                    valid_from=datetime.date(2025, 7, 1), name=proc.name, agency=rng.choice(agencies[province.pk]),
                    processing_time=rng.choice([1, 3, 5, 7, 10, 15, 20, 30]),
                    processing_unit=rng.choice(["days"] * 8 + ["hours", "half_days"]),
                    receive_by_post=receive, receive_basis=basis if receive else "",
                    receive_basis_date=basis_date if receive else None,
                    return_by_post=give_back, return_basis=basis if give_back else "",
                    return_basis_date=basis_date if give_back else None,
                    not_by_post_reason="" if receive and give_back else rng.choice(REASONS),
                    search_text=fold(f"{proc.code} {proc.name}")[:600],
                ))
            versions = ProcedureVersion.objects.bulk_create(versions, batch_size=1000)
            RequiredDocument.objects.bulk_create([
                RequiredDocument(version=v, position=i, name=name, kind=kind, count=rng.randint(1, 2),
                                 mandatory=i == 1)
                for v in versions
                for i, (name, kind) in enumerate([(rng.choice(DOCUMENTS), "original"),
                                                  (rng.choice(DOCUMENTS), "photocopy")], 1)
            ], batch_size=2000)
            FeeLine.objects.bulk_create([
                FeeLine(version=v, position=1, code="LP", name="Lệ phí", kind="le_phi",
                        amount=rng.choice([0, 5_000, 8_000, 25_000, 50_000, 100_000]))
                for v in versions
            ], batch_size=2000)
        Field.objects.create(code=MARKER, name="Benchmark data marker")
    print(f"catalog_search_build: {time.perf_counter() - started:.1f} s", flush=True)


def search_mix(rng: random.Random, n: int) -> list[tuple[str, dict]]:
    """n (kind, arguments of search_versions) in a realistic mix."""
    units = list(Province.objects.filter(agencies__identifier__startswith=f"{MARKER}.").distinct())
    fields = list(Field.objects.filter(code__in=[f"{MARKER}-{code}" for code in FIELDS]))
    agencies = list(Agency.objects.filter(identifier__startswith=f"{MARKER}.").select_related("province"))
    words = sorted({w for phrase in ACTIONS + [s for s, _ in SUBJECTS] + QUALIFIERS for w in fold(phrase).split()
                    if len(w) > 2})
    pairs = [fold(s).split(",")[0] for s, _ in SUBJECTS] + [fold(a) for a in ACTIONS if " " in a]
    pairs = [" ".join(p.split()[:2]) for p in pairs if len(p.split()) >= 2]
    mix = []
    for _ in range(n):
        r = rng.random()
        if r < 0.22:
            mix.append(("word", {"query": rng.choice(words)}))
        elif r < 0.40:
            mix.append(("word+province", {"query": rng.choice(words), "province": rng.choice(units)}))
        elif r < 0.52:
            mix.append(("two_words", {"query": rng.choice(pairs)}))
        elif r < 0.62:
            mix.append(("two_words+province", {"query": rng.choice(pairs), "province": rng.choice(units)}))
        elif r < 0.72:
            code = f"{CODE_PREFIX}{rng.randint(1, PROCEDURES):05d}"
            mix.append(("code_prefix", {"query": code[:rng.randint(4, len(code))]}))
        elif r < 0.80:
            mix.append(("by_post", {"query": rng.choice(["", rng.choice(words)]),
                                    "by_post": rng.choice(ByPost.values)}))
        elif r < 0.86:
            mix.append(("by_post+province", {"query": rng.choice(["", rng.choice(words)]),
                                             "province": rng.choice(units), "by_post": rng.choice(ByPost.values)}))
        elif r < 0.92:
            province = rng.choice(units)
            mix.append(("browse_province", {"province": province, "field": rng.choice([None, rng.choice(fields)])}))
        elif r < 0.96:
            agency = rng.choice(agencies)
            mix.append(("agency", {"province": agency.province, "agency": agency,
                                   "query": rng.choice(["", rng.choice(words)])}))
        else:
            mix.append(("no_match", {"query": rng.choice(["khong co thu tuc nay", "zzz", "ho chieu ngoai giao"])}))
    return mix


def run_search(arguments: dict) -> tuple[int, int]:
    """What a results page does: the first page with its joined objects, and the count."""
    page = page_of(search_versions(**arguments), 1, PAGE)
    total, rows = page.paginator.count, page.object_list
    for row in rows:  # touch what the page shows: no query may happen here
        row.procedure.code, row.procedure.field.name, row.province.name, row.agency.name  # noqa: B018
    return total, len(rows)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def tidy_tables() -> None:
    """Fresh planner statistics and, on PostgreSQL, no dead rows: what autovacuum keeps a live
    database at, which other benchmarks writing to the same tables may have left behind."""
    tables = ["catalog_procedureversion", "catalog_procedure", "catalog_field", "network_agency", "geo_province"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else f"ANALYZE {table}")


def main() -> None:
    call_command("migrate", verbosity=0)
    if not Field.objects.filter(code=MARKER).exists():
        build_data()
    tidy_tables()
    rng = random.Random(SEED)
    mix = search_mix(rng, WARM_UP + SEARCHES)
    for _kind, arguments in mix[:WARM_UP]:
        run_search(arguments)
    timings, by_kind, hits = [], {}, []
    for kind, arguments in mix[WARM_UP:]:
        started = time.perf_counter()
        total, _shown = run_search(arguments)
        elapsed = (time.perf_counter() - started) * 1000
        timings.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        hits.append(total)
    print(f"catalog_search_database: {connection.vendor}")
    print(f"catalog_search_versions: {ProcedureVersion.objects.filter(status='published').count()}")
    print(f"catalog_search_hits_median: {statistics.median(hits):.0f} rows")
    for kind, values in sorted(by_kind.items()):
        print(f"catalog_search_p95_{kind}: {percentile(values, 0.95):.2f} ms  (n={len(values)})")
    print(f"catalog_search_max: {max(timings):.2f} ms")
    print(f"catalog_search_p50: {statistics.median(timings):.2f} ms")
    print(f"catalog_search_mean: {statistics.fmean(timings):.2f} ms")
    print(f"catalog_search: {percentile(timings, 0.95):.2f} ms")


if __name__ == "__main__":
    main()
