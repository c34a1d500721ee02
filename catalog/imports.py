"""Import and export of a province's procedure list (.xlsx / .csv).

Flow: ``preview_import`` reads and validates the file, works out what it would
add / change / leave unchanged against the province's published versions, and
records an ``ImportBatch`` (nothing of the catalogue is written). A file with any
row error is *rejected*: it can never be committed. ``request_commit`` queues a
previewed batch; the task ``catalog.tasks.run_import`` calls ``commit_import``,
which reads the file again (the database may have moved since the preview),
validates it again and writes every row in ONE transaction: all or nothing.

Bulk path. ``catalog.services.save_version`` costs ~15 ms a row (a dozen queries
and three audit events), i.e. minutes for a 5,000-row list, so ``commit_import``
writes in bulk, 500 rows at a time, with the same results as calling
``save_version(data, province, actor)`` for each row in file order: fields and
procedures created or renamed (last row wins), a row equal to the published
version is "unchanged" and writes nothing, otherwise a new version (number =
max + 1) is published from today and the previous one is superseded (``valid_to``
= yesterday). Fields and procedures go through ``bulk_create``/``bulk_update``;
versions, documents and fees through plain INSERTs (``_insert``: COPY on
PostgreSQL, executemany on SQLite), because the ORM's per-object overhead was
most of the time. ``test_the_bulk_path_agrees_with_save_version`` and
``test_version_columns_cover_the_model`` keep the two paths equal.

Audit: instead of save_version's two or three events per version, one
``catalog.import_committed`` event on the batch lists the codes added and
changed, and each *changed* version gets one ``catalog.version_published`` event
whose before/after hold the superseded version and the fields that changed.
Added versions are found through the batch event. (These per-version events are
most of the time of a re-import where every row changed: ~1 ms each.)

Progress. The writes happen in one transaction, so a ``processed_rows`` update
made inside it is invisible to the web process until the end. While a batch
runs, the task therefore writes its progress to a small JSON file under
``MEDIA_ROOT/catalog/imports/progress/`` (replaced atomically); the status page
and API read it. Web and worker already share MEDIA_ROOT (the worker reads the
uploaded file from it); the final figures are stored on the batch row.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_event
from catalog.importer import (
    ParsedRow,
    ParseResult,
    RowError,
    file_format,
    parse_file,
    row_values,
    write_csv,
    write_xlsx,
)
from catalog.models import FeeLine, Field, ImportBatch, Procedure, ProcedureVersion, RequiredDocument
from catalog.services import (
    VERSION_FIELDS,
    DocumentData,
    FeeData,
    VersionData,
    check_may_edit,
    content_key,
    may_edit_national,
)
from geo.text import fold

CHUNK = 500
MAX_STORED_ERRORS = 1000
OUTCOMES = ("added", "changed", "unchanged")
SAMPLE_FILE = Path(__file__).resolve().parent / "samples" / "an_giang_thu_tuc.csv"


# --- Planning (read only) ----------------------------------------------------------


@dataclass
class Current:
    pk: int
    number: int
    agency_id: int
    key: tuple


@dataclass
class Plan:
    """What writing the rows would do, against the database as it is now."""

    outcomes: list[str]  # one per parsed row
    fields: dict[str, tuple[int, str]]  # code -> (pk, name), existing
    procedures: dict[str, tuple[int, str, int, str]]  # code -> (pk, name, field_id, level), existing
    current: dict[int, Current]  # procedure pk -> the province's published version
    max_number: dict[int, int]  # procedure pk -> highest version number in the province
    field_updates: int = 0
    procedure_updates: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.outcomes.count(outcome) for outcome in OUTCOMES}

    @property
    def writes_anything(self) -> bool:
        counts = self.counts
        return bool(counts["added"] or counts["changed"] or self.field_updates or self.procedure_updates)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]



def _published(province) -> tuple[dict[int, tuple], dict[int, list], dict[int, list]]:
    """The province's published versions with their documents and fees, in three queries."""
    versions = {
        row[0]: row for row in ProcedureVersion.objects.filter(province=province, status="published")
        .values_list("pk", "procedure_id", "number", *VERSION_FIELDS)
    }
    documents: dict[int, list] = {}
    for version_id, *doc in (RequiredDocument.objects
                             .filter(version__province=province, version__status="published")
                             .order_by("version_id", "position")
                             .values_list("version_id", "name", "kind", "count", "mandatory")):
        documents.setdefault(version_id, []).append(tuple(doc))
    fees: dict[int, list] = {}
    for version_id, *fee in (FeeLine.objects
                             .filter(version__province=province, version__status="published")
                             .order_by("version_id", "position")
                             .values_list("version_id", "name", "kind", "code", "amount", "formula", "collector")):
        fees.setdefault(version_id, []).append(tuple(fee))
    return versions, documents, fees


def plan_import(rows: list[ParsedRow], province) -> Plan:
    field_codes = sorted({r.data.field_code for r in rows})
    codes = [r.data.code for r in rows]
    fields = {}
    for chunk in _chunks(field_codes):
        fields.update({code: (pk, name) for pk, code, name in
                       Field.objects.filter(code__in=chunk).values_list("pk", "code", "name")})
    procedures = {}
    for chunk in _chunks(codes):
        procedures.update({code: (pk, name, field_id, level) for pk, code, name, field_id, level in
                           Procedure.objects.filter(code__in=chunk)
                           .values_list("pk", "code", "name", "field_id", "level")})
    versions, documents, fees = _published(province)
    current = {}
    for pk, procedure_id, number, *values in versions.values():
        key = (tuple(values), tuple(documents.get(pk, ())), tuple(fees.get(pk, ())))
        current[procedure_id] = Current(pk, number, values[VERSION_FIELDS.index("agency_id")], key)
    max_number = dict(ProcedureVersion.objects.filter(province=province).values_list("procedure_id")
                      .annotate(m=Max("number")).values_list("procedure_id", "m"))

    outcomes = []
    wanted_fields: dict[str, str] = {}
    wanted_procs: dict[str, tuple] = {}
    for r in rows:
        d = r.data
        wanted_fields[d.field_code] = d.field_name
        wanted_procs[d.code] = (d.name, d.field_code, d.level)
        proc = procedures.get(d.code)
        cur = current.get(proc[0]) if proc else None
        if cur is None:
            outcomes.append("added")
        elif cur.key == content_key(d):
            outcomes.append("unchanged")
        else:
            outcomes.append("changed")
    plan = Plan(outcomes, fields, procedures, current, max_number)
    plan.field_updates = sum(1 for code, name in wanted_fields.items()
                             if code not in fields or (name and fields[code][1] != name))

    def procedure_differs(code, name, field_code, level):
        if code not in procedures or field_code not in fields:
            return True
        _pk, current_name, field_id, current_level = procedures[code]
        return (current_name, field_id, current_level) != (name, fields[field_code][0], level)

    plan.procedure_updates = sum(1 for code, values in wanted_procs.items() if procedure_differs(code, *values))
    return plan


# --- Progress (readable from other processes while the transaction runs) --------------


def _progress_path(batch_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "catalog" / "imports" / "progress" / f"{batch_id}.json"


def write_progress(batch_id: int, processed: int, total: int, phase: str):
    path = _progress_path(batch_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{batch_id}-", suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump({"processed": processed, "total": total, "phase": phase}, out)
    os.replace(tmp, path)


def clear_progress(batch_id: int):
    _progress_path(batch_id).unlink(missing_ok=True)


def progress(batch: ImportBatch) -> dict:
    """Status, processed / total rows and percent, for the progress bar and the API."""
    processed, total, phase = batch.processed_rows, batch.total_rows, ""
    if batch.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
        try:
            live = json.loads(_progress_path(batch.pk).read_text())
            processed, total, phase = live["processed"], live["total"] or total, live["phase"]
        except (OSError, ValueError, KeyError):
            pass
    elif batch.status == ImportBatch.Status.COMMITTED:
        processed = total
    percent = 100 if batch.status == ImportBatch.Status.COMMITTED else (
        int(processed * 100 / total) if total else 0)
    return {"status": batch.status, "processed_rows": processed, "total_rows": total, "percent": min(percent, 100),
            "phase": phase}


# --- Services ------------------------------------------------------------------------


def _report(result: ParseResult, plan: Plan | None) -> dict:
    counts = plan.counts if plan else dict.fromkeys(OUTCOMES, 0)
    return {
        **counts,
        "rows": result.total_rows,
        "error_count": len(result.errors),
        "errors": [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]],
    }


def _no_rows(result: ParseResult) -> ParseResult:
    if result.ok and not result.rows:
        result.errors.append(RowError(None, "", "Tệp không có dòng dữ liệu nào / The file has no data rows"))
    return result


def _read(file) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read()


def preview_import(file, filename: str, province, actor=None) -> ImportBatch:
    """Read and validate a file, store it as an ImportBatch with the would-be counts
    and the row errors. Writes no catalogue row. Raises ValidationError for a file
    type other than .xlsx/.csv, PermissionDenied outside the actor's province."""
    check_may_edit(actor, province.pk)
    try:
        file_format(filename)
    except Exception as exc:
        raise ValidationError({"file": str(exc)}) from None
    content = _read(file)
    result = _no_rows(parse_file(content, filename, province))
    plan = plan_import(result.rows, province) if result.ok else None
    status = ImportBatch.Status.PREVIEWED if result.ok else ImportBatch.Status.REJECTED
    with transaction.atomic():
        batch = ImportBatch(province=province, original_name=os.path.basename(filename)[:255],
                            created_by=actor if getattr(actor, "pk", None) else None, status=status,
                            total_rows=result.total_rows, report=_report(result, plan))
        _store(batch, filename, content)
        batch.save()
        record_event("catalog.import_previewed", batch, actor, after={
            "file": batch.original_name, "status": status, "rows": result.total_rows,
            **batch.counts, "errors": len(result.errors),
        })
    return batch


def _store(batch: ImportBatch, filename: str, content: bytes):
    """Keep the uploaded file, by content: the same file uploaded again (e.g. the demo data's
    sample on every ``load_demo``) is stored once, under catalog/imports/<sha256 prefix>/."""
    field = batch.file.field
    digest = hashlib.sha256(content).hexdigest()[:20]
    name = field.storage.get_valid_name(os.path.basename(filename))[-80:] or "import"
    path = field.storage.generate_filename(f"{field.upload_to}{digest}/{name}")
    if field.storage.exists(path):
        batch.file.name = path
    else:
        batch.file.save(f"{digest}/{name}", ContentFile(content), save=False)


def request_commit(batch: ImportBatch, actor=None) -> ImportBatch:
    """Queue a previewed batch for the background import (enqueued on commit)."""
    from catalog.tasks import run_import

    check_may_edit(actor, batch.province_id)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.PREVIEWED:
            raise ValidationError({"status": _(
                "Chỉ nhập được tệp đã kiểm tra và không có lỗi (chưa nhập). / "
                "Only a previewed file without errors, not yet imported, can be committed."
            )})
        locked.status = ImportBatch.Status.QUEUED
        locked.committed_by = actor if getattr(actor, "pk", None) else None
        locked.save(update_fields=["status", "committed_by"])
        record_event("catalog.import_queued", locked, actor, after={"status": locked.status})
        transaction.on_commit(lambda: run_import.enqueue(locked.pk))
    return locked


def _finish(batch: ImportBatch, actor, status: str, report: dict, processed: int | None = None):
    with transaction.atomic():
        batch.status = status
        batch.report = report
        batch.finished_at = timezone.now()
        if processed is not None:
            batch.processed_rows = processed
        batch.save(update_fields=["status", "report", "finished_at", "processed_rows"])
        action = "catalog.import_committed" if status == ImportBatch.Status.COMMITTED else "catalog.import_failed"
        record_event(action, batch, actor, after=report if status != ImportBatch.Status.COMMITTED else {
            key: report[key] for key in ("added", "changed", "unchanged", "rows", "added_codes", "changed_codes",
                                         "fields_written", "procedures_written")
        })


def fail_batch(batch: ImportBatch, actor, message: str):
    report = {**batch.report, "errors": [{"row": None, "column": "", "message": message}], "error_count": 1}
    _finish(batch, actor, ImportBatch.Status.FAILED, report)


def commit_import(batch: ImportBatch, actor=None) -> ImportBatch:
    """Write a previewed (or queued) batch, all or nothing. Returns the batch, committed or failed."""
    check_may_edit(actor, batch.province_id)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("province").get(pk=batch.pk)
        if batch.status not in (ImportBatch.Status.PREVIEWED, ImportBatch.Status.QUEUED):
            raise ValidationError({"status": _(
                "Lần nhập này không ở trạng thái chờ nhập. / This import is not waiting to be committed."
            )})
        batch.status = ImportBatch.Status.RUNNING
        batch.started_at = timezone.now()
        batch.processed_rows = 0
        if getattr(actor, "pk", None):
            batch.committed_by = actor
        batch.save(update_fields=["status", "started_at", "processed_rows", "committed_by"])
        record_event("catalog.import_started", batch, actor, after={"status": batch.status})
    province = batch.province
    write_progress(batch.pk, 0, batch.total_rows, "validating")
    try:
        with batch.file.open("rb") as stored:
            content = stored.read()
        result = _no_rows(parse_file(content, batch.original_name, province))
        if not result.ok:
            _finish(batch, actor, ImportBatch.Status.FAILED, {**_report(result, None), "preview": batch.counts})
            return batch
        with transaction.atomic():
            type(province).objects.select_for_update().filter(pk=province.pk).first()  # one import at a time
            plan = plan_import(result.rows, province)
            written = _write(result.rows, plan, province, actor, batch)
            report = {**_report(result, plan), **written, "preview": batch.counts}
            _finish(batch, actor, ImportBatch.Status.COMMITTED, report, processed=len(result.rows))
    except Exception as exc:
        fail_batch(batch, actor, f"Lỗi khi ghi dữ liệu, không có dòng nào được nhập: {exc} / "
                                 f"Error while writing, nothing was imported: {exc}")
        raise
    finally:
        clear_progress(batch.pk)
    return batch


def _write(rows: list[ParsedRow], plan: Plan, province, actor, batch: ImportBatch) -> dict:
    """The bulk equivalent of save_version for every row (see the module docstring)."""
    now = timezone.now()
    today = timezone.localdate(now)
    yesterday = today - datetime.timedelta(days=1)

    # Fields, then procedures: created or updated, the last row naming them wins.
    wanted_fields = {r.data.field_code: r.data.field_name for r in rows}
    Field.objects.bulk_create([Field(code=c, name=n) for c, n in wanted_fields.items() if c not in plan.fields])
    national = may_edit_national(actor)  # only they rename shared fields and procedures
    renamed_fields = [Field(pk=plan.fields[c][0], code=c, name=n) for c, n in wanted_fields.items()
                      if national and c in plan.fields and n and plan.fields[c][1] != n]
    Field.objects.bulk_update(renamed_fields, ["name"], batch_size=CHUNK)
    field_ids = {}
    for chunk in _chunks(sorted(wanted_fields)):
        field_ids.update(Field.objects.filter(code__in=chunk).values_list("code", "pk"))
    wanted_procs = {r.data.code: (r.data.name, field_ids[r.data.field_code], r.data.level) for r in rows}
    Procedure.objects.bulk_create([Procedure(code=c, name=n, field_id=f, level=lv)
                                   for c, (n, f, lv) in wanted_procs.items() if c not in plan.procedures],
                                  batch_size=CHUNK)
    updated_procs = [
        Procedure(pk=plan.procedures[c][0], code=c, name=n, field_id=f, level=lv)
        for c, (n, f, lv) in wanted_procs.items()
        if national and c in plan.procedures and plan.procedures[c][1:] != (n, f, lv)
    ]
    Procedure.objects.bulk_update(updated_procs, ["name", "field", "level"], batch_size=CHUNK)
    if renamed_fields or updated_procs:
        record_event("catalog.national_entries_updated", batch, actor, after={
            "fields": sorted(f.code for f in renamed_fields), "procedures": sorted(p.code for p in updated_procs)})
    proc_ids = {}
    for chunk in _chunks(list(wanted_procs)):
        proc_ids.update(Procedure.objects.filter(code__in=chunk).values_list("code", "pk"))

    added, changed = [], []
    done = 0
    for chunk in _chunks(list(zip(rows, plan.outcomes, strict=True))):
        new = [(r, outcome) for r, outcome in chunk if outcome != "unchanged"]
        previous = {}
        for r, outcome in new:
            if outcome == "changed":
                previous[r.data.code] = plan.current[proc_ids[r.data.code]]
        if previous:
            ProcedureVersion.objects.filter(pk__in=[c.pk for c in previous.values()]).update(
                status=ProcedureVersion.Status.SUPERSEDED, valid_to=yesterday)
        versions = []
        for r, _outcome in new:
            d = r.data
            proc_id = proc_ids[d.code]
            versions.append(ProcedureVersion(
                procedure=Procedure(pk=proc_id, code=d.code, name=d.name), province=province,
                number=plan.max_number.get(proc_id, 0) + 1, status=ProcedureVersion.Status.PUBLISHED,
                valid_from=today, search_text=fold(f"{d.code} {d.name}")[:600], created_at=now,
                **{name: getattr(d, name) for name in VERSION_FIELDS},
            ))
        _insert(ProcedureVersion, VERSION_COLUMNS, [
            tuple(_db_value(getattr(v, name)) for name in VERSION_COLUMNS) for v in versions
        ])
        ids = {}
        if versions:
            ids = dict(ProcedureVersion.objects.filter(province=province, status="published",
                                                       procedure_id__in=[v.procedure_id for v in versions])
                       .values_list("procedure_id", "pk"))
        for v in versions:
            v.pk = ids[v.procedure_id]
        _insert(RequiredDocument, ["version", "position", "name", "kind", "count", "mandatory", "template"], [
            (v.pk, i, doc.name, doc.kind, doc.count, doc.mandatory, "")
            for v, (r, _o) in zip(versions, new, strict=True) for i, doc in enumerate(r.data.documents, 1)
        ])
        _insert(FeeLine, ["version", "position", "code", "name", "kind", "amount", "formula", "collector"], [
            (v.pk, i, fee.code, fee.name, fee.kind, fee.amount, fee.formula, fee.collector)
            for v, (r, _o) in zip(versions, new, strict=True) for i, fee in enumerate(r.data.fees, 1)
        ])
        for v, (r, outcome) in zip(versions, new, strict=True):
            if outcome == "added":
                added.append(r.data.code)
                continue
            changed.append(r.data.code)
            prev = previous[r.data.code]
            old, new_values = _difference(prev.key, r.data)
            record_event("catalog.version_published", v, actor,
                         before={"version": prev.number, "version_id": prev.pk, "valid_to": yesterday, **old},
                         after={"version": v.number, "valid_from": today, "import_batch": batch.pk, **new_values})
        done += len(chunk)
        write_progress(batch.pk, done, len(rows), "writing")
    return {"added_codes": added, "changed_codes": changed,
            "fields_written": plan.field_updates, "procedures_written": plan.procedure_updates}


def _difference(key: tuple, data: VersionData) -> tuple[dict, dict]:
    """What a changed row changes: the old and new values of the fields that differ
    (documents and fees as whole lists), for the version's audit event."""
    values, documents, fees = key
    new_values, new_documents, new_fees = content_key(data)
    before, after = {}, {}
    for name, old, new in zip(VERSION_FIELDS, values, new_values, strict=True):
        if old != new:
            before[name], after[name] = old, new
    if documents != new_documents:
        before["documents"] = [asdict(DocumentData(*d)) for d in documents]
        after["documents"] = [asdict(d) for d in data.documents]
    if fees != new_fees:
        before["fees"] = [asdict(FeeData(*f)) for f in fees]
        after["fees"] = [asdict(f) for f in data.fees]
    return before, after


# The columns of a new version, written with _insert (see there): every concrete field but the id.
VERSION_COLUMNS = ["procedure_id", "province_id", "number", "status", "valid_from", "valid_to", *VERSION_FIELDS,
                   "search_text", "created_at"]


def _db_value(value):
    """Dates and times as the backend stores them (SQLite: text in UTC; PostgreSQL: as is)."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _insert(model, names: list[str], rows: list[tuple]):
    """Plain INSERTs (executemany: pipelined by psycopg, a C loop in sqlite3) for the many
    small rows of an import: the ORM's bulk_create spends ~0.1 ms of Python per object,
    more than the database does. Values must be database-ready (see ``_db_date``)."""
    if not rows:
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name.removesuffix("_id")).column)
                        for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY, in the same transaction: the fastest way into PostgreSQL by far.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})", rows)


def import_now(content: bytes, filename: str, province, actor=None) -> tuple[ImportBatch | None, dict]:
    """Preview and commit at once, without the task queue (management commands, demo data).

    Idempotent: when the file would change nothing, nothing is written — no batch,
    no audit event — and the counts are returned with batch None."""
    check_may_edit(actor, province.pk)
    result = _no_rows(parse_file(content, filename, province))
    if not result.ok:
        raise ValidationError([f"{e.row or '-'} / {e.column}: {e.message}" for e in result.errors[:20]])
    plan = plan_import(result.rows, province)
    if not plan.writes_anything:
        return None, plan.counts
    batch = preview_import(content, filename, province, actor)
    batch = commit_import(batch, actor)
    if batch.status != ImportBatch.Status.COMMITTED:
        raise ValidationError([e["message"] for e in batch.errors[:20]])
    return batch, batch.counts


# --- Export --------------------------------------------------------------------------


def export_rows(province) -> list[list]:
    """The province's published versions as spreadsheet rows (the import's columns)."""
    versions = (ProcedureVersion.objects.filter(province=province, status="published")
                .select_related("procedure__field", "agency").order_by("procedure__code"))
    _versions, documents, fees = _published(province)
    rows = []
    for seq, v in enumerate(versions, 1):
        data = VersionData(
            code=v.procedure.code, field_code=v.procedure.field.code, field_name=v.procedure.field.name,
            level=v.procedure.level,
            documents=[DocumentData(*doc) for doc in documents.get(v.pk, ())],
            fees=[FeeData(*fee) for fee in fees.get(v.pk, ())],
            **{name: getattr(v, name) for name in VERSION_FIELDS},
        )
        rows.append(row_values(data, v.agency.identifier, v.agency.name, seq))
    return rows


def export_province(province, fmt: str = "xlsx") -> bytes:
    if fmt == "csv":
        return write_csv(export_rows(province))
    if fmt == "xlsx":
        return write_xlsx(export_rows(province), title=f"TTHC {province.code}")
    raise ValidationError({"format": _("Định dạng phải là xlsx hoặc csv. / The format must be xlsx or csv.")})


EXPORT_CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def export_filename(province, fmt: str) -> str:
    return f"danh-muc-tthc-{province.code}-{timezone.localdate():%Y%m%d}.{fmt}"

