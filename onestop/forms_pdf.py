"""The one-stop desk's official forms 01–06 (Decree 118/2025, forms of Circular 03/2025/TT-VPCP) as A4 PDFs.

Each form has the official layout: top left the form number ("Mẫu số 01" …), the issuing body in capitals
(the desk's agency and the desk, or the deciding agency) and the document number ("Số: …"); top right the
national motto ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" / "Độc lập - Tự do - Hạnh phúc", underlined) and the
place and date in words ("An Giang, ngày 23 tháng 11 năm 2026"); then the title in bold capitals, the body
and the signatures.

Where the dossier travels by post, the post's receipt (the slip signed at the counter, the manifests) stands
for the hand-over signatures between the citizen and the desk and between the desk and the post (DOMAIN §5):
the forms say so and name the packages and manifests.

Forms are always in Vietnamese, set in Roboto (``dossiers.printing`` registers it). Printing reads only:
pass a dossier loaded with ``forms_queryset`` to avoid a query per line."""

from __future__ import annotations

import datetime
import io

from django.db.models import Prefetch
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dossiers.printing import (
    DASH,
    FONT,
    FONT_BOLD,
    FONT_ITALIC,
    _address,
    _e,
    _ensure_setup,
    _grid_table,
    _person_name,
    code128,
    format_amount,
    format_datetime,
)

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"
PAGE_WIDTH = A4[0] - 35 * mm  # left margin 20 mm, right 15 mm (Decree 30/2020 layout)
SIGN_HINT = "(Ký, ghi rõ họ tên)"
SIGN_STAMP_HINT = "(Ký, ghi rõ họ tên và đóng dấu)"
POST_RECEIPT_NOTE = ("Hồ sơ được chuyển qua dịch vụ bưu chính công ích: biên nhận của bưu chính (phiếu hồ sơ có "
                     "chữ ký của người nộp tại bưu cục, bảng kê giao nhận) thay cho chữ ký giao nhận trực tiếp.")

TITLES = {
    "01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "02": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "03": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "04": "VĂN BẢN XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "05": "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    "06": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    "07": "SỔ THEO DÕI HỒ SƠ",
}

_form_styles: dict[str, ParagraphStyle] = {}


def styles() -> dict[str, ParagraphStyle]:
    """The printing styles of dossiers.printing plus the ones of an administrative document."""
    base_styles = _ensure_setup()
    if not _form_styles:
        base = base_styles["base"]
        _form_styles.update({
            "f_body": ParagraphStyle("f_body", parent=base, fontSize=10.5, leading=14, alignment=TA_JUSTIFY,
                                     spaceAfter=2),
            "f_form": ParagraphStyle("f_form", parent=base, fontName=FONT_ITALIC, fontSize=8.5, leading=10.5),
            "f_org": ParagraphStyle("f_org", parent=base, fontSize=10, leading=12.5, alignment=TA_CENTER),
            "f_org_bold": ParagraphStyle("f_org_bold", parent=base, fontName=FONT_BOLD, fontSize=10, leading=12.5,
                                         alignment=TA_CENTER),
            "f_number": ParagraphStyle("f_number", parent=base, fontSize=10, leading=13, alignment=TA_CENTER),
            "f_motto": ParagraphStyle("f_motto", parent=base, fontName=FONT_BOLD, fontSize=10, leading=12.5,
                                      alignment=TA_CENTER),
            "f_slogan": ParagraphStyle("f_slogan", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=13,
                                       alignment=TA_CENTER),
            "f_date": ParagraphStyle("f_date", parent=base, fontName=FONT_ITALIC, fontSize=10, leading=13,
                                     alignment=TA_CENTER),
            "f_title": ParagraphStyle("f_title", parent=base, fontName=FONT_BOLD, fontSize=13, leading=17,
                                      alignment=TA_CENTER, spaceBefore=4, spaceAfter=2),
            "f_subtitle": ParagraphStyle("f_subtitle", parent=base, fontName=FONT_ITALIC, fontSize=10, leading=13,
                                         alignment=TA_CENTER),
            "f_to": ParagraphStyle("f_to", parent=base, fontSize=10.5, leading=14, alignment=TA_CENTER,
                                   spaceBefore=2, spaceAfter=4),
            "f_note": ParagraphStyle("f_note", parent=base, fontName=FONT_ITALIC, fontSize=9, leading=11.5,
                                     alignment=TA_JUSTIFY),
            "f_cell": ParagraphStyle("f_cell", parent=base, fontSize=8.5, leading=10.5),
            "f_cell_centre": ParagraphStyle("f_cell_centre", parent=base, fontSize=8.5, leading=10.5,
                                            alignment=TA_CENTER),
            "f_head": ParagraphStyle("f_head", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=10.5,
                                     alignment=TA_CENTER),
            "f_sig": ParagraphStyle("f_sig", parent=base, fontName=FONT_BOLD, fontSize=10, leading=12.5,
                                    alignment=TA_CENTER),
            "f_sig_note": ParagraphStyle("f_sig_note", parent=base, fontName=FONT_ITALIC, fontSize=9, leading=11,
                                         alignment=TA_CENTER),
            "f_recipients": ParagraphStyle("f_recipients", parent=base, fontSize=8.5, leading=10.5),
        })
    return {**base_styles, **_form_styles}


def _para(markup: str, style: str = "f_body") -> Paragraph:
    return Paragraph(markup, styles()[style])


def _text(value, style: str = "f_body") -> Paragraph:
    return Paragraph(_e(value), styles()[style])


# --- Dates in words ------------------------------------------------------------------------------------


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def vn_date(value) -> str:
    """'ngày 05 tháng 01 năm 2026' (Decree 30/2020: days below 10 and months 1–2 get a leading zero)."""
    if not value:
        return "ngày … tháng … năm …"
    value = _local(value)
    day = f"{value.day:02d}" if value.day < 10 else str(value.day)
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {day} tháng {month} năm {value.year}"


def vn_moment(value) -> str:
    """'10 giờ 30 phút, ngày 05 tháng 01 năm 2026'."""
    if not value:
        return DASH
    value = _local(value)
    return f"{value.hour:02d} giờ {value.minute:02d} phút, {vn_date(value)}"


def place_name(province) -> str:
    """'Tỉnh An Giang' -> 'An Giang' (the place written before the date)."""
    if province is None:
        return ""
    name = province.name.strip()
    for prefix in ("Thành phố ", "Tỉnh ", "TP. ", "TP "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def place_and_date(province, value) -> str:
    place = place_name(province)
    return f"{place}, {vn_date(value)}" if place else vn_date(value).capitalize()


def time_limit_text(version) -> str:
    unit = {"days": "ngày làm việc", "half_days": "buổi làm việc", "hours": "giờ làm việc"}.get(
        version.processing_unit, version.processing_unit)
    return f"{version.processing_time} {unit}"


# --- Who issues a form ---------------------------------------------------------------------------------


def desk_issuer(dossier) -> list[str]:
    """The desk that receives the dossier: its agency, then the desk itself when named differently."""
    if dossier.desk is None:
        return agency_issuer(dossier.agency)
    return desk_lines(dossier.desk)


def desk_lines(desk) -> list[str]:
    lines = [desk.agency.name.upper()]
    if desk.name.strip().casefold() != desk.agency.name.strip().casefold():
        lines.append(desk.name.upper())
    return lines


def agency_issuer(agency) -> list[str]:
    """The deciding agency, under its parent when it has one."""
    lines = []
    if agency.parent_id and agency.parent is not None:
        lines.append(agency.parent.name.upper())
    lines.append(agency.name.upper())
    return lines


def issuer_for(dossier, user) -> list[str]:
    """Forms the desk or the agency may issue (02): the issuer is the unit of the member of staff."""
    if dossier.desk_id and user is not None and user.agency_id == dossier.desk.agency_id:
        return desk_issuer(dossier)
    return agency_issuer(dossier.agency)


def document_ref(dossier) -> str:
    return dossier.code or dossier.display_tracking_code


def applicant_title(dossier) -> str:
    return "Tổ chức" if dossier.applicant_kind == "organisation" else "Ông/Bà"


# --- Shared layout ----------------------------------------------------------------------------------------


def form_header(form_no: str, issuer: list[str], number: str, province, when, width: float = PAGE_WIDTH) -> Table:
    """Top left: form number, issuing body, document number; top right: the motto and place, date."""
    left_width = min(80 * mm, width * 0.42)
    left = [_para(f"Mẫu số {_e(form_no)}", "f_form")]
    for i, line in enumerate(issuer):
        left.append(_text(line, "f_org_bold" if i == len(issuer) - 1 else "f_org"))
    left += [HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=3.5, spaceAfter=4, hAlign="CENTER"),
             _para(f"Số: {_e(number)}", "f_number")]
    right = [_para("&nbsp;", "f_form"), _text(MOTTO, "f_motto"), _para(f"<u>{_e(SLOGAN)}</u>", "f_slogan"),
             Spacer(1, 4 * mm), _text(place_and_date(province, when), "f_date")]
    table = Table([[left, right]], colWidths=[left_width, width - left_width])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def title_block(form_no: str, subtitle: str = "") -> list:
    block = [Spacer(1, 5 * mm), _text(TITLES[form_no], "f_title")]
    if subtitle:
        block.append(_text(subtitle, "f_subtitle"))
    block.append(Spacer(1, 4 * mm))
    return block


def signature_block(left: tuple[str, str, str] | None, right: tuple[str, str, str] | None,
                    width: float = PAGE_WIDTH, left_flowables=None) -> Table:
    """Two columns: (title, hint, name) each; ``left_flowables`` (e.g. "Nơi nhận") instead of a left signature."""
    def column(spec):
        if spec is None:
            return ""
        title, hint, name = spec
        cells = [_text(title, "f_sig")]
        if hint:
            cells.append(_text(hint, "f_sig_note"))
        cells += [Spacer(1, 20 * mm), _para(_e(name) if name else "&nbsp;", "f_sig")]
        return cells
    left_cell = left_flowables if left_flowables is not None else column(left)
    table = Table([[left_cell, column(right)]], colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def recipients(lines: list[str]) -> list:
    return [_para("<b><i>Nơi nhận:</i></b>", "f_recipients"),
            *(_text(f"- {line}", "f_recipients") for line in lines)]


def _footer(text: str):
    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 8 * mm, text)
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 8 * mm, f"Trang {doc.page}")
        canvas.restoreState()
    return on_page


def build_pdf(story, title: str, author: str, footer: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=16 * mm, title=title, subject=title, author=author, creator="bcci",
                            pageCompression=1)
    on_page = _footer(footer)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _applicant_lines(dossier) -> list:
    who = applicant_title(dossier)
    id_label = "Mã số thuế" if dossier.applicant_kind == "organisation" else "Số CCCD"
    lines = [_para(f"{who}: <b>{_e(dossier.applicant_name)}</b>"),
             _para(f"{id_label}: {_e(dossier.applicant_id_number)} — Điện thoại: {_e(dossier.applicant_phone)}"
                   + (f" — Email: {_e(dossier.applicant_email)}" if dossier.applicant_email else ""))]
    address = _address(dossier.applicant_street, dossier.applicant_commune)
    if address:
        lines.append(_para(f"Địa chỉ: {_e(address)}"))
    return lines


def _procedure_line(dossier) -> Paragraph:
    return _para(f"Nội dung yêu cầu giải quyết: <b>{_e(dossier.version.name)}</b> (mã thủ tục "
                 f"{_e(dossier.procedure.code)}) — cơ quan giải quyết: {_e(dossier.agency.name)}.")


def _codes_line(dossier) -> Paragraph:
    parts = []
    if dossier.code:
        parts.append(f"Mã hồ sơ: <b>{_e(dossier.code)}</b>")
    parts.append(f"Mã tra cứu: <b>{_e(dossier.display_tracking_code)}</b>")
    return _para(" — ".join(parts))


def _receiver_name(dossier) -> str:
    return dossier.desk.name if dossier.desk_id else dossier.agency.name


def _return_text(dossier) -> str:
    if dossier.returns_result and dossier.return_commune_id:
        return ("qua dịch vụ bưu chính công ích, phát đến địa chỉ: "
                + _address(dossier.return_street, dossier.return_commune))
    desk = dossier.desk
    if desk is not None:
        address = _address(desk.street, desk.commune)
        return f"trực tiếp tại {desk.name}" + (f", {address}" if address else "")
    return f"trực tiếp tại {dossier.agency.name}"


def _packages(dossier, kinds=("dossier", "supplement", "result")) -> list:
    return [item for item in dossier.items.all() if item.kind in kinds]


def _post_note(dossier) -> Paragraph | None:
    package = next(iter(_packages(dossier, ("dossier",))), None)
    if package is None:
        return None
    return _para(
        f"Hồ sơ được gửi qua dịch vụ bưu chính công ích: bưu gửi số <b>{_e(package.item_id)}</b>, nhận gửi tại "
        f"{_e(dossier.post_office.name)} lúc {_e(format_datetime(dossier.received_at))}. Biên nhận của bưu chính "
        f"(phiếu hồ sơ có chữ ký của người nộp tại bưu cục) thay cho chữ ký của người nộp hồ sơ trên giấy này.",
        "f_note")


def _table(rows, widths, *, header_rows: int = 1, centre_cols=(), extra=()) -> Table:
    return _grid_table(rows, widths, header_rows=header_rows, style_extra=[
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *(("ALIGN", (c, header_rows), (c, -1), "CENTER") for c in centre_cols),
        *extra,
    ])


def _widths(fixed: list, width: float = PAGE_WIDTH) -> list:
    free = width - sum(w for w in fixed if w)
    return [w if w else free for w in fixed]


# --- Loading ---------------------------------------------------------------------------------------------


def forms_queryset(queryset):
    """Dossiers with everything the forms print, in a fixed number of queries."""
    from geo.models import Commune
    from onestop.models import Extension, Notice, ProcessingStep, SupplementRequest
    from postal.models import Item

    def communes():
        return Commune.objects.select_related("province")

    return queryset.select_related(
        "version", "procedure", "province", "post_office", "agency__parent", "desk__agency", "accepted_by",
    ).prefetch_related(
        Prefetch("desk__commune", queryset=communes()),
        Prefetch("applicant_commune", queryset=communes()),
        Prefetch("return_commune", queryset=communes()),
        "checklist",
        Prefetch("items", queryset=Item.objects.order_by("created_at", "pk")),
        Prefetch("steps", queryset=ProcessingStep.objects.select_related("from_user", "to_user")),
        Prefetch("supplement_requests", queryset=SupplementRequest.objects.select_related("requested_by", "item")),
        Prefetch("extensions", queryset=Extension.objects.select_related("issued_by")),
        Prefetch("notices", queryset=Notice.objects.select_related("issued_by")),
    )


def load(dossier):
    from dossiers.models import Dossier

    return forms_queryset(Dossier.objects.filter(pk=dossier.pk)).get()


def _dossier_of(obj):
    """The dossier of a request/notice/extension, loaded for printing (reused when already loaded)."""
    dossier = obj.dossier
    if "checklist" not in getattr(dossier, "_prefetched_objects_cache", {}):
        dossier = load(dossier)
        obj.dossier = dossier
    return dossier


# --- Form 01 ---------------------------------------------------------------------------------------------


def render_form_01(dossier) -> bytes:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả: the code (and its Code128), the applicant, the procedure,
    the documents received, when it was received and when the result is due, how it is returned."""
    if not dossier.code or not dossier.accepted_at:
        raise ValueError("form 01 is issued when the dossier is accepted (it has no code yet)")
    with translation.override("vi"):
        story = [form_header("01", desk_issuer(dossier), f"{dossier.code}/TNHS", dossier.province,
                             dossier.accepted_at), *title_block("01")]
        barcode = code128(dossier.code, 0.3 * mm, 11 * mm)
        code_table = Table([[barcode], [_para(f"Mã hồ sơ: <b>{_e(dossier.code)}</b>", "f_number")]],
                           colWidths=[PAGE_WIDTH])
        code_table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"),
                                        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story += [code_table, Spacer(1, 3 * mm),
                  _para(f"{_e(_receiver_name(dossier))} tiếp nhận hồ sơ của:"),
                  *_applicant_lines(dossier), _procedure_line(dossier),
                  _para(f"Mã tra cứu tình trạng hồ sơ: <b>{_e(dossier.display_tracking_code)}</b>")]

        story.append(_para("<b>1. Thành phần hồ sơ nộp gồm:</b>"))
        lines = [line for line in dossier.checklist.all() if line.brought_count]
        if lines:
            rows = [[_text(h, "f_head") for h in ("STT", "Tên giấy tờ", "Loại bản", "Số lượng")]]
            for i, line in enumerate(lines, start=1):
                kind = line.get_brought_kind_display() if line.brought_kind else line.get_required_kind_display()
                rows.append([str(i), _text(line.name, "f_cell"), _text(kind, "f_cell_centre"),
                             f"{line.brought_count:02d}"])
            story.append(_table(rows, _widths([10 * mm, None, 36 * mm, 20 * mm]), centre_cols=(0, 3), extra=[
                ("FONT", (0, 1), (-1, -1), FONT, 8.5)]))
            story.append(_para(f"Tổng số giấy tờ: {sum(line.brought_count for line in lines):02d}", "f_cell"))
        else:
            story.append(_para("Hồ sơ nộp trực tiếp hoặc trực tuyến tại cơ quan (không kiểm đếm qua bưu chính)."))
        if dossier.checklist_override_reason:
            story.append(_para(f"Tiếp nhận khi thiếu giấy tờ bắt buộc — lý do: {_e(dossier.checklist_override_reason)}",
                               "f_note"))
        answered = [r for r in dossier.supplement_requests.all() if r.answered_at]
        for request in answered:
            story.append(_para(f"Hồ sơ bổ sung lần {request.number} đã nhận lúc {_e(vn_moment(request.answered_at))}.",
                               "f_note"))

        appointment = dossier.original_due_at or dossier.due_at
        story += [
            _para("<b>2. Số lượng hồ sơ:</b> 01 (bộ)"),
            _para(f"<b>3. Thời gian giải quyết hồ sơ theo quy định:</b> {_e(time_limit_text(dossier.version))}"),
            _para(f"<b>4. Thời gian nhận hồ sơ:</b> {_e(vn_moment(dossier.accepted_at))}"),
            _para(f"<b>5. Thời gian trả kết quả giải quyết hồ sơ (hẹn trả):</b> {_e(vn_moment(appointment))}"),
        ]
        if dossier.due_at and appointment and dossier.due_at != appointment:
            story.append(_para(f"Hẹn lại ngày trả kết quả (văn bản xin lỗi, mẫu số 04): "
                               f"{_e(vn_moment(dossier.due_at))}", "f_note"))
        story.append(_para(f"<b>6. Đăng ký nhận kết quả:</b> {_e(_return_text(dossier))}"))
        note = _post_note(dossier)
        if note is not None:
            story += [Spacer(1, 2 * mm), note]
        story.append(Spacer(1, 5 * mm))
        by_post = note is not None
        story.append(KeepTogether([signature_block(
            ("NGƯỜI NỘP HỒ SƠ", "(Biên nhận bưu chính thay chữ ký)" if by_post else SIGN_HINT,
             dossier.applicant_name),
            ("NGƯỜI TIẾP NHẬN", SIGN_HINT, _person_name(dossier.accepted_by)))]))
        return build_pdf(story, f"Mẫu số 01 — {dossier.code}", dossier.desk.name if dossier.desk_id else
                         dossier.agency.name, f"Mẫu số 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả — {dossier.code}")


# --- Form 02 ---------------------------------------------------------------------------------------------


def render_form_02(request) -> bytes:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: each document (name, kind, count, reason), the overall
    reason, and how to send the supplement by post with the tracking code."""
    from catalog.models import DocumentKind

    dossier = _dossier_of(request)
    with translation.override("vi"):
        ref = document_ref(dossier)
        story = [form_header("02", issuer_for(dossier, request.requested_by), f"{ref}/YCBS-{request.number:02d}",
                             dossier.province, request.requested_at),
                 *title_block("02", f"(Lần {request.number})")]
        story += [_para(f"{_e(_receiver_name(dossier))} tiếp nhận hồ sơ của:"), *_applicant_lines(dossier),
                  _procedure_line(dossier), _codes_line(dossier),
                  _para("<b>Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:</b>")]
        rows = [[_text(h, "f_head") for h in ("STT", "Giấy tờ", "Loại bản", "Số lượng", "Lý do")]]
        for i, line in enumerate(request.lines or [], start=1):
            kind = line.get("kind", "")
            kind_label = str(DocumentKind(kind).label) if kind in DocumentKind.values else kind
            rows.append([str(i), _text(line.get("name", ""), "f_cell"), _text(kind_label, "f_cell_centre"),
                         f"{int(line.get('count') or 0):02d}", _text(line.get("reason", ""), "f_cell")])
        story.append(_table(rows, _widths([10 * mm, None, 30 * mm, 17 * mm, 55 * mm]), centre_cols=(0, 3),
                            extra=[("FONT", (0, 1), (-1, -1), FONT, 8.5)]))
        story += [Spacer(1, 2 * mm), _para(f"<b>Lý do:</b> {_e(request.reason)}")]
        if dossier.accepted_at:
            story.append(_para(f"Thời hạn giải quyết tạm dừng từ {_e(vn_moment(request.requested_at))} cho đến khi "
                               "nhận đủ hồ sơ bổ sung."))
        else:
            story.append(_para("Thời hạn giải quyết được tính từ khi hồ sơ được tiếp nhận đầy đủ."))
        story.append(_para(
            f"{applicant_title(dossier)} có thể gửi hồ sơ bổ sung qua dịch vụ bưu chính công ích tại bất kỳ bưu cục "
            f"hoặc điểm Bưu điện - Văn hóa xã nào, ghi <b>mã tra cứu {_e(dossier.display_tracking_code)}</b>"
            + (f" và mã hồ sơ {_e(dossier.code)}" if dossier.code else "")
            + " để hồ sơ bổ sung được chuyển đến đúng hồ sơ này; tình trạng hồ sơ bổ sung được tra cứu bằng số hiệu "
              "bưu gửi."))
        if request.item_id:
            story.append(_para(f"Bưu gửi hồ sơ bổ sung: <b>{_e(request.item.item_id)}</b>"))
        if request.answered_at:
            story.append(_para(f"Đã nhận hồ sơ bổ sung lúc {_e(vn_moment(request.answered_at))}.", "f_note"))
        story.append(_para("Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, xin liên hệ "
                           f"{_e(_receiver_name(dossier))} để được hướng dẫn.", "f_note"))
        story += [Spacer(1, 5 * mm), KeepTogether([signature_block(
            None, ("NGƯỜI HƯỚNG DẪN", SIGN_HINT, _person_name(request.requested_by)))])]
        return build_pdf(story, f"Mẫu số 02 — {ref} — lần {request.number}", _receiver_name(dossier),
                         f"Mẫu số 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — {ref}")


# --- Form 03 ---------------------------------------------------------------------------------------------


def render_form_03(notice) -> bytes:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ: the reason; the package goes back to the citizen by post."""
    if notice.kind != "refusal":
        raise ValueError("form 03 prints a refusal notice")
    dossier = _dossier_of(notice)
    with translation.override("vi"):
        ref = document_ref(dossier)
        story = [form_header("03", issuer_for(dossier, notice.issued_by), f"{ref}/TCTN", dossier.province,
                             notice.issued_at), *title_block("03")]
        story += [_para(f"{_e(_receiver_name(dossier))} tiếp nhận hồ sơ của:"), *_applicant_lines(dossier),
                  _procedure_line(dossier), _codes_line(dossier),
                  _para(f"Thời điểm hồ sơ được xem xét: {_e(vn_moment(notice.issued_at))}."),
                  _para("Sau khi xem xét, đối chiếu thành phần hồ sơ và điều kiện theo quy định, hồ sơ không đủ điều "
                        "kiện để tiếp nhận, giải quyết với lý do cụ thể như sau:"),
                  _para(f"<b>{_e(notice.reason)}</b>"),
                  _para(f"Xin thông báo để {applicant_title(dossier)} được biết và thực hiện.")]
        returning = [item for item in _packages(dossier, ("dossier", "supplement")) if item.returning]
        if returning:
            ids = ", ".join(item.item_id for item in returning)
            where = (f"đến địa chỉ {_address(dossier.return_street, dossier.return_commune)}"
                     if dossier.return_commune_id else f"tại {dossier.post_office.name}")
            story.append(_para(f"Hồ sơ được trả lại cho {applicant_title(dossier)} qua dịch vụ bưu chính công ích "
                               f"(bưu gửi số {_e(ids)}) {_e(where)}. {_e(POST_RECEIPT_NOTE)}", "f_note"))
        story += [Spacer(1, 5 * mm), KeepTogether([signature_block(
            None, ("NGƯỜI TIẾP NHẬN", SIGN_HINT, _person_name(notice.issued_by)))])]
        return build_pdf(story, f"Mẫu số 03 — {ref}", _receiver_name(dossier),
                         f"Mẫu số 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ — {ref}")


# --- Form 04 ---------------------------------------------------------------------------------------------


def render_form_04(extension) -> bytes:
    """Văn bản xin lỗi và hẹn lại ngày trả kết quả: the previous and the new date, the reason, the apology."""
    dossier = _dossier_of(extension)
    with translation.override("vi"):
        ref = document_ref(dossier)
        ordinal = next((i for i, e in enumerate(dossier.extensions.all(), start=1) if e.pk == extension.pk), 1)
        agency = dossier.agency
        who = applicant_title(dossier)
        story = [form_header("04", agency_issuer(agency), f"{ref}/XLHL-{ordinal:02d}", dossier.province,
                             extension.issued_at), *title_block("04"),
                 _para(f"Kính gửi: {_e(who)} <b>{_e(dossier.applicant_name)}</b>", "f_to")]
        received = dossier.accepted_at or dossier.received_at
        story += [
            _para(f"{_e(vn_date(received).capitalize())}, {_e(_receiver_name(dossier))} tiếp nhận hồ sơ "
                  f"của {_e(who)} đề nghị giải quyết thủ tục <b>{_e(dossier.version.name)}</b> (mã thủ tục "
                  f"{_e(dossier.procedure.code)}), mã hồ sơ <b>{_e(ref)}</b>."),
            _para(f"Thời hạn trả kết quả giải quyết hồ sơ đã hẹn: <b>{_e(vn_moment(extension.previous_due_at))}</b>."),
            _para(f"Tuy nhiên, {_e(agency.name)} không thể trả kết quả giải quyết hồ sơ cho {_e(who)} đúng thời hạn "
                  f"đã hẹn, lý do: <b>{_e(extension.reason)}</b>."),
            _para(f"Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của {_e(who)}. {_e(agency.name)} xin "
                  f"lỗi {_e(who)} và hẹn lại thời gian trả kết quả giải quyết hồ sơ vào: "
                  f"<b>{_e(vn_moment(extension.new_due_at))}</b>."),
        ]
        if dossier.returns_result and dossier.return_commune_id:
            story.append(_para(f"Kết quả được gửi cho {_e(who)} {_e(_return_text(dossier))}."))
        else:
            story.append(_para(f"Kết quả được trả {_e(_return_text(dossier))}."))
        story.append(_para(f"Văn bản được ban hành lúc {_e(vn_moment(extension.issued_at))}, trước thời hạn trả kết "
                           "quả đã hẹn.", "f_note"))
        story.append(_para(f"{_e(agency.name)} trân trọng thông báo và mong nhận được sự thông cảm của {_e(who)}."))
        to = ["Như trên;"]
        if dossier.desk_id:
            to.append(f"{dossier.desk.name} (để phối hợp);")
        to.append("Lưu: VT, hồ sơ.")
        story += [Spacer(1, 5 * mm), KeepTogether([signature_block(
            None, ("ĐẠI DIỆN CƠ QUAN GIẢI QUYẾT", SIGN_STAMP_HINT, _person_name(extension.issued_by)),
            left_flowables=recipients(to))])]
        return build_pdf(story, f"Mẫu số 04 — {ref}", agency.name,
                         f"Mẫu số 04 — Văn bản xin lỗi và hẹn lại ngày trả kết quả — {ref}")


# --- Form 05 ---------------------------------------------------------------------------------------------


def render_form_05(notice) -> bytes:
    """Thông báo dừng giải quyết hồ sơ: the reason."""
    if notice.kind != "stop":
        raise ValueError("form 05 prints a stop notice")
    dossier = _dossier_of(notice)
    with translation.override("vi"):
        ref = document_ref(dossier)
        agency = dossier.agency
        who = applicant_title(dossier)
        story = [form_header("05", agency_issuer(agency), f"{ref}/DGQ", dossier.province, notice.issued_at),
                 *title_block("05"), _para(f"Kính gửi: {_e(who)} <b>{_e(dossier.applicant_name)}</b>", "f_to")]
        received = dossier.accepted_at or dossier.received_at
        story += [
            _para(f"{_e(vn_date(received).capitalize())}, {_e(_receiver_name(dossier))} tiếp nhận hồ sơ "
                  f"của {_e(who)} đề nghị giải quyết thủ tục <b>{_e(dossier.version.name)}</b> (mã thủ tục "
                  f"{_e(dossier.procedure.code)}), mã hồ sơ <b>{_e(ref)}</b>"
                  + (f", hẹn trả kết quả {_e(vn_moment(dossier.due_at))}." if dossier.due_at else ".")),
            _para(f"{_e(agency.name)} thông báo <b>dừng giải quyết hồ sơ</b> kể từ {_e(vn_moment(notice.issued_at))}, "
                  "với lý do:"),
            _para(f"<b>{_e(notice.reason)}</b>"),
            _para(f"Hồ sơ và các giấy tờ đã nộp được trả lại {_e(_return_text(dossier))}. {_e(who)} có thể nộp "
                  "lại hồ sơ khi đủ điều kiện theo quy định."),
            _para(f"{_e(agency.name)} thông báo để {_e(who)} được biết."),
        ]
        to = ["Như trên;"]
        if dossier.desk_id:
            to.append(f"{dossier.desk.name};")
        to.append("Lưu: VT, hồ sơ.")
        story += [Spacer(1, 5 * mm), KeepTogether([signature_block(
            None, ("ĐẠI DIỆN CƠ QUAN GIẢI QUYẾT", SIGN_STAMP_HINT, _person_name(notice.issued_by)),
            left_flowables=recipients(to))])]
        return build_pdf(story, f"Mẫu số 05 — {ref}", agency.name,
                         f"Mẫu số 05 — Thông báo dừng giải quyết hồ sơ — {ref}")


# --- Form 06 ---------------------------------------------------------------------------------------------


def _step_outcome(on_time: bool | None, done_at, due_at) -> str:
    if done_at is None:
        return "Đang xử lý"
    if on_time is None:
        return "Hoàn thành" if due_at is None else DASH
    return "Đúng hạn" if on_time else "Trễ hạn"


def _post_events(dossier) -> list:
    """The package movements on manifests (the post's receipts standing for hand-over signatures)."""
    from custody.models import ItemEvent

    return list(ItemEvent.objects.filter(item__dossier=dossier, manifest__isnull=False, applied=True)
                .select_related("item", "manifest", "post_office", "desk", "actor")
                .order_by("occurred_at", "pk"))


def _desk_arrival(events, item) -> datetime.datetime | None:
    for event in events:
        if event.item_id == item.pk and event.status == "at_one_stop_desk":
            return event.occurred_at
    return None


def _cell_moment(value) -> str:
    return format_datetime(value).replace(" ", "\n", 1) if value else DASH


def render_form_06(dossier) -> bytes:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: reception at the desk, each hand-off inside the agency
    (sent, due, done, on time or late), then the result; the post's legs with their manifests."""
    from dossiers.models import Status
    from onestop.services import deadline_state

    if not dossier.accepted_at:
        raise ValueError("form 06 is opened when the dossier is accepted")
    now = timezone.now()
    with translation.override("vi"):
        ref = document_ref(dossier)
        events = _post_events(dossier)
        package = next(iter(_packages(dossier, ("dossier",))), None)
        story = [form_header("06", desk_issuer(dossier), f"{ref}/KSQT", dossier.province, now),
                 *title_block("06"),
                 _codes_line(dossier),
                 _para(f"Người nộp hồ sơ: <b>{_e(dossier.applicant_name)}</b> — Điện thoại: "
                       f"{_e(dossier.applicant_phone)}"),
                 _procedure_line(dossier),
                 _para(f"Tiếp nhận: {_e(format_datetime(dossier.accepted_at))} — Hẹn trả kết quả: "
                       f"<b>{_e(format_datetime(dossier.due_at))}</b>"
                       + (f" (hẹn ban đầu {_e(format_datetime(dossier.original_due_at))})"
                          if dossier.original_due_at and dossier.original_due_at != dossier.due_at else "")
                       + f" — Trạng thái: {_e(dossier.get_status_display())}"),
                 Spacer(1, 2 * mm)]

        head = ("STT", "Bên giao", "Bên nhận", "Nội dung công việc", "Thời gian giao", "Hạn xử lý",
                "Thời gian hoàn thành", "Kết quả")
        rows = [[_text(h, "f_head") for h in head]]
        desk_name = dossier.desk.name if dossier.desk_id else dossier.agency.name
        if package is not None:
            giver = f"Người nộp hồ sơ, qua bưu chính (bưu gửi {package.item_id})"
            sent = _desk_arrival(events, package) or dossier.received_at
        else:
            giver = "Người nộp hồ sơ"
            sent = dossier.received_at
        rows.append(["1", _text(giver, "f_cell"),
                     _text(f"{desk_name} — {_person_name(dossier.accepted_by)}", "f_cell"),
                     _text("Tiếp nhận, kiểm tra hồ sơ; cấp mã hồ sơ, hẹn trả kết quả", "f_cell"),
                     _cell_moment(sent), DASH, _cell_moment(dossier.accepted_at), "Đã tiếp nhận"])
        n = 1
        for step in dossier.steps.all():
            n += 1
            receiver = _person_name(step.to_user) if step.to_user_id else ""
            if step.to_label:
                receiver = f"{step.to_label} — {receiver}" if receiver else step.to_label
            task = step.task or "Giải quyết hồ sơ"
            if step.note:
                task = f"{task} ({step.note})"
            rows.append([str(n), _text(_person_name(step.from_user) or desk_name, "f_cell"),
                         _text(receiver, "f_cell"), _text(task, "f_cell"), _cell_moment(step.sent_at),
                         _cell_moment(step.due_at), _cell_moment(step.done_at),
                         _step_outcome(step.on_time, step.done_at, step.due_at)])
        n += 1
        state = deadline_state(dossier, now)
        if dossier.status in (Status.STOPPED, Status.WITHDRAWN):
            notice = next((x for x in dossier.notices.all() if x.kind in ("stop", "withdrawal")), None)
            label = "Dừng giải quyết (mẫu số 05)" if dossier.status == Status.STOPPED else "Công dân rút hồ sơ"
            rows.append([str(n), _text(dossier.agency.name, "f_cell"), _text("Người nộp hồ sơ", "f_cell"),
                         _text(label + (f": {notice.reason}" if notice else ""), "f_cell"),
                         _cell_moment(notice.issued_at if notice else None), _cell_moment(dossier.due_at),
                         _cell_moment(notice.issued_at if notice else None), DASH])
        else:
            result_item = next(iter(_packages(dossier, ("result",))), None)
            if dossier.returns_result and dossier.return_commune_id:
                way = "Trả kết quả qua bưu chính" + (f" (bưu gửi {result_item.item_id})" if result_item else "")
                receiver = "Người nộp hồ sơ, qua bưu chính"
            else:
                way = "Trả kết quả tại Bộ phận Một cửa"
                receiver = "Người nộp hồ sơ"
            if dossier.result_reference:
                way += f"; kết quả số {dossier.result_reference}"
            if dossier.result_fees_due:
                way += f"; phí, lệ phí còn phải thu {format_amount(dossier.result_fees_due)}"
            outcome = {"done_on_time": "Đúng hạn", "done_late": "Trễ hạn", "overdue": "Quá hạn"}.get(
                state, "Đang xử lý")
            rows.append([str(n), _text(f"{dossier.agency.name}, qua {desk_name}" if dossier.desk_id else dossier.agency.name, "f_cell"), _text(receiver, "f_cell"),
                         _text(way, "f_cell"), _cell_moment(dossier.decided_at), _cell_moment(dossier.due_at),
                         _cell_moment(dossier.returned_at), outcome])
        widths = _widths([9 * mm, 27 * mm, 27 * mm, None, 19 * mm, 19 * mm, 19 * mm, 17 * mm])
        story.append(_table(rows, widths, centre_cols=(0, 4, 5, 6, 7), extra=[
            ("FONT", (0, 1), (-1, -1), FONT, 8), ("LEADING", (0, 1), (-1, -1), 9.5)]))
        story.append(_para("Dòng đầu: tiếp nhận tại Bộ phận Một cửa; dòng cuối: trả kết quả. Hạn của từng bước và "
                           "thời hạn chung tính theo ngày làm việc.", "f_note"))

        story.append(Spacer(1, 3 * mm))
        story.append(_para("<b>Giao nhận qua bưu chính</b>"))
        story.append(_para("Đối với các bước giao nhận qua bưu chính, biên nhận của bưu chính (phiếu hồ sơ, bảng kê "
                           "giao nhận) thay cho chữ ký giao nhận trên phiếu này.", "f_note"))
        if events:
            rows = [[_text(h, "f_head") for h in ("STT", "Số hiệu bưu gửi", "Bảng kê", "Sự kiện", "Thời điểm",
                                                    "Nơi", "Người thực hiện")]]
            for i, event in enumerate(events, start=1):
                unit = event.desk or event.post_office
                rows.append([str(i), event.item.item_id, event.manifest.code,
                             _text(event.get_status_display(), "f_cell"), _cell_moment(event.occurred_at),
                             _text(unit.name if unit else DASH, "f_cell"),
                             _text(_person_name(event.actor) or event.actor_label or DASH, "f_cell")])
            story.append(_table(rows, _widths([9 * mm, 29 * mm, 32 * mm, 28 * mm, 20 * mm, None, 28 * mm]),
                                centre_cols=(0, 4), extra=[("FONT", (0, 1), (-1, -1), FONT, 8),
                                                            ("LEADING", (0, 1), (-1, -1), 9.5)]))
        else:
            story.append(_para("Chưa có bảng kê giao nhận qua bưu chính.", "f_cell"))
        return build_pdf(story, f"Mẫu số 06 — {ref}", desk_name,
                         f"Mẫu số 06 — Phiếu kiểm soát quá trình giải quyết hồ sơ — {ref}")


__all__ = [
    "MOTTO", "SLOGAN", "TITLES", "forms_queryset", "load", "render_form_01", "render_form_02", "render_form_03",
    "render_form_04", "render_form_05", "render_form_06", "vn_date", "vn_moment", "place_and_date",
    "form_header", "title_block", "styles", "desk_issuer", "desk_lines", "agency_issuer",
]
