"""Benchmark: import of a 5,000-row procedure list (preview + all-or-nothing commit).

Standalone: ``python bench/catalog_import.py`` on the database DATABASE_URL names (it
migrates first). It builds its own data — province 99 "Tỉnh Benchmark", five agencies
999.00.0N.H99 and procedure codes 9.NNNNNN, which clash with nothing real — generates
the list in memory and times, through ``catalog.imports`` exactly as the task runs it:

* ``catalog_import_preview``: reading and validating the 5,000-row CSV against an empty province;
* ``catalog_import_xlsx``: preview + commit of the same list as .xlsx into an empty province;
* ``catalog_import_changed``: preview + commit of the list again with every row changed
  (5,000 new versions superseding the old ones, one audit event each — the worst case);
* ``catalog_import`` (last line, the headline): preview + commit of the 5,000-row CSV into an
  empty province (5,000 procedures added). Target: at most 10 s.

Re-runnable: it removes its own catalogue rows, batches, agencies and province before and
after the run. Audit events are append-only and stay (about 5,000 per run).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROWS = 5_000
PROVINCE = "99"
AGENCIES = [f"999.00.0{i}.H99" for i in range(1, 6)]
FIELDS = [(f"BENCH-{i:02d}", f"Lĩnh vực thử nghiệm {i}") for i in range(1, 21)]
LEVELS = ["Cấp tỉnh", "Cấp xã", "Nhiều cấp"]
UNITS = ["ngày làm việc", "ngày làm việc", "ngày làm việc", "giờ làm việc", "buổi làm việc"]


def generate(rows: int, variant: int = 0) -> list[list]:
    """A realistic-looking list: 2–4 documents and 0–2 fees per procedure."""
    from catalog.importer import COLUMNS

    out = []
    for i in range(rows):
        by_post = i % 7 != 0
        field_code, field_name = FIELDS[i % len(FIELDS)]
        docs = [f"Tờ khai đề nghị số {i} theo mẫu | Bản chính | 1 | Bắt buộc",
                "Căn cước công dân của người yêu cầu | Bản photo | 1 | Bắt buộc",
                "Giấy tờ chứng minh quyền sở hữu | Bản sao chứng thực | 1 | Bắt buộc",
                "Văn bản ủy quyền (nếu có) | Bản sao chứng thực | 1 | Không bắt buộc"][:2 + i % 3]
        fees = [f"LP{i % 50:02d} | Lệ phí cấp giấy chứng nhận | Lệ phí | {(i % 20 + 1) * 5_000 + variant:,} | "
                "Bưu điện thu hộ".replace(",", "."),
                f"P{i % 30:02d} | Phí thẩm định hồ sơ | Phí | 0,1% giá trị tài sản, tối đa 5.000.000 đồng | "
                "Cơ quan thu"][:i % 3]
        values = {
            "seq": i + 1, "code": f"9.{i:06d}", "name": f"Thủ tục thử nghiệm số {i} về cấp giấy chứng nhận",
            "field_code": field_code, "field_name": field_name, "level": LEVELS[i % 3],
            "agency": AGENCIES[i % 5], "agency_name": "", "time": 1 + i % 30 + variant,
            "unit": UNITS[i % 5], "receive": "Có" if by_post else "Không",
            "receive_basis": "Quyết định số 2358/QĐ-UBND" if by_post else "",
            "receive_date": "03/08/2017" if by_post else "", "ret": "Có" if by_post or i % 2 else "Không",
            "return_basis": "Quyết định số 2358/QĐ-UBND", "return_date": "03/08/2017",
            "reason": "" if by_post else "Yêu cầu có mặt trực tiếp", "documents": "\n".join(docs),
            "fees": "\n".join(fees),
        }
        out.append([values[c.key] for c in COLUMNS])
    return out


def cleanup():
    from catalog.models import Field, ImportBatch, Procedure, ProcedureVersion
    from geo.models import Province
    from network.models import Agency

    province = Province.objects.filter(code=PROVINCE).first()
    if province is not None:
        ProcedureVersion.objects.filter(province=province).delete()
        for batch in ImportBatch.objects.filter(province=province):
            batch.file.delete(save=False)
            batch.delete()
    Procedure.objects.filter(code__startswith="9.", versions__isnull=True).delete()
    Field.objects.filter(code__startswith="BENCH-", procedures__isnull=True).delete()
    Agency.objects.filter(identifier__in=AGENCIES, procedure_versions__isnull=True).delete()
    if province is not None and not province.agencies.exists():
        province.delete()


def setup():
    from geo.models import Province
    from network.models import Agency

    province = Province.objects.create(code=PROVINCE, name="Tỉnh Benchmark (bench)", division_type="tỉnh")
    Agency.objects.bulk_create([
        Agency(identifier=ident, name=f"Cơ quan thử nghiệm {n}", level=Agency.Level.PROVINCIAL_DEPARTMENT,
               province=province)
        for n, ident in enumerate(AGENCIES, 1)
    ])
    return province


def main():
    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalog import imports
    from catalog.importer import write_csv, write_xlsx

    call_command("migrate", verbosity=0)
    first = write_csv(generate(ROWS))
    second = write_csv(generate(ROWS, variant=1))
    xlsx = write_xlsx(generate(ROWS))

    def timed_import(content, name, province, outcome):
        begin = time.perf_counter()
        batch = imports.preview_import(content, name, province)
        previewed = time.perf_counter() - begin
        assert batch.status == "previewed", batch.errors[:5]
        batch = imports.commit_import(batch)
        assert batch.status == "committed" and batch.counts[outcome] == ROWS, batch.report
        return previewed, time.perf_counter() - begin

    cleanup()
    try:
        _preview, xlsx_s = timed_import(xlsx, "bench.xlsx", setup(), "added")
        cleanup()
        province = setup()
        preview_s, import_s = timed_import(first, "bench.csv", province, "added")
        _preview, changed_s = timed_import(second, "bench2.csv", province, "changed")
    finally:
        cleanup()

    print(f"database: {connection.vendor}")
    print(f"catalog_import_preview: {preview_s:.2f} s")
    print(f"catalog_import_xlsx: {xlsx_s:.2f} s")
    print(f"catalog_import_changed: {changed_s:.2f} s")
    print(f"catalog_import: {import_s:.2f} s")


if __name__ == "__main__":
    main()
