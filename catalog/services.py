"""State changes of the catalogue: each in one transaction with its audit event.

A province's version of a procedure is written with ``save_version`` from plain
data (``VersionData``) — the import, the API and the admin all use it — and made
current with ``publish_version``. Publishing supersedes the previous published
version (its ``valid_to`` becomes the day before the new ``valid_from``); a
dossier keeps pointing at the version it was filed under."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scopes import can_act
from audit.services import record_event
from catalog.models import FeeLine, Field, Procedure, ProcedureVersion, RequiredDocument


@dataclass
class DocumentData:
    name: str
    kind: str
    count: int = 1
    mandatory: bool = True


@dataclass
class FeeData:
    name: str
    kind: str
    code: str = ""
    amount: int | None = None
    formula: str = ""
    collector: str = FeeLine.Collector.POST


@dataclass
class VersionData:
    """Everything a province publishes about one procedure."""

    code: str
    name: str
    field_code: str
    field_name: str
    level: str
    agency_id: int
    processing_time: int
    processing_unit: str
    receive_by_post: bool
    return_by_post: bool
    receive_basis: str = ""
    receive_basis_date: datetime.date | None = None
    return_basis: str = ""
    return_basis_date: datetime.date | None = None
    not_by_post_reason: str = ""
    documents: list[DocumentData] = field(default_factory=list)
    fees: list[FeeData] = field(default_factory=list)


VERSION_FIELDS = ["name", "agency_id", "processing_time", "processing_unit", "receive_by_post", "receive_basis",
                  "receive_basis_date", "return_by_post", "return_basis", "return_basis_date",
                  "not_by_post_reason"]


def version_data(version: ProcedureVersion) -> VersionData:
    """The plain data of a stored version (for comparison and export)."""
    proc = version.procedure
    return VersionData(
        code=proc.code, field_code=proc.field.code, field_name=proc.field.name,
        level=proc.level, documents=[
            DocumentData(d.name, d.kind, d.count, d.mandatory) for d in version.documents.all()
        ],
        fees=[FeeData(f.name, f.kind, f.code, f.amount, f.formula, f.collector) for f in version.fees.all()],
        **{name: getattr(version, name) for name in VERSION_FIELDS},
    )


def content_key(data: VersionData) -> tuple:
    """What a province publishes: the version's own fields, documents and fees. The national
    attributes (procedure name, field, level) are not the province's to change."""
    return (
        tuple(getattr(data, name) for name in VERSION_FIELDS),
        tuple((d.name, d.kind, d.count, d.mandatory) for d in data.documents),
        tuple((f.name, f.kind, f.code, f.amount, f.formula, f.collector) for f in data.fees),
    )


def same_content(version: ProcedureVersion, data: VersionData) -> bool:
    return content_key(version_data(version)) == content_key(data)


def may_edit_national(actor) -> bool:
    """Procedures and fields are shared by all provinces: only the system (loaders) and
    national administrators change an existing one."""
    return actor is None or actor.is_national


def check_may_edit(actor, province_id: int):
    if actor is None:
        return  # system: management commands, demo data
    if not can_act(actor, "manage_catalog"):
        raise PermissionDenied(_("Bạn không có quyền sửa danh mục TTHC. / You may not edit the catalogue."))
    if not actor.is_national and actor.province_id != province_id:
        raise PermissionDenied(_("Danh mục của tỉnh khác. / Another province's catalogue."))


def _validate(data: VersionData, province_id: int):
    from network.models import Agency

    errors = {}
    agency = Agency.objects.filter(pk=data.agency_id).first()
    if agency is None:
        errors["agency"] = _("Cơ quan không tồn tại. / Unknown agency.")
    elif agency.province_id != province_id:
        errors["agency"] = _("Cơ quan không thuộc tỉnh này. / The agency is not in this province.")
    if data.processing_time <= 0:
        errors["processing_time"] = _("Thời hạn phải lớn hơn 0. / The time limit must be positive.")
    for fee in data.fees:
        if fee.amount is not None and fee.amount < 0:
            errors["fees"] = _("Mức phí không được âm. / A fee cannot be negative.")
        if fee.amount is None and not fee.formula:
            errors["fees"] = _("Phí cần mức thu hoặc cách tính. / A fee needs an amount or a formula.")
    if not data.receive_by_post and not data.return_by_post and not data.not_by_post_reason:
        errors["not_by_post_reason"] = _(
            "Cần lý do khi không tiếp nhận và không trả kết quả qua bưu chính. / "
            "A reason is required when neither receiving nor returning by post is allowed."
        )
    if errors:
        raise ValidationError(errors)


def save_version(data: VersionData, province, actor=None, *, publish: bool = True,
                 valid_from: datetime.date | None = None) -> tuple[ProcedureVersion, str]:
    """Write a province's version of a procedure.

    Returns (version, outcome) where outcome is "added" (first version in the
    province), "changed" (a new version superseding the current one) or
    "unchanged" (the current published version already says exactly this)."""
    check_may_edit(actor, province.pk)
    _validate(data, province.pk)
    with transaction.atomic():
        fld, _created = Field.objects.get_or_create(code=data.field_code, defaults={"name": data.field_name})
        if fld.name != data.field_name and data.field_name and may_edit_national(actor):
            record_event("catalog.field_renamed", fld, actor, before={"name": fld.name},
                         after={"name": data.field_name})
            fld.name = data.field_name
            fld.save(update_fields=["name"])
        proc, _created = Procedure.objects.get_or_create(
            code=data.code, defaults={"name": data.name, "field": fld, "level": data.level}
        )
        if (proc.name, proc.field_id, proc.level) != (data.name, fld.pk, data.level) and may_edit_national(actor):
            record_event("catalog.procedure_updated", proc, actor,
                         before={"name": proc.name, "field": proc.field.code, "level": proc.level},
                         after={"name": data.name, "field": fld.code, "level": data.level})
            proc.name, proc.field, proc.level = data.name, fld, data.level
            proc.save()
        current = (
            ProcedureVersion.objects.filter(procedure=proc, province=province, status="published")
            .select_related("procedure__field").prefetch_related("documents", "fees").first()
        )
        if current is not None and publish and same_content(current, data):
            return current, "unchanged"
        number = (ProcedureVersion.objects.filter(procedure=proc, province=province)
                  .aggregate(m=Max("number"))["m"] or 0) + 1
        version = ProcedureVersion(procedure=proc, province=province, number=number,
                                   **{name: getattr(data, name) for name in VERSION_FIELDS})
        version.full_clean(exclude=["procedure", "province", "agency", "search_text"])
        version.save()
        RequiredDocument.objects.bulk_create([
            RequiredDocument(version=version, position=i, name=d.name, kind=d.kind, count=d.count,
                             mandatory=d.mandatory) for i, d in enumerate(data.documents, 1)
        ])
        FeeLine.objects.bulk_create([
            FeeLine(version=version, position=i, code=f.code, name=f.name, kind=f.kind, amount=f.amount,
                    formula=f.formula, collector=f.collector) for i, f in enumerate(data.fees, 1)
        ])
        record_event("catalog.version_saved", version, actor, after=asdict(data))
        if publish:
            publish_version(version, actor, valid_from=valid_from)
    return version, "added" if current is None else "changed"


def publish_version(version: ProcedureVersion, actor=None, *, valid_from: datetime.date | None = None):
    """Make a draft version the province's current one, superseding the previous."""
    check_may_edit(actor, version.province_id)
    if version.status != ProcedureVersion.Status.DRAFT:
        raise ValidationError({"status": _("Chỉ công bố được bản dự thảo. / Only a draft can be published.")})
    valid_from = valid_from or timezone.localdate()
    with transaction.atomic():
        previous = (ProcedureVersion.objects.select_for_update()
                    .filter(procedure=version.procedure, province=version.province, status="published").first())
        if previous is not None:
            previous.status = ProcedureVersion.Status.SUPERSEDED
            previous.valid_to = valid_from - datetime.timedelta(days=1)
            previous.save(update_fields=["status", "valid_to"])
            record_event("catalog.version_superseded", previous, actor, after={"valid_to": previous.valid_to})
        version.status = ProcedureVersion.Status.PUBLISHED
        version.valid_from = valid_from
        version.save(update_fields=["status", "valid_from"])
        record_event("catalog.version_published", version, actor, after={"valid_from": valid_from})
    return version


def current_version(procedure_code: str, province, on: datetime.date | None = None):
    """The version a dossier filed today (or on a given date) falls under."""
    qs = ProcedureVersion.objects.filter(procedure__code=procedure_code, province=province)
    if on is None:
        return qs.filter(status="published").first()
    return (qs.exclude(status="draft").filter(valid_from__lte=on)
            .exclude(valid_to__lt=on).order_by("-number").first())
