"""Intake and the other state changes of a dossier. Each function validates everything first (every error
names its field, in Vietnamese and English, and nothing is written), then changes the database in one
transaction that also writes the audit events."""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.scopes import can_act
from audit.services import record_event
from catalog.models import DocumentKind, FeeLine, ProcedureVersion
from dossiers.models import (
    TRANSITIONS,
    ApplicantKind,
    Channel,
    Charge,
    ChecklistLine,
    Dossier,
    ServiceChoice,
    Status,
    new_tracking_code,
)
from dossiers.validators import validate_cccd, validate_mobile, validate_seal, validate_tax_code
from network.models import Agency, OneStopDesk, PostOffice
from postal.models import Item, PaymentMethod, Service
from postal.services import create_item, issue_receipt, quote_postage

KIND_RANK = {DocumentKind.PHOTOCOPY: 1, DocumentKind.CERTIFIED_COPY: 2, DocumentKind.ORIGINAL: 3}
MAX_SEALS = 10
OVERRIDE_REASON_MIN = 10


@dataclass
class ChecklistEntry:
    """What the citizen brought of one required document."""

    document_id: int
    brought_count: int
    brought_kind: str = ""  # empty: the kind the procedure asks for


@dataclass
class IntakeData:
    service_choice: int
    procedure_code: str
    applicant_kind: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    applicant_email: str = ""
    applicant_street: str = ""
    applicant_commune: object = None
    return_street: str = ""
    return_commune: object = None
    return_address_input: str = ""
    checklist: list[ChecklistEntry] = field(default_factory=list)
    seal_numbers: list[str] = field(default_factory=list)
    weight_grams: int | None = None
    payment_method: str = ""
    payment_reference: str = ""
    override_reason: str = ""
    external_code: str = ""
    item_id: str = ""  # a pre-printed label scanned at the counter; empty: allocate from the range
    note: str = ""


@dataclass
class MissingDocument:
    document_id: int
    name: str
    kind: str
    count: int
    brought_count: int
    brought_kind: str

    @property
    def text(self) -> str:
        return f"{self.name} ({DocumentKind(self.kind).label} × {self.count})"


def _bilingual(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def version_for(procedure_code: str, province) -> ProcedureVersion | None:
    """The version in force — the one ``catalog.services.current_version(code, province)`` gives: the published
    one — with what intake reads of it, in one query plus the two prefetches."""
    versions = ProcedureVersion.objects.filter(procedure__code=(procedure_code or "").strip(), province=province,
                                               status=ProcedureVersion.Status.PUBLISHED)
    return (versions.select_related("procedure", "agency__commune", "province")
            .prefetch_related("documents", "fees").first())


def by_post_refusal(version: ProcedureVersion, service_choice: int) -> str | None:
    """Why this procedure cannot take this service choice by post (reason and legal basis), or None."""
    parts = []
    if service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH) and not version.receive_by_post:
        basis = version.receive_basis or "—"
        parts.append(_bilingual(
            f"Tỉnh không cho phép tiếp nhận hồ sơ thủ tục {version.procedure.code} qua bưu chính. "
            f"Lý do: {version.not_by_post_reason or 'không nêu'}. Căn cứ: {basis}.",
            f"The province does not allow dossiers of procedure {version.procedure.code} by post. "
            f"Reason: {version.not_by_post_reason or 'not given'}. Legal basis: {basis}."))
    if service_choice in (ServiceChoice.RECEIVE, ServiceChoice.BOTH) and not version.return_by_post:
        basis = version.return_basis or "—"
        parts.append(_bilingual(
            f"Tỉnh không cho phép trả kết quả thủ tục {version.procedure.code} qua bưu chính. "
            f"Lý do: {version.not_by_post_reason or 'không nêu'}. Căn cứ: {basis}.",
            f"The province does not allow results of procedure {version.procedure.code} by post. "
            f"Reason: {version.not_by_post_reason or 'not given'}. Legal basis: {basis}."))
    return " ".join(parts) or None


def missing_documents(version: ProcedureVersion, entries: list[ChecklistEntry]) -> list[MissingDocument]:
    """Mandatory documents not brought in the count or kind asked (a photocopy does not replace an original)."""
    brought = {e.document_id: e for e in entries}
    missing = []
    for doc in version.documents.all():
        if not doc.mandatory:
            continue
        entry = brought.get(doc.pk)
        count = entry.brought_count if entry else 0
        kind = (entry.brought_kind or doc.kind) if entry else doc.kind
        if count < doc.count or KIND_RANK.get(kind, 0) < KIND_RANK[doc.kind]:
            missing.append(MissingDocument(doc.pk, doc.name, doc.kind, doc.count, count, kind if count else ""))
    return missing


def may_override_checklist(actor) -> bool:
    return can_act(actor, "override_checklist") or bool(actor and actor.has_perm("dossiers.override_checklist"))


def destination_desk(version: ProcedureVersion, post_office: PostOffice) -> OneStopDesk | None:
    """The one-stop desk that receives the procedure's dossiers (Decree 118/2025: a department's dossiers
    go to the provincial centre, a commune's to the commune's desk): the agency's own desk, else its parent's,
    else the desk of its level in its province (provincial) or commune. A desk this post office carries to
    comes first."""
    agency = version.agency
    # (filter, the same test in Python) per candidate, in order of preference; one query fetches them all.
    candidates = [(Q(agency_id=agency.pk), lambda d: d.agency_id == agency.pk)]
    if agency.parent_id:
        candidates.append((Q(agency_id=agency.parent_id), lambda d: d.agency_id == agency.parent_id))
    if agency.level in (Agency.Level.COMMUNE_COMMITTEE, Agency.Level.COMMUNE_CENTRE):
        level, unit = OneStopDesk.Level.COMMUNE, {"commune_id": agency.commune_id}
    else:
        level, unit = OneStopDesk.Level.PROVINCIAL, {"province_id": agency.province_id}
    candidates.append((Q(level=level, **unit),
                       lambda d: d.level == level and all(getattr(d, k) == v for k, v in unit.items())))
    carried = PostOffice.carries_to.through.objects.filter(onestopdesk_id=OuterRef("pk"), postoffice_id=post_office.pk)
    desks = list(OneStopDesk.objects.filter(reduce(operator.or_, (q for q, _ in candidates)), active=True)
                 .select_related("commune").annotate(carried=Exists(carried)).order_by("code"))
    for _q, matches in candidates:
        found = [d for d in desks if matches(d)]
        if found:
            return next((d for d in found if d.carried), found[0])
    return None


def expected_arrival(received_at, post_office: PostOffice, desk, version) -> datetime.datetime:
    """When the package must reach the one-stop desk: the leg's limit (custody.LegLimit, else the settings)
    on the working-day calendar."""
    from custody.models import LegLimit
    from custody.services import leg_days
    from workdays.calendar import add_working_days

    destination_province = desk.province_id if desk else version.agency.province_id
    other = destination_province != post_office.province_id
    return add_working_days(received_at, leg_days(LegLimit.Leg.POST_OFFICE_TO_DESK, post_office.province, other))


@dataclass
class Quote:
    """What the citizen pays: postage per leg and the agency's fees collected on its behalf."""

    charges: list[dict]
    desk: OneStopDesk | None

    @property
    def total(self) -> int:
        return sum(c["amount"] for c in self.charges)

    @property
    def postage(self) -> int:
        return sum(c["amount"] for c in self.charges if c["kind"] != Charge.Kind.AGENCY_FEE)

    @property
    def fees(self) -> int:
        return sum(c["amount"] for c in self.charges if c["kind"] == Charge.Kind.AGENCY_FEE)


def quote(version: ProcedureVersion, service_choice: int, post_office: PostOffice, return_commune=None,
          weight_grams=None, on=None) -> Quote:
    """The charges of an intake (raises ValidationError naming ``postage`` when no rate applies)."""
    desk = destination_desk(version, post_office)
    destination = (desk.commune if desk and desk.commune_id else None) or version.agency.commune
    charges = []
    if service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH):
        q = quote_postage(Service.SEND_DOSSIER, post_office.commune, destination, version.province,
                          version.procedure, weight_grams, on)
        charges.append(_postage_charge(Charge.Kind.POSTAGE_SEND, q))
        for fee in version.fees.all():
            if fee.collector == FeeLine.Collector.POST and fee.amount:
                charges.append({"kind": Charge.Kind.AGENCY_FEE, "label": fee.name, "list_amount": fee.amount,
                                "amount": fee.amount, "fee_line": fee.pk, "free_programme": None, "zone": ""})
    if service_choice in (ServiceChoice.RECEIVE, ServiceChoice.BOTH):
        q = quote_postage(Service.RETURN_RESULT, destination, return_commune, version.province,
                          version.procedure, weight_grams, on)
        charges.append(_postage_charge(Charge.Kind.POSTAGE_RETURN, q))
    return Quote(charges, desk)


def _postage_charge(kind, q) -> dict:
    label = Charge.Kind(kind).label
    if q.programme:
        label = f"{label} — {q.programme.name}"
    return {"kind": kind, "label": str(label), "list_amount": q.list_amount, "amount": q.amount,
            "fee_line": None, "free_programme": q.programme.pk if q.programme else None, "zone": q.zone}


def _check_actor(actor, post_office) -> PostOffice:
    if not can_act(actor, "take_in"):
        raise PermissionDenied(_bilingual("Bạn không có quyền tiếp nhận hồ sơ.",
                                          "You are not allowed to take in dossiers."))
    post_office = post_office or getattr(actor, "post_office", None)
    if post_office is None:
        raise ValidationError({"post_office": _bilingual("Cần bưu cục tiếp nhận.", "A receiving post office is needed.")})
    if not actor.is_national and actor.post_office_id not in (None, post_office.pk):
        raise PermissionDenied(_bilingual("Bạn chỉ tiếp nhận hồ sơ tại bưu cục của mình.",
                                          "You may only take in dossiers at your own post office."))
    if not post_office.active or not post_office.accepts_dossiers:
        raise ValidationError({"post_office": _bilingual(
            f"Bưu cục {post_office.code} không tiếp nhận hồ sơ TTHC.",
            f"Post office {post_office.code} does not take in administrative dossiers.")})
    return post_office


def validate_intake(data: IntakeData, actor, post_office: PostOffice):
    """(version, cleaned data, quote) or ValidationError with every field's message."""
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    def check(name, fn, value):
        try:
            return fn(value)
        except ValidationError as exc:
            for message in exc.messages:
                add(name, message)
            return value

    if data.service_choice not in ServiceChoice.values:
        add("service_choice", _bilingual("Chọn dịch vụ 1 (gửi hồ sơ), 2 (nhận kết quả) hoặc 3 (cả hai).",
                                         "Choose service 1 (send the dossier), 2 (receive the result) or 3 (both)."))
        raise ValidationError(errors)
    version = version_for(data.procedure_code, post_office.province)
    if version is None:
        add("procedure_code", _bilingual(
            f"Không có thủ tục mã “{data.procedure_code}” đang có hiệu lực tại {post_office.province.name}.",
            f"No procedure with code “{data.procedure_code}” in force in {post_office.province.name}."))
        raise ValidationError(errors)
    refusal = by_post_refusal(version, data.service_choice)
    if refusal:
        raise ValidationError({"procedure_code": [ValidationError(refusal, code="not_by_post")]})

    sends = data.service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH)
    returns = data.service_choice in (ServiceChoice.RECEIVE, ServiceChoice.BOTH)
    if data.applicant_kind not in ApplicantKind.values:
        add("applicant_kind", _bilingual("Chọn cá nhân hoặc tổ chức.", "Choose person or organisation."))
    if not (data.applicant_name or "").strip():
        add("applicant_name", _bilingual("Nhập họ tên người nộp.", "Enter the applicant's name."))
    if data.applicant_kind == ApplicantKind.ORGANISATION:
        data.applicant_id_number = check("applicant_id_number", validate_tax_code, data.applicant_id_number)
    else:
        data.applicant_id_number = check("applicant_id_number", validate_cccd, data.applicant_id_number)
    data.applicant_phone = check("applicant_phone", validate_mobile, data.applicant_phone)
    if data.applicant_email:
        try:
            validate_email(data.applicant_email.strip())
            data.applicant_email = data.applicant_email.strip()
        except ValidationError:
            add("applicant_email", _bilingual("Email không hợp lệ.", "Invalid email address."))

    if returns:
        if data.return_commune is None:
            add("return_commune", _bilingual("Chọn xã/phường nhận kết quả.", "Choose the commune for the result."))
        elif data.return_commune.retired:
            add("return_commune", _bilingual(
                f"{data.return_commune.name} không còn là đơn vị hành chính; chọn xã/phường mới.",
                f"{data.return_commune.name} no longer exists; choose the current commune."))
        if not (data.return_street or "").strip():
            add("return_street", _bilingual("Nhập số nhà, đường, thôn/ấp nhận kết quả.",
                                            "Enter the street address for the result."))
    if data.service_choice == ServiceChoice.RECEIVE and not data.external_code.strip():
        add("external_code", _bilingual("Nhập mã hồ sơ đã nộp tại cơ quan (nộp trực tiếp hoặc trực tuyến).",
                                        "Enter the dossier code given by the agency (filed directly or online)."))

    if sends:
        known = {d.pk for d in version.documents.all()}
        for entry in data.checklist:
            if entry.document_id not in known:
                add("checklist", _bilingual(f"Giấy tờ #{entry.document_id} không thuộc thủ tục này.",
                                            f"Document #{entry.document_id} is not part of this procedure."))
            if not 0 <= entry.brought_count <= 99:
                add("checklist", _bilingual("Số lượng phải từ 0 đến 99.", "Counts are between 0 and 99."))
            if entry.brought_kind and entry.brought_kind not in DocumentKind.values:
                add("checklist", _bilingual(f"Loại bản “{entry.brought_kind}” không hợp lệ.",
                                            f"“{entry.brought_kind}” is not a kind of copy."))
        missing = missing_documents(version, data.checklist)
        if missing and not data.override_reason.strip():
            add("checklist", ValidationError(_bilingual(
                "Còn thiếu giấy tờ bắt buộc, đề nghị công dân bổ sung: " + "; ".join(m.text for m in missing) + ".",
                "Mandatory documents are missing; the citizen should bring: "
                + "; ".join(m.text for m in missing) + "."), code="checklist_incomplete"))
        elif missing:
            if not may_override_checklist(actor):
                add("override_reason", _bilingual(
                    "Chỉ người được phân quyền mới được tiếp nhận khi thiếu giấy tờ bắt buộc.",
                    "Only a member of staff allowed to may take in a dossier with mandatory documents missing."))
            elif len(data.override_reason.strip()) < OVERRIDE_REASON_MIN:
                add("override_reason", _bilingual("Ghi rõ lý do (ít nhất 10 ký tự).",
                                                  "Write the reason (at least 10 characters)."))
        seals = []
        for raw in data.seal_numbers:
            if (raw or "").strip():
                seals.append(check("seal_numbers", validate_seal, raw))
        if not seals:
            add("seal_numbers", _bilingual("Nhập số niêm phong của túi hồ sơ.", "Enter the package's seal number."))
        if len(seals) > MAX_SEALS or len(set(seals)) != len(seals):
            add("seal_numbers", _bilingual("Số niêm phong bị trùng hoặc quá nhiều (tối đa 10).",
                                           "Seal numbers repeat or are too many (at most 10)."))
        data.seal_numbers = seals
        if data.item_id:
            from postal import s10

            try:
                data.item_id = s10.validate(data.item_id, "item_id")
                if Item.objects.filter(item_id=data.item_id).exists():
                    add("item_id", _bilingual(f"Số hiệu {data.item_id} đã được dùng.",
                                              f"Item id {data.item_id} is already used."))
            except ValidationError as exc:
                for message in exc.messages:
                    add("item_id", message)
    if data.weight_grams is not None and not 0 < data.weight_grams <= 30_000:
        add("weight_grams", _bilingual("Khối lượng từ 1 đến 30 000 g.", "Weight between 1 and 30,000 g."))

    the_quote = None
    if not errors:
        try:
            the_quote = quote(version, data.service_choice, post_office, data.return_commune, data.weight_grams)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    add(name, message)
    if the_quote and the_quote.total > 0 and data.payment_method not in PaymentMethod.values:
        add("payment_method", _bilingual("Chọn hình thức thanh toán: tiền mặt, chuyển khoản hoặc QR.",
                                         "Choose how the citizen pays: cash, transfer or QR."))
    if errors:
        raise ValidationError(errors)
    return version, the_quote


def take_in(data: IntakeData, actor, *, post_office: PostOffice | None = None, channel: str | None = None,
            submission_key: str | None = None, at=None) -> Dossier:
    """Receive a dossier (or a registration to receive a result by post): check, seal, charge, number.

    The same ``submission_key`` twice gives back the first dossier (its ``replayed`` attribute is True)."""
    post_office = _check_actor(actor, post_office)
    if submission_key:
        existing = Dossier.objects.filter(submission_key=submission_key).first()
        if existing:
            return _replayed(existing, post_office)
    version, the_quote = validate_intake(data, actor, post_office)
    at = at or timezone.now()
    if channel is None:
        channel = Channel.COMMUNE_POINT if post_office.kind == PostOffice.Kind.COMMUNE_POINT else Channel.COUNTER
    try:
        with transaction.atomic():
            dossier = _create(data, actor, post_office, channel, submission_key, at, version, the_quote)
    except IntegrityError:
        existing = submission_key and Dossier.objects.filter(submission_key=submission_key).first()
        if existing:  # the same form sent twice at the same moment: the other request won
            return _replayed(existing, post_office)
        raise
    dossier.replayed = False
    return dossier


def _replayed(dossier: Dossier, post_office) -> Dossier:
    if dossier.post_office_id != post_office.pk:
        raise ValidationError({"submission_key": _bilingual("Mã gửi này đã được dùng ở bưu cục khác.",
                                                            "This submission key was used at another post office.")})
    dossier.replayed = True
    return dossier


def _create(data, actor, post_office, channel, submission_key, at, version, the_quote) -> Dossier:
    sends = data.service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH)
    missing = missing_documents(version, data.checklist) if sends else []
    tracking_code = new_tracking_code()
    while Dossier.objects.filter(tracking_code=tracking_code).exists():
        tracking_code = new_tracking_code()
    desk = the_quote.desk
    dossier = Dossier.objects.create(
        tracking_code=tracking_code, submission_key=submission_key or None, service_choice=data.service_choice,
        channel=channel, status=Status.RECEIVED, version=version, procedure=version.procedure,
        province=version.province, agency=version.agency, desk=desk, post_office=post_office,
        received_by=actor if getattr(actor, "pk", None) else None, received_at=at,
        expected_arrival=expected_arrival(at, post_office, desk, version) if sends else None,
        external_code=data.external_code.strip(), applicant_kind=data.applicant_kind,
        applicant_name=data.applicant_name.strip(), applicant_id_number=data.applicant_id_number,
        applicant_phone=data.applicant_phone, applicant_email=data.applicant_email,
        applicant_street=data.applicant_street.strip(), applicant_commune=data.applicant_commune,
        return_street=data.return_street.strip(), return_commune=data.return_commune,
        return_address_input=data.return_address_input.strip()[:500], weight_grams=data.weight_grams,
        checklist_override_reason=data.override_reason.strip() if missing else "",
        checklist_override_by=actor if missing else None, postage_total=the_quote.postage,
        fee_total=the_quote.fees, amount_paid=the_quote.total, note=data.note.strip()[:500],
    )
    if sends:
        brought = {e.document_id: e for e in data.checklist}
        ChecklistLine.objects.bulk_create([
            ChecklistLine(dossier=dossier, position=i, document=doc, name=doc.name, mandatory=doc.mandatory,
                          required_kind=doc.kind, required_count=doc.count,
                          brought_count=brought[doc.pk].brought_count if doc.pk in brought else 0,
                          brought_kind=(brought[doc.pk].brought_kind or doc.kind)
                          if doc.pk in brought and brought[doc.pk].brought_count else "")
            for i, doc in enumerate(version.documents.all(), start=1)])
    Charge.objects.bulk_create([
        Charge(dossier=dossier, position=i, kind=c["kind"], label=c["label"], list_amount=c["list_amount"],
               amount=c["amount"], fee_line_id=c["fee_line"], free_programme_id=c["free_programme"], zone=c["zone"])
        for i, c in enumerate(the_quote.charges, start=1)])
    record_event("dossier.received", dossier, actor, after={
        "tracking_code": dossier.tracking_code, "service_choice": dossier.service_choice, "channel": channel,
        "procedure": version.procedure.code, "version": version.number, "post_office": post_office.code,
        "agency": version.agency.identifier, "desk": desk.code if desk else None,
        "missing_overridden": [m.text for m in missing], "override_reason": dossier.checklist_override_reason,
        "charges": the_quote.charges, "status": dossier.status})
    if sends:
        from custody.services import record_intake

        item = create_item(dossier, Item.Kind.DOSSIER, Service.SEND_DOSSIER, post_office=post_office, actor=actor,
                           item_id=data.item_id, seal_numbers=data.seal_numbers, weight_grams=data.weight_grams)
        item.leg_due_at = dossier.expected_arrival
        record_intake(item, actor, at)
    paid = [c for c in the_quote.charges if c["amount"] > 0]
    if paid:
        issue_receipt(dossier, post_office=post_office, payer_name=dossier.applicant_name,
                      method=data.payment_method, payment_reference=data.payment_reference.strip()[:100],
                      actor=actor, at=at,
                      lines=[{"kind": c["kind"], "label": c["label"], "amount": c["amount"],
                              "on_behalf": c["kind"] == Charge.Kind.AGENCY_FEE} for c in paid])
    return dossier


def transition(dossier: Dossier, to: str, actor, *, reason: str = "", action: str | None = None) -> Dossier:
    """Move a dossier along the transition table, with its audit event."""
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if to not in TRANSITIONS.get(locked.status, set()):
            raise ValidationError({"status": _bilingual(
                f"Không thể chuyển hồ sơ từ “{locked.get_status_display()}” sang “{Status(to).label}”.",
                f"A dossier cannot go from “{locked.status}” to “{to}”.")})
        before = locked.status
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        record_event(action or f"dossier.{to}", locked, actor, before={"status": before},
                     after={"status": to, "reason": reason})
    return locked


def cancel(dossier: Dossier, actor, reason: str) -> Dossier:
    """Cancel a dossier taken in by mistake, before it leaves the post office."""
    if not can_act(actor, "cancel_dossier", dossier):
        raise PermissionDenied(_bilingual("Bạn không có quyền hủy hồ sơ này.", "You may not cancel this dossier."))
    if len((reason or "").strip()) < OVERRIDE_REASON_MIN:
        raise ValidationError({"reason": _bilingual("Ghi rõ lý do hủy (ít nhất 10 ký tự).",
                                                    "Write why (at least 10 characters).")})
    if dossier.items.exclude(status="pending").exists():
        raise ValidationError({"status": _bilingual("Bưu gửi đã rời bưu cục, không thể hủy.",
                                                    "The package has left the post office; it cannot be cancelled.")})
    with transaction.atomic():
        dossier = transition(dossier, Status.CANCELLED, actor, reason=reason.strip())
        for item in dossier.items.select_for_update():
            item.status = "cancelled"
            item.save(update_fields=["status", "updated_at"])
            record_event("postal.item_cancelled", item, actor, after={"status": "cancelled"})
    return dossier
