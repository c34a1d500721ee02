"""The printed hand-over manifest (bảng kê giao nhận), A4, in Vietnamese (it is signed on paper by the
sender, the courier and the receiver, whatever the screen language).

Header: the sending unit, the manifest's code as Code128 and as a QR; origin → destination, status, seal
number, dates. A table of the packages (n°, S10 id as a Code128 with its text, the dossier's tracking code,
the procedure's code, the package's seal numbers, weight; the condition on arrival once received), the
counts, and the three signature places with the names when known. Built with the helpers of
``dossiers.printing`` (fonts, Code128, QR, tables). Printing reads only: it changes nothing."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from custody.models import Manifest, ManifestLine, UnitKind
from dossiers.printing import (
    DASH,
    FONT,
    ORGANISATION,
    QRFlowable,
    _build,
    _e,
    _ensure_setup,
    _footer,
    _grid_table,
    _kv_table,
    _office_lines,
    _p,
    _person_name,
    _pm,
    code128,
    format_datetime,
    format_weight,
)

TITLE = "BẢNG KÊ GIAO NHẬN BƯU GỬI HỒ SƠ, KẾT QUẢ TTHC"
MISSING_SHADE = colors.HexColor("#FCE4E4")


def manifest_for_print(manifest: Manifest) -> Manifest:
    """The manifest with everything the PDF prints, in a fixed number of queries."""
    return (Manifest.objects.select_related(
        "origin_post_office__commune__province", "origin_desk__commune__province",
        "destination_post_office__commune__province", "destination_desk__commune__province", "opened_by",
        "closed_by", "dispatched_by", "received_by", "courier")
        .prefetch_related(Prefetch("lines", ManifestLine.objects.select_related(
            "item__dossier__procedure").order_by("added_at", "pk")))
        .get(pk=manifest.pk))


def _unit_text(kind: str, unit) -> str:
    if unit is None:
        return DASH
    what = "Bưu cục" if kind == UnitKind.POST_OFFICE else "Bộ phận Một cửa"
    return f"{what} {unit.code} — {unit.name}"


def _unit_lines(kind: str, unit) -> list[str]:
    if kind == UnitKind.POST_OFFICE:
        return _office_lines(unit)
    lines = [unit.name]
    if unit.street or unit.commune_id:
        commune = f"{unit.commune.name}, {unit.commune.province.name}" if unit.commune_id else ""
        lines.append(", ".join(part for part in (unit.street, commune) if part))
    return lines


def _signatures(manifest: Manifest, width: float) -> Table:
    sender = _person_name(manifest.dispatched_by or manifest.closed_by or manifest.opened_by)
    courier = manifest.courier_name or _person_name(manifest.courier)
    receiver = _person_name(manifest.received_by)
    hint = "(Ký, ghi rõ họ tên)"
    third = width / 3
    when = [format_datetime(manifest.dispatched_at) if manifest.dispatched_at else "",
            format_datetime(manifest.dispatched_at) if manifest.dispatched_at else "",
            format_datetime(manifest.received_at) if manifest.received_at else ""]
    rows = [
        [_p("BÊN GIAO", "sig_title"), _p("NGƯỜI VẬN CHUYỂN", "sig_title"), _p("BÊN NHẬN", "sig_title")],
        [_p(hint, "sig_note"), _p(hint, "sig_note"), _p(hint, "sig_note")],
        ["", "", ""],
        [_pm(_e(name) if name else "&nbsp;", "sig_title") for name in (sender, courier, receiver)],
        [_pm(_e(text) if text else "&nbsp;", "sig_note") for text in when],
    ]
    table = Table(rows, colWidths=[third] * 3, rowHeights=[None, None, 22 * mm, None, None])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (0, -1), 0.75, colors.black),
        ("BOX", (1, 0), (1, -1), 0.75, colors.black),
        ("BOX", (2, 0), (2, -1), 0.75, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def render_manifest(manifest: Manifest) -> bytes:
    """The manifest as an A4 PDF (pass ``manifest_for_print(manifest)`` to avoid a query per line)."""
    _ensure_setup()
    with translation.override("vi"):
        width = A4[0] - 30 * mm
        lines = list(manifest.lines.all())
        received = manifest.status in (Manifest.Status.RECEIVED, Manifest.Status.RECEIVED_WITH_DISCREPANCIES)
        story = []

        # Header: the sending unit | the code as Code128 | the QR.
        org = [_p(ORGANISATION, "org"), *(_p(line, "small") for line in _unit_lines(manifest.origin_kind,
                                                                                    manifest.origin))]
        middle = [code128(manifest.code, 0.3 * mm, 12 * mm),
                  _pm(f"Số bảng kê: <b>{_e(manifest.code)}</b>", "centre_small")]
        qr_size = 26 * mm
        header = Table([[org, middle, [QRFlowable(manifest.code, qr_size), _p("QR số bảng kê", "centre_small")]]],
                       colWidths=[width - 76 * mm - qr_size - 2 * mm, 76 * mm, qr_size + 2 * mm])
        header.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (1, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        story += [header, _p(TITLE, "title"), _pm(f"Số: <b>{_e(manifest.code)}</b>", "code"), Spacer(1, 2 * mm)]

        half = width / 2
        general = [
            [_pm(f"<b>Nơi giao:</b> {_e(_unit_text(manifest.origin_kind, manifest.origin))}"),
             _pm(f"<b>Nơi nhận:</b> {_e(_unit_text(manifest.destination_kind, manifest.destination))}")],
            [_pm(f"<b>Trạng thái:</b> {_e(manifest.get_status_display())}"),
             _pm(f"<b>Số niêm phong bảng kê:</b> {_e(manifest.seal_number)}")],
            [_pm(f"<b>Lập lúc:</b> {_e(format_datetime(manifest.opened_at))} — {_e(_person_name(manifest.opened_by))}"),
             _pm(f"<b>Niêm phong lúc:</b> {_e(format_datetime(manifest.closed_at))}")],
            [_pm(f"<b>Giao đi lúc:</b> {_e(format_datetime(manifest.dispatched_at))}"
                 + (f" tại {_e(manifest.dispatch_location)}" if manifest.dispatch_location else "")),
             _pm(f"<b>Hạn đến nơi nhận:</b> {_e(format_datetime(manifest.due_at))}")],
        ]
        if manifest.received_at:
            general.append([
                _pm(f"<b>Nhận lúc:</b> {_e(format_datetime(manifest.received_at))}"
                    + (f" tại {_e(manifest.receipt_location)}" if manifest.receipt_location else "")),
                _pm(f"<b>Người nhận:</b> {_e(_person_name(manifest.received_by))}")])
        story.append(_kv_table(general, [half, half]))
        story.append(Spacer(1, 3 * mm))

        # The packages.
        heads = ["STT", "Số hiệu bưu gửi", "Mã tra cứu hồ sơ", "Mã thủ tục", "Số niêm phong", "Khối lượng"]
        if received:
            heads.append("Khi nhận")
        rows = [[_p(h, "small") for h in heads]]
        extra = []
        for i, line in enumerate(lines, start=1):
            item = line.item
            dossier = item.dossier
            row = [
                str(i),
                [code128(item.item_id, 0.25 * mm, 8 * mm), _pm(f"<b>{_e(item.item_id)}</b>", "centre_small")],
                _p(dossier.display_tracking_code, "small"),
                _p(dossier.procedure.code, "small"),
                _p(", ".join(item.seal_numbers or []) or DASH, "small"),
                _p(format_weight(item.weight_grams or (dossier.weight_grams if item.kind == "dossier" else None)),
                   "small"),
            ]
            if received:
                row.append(_p(line.get_condition_display(), "small"))
                if line.condition != ManifestLine.Condition.OK:
                    extra.append(("BACKGROUND", (0, i), (-1, i), MISSING_SHADE))
            rows.append(row)
        if not lines:
            rows.append(["", _p("Chưa có bưu gửi nào.", "small"), "", "", "", ""] + ([""] if received else []))
        widths = [9 * mm, 54 * mm, None, 18 * mm, 28 * mm, 16 * mm] + ([20 * mm] if received else [])
        widths[2] = width - sum(w for w in widths if w)
        story.append(_grid_table(rows, widths, style_extra=[
            ("FONT", (0, 1), (-1, -1), FONT, 8),
            ("ALIGN", (0, 1), (1, -1), "CENTER"),
            ("ALIGN", (5, 1), (5, -1), "RIGHT"),
            *extra,
        ]))

        total_weight = sum(line.item.weight_grams or 0 for line in lines)
        counts = f"<b>Tổng số bưu gửi:</b> {len(lines)}"
        if total_weight:
            counts += f" — <b>tổng khối lượng:</b> {_e(format_weight(total_weight))}"
        if received:
            ok = sum(1 for line in lines if line.condition == ManifestLine.Condition.OK)
            missing = sum(1 for line in lines if line.condition == ManifestLine.Condition.MISSING)
            counts += f" — <b>nhận nguyên vẹn:</b> {ok} — <b>không thấy:</b> {missing}"
        story.append(Spacer(1, 1.5 * mm))
        story.append(_pm(counts))

        story.append(Spacer(1, 4 * mm))
        story.append(KeepTogether([
            _p("Các bên đã cùng kiểm đếm số bưu gửi và tình trạng niêm phong khi giao, nhận.", "note"),
            Spacer(1, 2 * mm),
            _signatures(manifest, width),
        ]))
        story.append(Spacer(1, 2 * mm))
        story.append(_p(f"In lúc {format_datetime(timezone.now())}.", "note"))

        footer = _footer(f"{ORGANISATION} — Bảng kê {manifest.code}")
        return _build(A4, (15 * mm, 15 * mm, 12 * mm, 14 * mm), story, footer, f"Bảng kê {manifest.code}", TITLE)

