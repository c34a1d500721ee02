"""The spreadsheet layout of a province's procedure list: reading (.csv, .xlsx),
row-by-row validation into ``VersionData``, and writing the same columns back.

One row per procedure. Headers are matched without diacritics or case, in any
order; columns the layout does not know (e.g. ``STT``, ``Tên cơ quan``) are
ignored. Rows above the header row (a title, a note) are skipped: the header
row is the first one with a ``Mã TTHC`` cell.

Multi-valued cells hold one item per line (or, on a single line, items
separated by ``;``), the parts of an item separated by ``|``:

* ``Thành phần hồ sơ``: ``Tên giấy tờ | Bản chính/Bản sao chứng thực/Bản photo | số lượng | Bắt buộc/Không bắt buộc``
  (count and mandatory may be left out: 1, Bắt buộc);
* ``Phí, lệ phí``: ``Mã | Tên | Phí/Lệ phí | số tiền (đồng) hoặc cách tính | Cơ quan thu/Bưu điện thu hộ``
  (the code may be empty, the collector left out: Bưu điện thu hộ).

Every problem is reported as a ``RowError``: the row number as a spreadsheet
shows it (the header row included, 1-based), the column header, and the reason
"<Vietnamese> / <English>". Agencies are looked up in one query.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from catalog.models import DocumentKind, FeeLine, Level, TimeUnit
from catalog.services import DocumentData, FeeData, VersionData
from geo.text import fold

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 20
MAX_TIME = 9999
MAX_AMOUNT = 10**12  # đồng


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 16  # for the .xlsx export


# The layout, in export order. ``required`` columns must be present in the file;
# which cells must be filled is decided per column in ``_parse_row``.
COLUMNS = [
    Column("seq", "STT", width=6),
    Column("code", "Mã TTHC", True, ("ma thu tuc", "ma thu tuc hanh chinh", "ma so tthc"), 12),
    Column("name", "Tên thủ tục", True, ("ten tthc", "ten thu tuc hanh chinh"), 48),
    Column("field_code", "Mã lĩnh vực", True, (), 12),
    Column("field_name", "Tên lĩnh vực", True, ("linh vuc",), 20),
    Column("level", "Cấp thực hiện", True, ("cap",), 14),
    Column("agency", "Mã định danh cơ quan", True, ("ma co quan", "ma dinh danh", "ma dinh danh co quan giai quyet"),
           18),
    Column("agency_name", "Tên cơ quan", width=30),
    Column("time", "Thời hạn", True, ("thoi han giai quyet",), 9),
    Column("unit", "Đơn vị thời hạn", True, ("don vi",), 14),
    Column("receive", "Tiếp nhận qua BCCI", True,
           ("tiep nhan qua buu chinh", "tiep nhan ho so qua bcci", "tiep nhan ho so qua buu chinh"), 11),
    Column("receive_basis", "Căn cứ tiếp nhận", aliases=("can cu tiep nhan ho so",), width=26),
    Column("receive_date", "Ngày căn cứ tiếp nhận", aliases=("ngay ban hanh can cu tiep nhan",), width=12),
    Column("ret", "Trả kết quả qua BCCI", True, ("tra ket qua qua buu chinh",), 11),
    Column("return_basis", "Căn cứ trả kết quả", width=26),
    Column("return_date", "Ngày căn cứ trả kết quả", aliases=("ngay ban hanh can cu tra ket qua",), width=12),
    Column("reason", "Lý do không qua BCCI", aliases=("ly do khong thuc hien qua buu chinh", "ly do"), width=30),
    Column("documents", "Thành phần hồ sơ", aliases=("thanh phan",), width=60),
    Column("fees", "Phí, lệ phí", aliases=("phi le phi", "phi"), width=40),
]
HEADERS = [c.header for c in COLUMNS]
BY_KEY = {c.key: c for c in COLUMNS}
_NON_WORD = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=8192)
def _key(text: str) -> str:
    """Folded comparison key: "Phí, lệ phí" -> "phi le phi". Cached: cells repeat ("Có", "Bản chính")."""
    return " ".join(_NON_WORD.split(fold(text))).strip()


_HEADER_KEYS: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.header, *_col.aliases):
        _HEADER_KEYS.setdefault(_key(_name), _col.key)

# Cell vocabularies, by folded key.
YES = {"co", "c", "x", "1", "yes", "y", "true", "dung", "duoc", "co thuc hien"}
NO = {"khong", "k", "ko", "0", "no", "n", "false", "sai", "khong thuc hien", "khong duoc"}
LEVELS = {
    "cap trung uong": Level.CENTRAL, "trung uong": Level.CENTRAL, "central": Level.CENTRAL,
    "cap tinh": Level.PROVINCIAL, "tinh": Level.PROVINCIAL, "provincial": Level.PROVINCIAL,
    "cap xa": Level.COMMUNE, "xa": Level.COMMUNE, "commune": Level.COMMUNE, "cap xa phuong": Level.COMMUNE,
    "nhieu cap": Level.MULTI, "multi": Level.MULTI,
}
UNITS = {
    "ngay lam viec": TimeUnit.WORKING_DAYS, "ngay": TimeUnit.WORKING_DAYS, "days": TimeUnit.WORKING_DAYS,
    "day": TimeUnit.WORKING_DAYS,
    "gio lam viec": TimeUnit.WORKING_HOURS, "gio": TimeUnit.WORKING_HOURS, "hours": TimeUnit.WORKING_HOURS,
    "hour": TimeUnit.WORKING_HOURS,
    "buoi lam viec": TimeUnit.HALF_DAYS, "buoi": TimeUnit.HALF_DAYS, "nua ngay": TimeUnit.HALF_DAYS,
    "half days": TimeUnit.HALF_DAYS,
}
DOC_KINDS = {
    "ban chinh": DocumentKind.ORIGINAL, "chinh": DocumentKind.ORIGINAL, "original": DocumentKind.ORIGINAL,
    "ban sao chung thuc": DocumentKind.CERTIFIED_COPY, "ban sao co chung thuc": DocumentKind.CERTIFIED_COPY,
    "sao chung thuc": DocumentKind.CERTIFIED_COPY, "certified copy": DocumentKind.CERTIFIED_COPY,
    "ban photo": DocumentKind.PHOTOCOPY, "photo": DocumentKind.PHOTOCOPY, "ban chup": DocumentKind.PHOTOCOPY,
    "ban photocopy": DocumentKind.PHOTOCOPY, "photocopy": DocumentKind.PHOTOCOPY,
}
MANDATORY = {"bat buoc", "co", "x", "1", "yes", "mandatory", "required"}
OPTIONAL = {"khong bat buoc", "khong", "0", "no", "tuy chon", "optional", "neu co"}
FEE_KINDS = {"phi": FeeLine.Kind.FEE, "fee": FeeLine.Kind.FEE, "le phi": FeeLine.Kind.CHARGE,
             "charge": FeeLine.Kind.CHARGE}
COLLECTORS = {
    "co quan thu": FeeLine.Collector.AGENCY, "co quan giai quyet thu": FeeLine.Collector.AGENCY,
    "co quan": FeeLine.Collector.AGENCY, "agency": FeeLine.Collector.AGENCY,
    "buu dien thu ho": FeeLine.Collector.POST, "buu dien": FeeLine.Collector.POST,
    "buu chinh thu ho": FeeLine.Collector.POST, "post": FeeLine.Collector.POST,
}
FREE = {"mien phi", "mien le phi", "mien", "khong thu", "khong", "0"}

# Labels written by the export (and in the sample file).
LEVEL_LABELS = {Level.CENTRAL: "Cấp trung ương", Level.PROVINCIAL: "Cấp tỉnh", Level.COMMUNE: "Cấp xã",
                Level.MULTI: "Nhiều cấp"}
UNIT_LABELS = {TimeUnit.WORKING_DAYS: "ngày làm việc", TimeUnit.WORKING_HOURS: "giờ làm việc",
               TimeUnit.HALF_DAYS: "buổi làm việc"}
KIND_LABELS = {DocumentKind.ORIGINAL: "Bản chính", DocumentKind.CERTIFIED_COPY: "Bản sao chứng thực",
               DocumentKind.PHOTOCOPY: "Bản photo"}
FEE_KIND_LABELS = {FeeLine.Kind.FEE: "Phí", FeeLine.Kind.CHARGE: "Lệ phí"}
COLLECTOR_LABELS = {FeeLine.Collector.AGENCY: "Cơ quan thu", FeeLine.Collector.POST: "Bưu điện thu hộ"}

# Model field limits (checked here so that a long cell is a row error, not a crash).
MAX_LEN = {"code": 30, "name": 500, "field_code": 40, "field_name": 255, "receive_basis": 255,
           "return_basis": 255, "reason": 500}

_AMOUNT = re.compile(r"^-?\d{1,3}(?:([.,\s])\d{3})?(?:\1\d{3})*$|^-?\d+$")
_CURRENCY = re.compile(r"\s*(?:đồng|dong|vnđ|vnd|đ|d)\.?\s*$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


class ImportFileError(Exception):
    """The file cannot be read at all (wrong type, not a spreadsheet, too large)."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # as a spreadsheet shows it; None: the file as a whole
    column: str
    message: str  # "<Vietnamese> / <English>"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedRow:
    row: int
    data: VersionData
    agency_identifier: str


@dataclass
class ParseResult:
    rows: list[ParsedRow]
    errors: list[RowError]
    total_rows: int  # data rows seen (empty rows not counted)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading -------------------------------------------------------------------


def file_format(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    raise ImportFileError(
        "Chỉ nhận tệp .xlsx hoặc .csv. / Only .xlsx or .csv files are accepted."
    )


def read_rows(content: bytes, filename: str) -> Iterator[tuple[int, list]]:
    """(row number, cell values) for every row of the file's first sheet."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"Tệp quá lớn (tối đa {MAX_FILE_BYTES // 1024 // 1024} MB). / "
            f"The file is too large (at most {MAX_FILE_BYTES // 1024 // 1024} MB)."
        )
    if file_format(filename) == "csv":
        return _read_csv(content)
    return _read_xlsx(content)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        import unicodedata

        # Excel's "CSV" on a Vietnamese Windows writes Windows-1258 (decomposed marks).
        return unicodedata.normalize("NFC", content.decode("cp1258"))
    except UnicodeDecodeError:
        raise ImportFileError(
            "Tệp CSV phải dùng bảng mã UTF-8. / The CSV file must be encoded in UTF-8."
        ) from None


def _delimiter(text: str) -> str:
    """The delimiter of the header line (the first line naming Mã TTHC), or of the first line."""
    lines = text.splitlines()[:HEADER_SEARCH_ROWS * 4]
    sample = next((line for line in lines if "tthc" in fold(line)), lines[0] if lines else "")
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(content: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        yield from enumerate(reader, 1)
    except csv.Error as exc:
        raise ImportFileError(f"Tệp CSV không đọc được: {exc}. / The CSV file cannot be read: {exc}.") from None


def _read_xlsx(content: bytes) -> Iterator[tuple[int, list]]:
    """The first worksheet's cell values (openpyxl, read-only mode)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(
            "Tệp .xlsx không đọc được (tệp hỏng hoặc không phải Excel). / "
            "The .xlsx file cannot be read (damaged or not an Excel file)."
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, list(values)
    finally:
        workbook.close()


# --- Cells ---------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _code_text(value) -> str:
    """A procedure code typed into Excel as a number (1.00009) gets its six decimals back."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.6f}"
    return _text(value)


def parse_yes_no(value: str) -> bool | None:
    key = _key(value)
    if key in YES:
        return True
    if key in NO:
        return False
    return None


def parse_date(value) -> datetime.date | None:
    """dd/mm/yyyy (also with - or .), yyyy-mm-dd, or a spreadsheet date. Raises ValueError."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    match = _DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return datetime.date(year, month, day)
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return datetime.date(year, month, day)
    raise ValueError(text)


def parse_amount(text: str) -> tuple[int | None, str]:
    """(amount in đồng, formula). A plain number is an amount ("8.000", "8,000 đồng", "8000đ");
    "Miễn phí" is 0; any other text is a formula. Raises ValueError for a negative or
    malformed number (e.g. "-5.000", "12,5")."""
    value = text.strip()
    if _key(value) in FREE:
        return 0, ""
    bare = _CURRENCY.sub("", value).strip()
    if re.match(r"^-\s*\d", bare):
        raise ValueError("negative")
    if _AMOUNT.match(bare):
        amount = int(re.sub(r"[.,\s]", "", bare))
        if amount > MAX_AMOUNT:
            raise ValueError("malformed")
        return amount, ""
    if re.fullmatch(r"[\d.,\s]+", bare):
        raise ValueError("malformed")
    return None, value


def format_amount(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _items(cell: str, min_parts: int) -> list[str]:
    """One item per line; a single line may separate items with ';'. A ';' inside an
    item (e.g. a fee formula "miễn ...; quá hạn 8.000 đồng") is kept: a piece with
    fewer than ``min_parts`` '|'-separated parts belongs to its neighbour."""
    lines = [line.strip() for line in cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) != 1 or ";" not in lines[0]:
        return lines
    items: list[str] = []
    for piece in lines[0].split(";"):
        if items and (piece.count("|") + 1 < min_parts or items[-1].count("|") + 1 < min_parts):
            items[-1] = f"{items[-1]};{piece}"
        else:
            items.append(piece)
    return [item.strip() for item in items if item.strip()]


# --- Rows ------------------------------------------------------------------------


def _err(row, column_key, vi, en) -> RowError:
    return RowError(row, BY_KEY[column_key].header, f"{vi} / {en}")


def _parse_documents(row: int, cell: str, errors: list[RowError]) -> list[DocumentData]:
    documents = []
    for position, item in enumerate(_items(cell, 2), 1):
        parts = [p.strip() for p in item.split("|")]
        name = parts[0]
        label = f"giấy tờ thứ {position}"
        label_en = f"document {position}"
        if not name:
            errors.append(_err(row, "documents", f"Thiếu tên {label}", f"{label_en}: the name is missing"))
            continue
        if len(name) > 500:
            errors.append(_err(row, "documents", f"Tên {label} dài quá 500 ký tự",
                               f"{label_en}: the name is longer than 500 characters"))
        if len(parts) < 2 or not parts[1]:
            errors.append(_err(row, "documents", f"Thiếu loại bản của {label} «{name}» (Bản chính, Bản sao "
                               f"chứng thực hoặc Bản photo)", f"{label_en}: the kind is missing"))
            continue
        kind = DOC_KINDS.get(_key(parts[1]))
        if kind is None:
            errors.append(_err(row, "documents", f"Loại bản «{parts[1]}» của {label} không hợp lệ (Bản chính, "
                               f"Bản sao chứng thực hoặc Bản photo)",
                               f"{label_en}: unknown kind «{parts[1]}» (original, certified copy or photocopy)"))
            continue
        count = 1
        if len(parts) > 2 and parts[2]:
            try:
                count = int(parts[2])
            except ValueError:
                count = 0
            if not 1 <= count <= 1000:
                errors.append(_err(row, "documents", f"Số lượng «{parts[2]}» của {label} phải là số nguyên "
                                   f"dương", f"{label_en}: the count must be a positive whole number"))
                continue
        mandatory = True
        if len(parts) > 3 and parts[3]:
            key = _key(parts[3])
            if key in MANDATORY:
                mandatory = True
            elif key in OPTIONAL:
                mandatory = False
            else:
                errors.append(_err(row, "documents", f"«{parts[3]}» của {label}: ghi Bắt buộc hoặc Không bắt "
                                   f"buộc", f"{label_en}: write Bắt buộc (mandatory) or Không bắt buộc (optional)"))
                continue
        documents.append(DocumentData(name=name, kind=str(kind), count=count, mandatory=mandatory))
    return documents


def _parse_fees(row: int, cell: str, errors: list[RowError]) -> list[FeeData]:
    fees = []
    for position, item in enumerate(_items(cell, 4), 1):
        parts = [p.strip() for p in item.split("|")]
        label, label_en = f"khoản phí thứ {position}", f"fee {position}"
        if len(parts) < 4:
            errors.append(_err(row, "fees", f"{label.capitalize()} phải có dạng «Mã | Tên | Phí/Lệ phí | số tiền "
                               f"hoặc cách tính | Cơ quan thu/Bưu điện thu hộ»",
                               f"{label_en} must read «code | name | Phí/Lệ phí | amount or formula | collector»"))
            continue
        code, name, kind_text, amount_text = parts[:4]
        collector_text = parts[4] if len(parts) > 4 else ""
        bad = False
        if not name:
            errors.append(_err(row, "fees", f"Thiếu tên {label}", f"{label_en}: the name is missing"))
            bad = True
        elif len(name) > 255 or len(code) > 40:
            errors.append(_err(row, "fees", f"Tên hoặc mã {label} quá dài",
                               f"{label_en}: the name or code is too long"))
            bad = True
        kind = FEE_KINDS.get(_key(kind_text))
        if kind is None:
            errors.append(_err(row, "fees", f"Loại «{kind_text}» của {label} không hợp lệ (Phí hoặc Lệ phí)",
                               f"{label_en}: unknown kind «{kind_text}» (Phí = fee, Lệ phí = charge)"))
            bad = True
        amount, formula = None, ""
        if not amount_text:
            errors.append(_err(row, "fees", f"Thiếu số tiền hoặc cách tính của {label}",
                               f"{label_en}: an amount or a formula is required"))
            bad = True
        else:
            try:
                amount, formula = parse_amount(amount_text)
            except ValueError as exc:
                if str(exc) == "negative":
                    errors.append(_err(row, "fees", f"Mức thu «{amount_text}» của {label} không được âm",
                                       f"{label_en}: the amount «{amount_text}» cannot be negative"))
                else:
                    errors.append(_err(row, "fees", f"Mức thu «{amount_text}» của {label} không đọc được (ghi số "
                                       f"đồng nguyên, ví dụ 8.000)", f"{label_en}: the amount «{amount_text}» "
                                       "cannot be read (write whole đồng, e.g. 8.000)"))
                bad = True
            if len(formula) > 500:
                errors.append(_err(row, "fees", f"Cách tính của {label} dài quá 500 ký tự",
                                   f"{label_en}: the formula is longer than 500 characters"))
                bad = True
        collector = FeeLine.Collector.POST
        if collector_text:
            collector = COLLECTORS.get(_key(collector_text))
            if collector is None:
                errors.append(_err(row, "fees", f"Đơn vị thu «{collector_text}» của {label} không hợp lệ (Cơ quan "
                                   f"thu hoặc Bưu điện thu hộ)", f"{label_en}: unknown collector «{collector_text}» "
                                   "(Cơ quan thu = the agency, Bưu điện thu hộ = the post)"))
                bad = True
        if not bad:
            fees.append(FeeData(name=name, kind=str(kind), code=code, amount=amount, formula=formula,
                                collector=str(collector)))
    return fees


def _parse_row(number: int, cells: dict, agencies: dict, province_id: int, field_names: dict,
               errors: list[RowError]) -> ParsedRow | None:
    start = len(errors)
    text = {key: (_code_text(v) if key == "code" else _text(v)) for key, v in cells.items()}

    def missing(key):
        header = BY_KEY[key].header
        errors.append(_err(number, key, f"Thiếu «{header}»", f"«{header}» is required"))

    for key in ("code", "name", "field_code", "level", "agency", "time", "unit", "receive", "ret"):
        if not text.get(key):
            missing(key)
    for key, limit in MAX_LEN.items():
        if len(text.get(key, "")) > limit:
            errors.append(_err(number, key, f"Dài quá {limit} ký tự", f"longer than {limit} characters"))

    field_name = text.get("field_name") or field_names.get(text.get("field_code", ""), "")
    if text.get("field_code") and not field_name:
        missing("field_name")

    level = None
    if text.get("level"):
        level = LEVELS.get(_key(text["level"]))
        if level is None:
            errors.append(_err(number, "level", f"Cấp thực hiện «{text['level']}» không hợp lệ (Cấp trung ương, "
                               "Cấp tỉnh, Cấp xã hoặc Nhiều cấp)", f"unknown level «{text['level']}» (central, "
                               "provincial, commune or multi-level; districts are gone since 01/07/2025)"))

    agency = None
    ident = text.get("agency", "")
    if ident:
        agency = agencies.get(ident.upper())
        if agency is None:
            errors.append(_err(number, "agency", f"Không có cơ quan mã định danh «{ident}»",
                               f"no agency has the identifier «{ident}»"))
        elif agency[1] != province_id:
            # Same words as an unknown agency: an import says nothing about other provinces.
            errors.append(_err(number, "agency", f"Không có cơ quan mã định danh «{ident}» trong tỉnh này",
                               f"no agency of this province has the identifier «{ident}»"))
            agency = None

    time = None
    raw_time = cells.get("time")
    if text.get("time"):
        try:
            time = int(raw_time) if isinstance(raw_time, int | float) and float(raw_time).is_integer() \
                else int(text["time"])
        except (TypeError, ValueError):
            time = None
        if time is None or not 1 <= time <= MAX_TIME:
            errors.append(_err(number, "time", f"Thời hạn «{text['time']}» phải là số nguyên dương (tối đa "
                               f"{MAX_TIME})", f"the time limit «{text['time']}» must be a positive whole number "
                               f"(at most {MAX_TIME})"))
            time = None

    unit = None
    if text.get("unit"):
        unit = UNITS.get(_key(text["unit"]))
        if unit is None:
            errors.append(_err(number, "unit", f"Đơn vị thời hạn «{text['unit']}» không hợp lệ (ngày làm việc, "
                               "giờ làm việc hoặc buổi làm việc)", f"unknown time unit «{text['unit']}» "
                               "(working days, working hours or half-days)"))

    flags = {}
    for key in ("receive", "ret"):
        if text.get(key):
            flags[key] = parse_yes_no(text[key])
            if flags[key] is None:
                errors.append(_err(number, key, f"Giá trị «{text[key]}» không hợp lệ (ghi Có hoặc Không)",
                                   f"«{text[key]}» is not a yes/no value (write Có or Không)"))

    dates = {}
    for key in ("receive_date", "return_date"):
        try:
            dates[key] = parse_date(cells.get(key))
        except ValueError:
            errors.append(_err(number, key, f"Ngày «{text[key]}» không hợp lệ (ghi dd/mm/yyyy)",
                               f"«{text[key]}» is not a date (write dd/mm/yyyy)"))

    if flags.get("receive") is False and flags.get("ret") is False and not text.get("reason"):
        errors.append(_err(number, "reason", "Cần lý do khi không tiếp nhận và không trả kết quả qua BCCI",
                           "a reason is required when neither receiving nor returning by post is allowed"))

    documents = _parse_documents(number, text.get("documents", ""), errors)
    fees = _parse_fees(number, text.get("fees", ""), errors)
    if len(errors) > start:
        return None
    data = VersionData(
        code=text["code"], name=text["name"], field_code=text["field_code"], field_name=field_name,
        level=str(level), agency_id=agency[0], processing_time=time, processing_unit=str(unit),
        receive_by_post=flags["receive"], return_by_post=flags["ret"],
        receive_basis=text.get("receive_basis", ""), receive_basis_date=dates.get("receive_date"),
        return_basis=text.get("return_basis", ""), return_basis_date=dates.get("return_date"),
        not_by_post_reason=text.get("reason", ""), documents=documents, fees=fees,
    )
    return ParsedRow(number, data, ident)


def _header_map(values: list) -> dict[int, str]:
    mapping = {}
    for index, value in enumerate(values):
        key = _HEADER_KEYS.get(_key(_text(value)))
        if key and key not in mapping.values():
            mapping[index] = key
    return mapping


def parse_rows(rows: Iterable[tuple[int, list]], province) -> ParseResult:
    """Validate every row of a province's list. Nothing is written."""
    from catalog.models import Field
    from network.models import Agency

    errors: list[RowError] = []
    iterator = iter(rows)
    header = None
    for number, values in iterator:
        mapping = _header_map(values)
        if "code" in mapping.values():
            header = (number, mapping)
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        return ParseResult([], [RowError(None, "Mã TTHC", "Không tìm thấy dòng tiêu đề có cột «Mã TTHC» / "
                                         "No header row with a «Mã TTHC» column was found")], 0)
    header_row, mapping = header
    for column in COLUMNS:
        if column.required and column.key not in mapping.values():
            errors.append(RowError(header_row, column.header, f"Thiếu cột «{column.header}» / "
                                   f"The column «{column.header}» is missing"))
    if errors:
        return ParseResult([], errors, 0)

    raw = []
    for number, values in iterator:
        cells = {key: values[index] for index, key in mapping.items() if index < len(values)}
        if all(_text(v) == "" for v in cells.values()):
            continue
        raw.append((number, cells))
        if len(raw) > MAX_ROWS:
            return ParseResult([], [RowError(number, "", f"Tệp có quá {MAX_ROWS} dòng / "
                                             f"The file has more than {MAX_ROWS} rows")], len(raw))

    # One query each for the agencies and the fields the file names.
    typed = {_text(c.get("agency")) for _n, c in raw} - {""}
    idents = typed | {ident.upper() for ident in typed}
    agencies = {}
    for chunk in _chunks(sorted(idents)):
        for pk, ident, province_id in Agency.objects.filter(identifier__in=chunk).values_list(
                "pk", "identifier", "province_id"):
            agencies[ident.upper()] = (pk, province_id)
    field_codes = {_text(c.get("field_code")) for _n, c in raw} - {""}
    field_names = dict(Field.objects.filter(code__in=sorted(field_codes)).values_list("code", "name"))

    parsed: list[ParsedRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in raw:
        code = _code_text(cells.get("code"))
        if code and code in first_row_of:
            errors.append(_err(number, "code", f"Mã TTHC «{code}» bị trùng với dòng {first_row_of[code]}",
                               f"the procedure code «{code}» duplicates row {first_row_of[code]}"))
            continue
        if code:
            first_row_of[code] = number
        row = _parse_row(number, cells, agencies, province.pk, field_names, errors)
        if row is not None:
            parsed.append(row)
    return ParseResult(parsed, errors, len(raw))


def parse_file(content: bytes, filename: str, province) -> ParseResult:
    try:
        return parse_rows(read_rows(content, filename), province)
    except ImportFileError as exc:
        return ParseResult([], [RowError(None, "", str(exc))], 0)


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- Writing ---------------------------------------------------------------------


def row_values(data: VersionData, agency_identifier: str, agency_name: str = "", seq: int | None = None) -> list:
    """One spreadsheet row in the order of ``COLUMNS``."""
    docs = "\n".join(
        f"{d.name} | {KIND_LABELS[d.kind]} | {d.count} | {'Bắt buộc' if d.mandatory else 'Không bắt buộc'}"
        for d in data.documents
    )
    fees = "\n".join(
        f"{f.code} | {f.name} | {FEE_KIND_LABELS[f.kind]} | "
        f"{format_amount(f.amount) if f.amount is not None else f.formula} | {COLLECTOR_LABELS[f.collector]}"
        for f in data.fees
    )
    values = {
        "seq": seq if seq is not None else "", "code": data.code, "name": data.name,
        "field_code": data.field_code, "field_name": data.field_name, "level": LEVEL_LABELS[data.level],
        "agency": agency_identifier, "agency_name": agency_name, "time": data.processing_time,
        "unit": UNIT_LABELS[data.processing_unit], "receive": "Có" if data.receive_by_post else "Không",
        "receive_basis": data.receive_basis,
        "receive_date": data.receive_basis_date.strftime("%d/%m/%Y") if data.receive_basis_date else "",
        "ret": "Có" if data.return_by_post else "Không", "return_basis": data.return_basis,
        "return_date": data.return_basis_date.strftime("%d/%m/%Y") if data.return_basis_date else "",
        "reason": data.not_by_post_reason, "documents": docs, "fees": fees,
    }
    return [values[c.key] for c in COLUMNS]


def write_csv(rows: Iterable[list]) -> bytes:
    """UTF-8 with a BOM (so that Excel shows the Vietnamese letters), comma-separated."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[list], title: str = "Danh mục TTHC") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "C2"
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    multi = {i for i, c in enumerate(COLUMNS) if c.key in ("documents", "fees", "name", "reason")}
    for values in rows:
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(sheet, value=value)
            if index in multi:
                cell.alignment = wrap
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
