"""State changes of the post's numbers and money: item-id series, items, postage, receipts.

Allocation (item ids, receipt numbers) locks one row (one UPDATE ... RETURNING that takes the number and
keeps the row locked until the transaction ends; SQLite transactions are IMMEDIATE, so writers are
serialised) and happens inside the caller's transaction:
if the intake fails, the number was never taken — no gaps, no reuse."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.scopes import can_act
from audit.services import record_event, snapshot
from postal import s10
from postal.models import (
    Custodian,
    FreeProgramme,
    Item,
    ItemSeries,
    ItemStatus,
    PostageRate,
    Receipt,
    ReceiptCounter,
    Service,
    Zone,
)

SERIES_FIELDS = ["post_office", "service", "indicator", "first_serial", "last_serial", "next_serial", "active"]


def _check_may(actor, action: str, province_id):
    """An administrative change by a person: the role's action, in their province (national rows:
    national administrators only). ``actor=None`` is the system (demo loader, migrations)."""
    if actor is None:
        return
    national = getattr(actor, "is_national", False)
    if not can_act(actor, action) or (not national and (province_id is None or province_id != actor.province_id)):
        raise PermissionDenied("Bạn không có quyền thay đổi mục này. / You may not change this.")


def check_series(series: ItemSeries, actor=None):
    """The rules of a serial range, without writing: ranges of one indicator never overlap (an id is never
    issued twice) and the next serial never goes back."""
    _check_may(actor, "manage_series", series.post_office.province_id if series.post_office_id else None)
    series.indicator = (series.indicator or "").upper()
    if series.next_serial is None:
        series.next_serial = series.first_serial
    series.full_clean()
    overlapping = ItemSeries.objects.filter(indicator=series.indicator, first_serial__lte=series.last_serial,
                                            last_serial__gte=series.first_serial).exclude(pk=series.pk)
    clash = overlapping.select_related("post_office").first()
    if clash:
        raise ValidationError({"first_serial": (
            f"Dải số trùng với dải {clash} đã có. / The range overlaps the existing range {clash}.")})
    if series.pk:
        old = ItemSeries.objects.get(pk=series.pk)
        if series.next_serial < old.next_serial:
            raise ValidationError({"next_serial": (
                "Không được lùi số tiếp theo: số đã cấp không được cấp lại. / "
                "The next serial cannot go back: an issued id is never issued again.")})


def save_series(series: ItemSeries, actor=None) -> ItemSeries:
    """Create or change a serial range (see check_series)."""
    check_series(series, actor)
    with transaction.atomic():
        before = None
        if series.pk:
            old = ItemSeries.objects.select_for_update().get(pk=series.pk)
            if series.next_serial < old.next_serial:  # taken meanwhile
                series.next_serial = old.next_serial
            before = snapshot(old, SERIES_FIELDS)
        series.save()
        record_event("postal.series_saved", series, actor, before, snapshot(series, SERIES_FIELDS))
    return series


SERIES_COLUMNS = ("id", "post_office", "service", "indicator", "first_serial", "last_serial", "next_serial",
                  "active")


def _take_serial(office_id: int, service: str) -> ItemSeries | None:
    """Add one to the next serial of the office's first active range with numbers left, in one statement
    (UPDATE … RETURNING, PostgreSQL and SQLite ≥ 3.35): the row stays locked until the transaction ends, and
    no time passes between reading the number and taking it. The range as it is after the update, or None
    when the office has no range with numbers left."""
    meta, quote = ItemSeries._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    col = {name: quote(meta.get_field(name).column) for name in SERIES_COLUMNS}
    pick = (f"SELECT {col['id']} FROM {table} WHERE {col['post_office']} = %s AND {col['service']} = %s "
            f"AND {col['active']} = %s AND {col['next_serial']} <= {col['last_serial']} "
            f"ORDER BY {col['first_serial']} LIMIT 1")
    # The second test of next_serial is checked again on the row as it is once its lock is ours: a range
    # that another transaction has just run out of is then left alone, and the pick is made again.
    sql = (f"UPDATE {table} SET {col['next_serial']} = {col['next_serial']} + 1 WHERE {col['id']} = ({pick}) "
           f"AND {col['next_serial']} <= {col['last_serial']} RETURNING {', '.join(col.values())}")
    params = [office_id, service, True]
    for _attempt in range(10):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row:
            values = dict(zip(SERIES_COLUMNS, row, strict=True))
            series = ItemSeries(id=values["id"], post_office_id=values["post_office"], service=values["service"],
                                indicator=values["indicator"], first_serial=values["first_serial"],
                                last_serial=values["last_serial"], next_serial=values["next_serial"],
                                active=bool(values["active"]))
            series._state.adding, series._state.db = False, connection.alias
            return series
        if not ItemSeries.objects.filter(post_office_id=office_id, service=service, active=True,
                                         next_serial__lte=F("last_serial")).exists():
            return None
    return None


def allocate_item_id(post_office, service: str) -> tuple[ItemSeries, str]:
    """Take the next S10 id from the post office's range (a commune point may use its parent's). Call inside
    the transaction that uses it: if it rolls back, the number was never taken. The range is returned as it
    is after the allocation (its ``created_at`` is not read)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_item_id must run inside transaction.atomic()")
    offices = [post_office.pk]
    if post_office.parent_id:
        offices.append(post_office.parent_id)
    for office_id in offices:
        series = _take_serial(office_id, service)
        if series:
            return series, s10.make(series.indicator, series.next_serial - 1)
    raise ValidationError({"item_id": (
        f"Bưu cục {post_office.code} chưa được cấp dải số hiệu bưu gửi còn số cho dịch vụ này. "
        f"Đề nghị quản trị cấp dải số mới. / Post office {post_office.code} has no item-id range with numbers "
        f"left for this service. Ask an administrator for a new range.")}, code="no_series")


def create_item(dossier, kind: str, service: str, *, post_office, actor=None, item_id: str = "",
                seal_numbers=(), weight_grams=None) -> Item:
    """A new package held by ``post_office``: its id allocated from a range, or a pre-printed id
    (validated, never one already used)."""
    series = None
    if item_id:
        item_id = s10.validate(item_id)
        if Item.objects.filter(item_id=item_id).exists():
            raise ValidationError({"item_id": (
                f"Số hiệu {item_id} đã được dùng cho bưu gửi khác. / Item id {item_id} is already used.")})
    else:
        series, item_id = allocate_item_id(post_office, service)
    item = Item.objects.create(
        item_id=item_id, kind=kind, dossier=dossier, province_id=dossier.province_id,
        origin_post_office=post_office, series=series, status=ItemStatus.PENDING,
        custodian_kind=Custodian.POST_OFFICE, custodian_post_office=post_office,
        seal_numbers=list(seal_numbers), weight_grams=weight_grams,
    )
    record_event("postal.item_created", item, actor, after={
        "item_id": item.item_id, "kind": kind, "dossier": dossier.pk, "custodian": f"post_office:{post_office.pk}",
        "seal_numbers": item.seal_numbers, "weight_grams": weight_grams})
    return item


# --- Postage ---------------------------------------------------------------------------------


def zone_between(a, b) -> str:
    """Zone between two communes (or None when a side is unknown: then the widest zone applies)."""
    if a is None or b is None:
        return Zone.OTHER_PROVINCE
    if a.pk == b.pk:
        return Zone.SAME_COMMUNE
    if a.province_id == b.province_id:
        return Zone.SAME_PROVINCE
    return Zone.OTHER_PROVINCE


def postage_rate(service: str, zone: str, province, on: datetime.date) -> PostageRate | None:
    """The province's own rate if it has one, else the national rate, valid on ``on``."""
    valid = (Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on)))
    rates = PostageRate.objects.filter(valid, Q(province=province) | Q(province__isnull=True), service=service,
                                       zone=zone)
    # One query: the province's rows (province set) sort before the national ones (province null).
    return rates.order_by(F("province").asc(nulls_last=True), "-valid_from").first()


def free_programme(service: str, province, procedure, on: datetime.date) -> FreeProgramme | None:
    valid = (Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on)))
    covering = Q(covers=FreeProgramme.Covers.BOTH) | Q(
        covers=FreeProgramme.Covers.SEND if service == Service.SEND_DOSSIER else FreeProgramme.Covers.RETURN)
    programmes = FreeProgramme.objects.filter(valid, covering, province=province).filter(
        Q(procedure__isnull=True) | Q(procedure=procedure))
    # A programme for the procedure itself is more specific than a province-wide one.
    return programmes.order_by(F("procedure").desc(nulls_last=True), "-valid_from").first()


@dataclass
class PostageQuote:
    service: str
    zone: str
    list_amount: int
    amount: int
    rate: PostageRate | None
    programme: FreeProgramme | None


def quote_postage(service: str, origin, destination, province, procedure, weight_grams=None,
                  on: datetime.date | None = None) -> PostageQuote:
    """Postage for one leg between two communes; a free programme makes the citizen's part 0."""
    on = on or timezone.localdate()
    zone = zone_between(origin, destination)
    rate = postage_rate(service, zone, province, on)
    if rate is None:
        raise ValidationError({"postage": (
            f"Chưa có biểu cước cho dịch vụ và vùng này ({service}, {zone}). Đề nghị quản trị nhập biểu cước. / "
            f"No postage rate for this service and zone ({service}, {zone}). Ask an administrator to set one.")},
            code="no_rate")
    list_amount = rate.amount_for(weight_grams)
    programme = free_programme(service, province, procedure, on)
    return PostageQuote(service, zone, list_amount, 0 if programme else list_amount, rate, programme)


# --- Receipts --------------------------------------------------------------------------------


def next_receipt_number(post_office, year: int) -> int:
    """Take the post office's next receipt number for the year. Call inside the receipt's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_receipt_number must run inside transaction.atomic()")
    number = _bump_receipt_counter(post_office.pk, year)
    if number is None:  # the post office's first receipt of the year
        ReceiptCounter.objects.get_or_create(post_office=post_office, year=year)
        number = _bump_receipt_counter(post_office.pk, year)
    return number


def _bump_receipt_counter(post_office_id: int, year: int) -> int | None:
    """Add one to the counter and read it back in one statement (UPDATE … RETURNING, PostgreSQL and SQLite ≥
    3.35); the row stays locked until the transaction ends. None when the counter does not exist yet."""
    meta, quote = ReceiptCounter._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    last, office, year_col = (quote(meta.get_field(name).column) for name in ("last_number", "post_office", "year"))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {last} = {last} + 1 WHERE {office} = %s AND {year_col} = %s "
                       f"RETURNING {last}", [post_office_id, year])
        row = cursor.fetchone()
    return row[0] if row else None


def issue_receipt(dossier, *, post_office, payer_name: str, method: str, lines: list[dict], actor=None,
                  payment_reference: str = "", at=None) -> Receipt:
    """One receipt for what was paid now; ``lines``: {"kind", "label", "amount", "on_behalf"}."""
    at = at or timezone.now()
    year = timezone.localtime(at).year
    postage = sum(line["amount"] for line in lines if not line.get("on_behalf"))
    fees = sum(line["amount"] for line in lines if line.get("on_behalf"))
    receipt = Receipt.objects.create(
        post_office=post_office, year=year, number=next_receipt_number(post_office, year), dossier=dossier,
        payer_name=payer_name, method=method, payment_reference=payment_reference, postage_amount=postage,
        fee_amount=fees, total=postage + fees, lines=lines, issued_by=actor if getattr(actor, "pk", None) else None,
        issued_at=at,
    )
    record_event("postal.receipt_issued", receipt, actor, after={
        "code": receipt.code, "dossier": dossier.pk, "total": receipt.total, "method": method, "lines": lines})
    return receipt


# --- Tariff and programmes (administration) ----------------------------------------------------

RATE_FIELDS = ["province", "service", "zone", "base_amount", "base_weight_grams", "step_amount",
               "step_weight_grams", "valid_from", "valid_to"]
PROGRAMME_FIELDS = ["name", "province", "procedure", "covers", "basis", "valid_from", "valid_to"]


def _check_dates(obj):
    if obj.valid_to and obj.valid_from and obj.valid_to < obj.valid_from:
        raise ValidationError({"valid_to": "Ngày kết thúc trước ngày bắt đầu. / The end date is before the start."})


def check_rate(rate: PostageRate, actor=None):
    _check_may(actor, "manage_tariff", rate.province_id)
    rate.full_clean()
    _check_dates(rate)


def check_programme(programme: FreeProgramme, actor=None):
    _check_may(actor, "manage_tariff", programme.province_id)
    programme.full_clean()
    _check_dates(programme)


def _save_admin(obj, fields, action, actor):
    with transaction.atomic():
        before = snapshot(type(obj).objects.get(pk=obj.pk), fields) if obj.pk else None
        obj.save()
        record_event(action, obj, actor, before, snapshot(obj, fields))
    return obj


def save_rate(rate: PostageRate, actor=None) -> PostageRate:
    check_rate(rate, actor)
    return _save_admin(rate, RATE_FIELDS, "postal.rate_saved", actor)


def save_programme(programme: FreeProgramme, actor=None) -> FreeProgramme:
    check_programme(programme, actor)
    return _save_admin(programme, PROGRAMME_FIELDS, "postal.programme_saved", actor)
