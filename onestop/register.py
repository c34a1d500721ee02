"""Form 07, Sổ theo dõi hồ sơ: the register of the dossiers a one-stop desk received in a period.

One row per dossier: code, applicant, procedure, received at the desk, due, status (in Vietnamese), result
(decided) at, on time / late / in progress (``onestop.services.deadline_state`` on the working-day calendar),
returned at. "Received at the desk" is the acceptance (the code's moment) or, for a dossier the desk has not
accepted (asked to supplement, refused, withdrawn), the moment its package reached the desk; dossiers still
on their way are not in the register yet.

``register_rows`` is one query (select_related, only the columns printed, the package's arrival as a
subquery), so thousands of rows cost a handful of queries; ``render_register`` gives an A4 landscape PDF with
the header row repeated on every page and "Trang x/y"; ``render_register_xlsx`` an .xlsx (openpyxl) with the
desk and period on top, a bold frozen header with an autofilter, and real Excel dates."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dossiers.printing import DASH, FONT, FONT_BOLD, SHADE, _e
from onestop.forms_pdf import TITLES, desk_lines, form_header, styles, title_block, vn_date

PAGE = landscape(A4)
MARGINS = (12 * mm, 12 * mm, 12 * mm, 14 * mm)  # left, right, top, bottom
WIDTH = PAGE[0] - MARGINS[0] - MARGINS[1]
MAX_DAYS = 366

PROGRESS_LABELS = {
    "done_on_time": "Đúng hạn",
    "done_late": "Trễ hạn",
    "on_time": "Đang giải quyết (trong hạn)",
    "at_risk": "Đang giải quyết (sắp đến hạn)",
    "overdue": "Đang giải quyết (quá hạn)",
    "none": "",
}

COLUMNS = [  # key, PDF header, width (mm; None: the rest), xlsx header, xlsx width
    ("number", "STT", 9, "STT", 6),
    ("code", "Mã hồ sơ", 36, "Mã hồ sơ", 28),
    ("applicant", "Người nộp", 36, "Người nộp hồ sơ", 28),
    ("procedure", "Thủ tục", None, "Tên thủ tục", 45),
    ("received_at", "Ngày nhận", 19, "Ngày nhận", 17),
    ("due_at", "Hẹn trả", 19, "Hẹn trả kết quả", 17),
    ("status_label", "Trạng thái", 30, "Trạng thái", 26),
    ("decided_at", "Ngày có kết quả", 19, "Ngày có kết quả", 17),
    ("progress_label", "Tiến độ", 26, "Tiến độ", 26),
    ("returned_at", "Ngày trả kết quả", 19, "Ngày trả kết quả", 17),
]


@dataclass
class RegisterRow:
    number: int
    dossier_id: int
    code: str
    tracking_code: str
    applicant: str
    procedure_code: str
    procedure_name: str
    received_at: datetime.datetime | None
    due_at: datetime.datetime | None
    status: str
    status_label: str
    decided_at: datetime.datetime | None
    progress: str
    progress_label: str
    returned_at: datetime.datetime | None

    @property
    def procedure(self) -> str:
        return f"{self.procedure_code} — {self.procedure_name}"


class Register(list):
    """The rows, with the period and the filter they were selected by."""

    def __init__(self, rows=(), *, date_from=None, date_to=None, status=None):
        super().__init__(rows)
        self.date_from, self.date_to, self.status = date_from, date_to, status


def _b(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _statuses(status) -> list[str]:
    from dossiers.models import Status

    if status in (None, "", [], ()):
        return []
    values = [status] if isinstance(status, str) else list(status)
    values = [v.strip() for value in values for v in str(value).split(",") if v.strip()]
    unknown = [v for v in values if v not in Status.values]
    if unknown:
        raise ValidationError({"status": _b(f"Trạng thái không hợp lệ: {', '.join(unknown)}.",
                                            f"Unknown status: {', '.join(unknown)}.")})
    return values


def check_period(date_from: datetime.date, date_to: datetime.date) -> None:
    if date_from is None or date_to is None:
        raise ValidationError({"from": _b("Chọn khoảng thời gian.", "Choose the period.")})
    if date_from > date_to:
        raise ValidationError({"to": _b("Ngày kết thúc phải từ ngày bắt đầu trở đi.",
                                        "The end date must not be before the start date.")})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationError({"to": _b(f"Khoảng thời gian tối đa {MAX_DAYS} ngày.",
                                        f"The period is at most {MAX_DAYS} days.")})


def register_queryset(desk, date_from: datetime.date, date_to: datetime.date, status=None, user=None):
    """The dossiers of the register, annotated with ``desk_received_at``, oldest first."""
    from accounts.scopes import visible
    from custody.models import ItemEvent
    from dossiers.models import Dossier
    from postal.models import ItemStatus

    check_period(date_from, date_to)
    statuses = _statuses(status)
    arrival = (ItemEvent.objects.filter(item__dossier=OuterRef("pk"), item__kind="dossier",
                                        status=ItemStatus.AT_ONE_STOP_DESK)
               .order_by("occurred_at").values("occurred_at")[:1])
    queryset = Dossier.objects.filter(desk=desk)
    if user is not None:
        queryset = visible(user, queryset)
    queryset = (queryset.select_related("version", "procedure")
                .only("pk", "version", "procedure", "code", "tracking_code", "status", "applicant_name", "accepted_at", "due_at",
                      "decided_at", "returned_at", "received_at", "version__name", "procedure__code")
                .annotate(desk_received_at=Coalesce("accepted_at", Subquery(arrival), output_field=DateTimeField()))
                .filter(desk_received_at__gte=_day_start(date_from),
                        desk_received_at__lt=_day_start(date_to + datetime.timedelta(days=1))))
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    return queryset.order_by("desk_received_at", "code", "pk")


def register_rows(desk, date_from: datetime.date, date_to: datetime.date, status=None, *, user=None,
                  now=None) -> Register:
    """Form 07's rows for ``desk`` between two local dates (inclusive), optionally of one status (or a list,
    or comma-separated); with ``user``, only the dossiers in their scope."""
    from dossiers.models import Status
    from onestop.services import deadline_state

    now = now or timezone.now()
    rows = Register(date_from=date_from, date_to=date_to, status=_statuses(status))
    with translation.override("vi"):
        labels = {value: str(label) for value, label in Status.choices}
        for n, dossier in enumerate(register_queryset(desk, date_from, date_to, status, user).iterator(
                chunk_size=2000), start=1):
            progress = deadline_state(dossier, now)
            rows.append(RegisterRow(
                number=n, dossier_id=dossier.pk, code=dossier.code or "", tracking_code=dossier.tracking_code,
                applicant=dossier.applicant_name, procedure_code=dossier.procedure.code,
                procedure_name=dossier.version.name, received_at=dossier.desk_received_at, due_at=dossier.due_at,
                status=dossier.status, status_label=labels.get(dossier.status, dossier.status),
                decided_at=dossier.decided_at, progress=progress, progress_label=PROGRESS_LABELS.get(progress, ""),
                returned_at=dossier.returned_at))
    return rows


def summary(rows) -> dict[str, int]:
    counts = {"total": len(rows), "done_on_time": 0, "done_late": 0, "in_progress": 0, "overdue": 0}
    for row in rows:
        if row.progress in ("done_on_time", "done_late", "overdue"):
            counts[row.progress] += 1
        if row.progress in ("on_time", "at_risk", "overdue"):
            counts["in_progress"] += 1
    return counts


def _period(rows, date_from, date_to):
    date_from = date_from or getattr(rows, "date_from", None)
    date_to = date_to or getattr(rows, "date_to", None)
    moments = [timezone.localtime(r.received_at).date() for r in rows if r.received_at]
    if date_from is None and moments:
        date_from = min(moments)
    if date_to is None and moments:
        date_to = max(moments)
    return date_from, date_to


def _period_text(date_from, date_to) -> str:
    if date_from is None or date_to is None:
        return ""
    return f"Từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}"


def _status_text(rows, status) -> str:
    from dossiers.models import Status

    values = _statuses(status if status is not None else getattr(rows, "status", None))
    if not values:
        return ""
    with translation.override("vi"):
        return "Trạng thái: " + ", ".join(str(Status(v).label) for v in values)


def _desk_title(desk) -> str:
    return f"{desk.name} ({desk.code})"


# --- PDF -------------------------------------------------------------------------------------------------


class _NumberedCanvas(pdf_canvas.Canvas):
    """Draws "Trang x/y" once the number of pages is known."""

    footer_text = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.saveState()
            self.setFont(FONT, 7)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGINS[0], 7 * mm, self.footer_text)
            self.drawRightString(PAGE[0] - MARGINS[1], 7 * mm, f"Trang {self._pageNumber}/{total}")
            self.restoreState()
            super().showPage()
        super().save()


def _moment_cell(value) -> str:
    if not value:
        return DASH
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%d/%m/%Y\n%H:%M")


def _tracking(code: str) -> str:
    from dossiers.models import format_tracking_code

    return format_tracking_code(code)


def _wrapped(text: str, width: float, size: float) -> str:
    """Plain pre-wrapped text (much cheaper than a Paragraph per cell for thousands of rows)."""
    return "\n".join(simpleSplit(text or DASH, FONT, size, width)) or DASH


def render_register(desk, rows, *, date_from=None, date_to=None, status=None) -> bytes:
    """The register as an A4 landscape PDF: issuer and motto, title, period; the table with its header row
    repeated on every page; totals; "Trang x/y"."""
    st = styles()
    size = 7.5
    date_from, date_to = _period(rows, date_from, date_to)
    widths = [c[2] * mm if c[2] else None for c in COLUMNS]
    widths[widths.index(None)] = WIDTH - sum(w for w in widths if w)
    pad = 2 * 2.5  # left + right padding
    with translation.override("vi"):
        today = timezone.localtime()
        story = [form_header("07", desk_lines(desk), f"{desk.code}/STDHS", desk.province, today, width=WIDTH),
                 *title_block("07")[:-1]]
        story.append(Paragraph(_e(f"Bộ phận Một cửa: {_desk_title(desk)}"), st["f_subtitle"]))
        period = " — ".join(x for x in (_period_text(date_from, date_to), _status_text(rows, status)) if x)
        if period:
            story.append(Paragraph(_e(period), st["f_subtitle"]))
        story.append(Spacer(1, 3 * mm))

        header = [_wrapped(c[1], widths[i] - pad, size) for i, c in enumerate(COLUMNS)]
        data = [header]
        shaded = []
        for row in rows:
            data.append([
                str(row.number), _wrapped(row.code or f"(mã tra cứu {_tracking(row.tracking_code)})", widths[1] - pad,
                                          size),
                _wrapped(row.applicant, widths[2] - pad, size), _wrapped(row.procedure, widths[3] - pad, size),
                _moment_cell(row.received_at), _moment_cell(row.due_at),
                _wrapped(row.status_label, widths[6] - pad, size), _moment_cell(row.decided_at),
                _wrapped(row.progress_label or DASH, widths[8] - pad, size), _moment_cell(row.returned_at)])
            if row.progress in ("done_late", "overdue"):
                shaded.append(("TEXTCOLOR", (8, len(data) - 1), (8, len(data) - 1), colors.HexColor("#B71C1C")))
        if len(data) == 1:
            data.append(["", "Không có hồ sơ trong khoảng thời gian này.", "", "", "", "", "", "", "", ""])
            shaded.append(("SPAN", (1, 1), (-1, 1)))
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, size),
            ("FONT", (0, 1), (-1, -1), FONT, size),
            ("LEADING", (0, 0), (-1, -1), size + 1.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, 0), "CENTER"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("ALIGN", (0, 1), (0, -1), "CENTER"),
            ("ALIGN", (4, 1), (5, -1), "CENTER"),
            ("ALIGN", (7, 1), (7, -1), "CENTER"),
            ("ALIGN", (9, 1), (9, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            *shaded,
        ]))
        story.append(table)
        counts = summary(rows)
        story += [Spacer(1, 2 * mm), Paragraph(_e(
            f"Tổng số: {counts['total']} hồ sơ — có kết quả đúng hạn: {counts['done_on_time']}; trễ hạn: "
            f"{counts['done_late']}; đang giải quyết: {counts['in_progress']} (trong đó quá hạn: "
            f"{counts['overdue']})."), st["f_cell"]),
            Paragraph(_e(f"In lúc {today:%H:%M}, {vn_date(today)}. Thời hạn tính theo ngày làm việc."),
                      st["f_note"])]

        buffer = io.BytesIO()
        left, right, top, bottom = MARGINS
        doc = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=left, rightMargin=right, topMargin=top,
                                bottomMargin=bottom, title=f"Sổ theo dõi hồ sơ — {desk.code}",
                                subject=TITLES["07"], author=desk.name, creator="bcci", pageCompression=1)
        footer = f"Mẫu số 07 — Sổ theo dõi hồ sơ — {_desk_title(desk)}" + (f" — {period}" if period else "")

        class Numbered(_NumberedCanvas):
            footer_text = footer

        doc.build(story, canvasmaker=Numbered)
        return buffer.getvalue()


# --- xlsx ------------------------------------------------------------------------------------------------


def _excel_moment(value):
    """openpyxl writes naive datetimes: local time."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def render_register_xlsx(desk, rows, *, date_from=None, date_to=None, status=None) -> bytes:
    """The register as .xlsx: title, desk and period rows, a bold frozen header with an autofilter, one row
    per dossier with real date cells (dd/mm/yyyy hh:mm)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    date_from, date_to = _period(rows, date_from, date_to)
    columns = [("number", "STT", 6), ("code", "Mã hồ sơ", 28), ("tracking_code", "Mã tra cứu", 16),
               ("applicant", "Người nộp hồ sơ", 30), ("procedure_code", "Mã thủ tục", 12),
               ("procedure_name", "Tên thủ tục", 45), ("received_at", "Ngày nhận", 17),
               ("due_at", "Hẹn trả kết quả", 17), ("status_label", "Trạng thái", 28),
               ("decided_at", "Ngày có kết quả", 17), ("progress_label", "Tiến độ", 28),
               ("returned_at", "Ngày trả kết quả", 17)]
    dates = {"received_at", "due_at", "decided_at", "returned_at"}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sổ theo dõi hồ sơ"
    last_col = get_column_letter(len(columns))
    with translation.override("vi"):
        sheet["A1"] = f"{TITLES['07']} (Mẫu số 07)"
        sheet["A1"].font = Font(bold=True, size=14)
        sheet["A2"] = f"Bộ phận Một cửa: {_desk_title(desk)} — {desk.agency.name}"
        sheet["A2"].font = Font(bold=True)
        sheet["A3"] = " — ".join(x for x in (_period_text(date_from, date_to), _status_text(rows, status)) if x)
        for r in (1, 2, 3):
            sheet.merge_cells(f"A{r}:{last_col}{r}")
    header_row = 5
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, (_, title, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=c, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(rows, start=header_row + 1):
        for c, (key, _, _) in enumerate(columns, start=1):
            value = getattr(row, key)
            if key in dates:
                value = _excel_moment(value)
            elif key == "code":
                value = value or None
            cell = sheet.cell(row=r, column=c, value=value)
            if key in dates and value is not None:
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a name is text, never a formula
    last_row = header_row + max(len(rows), 1)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.auto_filter.ref = f"A{header_row}:{last_col}{last_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    counts = summary(rows)
    note_row = last_row + 2
    sheet.cell(row=note_row, column=1, value=(
        f"Tổng số: {counts['total']} hồ sơ — đúng hạn: {counts['done_on_time']}; trễ hạn: {counts['done_late']}; "
        f"đang giải quyết: {counts['in_progress']} (quá hạn: {counts['overdue']})"))
    workbook.properties.title = f"Sổ theo dõi hồ sơ — {desk.code}"
    workbook.properties.creator = "bcci"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
