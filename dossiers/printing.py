"""The printed documents of an intake, as PDF (ReportLab): the dossier slip signed by both sides (A4),
the fee receipt (A5) and the 100×150 mm package label.

The documents are always in Vietnamese (they are signed and handed to the citizen, whatever the clerk's
screen language). Text is set in Roboto (the ``font-roboto`` package: Vietnamese needs a Unicode font),
registered once per process. Item ids are drawn as vector Code128 barcodes and QR codes (segno); both
decode from a 200 dpi rendering. Printing reads only: it changes no state."""

from __future__ import annotations

import datetime
import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import font_roboto
import segno
from django.db.models import Prefetch
from django.utils import timezone, translation
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    Flowable,
    Frame,
    KeepInFrame,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

LABEL_SIZE = (100 * mm, 150 * mm)
FONT = "BcciRoboto"
FONT_BOLD = "BcciRoboto-Bold"
FONT_ITALIC = "BcciRoboto-Italic"
ORGANISATION = "BƯU ĐIỆN VIỆT NAM"
SERVICE_LINE = "Dịch vụ bưu chính công ích tiếp nhận hồ sơ, trả kết quả giải quyết TTHC"
GRID = colors.HexColor("#888888")
SHADE = colors.HexColor("#EEEEEE")
MISSING = colors.HexColor("#FCE4E4")
STAMP = colors.HexColor("#C62828")
DASH = "—"

_setup_lock = threading.Lock()
_styles: dict[str, ParagraphStyle] = {}


# --- Set-up: fonts and styles, once per process ---------------------------------------------------


def _font_dir() -> Path:
    return Path(font_roboto.__file__).parent / "files"


def _ensure_setup() -> dict[str, ParagraphStyle]:
    """Register the fonts and build the paragraph styles the first time a document is rendered."""
    if _styles:
        return _styles
    with _setup_lock:
        if _styles:
            return _styles
        files = _font_dir()
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, file in ((FONT, "Roboto-Regular.ttf"), (FONT_BOLD, "Roboto-Bold.ttf"),
                           (FONT_ITALIC, "Roboto-Italic.ttf")):
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(files / file)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                      boldItalic=FONT_BOLD)
        base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
        styles = {
            "base": base,
            "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
            "tiny": ParagraphStyle("tiny", parent=base, fontSize=7, leading=8.5),
            "note": ParagraphStyle("note", parent=base, fontName=FONT_ITALIC, fontSize=8, leading=10),
            "bold": ParagraphStyle("bold", parent=base, fontName=FONT_BOLD),
            "org": ParagraphStyle("org", parent=base, fontName=FONT_BOLD, fontSize=10, leading=12.5),
            "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=14, leading=18,
                                    alignment=TA_CENTER, spaceBefore=2, spaceAfter=2),
            "subtitle": ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER),
            "code": ParagraphStyle("code", parent=base, fontName=FONT_BOLD, fontSize=12, leading=15,
                                   alignment=TA_CENTER),
            "centre": ParagraphStyle("centre", parent=base, alignment=TA_CENTER),
            "centre_small": ParagraphStyle("centre_small", parent=base, fontSize=8, leading=10,
                                           alignment=TA_CENTER),
            "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
            "sig_title": ParagraphStyle("sig_title", parent=base, fontName=FONT_BOLD, alignment=TA_CENTER),
            "sig_note": ParagraphStyle("sig_note", parent=base, fontName=FONT_ITALIC, fontSize=8, leading=10,
                                       alignment=TA_CENTER),
            "section": ParagraphStyle("section", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13,
                                      spaceBefore=5, spaceAfter=2),
            "label_big": ParagraphStyle("label_big", parent=base, fontName=FONT_BOLD, fontSize=11, leading=13.5),
            "label_text": ParagraphStyle("label_text", parent=base, fontSize=8.5, leading=10.5),
        }
        _styles.update(styles)
    return _styles


# --- Formatting -------------------------------------------------------------------------------------


def format_amount(n: int | None) -> str:
    """63000 -> '63.000 đ' (Vietnamese grouping)."""
    return f"{int(n or 0):,}".replace(",", ".") + " đ"


def format_datetime(value) -> str:
    if not value:
        return DASH
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def format_weight(grams: int | None) -> str:
    if not grams:
        return DASH
    return f"{grams:,}".replace(",", ".") + " g"


_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def _triple(n: int, full: bool) -> list[str]:
    """Words for 0 < n < 1000; ``full``: a group after a larger one, read with its hundreds
    ('không trăm linh năm')."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
        if units:
            words.append(_DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else _DIGITS[units])
    else:
        words += [_DIGITS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 4:
            words.append("tư")
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(_DIGITS[units])
    return words


def _number_words(n: int, full: bool = False) -> list[str]:
    """Words for 0 < n (groups of three digits: nghìn, triệu; tỷ repeats for larger numbers)."""
    billions, rest = divmod(n, 1_000_000_000)
    words: list[str] = []
    if billions:
        words += _number_words(billions, full) + ["tỷ"]
        full = True
    for scale, name in ((1_000_000, "triệu"), (1_000, "nghìn"), (1, "")):
        group, rest = divmod(rest, scale)
        if group:
            words += _triple(group, full)
            if name:
                words.append(name)
            full = True
    return words


def amount_in_words(n: int) -> str:
    """An amount in đồng in Vietnamese words, as written on a receipt:
    63000 -> 'Sáu mươi ba nghìn đồng', 105000 -> 'Một trăm linh năm nghìn đồng'."""
    n = int(n)
    if n < 0:
        raise ValueError("amount_in_words needs an amount of 0 or more")
    text = " ".join(_number_words(n) if n else ["không"]) + " đồng"
    return text[0].upper() + text[1:]


def _p(text, style: str = "base") -> Paragraph:
    return Paragraph(escape(str(text if text not in (None, "") else DASH)), _styles[style])


def _pm(markup: str, style: str = "base") -> Paragraph:
    """A paragraph from markup whose variable parts the caller escaped."""
    return Paragraph(markup, _styles[style])


def _e(value) -> str:
    return escape(str(value if value not in (None, "") else DASH))


def _person_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


def _commune_text(commune) -> str:
    if commune is None:
        return ""
    return f"{commune.name}, {commune.province.name}"


def _address(street: str, commune) -> str:
    return ", ".join(part for part in ((street or "").strip(), _commune_text(commune)) if part)


# --- Codes ------------------------------------------------------------------------------------------


def code128(value: str, bar_width: float, bar_height: float) -> Code128:
    """A vector Code128 symbol with quiet zones of ten modules each side."""
    return Code128(value, barWidth=bar_width, barHeight=bar_height, quiet=1, lquiet=10 * bar_width,
                   rquiet=10 * bar_width, humanReadable=0)


def draw_qr(canvas, value: str, x: float, y: float, size: float, border: int = 4) -> None:
    """A QR code (error level M) as vector squares in a ``size`` square whose lower left corner is (x, y),
    with a quiet zone of ``border`` modules inside the square."""
    matrix = segno.make(value, error="m", micro=False).matrix
    n = len(matrix)
    module = size / (n + 2 * border)
    overlap = module * 0.02  # hides hairline seams between adjacent rows when rasterised
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    path = canvas.beginPath()
    top = y + size - border * module
    for row_index, row in enumerate(matrix):
        row_y = top - (row_index + 1) * module
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(x + (border + start) * module, row_y - overlap, (col - start) * module,
                          module + 2 * overlap)
            else:
                col += 1
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


class QRFlowable(Flowable):
    def __init__(self, value: str, size: float):
        super().__init__()
        self.value, self.size = value, size
        self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        draw_qr(self.canv, self.value, 0, 0, self.size)


# --- Shared layout -------------------------------------------------------------------------------------


def _kv_table(rows, widths, style_extra=()) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        *style_extra,
    ]))
    return table


def _grid_table(rows, widths, header_rows: int = 1, style_extra=(), repeat=True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows if repeat else 0, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        *style_extra,
    ]))
    return table


def _signature_boxes(left_title: str, left_name: str, right_title: str, right_name: str, width: float,
                     height: float = 24 * mm) -> Table:
    hint = "(Ký, ghi rõ họ tên)"
    rows = [
        [_p(left_title, "sig_title"), _p(right_title, "sig_title")],
        [_p(hint, "sig_note"), _p(hint, "sig_note")],
        ["", ""],
        [_pm(_e(left_name) if left_name else "&nbsp;", "sig_title"),
         _pm(_e(right_name) if right_name else "&nbsp;", "sig_title")],
    ]
    table = Table(rows, colWidths=[width / 2, width / 2], rowHeights=[None, None, height, None])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (0, -1), 0.75, colors.black),
        ("BOX", (1, 0), (1, -1), 0.75, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _office_lines(post_office) -> list[str]:
    lines = [post_office.name]
    address = _address(post_office.street, post_office.commune)
    if address:
        lines.append(address)
    if post_office.phone:
        lines.append(f"Điện thoại: {post_office.phone}")
    return lines


def _footer(text: str):
    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 8 * mm, text)
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 8 * mm, f"Trang {doc.page}")
        canvas.restoreState()
    return on_page


def _build(pagesize, margins, story, on_page, title: str, subject: str) -> bytes:
    buffer = io.BytesIO()
    left, right, top, bottom = margins
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=left, rightMargin=right, topMargin=top,
                            bottomMargin=bottom, title=title, subject=subject, author=ORGANISATION,
                            creator="bcci", pageCompression=1)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# --- The dossier slip -----------------------------------------------------------------------------------


def _active_receipts(dossier) -> list:
    return [r for r in dossier.receipts.all() if not r.voided]


def render_slip(dossier) -> bytes:
    """Phiếu hồ sơ — the post's slip for one dossier (A4), signed by the applicant and the clerk."""
    from postal.models import PaymentMethod

    _ensure_setup()
    with translation.override("vi"):
        width = A4[0] - 30 * mm
        item = dossier.outbound_item
        post_office = dossier.post_office
        story = []

        # Header: the post office | the item's Code128 | the QR.
        org = [_p(ORGANISATION, "org"), *(_p(line, "small") for line in _office_lines(post_office))]
        if item is not None:
            barcode = code128(item.item_id, 0.33 * mm, 13 * mm)
            middle = [barcode, _pm(f"Số hiệu bưu gửi: <b>{_e(item.item_id)}</b>", "centre_small")]
            qr_value = item.item_id
            qr_caption = "QR số hiệu bưu gửi"
        else:
            middle = [_pm(f"Mã tra cứu<br/><b>{_e(dossier.display_tracking_code)}</b>", "code")]
            if dossier.external_code:
                middle.append(_pm(f"Mã hồ sơ tại cơ quan: <b>{_e(dossier.external_code)}</b>", "centre_small"))
            qr_value = dossier.tracking_code
            qr_caption = "QR mã tra cứu"
        qr_size = 27 * mm
        header = Table([[org, middle, [QRFlowable(qr_value, qr_size), _p(qr_caption, "centre_small")]]],
                       colWidths=[width - 66 * mm - qr_size - 2 * mm, 66 * mm, qr_size + 2 * mm])
        header.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (1, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        story.append(header)

        if dossier.sends_dossier:
            title = "PHIẾU TIẾP NHẬN HỒ SƠ THỦ TỤC HÀNH CHÍNH QUA BƯU CHÍNH"
        else:
            title = "PHIẾU ĐĂNG KÝ NHẬN KẾT QUẢ THỦ TỤC HÀNH CHÍNH QUA BƯU CHÍNH"
        story += [
            _p(title, "title"),
            _p(SERVICE_LINE, "subtitle"),
            _pm(f"Mã tra cứu: <b>{_e(dossier.display_tracking_code)}</b>", "code"),
            Spacer(1, 2 * mm),
        ]

        # General.
        clerk = _person_name(dossier.received_by)
        half = width / 2
        general = [
            [_pm(f"<b>Dịch vụ:</b> {_e(dossier.service_choice)} — {_e(dossier.get_service_choice_display())}"),
             _pm(f"<b>Kênh tiếp nhận:</b> {_e(dossier.get_channel_display())}")],
            [_pm(f"<b>Bưu cục tiếp nhận:</b> {_e(post_office.code)} — {_e(post_office.name)}"),
             _pm(f"<b>Nhân viên tiếp nhận:</b> {_e(clerk)}")],
            [_pm(f"<b>Thời điểm tiếp nhận:</b> {_e(format_datetime(dossier.received_at))}"),
             _pm(f"<b>Số hiệu bưu gửi:</b> {_e(item.item_id if item else 'Không có (chỉ nhận kết quả)')}")],
        ]
        if dossier.external_code:
            general.append([_pm(f"<b>Mã hồ sơ tại cơ quan:</b> {_e(dossier.external_code)}"), ""])
        story.append(_kv_table(general, [half, half]))

        # I. Applicant.
        id_label = "Mã số thuế" if dossier.applicant_kind == "organisation" else "Số CCCD"
        applicant = [
            [_pm(f"<b>Họ tên / Tên tổ chức:</b> {_e(dossier.applicant_name)}"),
             _pm(f"<b>{id_label}:</b> {_e(dossier.applicant_id_number)}")],
            [_pm(f"<b>Điện thoại:</b> {_e(dossier.applicant_phone)}"),
             _pm(f"<b>Email:</b> {_e(dossier.applicant_email)}")],
        ]
        applicant_address = _address(dossier.applicant_street, dossier.applicant_commune)
        if applicant_address:
            applicant.append([_pm(f"<b>Địa chỉ:</b> {_e(applicant_address)}"), ""])
        numerals = iter(("I", "II", "III", "IV", "V", "VI", "VII"))

        def section(title: str) -> Paragraph:
            return _p(f"{next(numerals)}. {title}", "section")

        story += [section("NGƯỜI NỘP HỒ SƠ"),
                  _kv_table(applicant, [half, half], [("SPAN", (0, 2), (1, 2))] if applicant_address else ())]

        # II. Procedure and destination.
        version = dossier.version
        agency = dossier.agency
        desk = dossier.desk
        procedure_rows = [
            [_pm(f"<b>Thủ tục:</b> {_e(dossier.procedure.code)} — {_e(version.name)} "
                 f"(phiên bản {_e(version.number)})")],
            [_pm(f"<b>Cơ quan giải quyết:</b> {_e(agency.name)} (mã định danh {_e(agency.identifier)})")],
        ]
        if desk is not None:
            desk_address = _address(desk.street, desk.commune)
            desk_role = "Nơi nhận hồ sơ" if dossier.sends_dossier else "Nơi trả kết quả"
            procedure_rows.append([_pm(
                f"<b>{desk_role} (Bộ phận Một cửa):</b> {_e(desk.name)} ({_e(desk.code)})"
                + (f", {_e(desk_address)}" if desk_address else ""))])
        if dossier.sends_dossier:
            procedure_rows.append([_pm(
                f"<b>Dự kiến hồ sơ đến cơ quan:</b> {_e(format_datetime(dossier.expected_arrival))}")])
        story += [section("THỦ TỤC VÀ NƠI NHẬN"), _kv_table(procedure_rows, [width])]

        # III. Checklist.
        story.append(section("THÀNH PHẦN HỒ SƠ ĐÃ KIỂM ĐẾM"))
        lines = list(dossier.checklist.all())
        if lines:
            rows = [[_p(h, "small") for h in ("STT", "Giấy tờ", "Loại bản yêu cầu", "SL yêu cầu", "Loại bản nộp",
                                               "SL nộp", "Bắt buộc")]]
            extra = []
            for i, line in enumerate(lines, start=1):
                short = line.brought_count < line.required_count
                rows.append([
                    str(i), _p(line.name, "small"), _p(line.get_required_kind_display(), "small"),
                    str(line.required_count),
                    _p(line.get_brought_kind_display() if line.brought_kind else DASH, "small"),
                    str(line.brought_count),
                    ("Có" if line.mandatory else "Không") + (" — thiếu" if short and line.mandatory else ""),
                ])
                if short and line.mandatory:
                    extra.append(("BACKGROUND", (0, i), (-1, i), MISSING))
            widths = [9 * mm, None, 27 * mm, 18 * mm, 27 * mm, 13 * mm, 20 * mm]
            widths[1] = width - sum(w for w in widths if w)
            story.append(_grid_table(rows, widths, style_extra=[
                ("FONT", (0, 1), (-1, -1), FONT, 8),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("ALIGN", (3, 1), (3, -1), "CENTER"),
                ("ALIGN", (5, 1), (5, -1), "CENTER"),
                *extra,
            ]))
            total_brought = sum(line.brought_count for line in lines)
            story.append(_p(f"Tổng số giấy tờ đã nộp: {total_brought}", "small"))
        else:
            story.append(_p("Không kiểm đếm: hồ sơ đã nộp trực tiếp hoặc trực tuyến tại cơ quan"
                            + (f" (mã hồ sơ {dossier.external_code})." if dossier.external_code else "."), "small"))
        if dossier.checklist_override_reason:
            by = _person_name(dossier.checklist_override_by)
            story.append(_pm(f"<b>Tiếp nhận khi thiếu giấy tờ bắt buộc — lý do:</b> "
                             f"{_e(dossier.checklist_override_reason)}" + (f" (người cho phép: {_e(by)})" if by else ""),
                             "small"))

        # IV. Seal.
        if item is not None:
            seals = ", ".join(item.seal_numbers or []) or DASH
            weight = item.weight_grams or dossier.weight_grams
            story += [section("NIÊM PHONG"),
                      _kv_table([[_pm(f"<b>Số niêm phong:</b> {_e(seals)}"),
                                  _pm(f"<b>Khối lượng:</b> {_e(format_weight(weight))}")]], [half, half])]

        # V. Charges.
        story.append(section("CƯỚC VÀ PHÍ, LỆ PHÍ"))
        charges = list(dossier.charges.all())
        programmes = {}
        rows = [[_p(h, "small") for h in ("STT", "Khoản thu", "Mức", "Người nộp trả", "Ghi chú")]]
        for i, charge in enumerate(charges, start=1):
            if charge.kind == "agency_fee":
                remark = "Thu hộ cơ quan"
            elif charge.free_programme_id:
                programme = charge.free_programme
                programmes[programme.pk] = programme
                remark = f"Miễn cước: {programme.name}"
            else:
                remark = ""
            rows.append([str(i), _p(charge.label, "small"), format_amount(charge.list_amount),
                         format_amount(charge.amount), _p(remark, "small") if remark else ""])
        paid = sum(c.amount for c in charges)
        rows.append(["", _pm("<b>Tổng cộng người nộp trả</b>", "small"),
                     format_amount(sum(c.list_amount for c in charges)), format_amount(paid), ""])
        widths = [9 * mm, None, 24 * mm, 26 * mm, 45 * mm]
        widths[1] = width - sum(w for w in widths if w)
        story.append(_grid_table(rows, widths, style_extra=[
            ("FONT", (0, 1), (-1, -1), FONT, 8),
            ("FONT", (2, -1), (3, -1), FONT_BOLD, 8),
            ("ALIGN", (0, 1), (0, -1), "CENTER"),
            ("ALIGN", (2, 1), (3, -1), "RIGHT"),
        ]))
        receipts = _active_receipts(dossier)
        if receipts:
            methods = ", ".join(dict.fromkeys(str(PaymentMethod(r.method).label) for r in receipts if r.method))
            payment = (f"<b>Đã thu:</b> {_e(format_amount(paid))} — <b>hình thức:</b> {_e(methods)} — "
                       f"<b>biên lai số:</b> {_e(', '.join(r.code for r in receipts))}")
        elif paid:
            payment = f"<b>Đã thu:</b> {_e(format_amount(paid))}"
        else:
            payment = "<b>Người nộp không phải trả tiền.</b>"
        story.append(_pm(payment, "small"))
        for programme in programmes.values():
            basis = f" — căn cứ: {programme.basis}" if programme.basis else ""
            story.append(_p(f"Chương trình miễn cước: {programme.name}{basis}.", "note"))

        # VI. Result.
        story.append(section("NHẬN KẾT QUẢ"))
        if dossier.returns_result and dossier.return_commune_id:
            story.append(_pm(f"<b>Địa chỉ nhận kết quả qua bưu chính:</b> "
                             f"{_e(_address(dossier.return_street, dossier.return_commune))}"))
        else:
            story.append(_p("Không đăng ký nhận kết quả qua bưu chính (nhận trực tiếp tại cơ quan).", "small"))

        story.append(Spacer(1, 3 * mm))
        story.append(KeepTogether([
            _p("Hai bên đã cùng kiểm đếm thành phần hồ sơ và niêm phong bưu gửi trước sự chứng kiến của người "
               "nộp hồ sơ." if item is not None else "Hai bên đã cùng kiểm tra thông tin đăng ký nhận kết quả.",
               "note"),
            Spacer(1, 2 * mm),
            _signature_boxes("Người nộp hồ sơ", dossier.applicant_name, "Nhân viên bưu chính", clerk, width),
        ]))
        story.append(Spacer(1, 2 * mm))
        story.append(_p(f"Tra cứu tình trạng hồ sơ bằng mã tra cứu {dossier.display_tracking_code} và số điện "
                        f"thoại người nộp. Giữ phiếu này để nhận kết quả.", "note"))

        footer = _footer(f"{ORGANISATION} — {post_office.name} — Phiếu hồ sơ {dossier.display_tracking_code}")
        return _build(A4, (15 * mm, 15 * mm, 12 * mm, 14 * mm), story, footer,
                      f"Phiếu hồ sơ {dossier.display_tracking_code}", title)


# --- The fee receipt ----------------------------------------------------------------------------------------


def _void_stamp(canvas, doc):
    canvas.saveState()
    canvas.setFillColor(STAMP)
    canvas.setStrokeColor(STAMP)
    canvas.setFillAlpha(0.35)
    canvas.setStrokeAlpha(0.6)
    width, height = doc.pagesize
    canvas.translate(width / 2, height / 2)
    canvas.rotate(30)
    canvas.setLineWidth(3)
    canvas.roundRect(-55 * mm, -12 * mm, 110 * mm, 24 * mm, 4 * mm, stroke=1, fill=0)
    canvas.setFont(FONT_BOLD, 40)
    canvas.drawCentredString(0, -5 * mm, "ĐÃ HỦY")
    canvas.restoreState()


def render_receipt(receipt) -> bytes:
    """Biên lai — what the citizen paid (A5): postage and fees collected on the agency's behalf."""
    from postal.models import PaymentMethod

    _ensure_setup()
    with translation.override("vi"):
        width = A5[0] - 20 * mm
        post_office = receipt.post_office
        dossier = receipt.dossier
        story = []
        org = [_p(ORGANISATION, "org"), *(_p(line, "small") for line in _office_lines(post_office))]
        number = [_pm(f"Số: <b>{_e(receipt.code)}</b>", "right")]
        header = Table([[org, number]], colWidths=[width - 45 * mm, 45 * mm])
        header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        issued = timezone.localtime(receipt.issued_at) if timezone.is_aware(receipt.issued_at) else receipt.issued_at
        story += [
            header,
            Spacer(1, 2 * mm),
            _p("BIÊN LAI THU TIỀN", "title"),
            _p("Cước dịch vụ bưu chính công ích và phí, lệ phí thu hộ", "subtitle"),
            _p(f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}, {issued:%H:%M}", "centre_small"),
            Spacer(1, 3 * mm),
        ]
        if receipt.voided:
            story.append(_p("BIÊN LAI ĐÃ HỦY — KHÔNG CÓ GIÁ TRỊ THANH TOÁN", "code"))
        details = [
            [_pm(f"<b>Người nộp tiền:</b> {_e(receipt.payer_name)}")],
            [_pm(f"<b>Mã tra cứu hồ sơ:</b> {_e(dossier.display_tracking_code)}")],
            [_pm(f"<b>Thủ tục:</b> {_e(dossier.procedure.code)} — {_e(dossier.version.name)}")],
            [_pm(f"<b>Cơ quan giải quyết:</b> {_e(dossier.agency.name)}")],
        ]
        story.append(_kv_table(details, [width]))
        story.append(Spacer(1, 2 * mm))

        rows = [[_p(h, "small") for h in ("STT", "Nội dung", "Số tiền", "Ghi chú")]]
        for i, line in enumerate(receipt.lines or [], start=1):
            rows.append([str(i), _p(line.get("label", ""), "small"), format_amount(line.get("amount")),
                         "thu hộ" if line.get("on_behalf") else ""])
        n = len(rows)
        rows += [
            ["", _p("Cộng cước dịch vụ", "small"), format_amount(receipt.postage_amount), ""],
            ["", _p("Cộng phí, lệ phí thu hộ", "small"), format_amount(receipt.fee_amount), ""],
            ["", _pm("<b>Tổng cộng</b>", "small"), format_amount(receipt.total), ""],
        ]
        widths = [9 * mm, None, 26 * mm, 16 * mm]
        widths[1] = width - sum(w for w in widths if w)
        story.append(_grid_table(rows, widths, style_extra=[
            ("FONT", (0, 1), (-1, -1), FONT, 8),
            ("FONT", (2, -1), (2, -1), FONT_BOLD, 9),
            ("ALIGN", (0, 1), (0, -1), "CENTER"),
            ("ALIGN", (2, 1), (2, -1), "RIGHT"),
            ("ALIGN", (3, 1), (3, -1), "CENTER"),
            ("BACKGROUND", (0, n), (-1, -1), SHADE),
        ]))
        story.append(Spacer(1, 2 * mm))
        method = str(PaymentMethod(receipt.method).label) if receipt.method in PaymentMethod.values else receipt.method
        story += [
            _pm(f"<b>Số tiền bằng chữ:</b> {_e(amount_in_words(receipt.total))}"),
            _pm(f"<b>Hình thức thanh toán:</b> {_e(method)}"
                + (f" — mã giao dịch {_e(receipt.payment_reference)}" if receipt.payment_reference else "")),
        ]
        if receipt.fee_amount:
            story.append(_p(f"Phí, lệ phí thu hộ được nộp cho {dossier.agency.name}.", "note"))
        story.append(Spacer(1, 4 * mm))
        story.append(_signature_boxes("Người nộp tiền", receipt.payer_name, "Người thu tiền",
                                      _person_name(receipt.issued_by), width, height=18 * mm))

        footer = _footer(f"{post_office.name} — Biên lai {receipt.code}")

        def on_page(canvas, doc):
            footer(canvas, doc)
            if receipt.voided:
                _void_stamp(canvas, doc)

        return _build(A5, (10 * mm, 10 * mm, 10 * mm, 14 * mm), story, on_page, f"Biên lai {receipt.code}",
                      "Biên lai thu tiền")


# --- The package label --------------------------------------------------------------------------------------


def _label_box(canvas, x, y, w, h, title: str, flowables) -> None:
    canvas.setLineWidth(0.8)
    canvas.rect(x, y, w, h, stroke=1, fill=0)
    canvas.setFont(FONT_BOLD, 7.5)
    canvas.drawString(x + 1.5 * mm, y + h - 3.3 * mm, title)
    frame = Frame(x, y, w, h - 3.8 * mm, leftPadding=1.5 * mm, rightPadding=1.5 * mm, topPadding=0.5 * mm,
                  bottomPadding=0.5 * mm, showBoundary=0)
    frame.addFromList([KeepInFrame(w - 3 * mm, h - 4.8 * mm, list(flowables), mode="shrink")], canvas)


def render_label(item) -> bytes:
    """The 100×150 mm label stuck on a package: its S10 id as Code128 and QR, sender and addressee."""
    _ensure_setup()
    with translation.override("vi"):
        dossier = item.dossier
        post_office = item.origin_post_office or dossier.post_office
        width, height = LABEL_SIZE
        margin = 4 * mm
        inner = width - 2 * margin
        buffer = io.BytesIO()
        c = pdf_canvas.Canvas(buffer, pagesize=LABEL_SIZE, pageCompression=1)
        c.setTitle(f"Nhãn bưu gửi {item.item_id}")
        c.setAuthor(ORGANISATION)
        c.setCreator("bcci")

        # Top band.
        top = height - margin
        c.setFont(FONT_BOLD, 9)
        c.drawString(margin, top - 3.5 * mm, f"{ORGANISATION} · BƯU CHÍNH CÔNG ÍCH")
        c.setFont(FONT_BOLD, 11)
        kind = {"dossier": "HỒ SƠ TTHC", "supplement": "HỒ SƠ BỔ SUNG", "result": "KẾT QUẢ TTHC"}.get(
            item.kind, item.get_kind_display().upper())
        c.drawRightString(width - margin, top - 3.8 * mm, kind)
        c.setLineWidth(1)
        c.line(margin, top - 5.5 * mm, width - margin, top - 5.5 * mm)

        # The item id: Code128 (as wide as fits, at most 0.5 mm a module) and human-readable.
        bar_height = 22 * mm
        probe = code128(item.item_id, 1, bar_height)
        bar_width = min(0.5 * mm, inner / probe.width)
        barcode = code128(item.item_id, bar_width, bar_height)
        bar_y = top - 7 * mm - bar_height
        barcode.drawOn(c, (width - barcode.width) / 2, bar_y)
        c.setFont(FONT_BOLD, 16)
        c.drawCentredString(width / 2, bar_y - 6 * mm, item.item_id)
        y = bar_y - 8.5 * mm

        # From / to.
        styles = _styles
        from_lines = [Paragraph(f"<b>{_e(post_office.name)}</b> ({_e(post_office.code)})", styles["label_text"])]
        from_address = _address(post_office.street, post_office.commune)
        if from_address:
            from_lines.append(Paragraph(_e(from_address), styles["label_text"]))
        if post_office.phone:
            from_lines.append(Paragraph(f"ĐT: {_e(post_office.phone)}", styles["label_text"]))
        from_h = 17 * mm
        _label_box(c, margin, y - from_h, inner, from_h, "TỪ (NGƯỜI GỬI)", from_lines)
        y -= from_h + 1.5 * mm

        if item.kind == "result":
            to_name = dossier.applicant_name
            to_address = _address(dossier.return_street, dossier.return_commune)
            to_extra = f"ĐT: {dossier.applicant_phone}" if dossier.applicant_phone else ""
        elif dossier.desk_id:
            desk = dossier.desk
            to_name = f"{desk.name} ({desk.code})"
            to_address = _address(desk.street, desk.commune)
            to_extra = f"Chuyển cho: {dossier.agency.name}"
        else:
            agency = dossier.agency
            to_name = agency.name
            to_address = _address(agency.street, agency.commune)
            to_extra = f"Mã định danh: {agency.identifier}"
        to_lines = [Paragraph(_e(to_name), styles["label_big"])]
        if to_address:
            to_lines.append(Paragraph(_e(to_address), styles["base"]))
        if to_extra:
            to_lines.append(Paragraph(_e(to_extra), styles["label_text"]))
        to_h = 33 * mm
        _label_box(c, margin, y - to_h, inner, to_h, "ĐẾN (NGƯỜI NHẬN)", to_lines)
        y -= to_h + 1.5 * mm

        # Details on the left, QR on the right.
        qr_size = 34 * mm
        seals = ", ".join(item.seal_numbers or []) or DASH
        details = [
            f"<b>Thủ tục:</b> {_e(dossier.procedure.code)} — {_e(dossier.version.name)}",
            f"<b>Mã tra cứu:</b> {_e(dossier.display_tracking_code)}",
            f"<b>Niêm phong:</b> {_e(seals)}",
            f"<b>Khối lượng:</b> {_e(format_weight(item.weight_grams or dossier.weight_grams))}",
            f"<b>Ngày gửi:</b> {_e(format_datetime(item.created_at or dossier.received_at))}",
            "<i>Người nhận kiểm tra niêm phong còn nguyên vẹn trước khi ký nhận.</i>",
        ]
        if item.kind == "result" and dossier.external_code:
            details.insert(2, f"<b>Mã hồ sơ:</b> {_e(dossier.external_code)}")
        details_w = inner - qr_size - 1.5 * mm
        frame = Frame(margin, margin, details_w, y - margin, leftPadding=0, rightPadding=0, topPadding=0,
                      bottomPadding=0, showBoundary=0)
        frame.addFromList([KeepInFrame(details_w, y - margin, [Paragraph(line, styles["label_text"])
                                                               for line in details], mode="shrink")], c)
        draw_qr(c, item.item_id, width - margin - qr_size, y - qr_size, qr_size)
        c.setFont(FONT, 6.5)
        c.drawCentredString(width - margin - qr_size / 2, y - qr_size - 2.5 * mm, "QR số hiệu bưu gửi")

        c.showPage()
        c.save()
        return buffer.getvalue()


# --- Query helpers for the views and the benchmark -------------------------------------------------------------


def print_queryset(queryset):
    """``queryset`` of dossiers with everything the documents read, in a fixed number of queries (a few
    small joins and prefetches: one wide join of every address costs more to plan on PostgreSQL)."""
    from geo.models import Commune
    from postal.models import Item, Receipt

    def communes():
        return Commune.objects.select_related("province")

    return queryset.select_related(
        "version", "procedure", "agency", "desk", "post_office", "received_by", "checklist_override_by",
    ).prefetch_related(
        Prefetch("agency__commune", queryset=communes()),
        Prefetch("desk__commune", queryset=communes()),
        Prefetch("post_office__commune", queryset=communes()),
        Prefetch("applicant_commune", queryset=communes()),
        Prefetch("return_commune", queryset=communes()),
        "checklist", "charges__free_programme",
        Prefetch("items", queryset=Item.objects.select_related("origin_post_office__commune__province")),
        Prefetch("receipts", queryset=Receipt.objects.select_related("post_office__commune__province",
                                                                     "issued_by")),
    )
