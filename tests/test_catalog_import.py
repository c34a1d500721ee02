"""Import and export of a province's procedure list: preview with row errors, all-or-nothing
commit through the task, added / changed / unchanged, round trip, scopes, pages and API."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.management.commands.load_demo import Command as LoadDemo
from audit.models import AuditEvent
from catalog import imports
from catalog.importer import HEADERS, parse_amount
from catalog.models import FeeLine, ImportBatch, Procedure, ProcedureVersion
from catalog.services import save_version, version_data
from network.models import Agency

SAMPLE = imports.SAMPLE_FILE.read_bytes()
SAMPLE_ROWS = 52
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

GOOD = {
    "STT": "1", "Mã TTHC": "1.001612", "Tên thủ tục": "Đăng ký khai sinh", "Mã lĩnh vực": "HT",
    "Tên lĩnh vực": "Hộ tịch", "Cấp thực hiện": "Cấp xã", "Mã định danh cơ quan": "000.00.12.H01",
    "Tên cơ quan": "Sở Tư pháp", "Thời hạn": "3", "Đơn vị thời hạn": "ngày làm việc", "Tiếp nhận qua BCCI": "Có",
    "Căn cứ tiếp nhận": "Quyết định số 2358/QĐ-UBND", "Ngày căn cứ tiếp nhận": "03/08/2017",
    "Trả kết quả qua BCCI": "Có", "Căn cứ trả kết quả": "Quyết định số 2358/QĐ-UBND",
    "Ngày căn cứ trả kết quả": "03/08/2017", "Lý do không qua BCCI": "",
    "Thành phần hồ sơ": "Tờ khai đăng ký khai sinh | Bản chính | 1 | Bắt buộc\nGiấy chứng sinh | Bản chính",
    "Phí, lệ phí": "LP01 | Lệ phí đăng ký khai sinh | Lệ phí | 8.000 | Bưu điện thu hộ",
}


def row(**changes):
    values = dict(GOOD)
    values.update({key.replace("_", " "): value for key, value in changes.items()})
    return values


def csv_file(rows, header=HEADERS, delimiter=",", bom=True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(h, "") for h in header])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_from_csv(content: bytes) -> bytes:
    """The same table as an .xlsx file (numbers as numbers, as Excel would store them)."""
    workbook = Workbook()
    sheet = workbook.active
    for values in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")):
        sheet.append([int(v) if v.isdigit() and len(v) < 6 else v for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ag_agencies(an_giang, ag_agency):
    """The demo agencies the sample file names."""
    for ident, name, level in [
        ("000.00.01.H01", "Trung tâm Phục vụ hành chính công tỉnh An Giang", Agency.Level.PROVINCIAL_CENTRE),
        ("000.00.13.H01", "Sở Xây dựng tỉnh An Giang", Agency.Level.PROVINCIAL_DEPARTMENT),
        ("000.20.30.H01", "UBND phường Long Xuyên", Agency.Level.COMMUNE_COMMITTEE),
        ("000.21.30.H01", "Trung tâm Phục vụ hành chính công phường Long Xuyên", Agency.Level.COMMUNE_CENTRE),
    ]:
        Agency.objects.create(identifier=ident, name=name, level=level, province=an_giang)
    return Agency.objects.filter(province=an_giang)


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


def preview(content, province, actor=None, name="danh_muc.csv"):
    return imports.preview_import(content, name, province, actor)


def commit(content, province, actor=None, name="danh_muc.csv"):
    batch = preview(content, province, actor, name)
    assert batch.status == "previewed", batch.errors
    return imports.commit_import(batch, actor)


def error_cells(batch):
    return {(e["row"], e["column"]) for e in batch.errors}


# --- The sample file, added / changed / unchanged -------------------------------------


def test_sample_file_imports_then_a_second_run_writes_nothing(an_giang, ag_agencies):
    batch, counts = imports.import_now(SAMPLE, "an_giang_thu_tuc.csv", an_giang)
    assert counts == {"added": SAMPLE_ROWS, "changed": 0, "unchanged": 0}
    assert batch.status == "committed" and batch.processed_rows == SAMPLE_ROWS
    assert ProcedureVersion.objects.filter(province=an_giang, status="published").count() == SAMPLE_ROWS
    marriage = ProcedureVersion.objects.get(procedure__code="1.000894")
    assert not marriage.receive_by_post and not marriage.return_by_post
    assert "có mặt trực tiếp" in marriage.not_by_post_reason
    copy = ProcedureVersion.objects.get(procedure__code="2.000908")
    assert (copy.receive_by_post, copy.return_by_post) == (False, True)
    birth = ProcedureVersion.objects.get(procedure__code="1.001612")
    assert abs(birth.created_at - timezone.now()) < datetime.timedelta(minutes=5)
    assert (birth.status, birth.valid_from, birth.number) == ("published", timezone.localdate(), 1)
    assert birth.receive_basis == "Quyết định số 2358/QĐ-UBND"
    assert birth.receive_basis_date == datetime.date(2017, 8, 3)
    assert [d.kind for d in birth.documents.all()] == ["original", "original", "certified_copy"]
    assert birth.fees.get().formula.startswith("Miễn lệ phí")
    lltp = ProcedureVersion.objects.get(procedure__code="1.000656")
    assert (lltp.fees.get().amount, lltp.fees.get().kind) == (200_000, "phi")
    assert FeeLine.objects.filter(version__procedure__code="2.002011").count() == 2

    events = AuditEvent.objects.count()
    again, counts = imports.import_now(SAMPLE, "an_giang_thu_tuc.csv", an_giang)
    assert again is None and counts == {"added": 0, "changed": 0, "unchanged": SAMPLE_ROWS}
    assert AuditEvent.objects.count() == events
    assert ProcedureVersion.objects.count() == SAMPLE_ROWS


def test_demo_loader_imports_the_sample_once(an_giang, ag_agencies):
    out = io.StringIO()
    command = LoadDemo(stdout=out)
    assert command.load_catalog(an_giang) == SAMPLE_ROWS
    assert command.load_catalog(an_giang) == 0
    assert f"0 added, 0 changed, {SAMPLE_ROWS} unchanged" in out.getvalue()


def test_preview_writes_no_catalogue_row(an_giang, ag_agencies, ag_admin):
    batch = preview(SAMPLE, an_giang, ag_admin)
    assert batch.status == "previewed" and batch.total_rows == SAMPLE_ROWS
    assert batch.counts == {"added": SAMPLE_ROWS, "changed": 0, "unchanged": 0}
    assert not ProcedureVersion.objects.exists() and not Procedure.objects.exists()
    assert AuditEvent.objects.filter(action="catalog.import_previewed", object_id=str(batch.pk)).exists()
    assert batch.file.read().startswith(b"\xef\xbb\xbf")
    assert preview(SAMPLE, an_giang, ag_admin).file.name == batch.file.name  # stored once, by content


def test_a_changed_row_supersedes_and_the_rest_is_unchanged(an_giang, ag_agencies, ag_admin):
    commit(SAMPLE, an_giang, ag_admin)
    old = ProcedureVersion.objects.get(procedure__code="1.001612")
    text = SAMPLE.decode("utf-8-sig")
    lines = text.split("\r\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("1,1.001612,"))
    lines[index] = lines[index].replace(",1,ngày làm việc,", ",2,ngày làm việc,")
    batch = preview("\r\n".join(lines).encode(), an_giang, ag_admin)
    assert batch.counts == {"added": 0, "changed": 1, "unchanged": SAMPLE_ROWS - 1}
    batch = imports.commit_import(batch, ag_admin)
    assert batch.status == "committed" and batch.counts["changed"] == 1
    old.refresh_from_db()
    new = ProcedureVersion.objects.get(procedure__code="1.001612", status="published")
    today = timezone.localdate()
    assert (new.number, new.processing_time, new.valid_from) == (2, 2, today)
    assert old.status == "superseded" and old.valid_to == today - datetime.timedelta(days=1)
    assert [d.name for d in new.documents.all()] == [d.name for d in old.documents.all()]
    event = AuditEvent.objects.get(action="catalog.version_published", object_id=str(new.pk))
    assert event.before["version"] == 1 and event.after["processing_time"] == 2
    assert event.province_id_scope == an_giang.pk and event.actor == ag_admin
    summary = AuditEvent.objects.get(action="catalog.import_committed", object_id=str(batch.pk))
    assert summary.after["changed_codes"] == ["1.001612"]


def test_the_bulk_path_agrees_with_save_version(an_giang, ag_agencies):
    """Every imported row read back and saved again through save_version is unchanged."""
    commit(SAMPLE, an_giang)
    for version in ProcedureVersion.objects.filter(province=an_giang).select_related("procedure__field"):
        data = version_data(version)
        assert save_version(data, an_giang)[1] == "unchanged"
        assert version.search_text.startswith(version.procedure.code)


def test_a_renamed_field_updates_the_field_like_save_version(an_giang, ag_agency):
    commit(csv_file([row()]), an_giang)
    batch, counts = imports.import_now(csv_file([row(**{"Tên lĩnh vực": "Hộ tịch (sửa)"})]), "b.csv", an_giang)
    assert counts == {"added": 0, "changed": 0, "unchanged": 1} and batch.report["fields_written"] == 1
    assert Procedure.objects.get().field.name == "Hộ tịch (sửa)"
    assert ProcedureVersion.objects.count() == 1


def test_export_round_trip_csv_and_xlsx(an_giang, ag_agencies, ag_admin):
    commit(SAMPLE, an_giang, ag_admin)
    exported_csv = imports.export_province(an_giang, "csv")
    assert exported_csv.startswith("\ufeffSTT,Mã TTHC,Tên thủ tục".encode())
    batch = preview(exported_csv, an_giang, ag_admin, "xuat.csv")
    assert batch.counts == {"added": 0, "changed": 0, "unchanged": SAMPLE_ROWS}, batch.errors
    exported_xlsx = imports.export_province(an_giang, "xlsx")
    sheet = load_workbook(io.BytesIO(exported_xlsx), read_only=True).worksheets[0]
    assert [c for c in next(sheet.iter_rows(values_only=True))] == HEADERS
    batch = preview(exported_xlsx, an_giang, ag_admin, "xuat.xlsx")
    assert batch.counts == {"added": 0, "changed": 0, "unchanged": SAMPLE_ROWS}, batch.errors


def test_xlsx_and_csv_give_the_same_result(an_giang, ag_agencies):
    xlsx = xlsx_from_csv(SAMPLE)
    batch = commit(xlsx, an_giang, name="an_giang.xlsx")
    assert batch.counts["added"] == SAMPLE_ROWS
    assert preview(SAMPLE, an_giang).counts["unchanged"] == SAMPLE_ROWS


def test_an_excel_file_with_shared_strings_dates_and_numbers(an_giang, ag_agency):
    """Excel stores dates as numbers with a date style, a code typed as 1.001612 as a number."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Danh mục TTHC tỉnh An Giang"])
    sheet.append(HEADERS)
    values = row(**{"Ngày căn cứ tiếp nhận": datetime.date(2017, 8, 3), "Ngày căn cứ trả kết quả": None})
    values.update({"Mã TTHC": 1.001612, "Thời hạn": 3, "STT": 1})
    sheet.append([values[h] for h in HEADERS])
    out = io.BytesIO()
    workbook.save(out)
    content = out.getvalue()
    commit(content, an_giang, name="excel.xlsx")
    version = ProcedureVersion.objects.get()
    assert version.procedure.code == "1.001612" and version.processing_time == 3
    assert version.receive_basis_date == datetime.date(2017, 8, 3) and version.return_basis_date is None


def test_version_columns_cover_the_model():
    """The bulk path writes versions column by column: a new model field must be added there."""
    fields = {f.attname for f in ProcedureVersion._meta.concrete_fields if not f.primary_key}
    assert fields == set(imports.VERSION_COLUMNS)


def test_values_without_diacritics_semicolons_and_no_bom(an_giang, ag_agency):
    content = csv_file([row(**{
        "Cấp thực hiện": "cap xa", "Đơn vị thời hạn": "Ngay lam viec", "Tiếp nhận qua BCCI": "x",
        "Trả kết quả qua BCCI": "khong", "Ngày căn cứ tiếp nhận": "3-8-2017", "Ngày căn cứ trả kết quả": "",
        "Thành phần hồ sơ": "To khai | ban chinh | 01 | bat buoc; CCCD | Ban photo | 1 | khong bat buoc",
        "Phí, lệ phí": " | Le phi khai sinh | le phi | 8,000 đồng | Co quan thu",
    })], delimiter=";", bom=False)
    batch = commit(content, an_giang)
    version = ProcedureVersion.objects.get()
    assert (version.procedure.level, version.processing_unit) == ("commune", "days")
    assert (version.receive_by_post, version.return_by_post) == (True, False)
    assert version.receive_basis_date == datetime.date(2017, 8, 3)
    assert [(d.kind, d.count, d.mandatory) for d in version.documents.all()] == [
        ("original", 1, True), ("photocopy", 1, False)]
    fee = version.fees.get()
    assert (fee.kind, fee.amount, fee.collector, fee.code) == ("le_phi", 8000, "agency", "")
    assert batch.counts["added"] == 1


def test_amounts():
    assert parse_amount("8.000") == (8000, "")
    assert parse_amount("1.000.000 đồng") == (1_000_000, "")
    assert parse_amount("Miễn phí") == (0, "")
    assert parse_amount("2.000 đồng/trang") == (None, "2.000 đồng/trang")
    for bad in ("-5.000", "12,5", "1.00.0"):
        with pytest.raises(ValueError):
            parse_amount(bad)


# --- Row errors: rejected row by row, nothing committed -----------------------------------


def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_committed(an_giang, ag_agency, qn_agency,
                                                                          ag_admin):
    rows = [
        row(),                                                              # 2 good
        row(**{"Mã TTHC": "1.000001", "Tên thủ tục": ""}),                  # 3 missing cell
        row(**{"Mã TTHC": "1.000002", "Mã định danh cơ quan": "000.99.99.H99"}),  # 4 unknown agency
        row(**{"Mã TTHC": "1.000003", "Mã định danh cơ quan": "000.00.12.H55"}),  # 5 another province
        row(),                                                              # 6 duplicate code
        row(**{"Mã TTHC": "1.000005", "Tiếp nhận qua BCCI": "Có thể"}),     # 7 bad yes/no
        row(**{"Mã TTHC": "1.000006", "Đơn vị thời hạn": "tuần"}),          # 8 bad unit
        row(**{"Mã TTHC": "1.000007", "Thời hạn": "0"}),                    # 9 non-positive time
        row(**{"Mã TTHC": "1.000008", "Phí, lệ phí": "LP | Lệ phí | Lệ phí | -8.000 | Bưu điện thu hộ"}),  # 10
        row(**{"Mã TTHC": "1.000009", "Phí, lệ phí": "LP | Lệ phí | Lệ phí | 12,5 | Bưu điện thu hộ"}),    # 11
        row(**{"Mã TTHC": "1.000010", "Ngày căn cứ tiếp nhận": "31/02/2017"}),  # 12 bad date
        row(**{"Mã TTHC": "1.000011", "Thành phần hồ sơ": "Tờ khai | Bản gốc | 1 | Bắt buộc"}),  # 13 bad kind
        row(**{"Mã TTHC": "1.000012", "Cấp thực hiện": "Cấp huyện"}),       # 14 unknown level
        row(**{"Mã TTHC": "1.000013", "Tiếp nhận qua BCCI": "Không", "Trả kết quả qua BCCI": "Không"}),  # 15
    ]
    batch = preview(csv_file(rows), an_giang, ag_admin)
    assert batch.status == "rejected"
    assert error_cells(batch) == {
        (3, "Tên thủ tục"), (4, "Mã định danh cơ quan"), (5, "Mã định danh cơ quan"), (6, "Mã TTHC"),
        (7, "Tiếp nhận qua BCCI"), (8, "Đơn vị thời hạn"), (9, "Thời hạn"), (10, "Phí, lệ phí"),
        (11, "Phí, lệ phí"), (12, "Ngày căn cứ tiếp nhận"), (13, "Thành phần hồ sơ"), (14, "Cấp thực hiện"),
        (15, "Lý do không qua BCCI"),
    }
    messages = {e["row"]: e["message"] for e in batch.errors}
    assert messages[4].startswith("Không có cơ quan mã định danh «000.99.99.H99» / ")
    assert "trong tỉnh này" in messages[5] and "of this province" in messages[5]
    assert "trùng với dòng 2" in messages[6]
    assert "không được âm" in messages[10] and "cannot be negative" in messages[10]
    assert batch.report["error_count"] == 13
    with pytest.raises(ValidationError):
        imports.request_commit(batch, ag_admin)
    with pytest.raises(ValidationError):
        imports.commit_import(batch, ag_admin)
    assert not ProcedureVersion.objects.exists() and not Procedure.objects.exists()


def test_a_missing_column_is_reported_on_the_header_row(an_giang, ag_agency):
    header = [h for h in HEADERS if h != "Thời hạn"]
    batch = preview(csv_file([row()], header=header), an_giang)
    assert batch.status == "rejected" and error_cells(batch) == {(1, "Thời hạn")}


def test_a_file_that_is_not_a_spreadsheet(an_giang, ag_agency):
    batch = preview(b"PK\x03\x04 broken", an_giang, name="hong.xlsx")
    assert batch.status == "rejected" and "không đọc được" in batch.errors[0]["message"]
    with pytest.raises(ValidationError):
        preview(b"abc", an_giang, name="danh_muc.pdf")


def test_commit_validates_again_and_writes_nothing_if_the_data_moved(an_giang, quang_ngai, ag_agency):
    batch = preview(csv_file([row(), row(**{"Mã TTHC": "1.000002"})]), an_giang)
    assert batch.status == "previewed"
    ag_agency.province = quang_ngai  # moved before the commit
    ag_agency.save()
    batch = imports.commit_import(batch)
    assert batch.status == "failed" and error_cells(batch) == {(2, "Mã định danh cơ quan"),
                                                                (3, "Mã định danh cơ quan")}
    assert not ProcedureVersion.objects.exists()


# --- Scope ------------------------------------------------------------------------------


def test_provincial_admin_cannot_import_into_another_province(quang_ngai, qn_agency, ag_admin, ag_clerk):
    content = csv_file([row(**{"Mã định danh cơ quan": "000.00.12.H55"})])
    with pytest.raises(PermissionDenied):
        preview(content, quang_ngai, ag_admin)
    with pytest.raises(PermissionDenied):
        preview(content, quang_ngai, ag_clerk)
    assert not ImportBatch.objects.exists()


def test_pages_refuse_other_provinces_and_clerks(client, an_giang, quang_ngai, qn_agency, ag_admin, ag_clerk,
                                                 national_admin):
    foreign = preview(csv_file([row(**{"Mã định danh cơ quan": "000.00.12.H55"})]), quang_ngai, national_admin)
    client.force_login(ag_admin)
    upload = io.BytesIO(csv_file([row(**{"Mã định danh cơ quan": "000.00.12.H55"})]))
    upload.name = "qn.csv"
    response = client.post(reverse("catalog_import:upload"), {"province": "51", "file": upload})
    assert response.status_code == 200 and ImportBatch.objects.count() == 1  # invalid choice, nothing stored
    for name in ("detail", "progress"):
        assert client.get(reverse(f"catalog_import:{name}", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("catalog_import:commit", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("catalog_import:export") + "?province=51").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "previewed"

    client.force_login(ag_clerk)
    assert client.get(reverse("catalog_import:upload")).status_code == 403
    assert client.get(reverse("catalog_import:export") + "?province=91").status_code == 403


def test_api_refuses_other_provinces_and_clerks(client, an_giang, quang_ngai, qn_agency, ag_admin, ag_clerk,
                                                national_admin):
    foreign = preview(csv_file([row(**{"Mã định danh cơ quan": "000.00.12.H55"})]), quang_ngai, national_admin)
    url = reverse("api:catalog-import-create")
    client.force_login(ag_admin)
    upload = io.BytesIO(csv_file([row(**{"Mã định danh cơ quan": "000.00.12.H55"})]))
    upload.name = "qn.csv"
    response = client.post(url, {"province": "51", "file": upload})
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"].startswith("Danh mục của tỉnh khác. / ")
    assert client.get(reverse("api:catalog-import-detail", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("api:catalog-import-commit", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("api:catalog-export") + "?province=51&format=csv").status_code == 403

    client.force_login(ag_clerk)
    upload.seek(0)
    response = client.post(url, {"province": "91", "file": upload})
    assert response.status_code == 403 and " / " in response.json()["errors"][0]["message"]
    assert client.get(reverse("api:catalog-export") + "?province=91").status_code == 403
    assert ImportBatch.objects.count() == 1


# --- Progress, pages and API flows ------------------------------------------------------------


def test_progress_is_read_from_the_progress_file_while_running(an_giang, ag_agency):
    batch = preview(csv_file([row()]), an_giang)
    assert imports.progress(batch)["percent"] == 0
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", total_rows=20)
    batch.refresh_from_db()
    imports.write_progress(batch.pk, 10, 20, "writing")
    assert imports.progress(batch) == {"status": "running", "processed_rows": 10, "total_rows": 20,
                                       "percent": 50, "phase": "writing"}
    imports.clear_progress(batch.pk)
    assert imports.progress(batch)["processed_rows"] == 0


def test_page_flow_upload_preview_commit_result(client, an_giang, ag_agencies, ag_admin, immediate_tasks,
                                                django_capture_on_commit_callbacks):
    client.force_login(ag_admin)
    page = client.get(reverse("catalog_import:upload"))
    assert page.status_code == 200 and "Kiểm tra và xem trước" in page.content.decode()
    upload = io.BytesIO(SAMPLE)
    upload.name = "an_giang_thu_tuc.csv"
    response = client.post(reverse("catalog_import:upload"), {"province": "91", "file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("catalog_import:detail", args=[batch.pk])
    html = client.get(response.url).content.decode()
    assert "Xem trước" in html and f"Nhập {SAMPLE_ROWS} dòng" in html
    assert not ProcedureVersion.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("catalog_import:commit", args=[batch.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.counts["added"] == SAMPLE_ROWS
    assert ProcedureVersion.objects.count() == SAMPLE_ROWS
    fragment = client.get(reverse("catalog_import:progress", args=[batch.pk]), headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "Đã nhập xong" in text and "hx-get" not in text
    assert 'id="batch-status" hx-swap-oob="true">Đã nhập<' in text
    assert client.post(reverse("catalog_import:commit", args=[batch.pk]), follow=True).status_code == 200
    assert ProcedureVersion.objects.count() == SAMPLE_ROWS  # a second commit does nothing

    export = client.get(reverse("catalog_import:export") + "?province=91&format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export.content.count(b"\r\n") > SAMPLE_ROWS


def test_the_progress_fragment_polls_while_queued(client, an_giang, ag_agency, ag_admin):
    batch = preview(csv_file([row()]), an_giang, ag_admin)
    client.force_login(ag_admin)
    imports.request_commit(batch, ag_admin)  # no worker in tests: stays queued
    html = client.get(reverse("catalog_import:detail", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress" in html


def test_rejected_preview_page_says_nothing_will_be_imported(client, an_giang, ag_agency, ag_admin):
    batch = preview(csv_file([row(**{"Thời hạn": "-1"})]), an_giang, ag_admin)
    client.force_login(ag_admin)
    html = client.get(reverse("catalog_import:detail", args=[batch.pk])).content.decode()
    assert "sẽ không có dòng nào được nhập" in html and "Thời hạn" in html
    assert reverse("catalog_import:commit", args=[batch.pk]) not in html


def test_api_flow_preview_commit_status_and_export(client, an_giang, ag_agencies, ag_admin, immediate_tasks,
                                                   django_capture_on_commit_callbacks):
    client.force_login(ag_admin)
    upload = io.BytesIO(xlsx_from_csv(SAMPLE))
    upload.name = "an_giang.xlsx"
    response = client.post(reverse("api:catalog-import-create"), {"province": "91", "file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "previewed" and body["counts"] == {"added": SAMPLE_ROWS, "changed": 0, "unchanged": 0}
    assert body["errors"] == [] and body["province"] == "91"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api:catalog-import-commit", args=[body["id"]]))
    assert response.status_code == 202 and response.json()["status"] in ("queued", "committed")
    status = client.get(body["status_url"]).json()
    assert status["status"] == "committed" and status["percent"] == 100
    assert status["processed_rows"] == SAMPLE_ROWS and status["counts"]["added"] == SAMPLE_ROWS
    assert client.post(reverse("api:catalog-import-commit", args=[body["id"]])).status_code == 409

    export = client.get(reverse("api:catalog-export") + "?province=91&format=xlsx")
    assert export.status_code == 200 and export.content.startswith(b"PK")
    assert client.get(reverse("api:catalog-export") + "?province=91&format=pdf").status_code == 400


def test_api_preview_of_a_bad_file_lists_row_errors(client, an_giang, ag_agency, ag_admin):
    client.force_login(ag_admin)
    upload = io.BytesIO(csv_file([row(**{"Tiếp nhận qua BCCI": "có lẽ"})]))
    upload.name = "loi.csv"
    body = client.post(reverse("api:catalog-import-create"), {"province": "91", "file": upload}).json()
    assert body["status"] == "rejected"
    assert body["errors"] == [{"row": 2, "column": "Tiếp nhận qua BCCI", "field": "Tiếp nhận qua BCCI",
                               "message": body["errors"][0]["message"]}]
    assert " / " in body["errors"][0]["message"]
    assert client.post(reverse("api:catalog-import-commit", args=[body["id"]])).status_code == 409
    upload = io.BytesIO(b"x")
    upload.name = "loi.pdf"
    response = client.post(reverse("api:catalog-import-create"), {"province": "91", "file": upload})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"
