"""Loading the administrative units and searching them.

``load_units`` reads the list of provinces and communes (by default the one the
``vietnam-provinces`` package ships) and brings the tables in line with it in one
transaction: new units are added, changed ones updated, missing ones marked
retired (never deleted), returning ones restored. ``search_communes`` finds
communes by name without diacritics or by code.

Accepted file shapes (JSON, UTF-8):

* the package's ``nested-divisions.json``: a list of provinces, each
  ``{"code": 91, "name": "Tỉnh An Giang", "division_type": "tỉnh",
  "wards": [{"code": 30307, "name": "Phường Long Xuyên", "division_type": "phường"}, ...]}``;
* a simple object ``{"provinces": [{"code": "91", "name": "Tỉnh An Giang",
  "division_type": "tỉnh"}], "communes": [{"code": "30307", "name": "Phường Long Xuyên",
  "division_type": "phường", "province_code": "91", "postal_code": "90000"}]}``.

Codes may be numbers or digit strings; they are stored zero-padded (2 digits for
a province, 5 for a commune). ``division_type`` may be left out: it is then taken
from the name ("Phường ...", "Xã ...", "Tỉnh ..."). ``postal_code`` is optional and
only written when present.

Audit: every load that changes something writes one summary event
``geo.units_loaded`` (counts, source, and the codes of the added units). Renamed,
retired and restored units each get their own event (``geo.unit_renamed``,
``geo.unit_retired``, ``geo.unit_restored``). Added units get one ``geo.unit_added``
event each only when a load adds at most ``ADDED_EVENT_LIMIT`` of them; a bulk
addition (the first load: 34 + 3,321 units) is recorded by the summary alone,
because 3,355 audit rows would take seconds and say nothing more. A load that
changes nothing writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from audit.services import record_event
from geo.models import Commune, Province
from geo.text import fold, search_key

PROVINCE_CODE_LENGTH = 2
COMMUNE_CODE_LENGTH = 5
NAME_MAX_LENGTH = 100
_BULK_BATCH = 500
ADDED_EVENT_LIMIT = 100  # above this, added units are listed in the summary event only

# Name prefixes -> division type, for files that leave division_type out.
_TYPE_FROM_NAME = (
    ("Thành phố ", "thành phố trung ương"),
    ("Tỉnh ", "tỉnh"),
    ("Phường ", "phường"),
    ("Xã ", "xã"),
    ("Đặc khu ", "đặc khu"),
)


class UnitsFileError(Exception):
    """A unit list that cannot be loaded; the message names file, record and field (Vietnamese / English)."""

    def __init__(self, source: str, record: str | None, field_name: str | None, problem_vi: str, problem_en: str):
        where_vi = [f"Tệp {source}"]
        where_en = [f"File {source}"]
        if record:
            where_vi.append(f"bản ghi {record}")
            where_en.append(f"record {record}")
        if field_name:
            where_vi.append(f"trường '{field_name}'")
            where_en.append(f"field '{field_name}'")
        self.source, self.record, self.field = source, record, field_name
        self.message_vi = f"{', '.join(where_vi)}: {problem_vi}"
        self.message_en = f"{', '.join(where_en)}: {problem_en}"
        super().__init__(f"{self.message_vi} / {self.message_en}")


@dataclass
class UnitCounts:
    added: int = 0
    renamed: int = 0
    retired: int = 0
    restored: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.renamed + self.retired + self.restored


@dataclass
class LoadReport:
    """What ``load_units`` did. ``renamed`` counts units whose name, type, province or postal code changed."""

    source: str
    provinces: UnitCounts = field(default_factory=UnitCounts)
    communes: UnitCounts = field(default_factory=UnitCounts)
    first_load: bool = False
    added_codes: dict = field(default_factory=lambda: {"provinces": [], "communes": []})

    @property
    def changed(self) -> bool:
        return bool(self.provinces.changed or self.communes.changed)

    def as_dict(self) -> dict:
        return {"source": self.source, "first_load": self.first_load,
                "provinces": asdict(self.provinces), "communes": asdict(self.communes)}

    def summary(self) -> dict:
        """The after-data of the ``geo.units_loaded`` event."""
        return {**self.as_dict(), "added_codes": self.added_codes}


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    division_type: str
    province_code: str | None = None  # communes only
    postal_code: str | None = None  # communes only; None = not given


# --- Reading and validating ---------------------------------------------------------


def _package_source() -> Path:
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    return Path(NESTED_DIVISIONS_JSON_PATH)


def _code(value, length: int, source: str, record: str, field_name: str = "code") -> str:
    if isinstance(value, bool) or value is None or value == "":
        raise UnitsFileError(source, record, field_name, "thiếu mã", "missing code")
    text = str(value).strip() if isinstance(value, (int, str)) else ""
    if not text.isdigit() or int(text) == 0 or len(str(int(text))) > length:
        raise UnitsFileError(source, record, field_name, f"mã không hợp lệ: {value!r} (1–{length} chữ số)",
                             f"invalid code: {value!r} (1–{length} digits)")
    return str(int(text)).zfill(length)


def _text(item: dict, key: str, source: str, record: str, *, required: bool = True, max_length=NAME_MAX_LENGTH):
    value = item.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise UnitsFileError(source, record, key, "thiếu giá trị", "missing value")
        return None
    if not isinstance(value, str):
        raise UnitsFileError(source, record, key, "phải là chuỗi ký tự", "must be a string")
    value = " ".join(value.split())
    if len(value) > max_length:
        raise UnitsFileError(source, record, key, f"dài quá {max_length} ký tự", f"longer than {max_length} characters")
    return value


def _division_type(item: dict, name: str, source: str, record: str) -> str:
    value = _text(item, "division_type", source, record, required=False, max_length=40)
    if value:
        return value
    for prefix, division_type in _TYPE_FROM_NAME:
        if name.startswith(prefix):
            return division_type
    return ""


def _record(item, source: str, record: str) -> dict:
    if not isinstance(item, dict):
        raise UnitsFileError(source, record, None, "bản ghi phải là một đối tượng JSON", "record must be a JSON object")
    return item


def _parse(data, source: str) -> tuple[list[_Unit], list[_Unit]]:
    provinces: list[_Unit] = []
    communes: list[_Unit] = []
    if isinstance(data, list):  # the package's nested shape
        for i, raw in enumerate(data):
            label = f"[{i}]"
            item = _record(raw, source, label)
            code = _code(item.get("code"), PROVINCE_CODE_LENGTH, source, label)
            label = f"[{i}] ({code})"
            name = _text(item, "name", source, label)
            provinces.append(_Unit(code, name, _division_type(item, name, source, label)))
            wards = item.get("wards")
            if not isinstance(wards, list):
                raise UnitsFileError(source, label, "wards", "thiếu danh sách xã/phường", "missing list of wards")
            for j, raw_ward in enumerate(wards):
                wlabel = f"[{i}].wards[{j}]"
                ward = _record(raw_ward, source, wlabel)
                wcode = _code(ward.get("code"), COMMUNE_CODE_LENGTH, source, wlabel)
                wlabel = f"[{i}].wards[{j}] ({wcode})"
                wname = _text(ward, "name", source, wlabel)
                communes.append(_Unit(wcode, wname, _division_type(ward, wname, source, wlabel), code,
                                      _text(ward, "postal_code", source, wlabel, required=False, max_length=5)))
    elif isinstance(data, dict) and "provinces" in data and "communes" in data:  # the simple shape
        for key in ("provinces", "communes"):
            if not isinstance(data[key], list):
                raise UnitsFileError(source, None, key, "phải là một danh sách", "must be a list")
        for i, raw in enumerate(data["provinces"]):
            label = f"provinces[{i}]"
            item = _record(raw, source, label)
            code = _code(item.get("code"), PROVINCE_CODE_LENGTH, source, label)
            label = f"provinces[{i}] ({code})"
            name = _text(item, "name", source, label)
            provinces.append(_Unit(code, name, _division_type(item, name, source, label)))
        for j, raw in enumerate(data["communes"]):
            label = f"communes[{j}]"
            item = _record(raw, source, label)
            code = _code(item.get("code"), COMMUNE_CODE_LENGTH, source, label)
            label = f"communes[{j}] ({code})"
            name = _text(item, "name", source, label)
            province_code = _code(item.get("province_code"), PROVINCE_CODE_LENGTH, source, label, "province_code")
            communes.append(_Unit(code, name, _division_type(item, name, source, label), province_code,
                                  _text(item, "postal_code", source, label, required=False, max_length=5)))
    else:
        raise UnitsFileError(
            source, None, None,
            "định dạng không được hỗ trợ (cần danh sách tỉnh có 'wards', hoặc đối tượng có 'provinces' và 'communes')",
            "unsupported shape (expected a list of provinces with 'wards', or an object with 'provinces' "
            "and 'communes')",
        )
    if not provinces or not communes:
        raise UnitsFileError(source, None, None, "danh sách trống — từ chối giải thể mọi đơn vị",
                             "empty list — refusing to retire every unit")
    _check_duplicates(provinces, "provinces", source)
    _check_duplicates(communes, "communes", source)
    known = {p.code for p in provinces}
    for j, commune in enumerate(communes):
        if commune.province_code not in known:
            raise UnitsFileError(
                source, f"communes[{j}] ({commune.code})", "province_code",
                f"tỉnh {commune.province_code} không có trong tệp", f"province {commune.province_code} is not in the file",
            )
    return provinces, communes


def _check_duplicates(units: list[_Unit], kind: str, source: str) -> None:
    seen: set[str] = set()
    for i, unit in enumerate(units):
        if unit.code in seen:
            raise UnitsFileError(source, f"{kind}[{i}] ({unit.code})", "code", f"mã {unit.code} bị trùng",
                                 f"duplicate code {unit.code}")
        seen.add(unit.code)


def read_units(source: str | Path | None = None) -> tuple[str, list[_Unit], list[_Unit]]:
    """Read and validate a unit list; raise ``UnitsFileError`` for any problem, before touching the database."""
    path = Path(source) if source else _package_source()
    label = str(source) if source else f"vietnam-provinces:{path.name}"
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise UnitsFileError(label, None, None, "không tìm thấy tệp", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnitsFileError(label, None, None, f"không đọc được tệp ({exc})", f"cannot read the file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UnitsFileError(label, None, None, f"JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno}: {exc.msg}",
                             f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    provinces, communes = _parse(data, label)
    return label, provinces, communes


# --- Loading ----------------------------------------------------------------------


def _state(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


_PROVINCE_FIELDS = ("name", "division_type")


def _commune_state(commune: Commune, province_codes: dict[int, str]) -> dict:
    return {"name": commune.name, "division_type": commune.division_type,
            "province_code": province_codes.get(commune.province_id), "postal_code": commune.postal_code}


def load_units(source: str | Path | None = None, actor=None) -> LoadReport:
    """Bring Province and Commune in line with ``source`` (default: the package's list). See the module docstring."""
    label, file_provinces, file_communes = read_units(source)
    report = LoadReport(source=label)
    now = timezone.now()
    with transaction.atomic():
        existing_provinces = {p.code: p for p in Province.objects.select_for_update()}
        existing_communes = {c.code: c for c in Commune.objects.select_for_update()}
        cached = {p.pk: p for p in existing_provinces.values()}
        for commune in existing_communes.values():  # str(commune) names its province: no query per event
            Commune.province.field.set_cached_value(commune, cached[commune.province_id])
        report.first_load = not existing_provinces and not existing_communes
        events: list[tuple[str, object, dict | None, dict | None]] = []

        # Provinces
        to_create, to_update = [], []
        for unit in file_provinces:
            province = existing_provinces.get(unit.code)
            if province is None:
                to_create.append(Province(code=unit.code, name=unit.name, division_type=unit.division_type,
                                          search_name=fold(unit.name)))
                report.provinces.added += 1
                continue
            before = _state(province, _PROVINCE_FIELDS)
            after = {"name": unit.name, "division_type": unit.division_type}
            restored = province.retired
            if restored:
                province.retired, province.retired_at = False, None
                report.provinces.restored += 1
                events.append(("geo.unit_restored", province, {"retired": True}, {"retired": False}))
            if before != after:
                province.name, province.division_type = unit.name, unit.division_type
                province.search_name = fold(unit.name)
                if not restored:
                    report.provinces.renamed += 1
                events.append(("geo.unit_renamed", province, before, after))
            if restored or before != after:
                to_update.append(province)
            else:
                report.provinces.unchanged += 1
        wanted = {u.code for u in file_provinces}
        for code, province in existing_provinces.items():
            if code not in wanted and not province.retired:
                province.retired, province.retired_at = True, now
                to_update.append(province)
                report.provinces.retired += 1
                events.append(("geo.unit_retired", province, {"retired": False}, {"retired": True}))
        created = Province.objects.bulk_create(to_create, batch_size=_BULK_BATCH)
        Province.objects.bulk_update(to_update, ["name", "division_type", "search_name", "retired", "retired_at"],
                                     batch_size=_BULK_BATCH)
        provinces_by_code = {p.code: p for p in Province.objects.all()}
        province_codes = {p.pk: code for code, p in provinces_by_code.items()}
        report.added_codes["provinces"] = [p.code for p in created]
        added_events = [("geo.unit_added", provinces_by_code[p.code], None, _state(p, _PROVINCE_FIELDS))
                        for p in created]

        # Communes
        to_create, to_update = [], []
        for unit in file_communes:
            commune = existing_communes.get(unit.code)
            postal_code = unit.postal_code
            if commune is None:
                to_create.append(Commune(code=unit.code, name=unit.name, division_type=unit.division_type,
                                         province=provinces_by_code[unit.province_code],
                                         search_name=fold(unit.name), postal_code=postal_code or ""))
                report.communes.added += 1
                continue
            before = _commune_state(commune, province_codes)
            after = {"name": unit.name, "division_type": unit.division_type, "province_code": unit.province_code,
                     "postal_code": commune.postal_code if postal_code is None else postal_code}
            restored = commune.retired
            if restored:
                commune.retired, commune.retired_at = False, None
                report.communes.restored += 1
                events.append(("geo.unit_restored", commune, {"retired": True}, {"retired": False}))
            if before != after:
                commune.name, commune.division_type = unit.name, unit.division_type
                commune.province = provinces_by_code[unit.province_code]
                commune.postal_code = after["postal_code"]
                commune.search_name = fold(unit.name)
                if not restored:
                    report.communes.renamed += 1
                events.append(("geo.unit_renamed", commune, before, after))
            if restored or before != after:
                to_update.append(commune)
            else:
                report.communes.unchanged += 1
        wanted = {u.code for u in file_communes}
        for code, commune in existing_communes.items():
            if code not in wanted and not commune.retired:
                commune.retired, commune.retired_at = True, now
                to_update.append(commune)
                report.communes.retired += 1
                events.append(("geo.unit_retired", commune, {"retired": False}, {"retired": True}))
        created = Commune.objects.bulk_create(to_create, batch_size=_BULK_BATCH)
        Commune.objects.bulk_update(
            to_update, ["name", "division_type", "province", "postal_code", "search_name", "retired", "retired_at"],
            batch_size=_BULK_BATCH,
        )
        report.added_codes["communes"] = [c.code for c in created]
        if 0 < len(created) + len(added_events) <= ADDED_EVENT_LIMIT:
            if any(c.pk is None for c in created):  # backends that do not return ids from bulk_create
                ids = dict(Commune.objects.filter(code__in=[c.code for c in created]).values_list("code", "pk"))
                for commune in created:
                    commune.pk = ids[commune.code]
            added_events += [("geo.unit_added", c, None, _commune_state(c, province_codes)) for c in created]
            events = added_events + events

        if report.changed:
            for action, obj, before, after in events:
                record_event(action, obj, actor, before, after)
            record_event("geo.units_loaded", None, actor, None, report.summary())
    return report


# --- Search -----------------------------------------------------------------------


def search_communes(query: str, province=None, limit: int | None = 20, include_retired: bool = False) -> QuerySet:
    """Communes whose folded name contains the query ("long xuyen", "phuong long xuyen", "P. Long Xuyên"), or
    whose code is the query ("30307", "3307" zero-padded). ``province`` is a Province or a province code.
    Best matches first: code, exact name, name starting with the query, then by name."""
    queryset = Commune.objects.select_related("province")
    if not include_retired:
        queryset = queryset.filter(retired=False)
    if province is not None and province != "":
        if isinstance(province, Province):
            queryset = queryset.filter(province=province)
        else:
            queryset = queryset.filter(province__code=str(province).strip().zfill(PROVINCE_CODE_LENGTH))
    text = (query or "").strip()
    if text:
        folded = fold(text)
        expanded = search_key(text)
        condition = Q(search_name__contains=folded) | Q(search_name__contains=expanded)
        code = text.zfill(COMMUNE_CODE_LENGTH) if text.isdigit() and len(text) <= COMMUNE_CODE_LENGTH else None
        if code:
            condition |= Q(code=code)
        # Every word somewhere in the name, in any order ("xuyen long").
        words = expanded.split()
        if len(words) > 1:
            word_q = Q()
            for word in words:
                word_q &= Q(search_name__contains=word)
            condition |= word_q
        queryset = queryset.filter(condition).annotate(
            rank=Case(
                When(code=code or "", then=Value(0)),
                When(search_name__in=[folded, expanded], then=Value(1)),
                When(Q(search_name__startswith=folded) | Q(search_name__startswith=expanded), then=Value(2)),
                When(Q(search_name__contains=folded) | Q(search_name__contains=expanded), then=Value(3)),
                default=Value(4),
                output_field=IntegerField(),
            )
        ).order_by("rank", "search_name", "code")
    else:
        queryset = queryset.order_by("province__code", "code")
    return queryset[:limit] if limit else queryset


# --- Addresses --------------------------------------------------------------------


class CommuneRef(NamedTuple):
    """What an address answer needs of a database commune."""

    id: int
    retired: bool


@dataclass
class AddressResult:
    """A resolver answer with the database state of its candidates (``communes``: code -> CommuneRef)."""

    resolution: object  # geo.resolver.Resolution
    communes: dict[str, CommuneRef]

    @property
    def commune(self) -> CommuneRef | None:
        code = self.resolution.code
        return self.communes.get(code) if code else None

    def rows(self) -> list[tuple[object, CommuneRef | None]]:
        """(candidate, database commune or None) pairs, for templates."""
        return [(c, self.communes.get(c.code)) for c in self.resolution.candidates]

    def as_dict(self) -> dict:
        data = self.resolution.as_dict()
        for candidate in data["candidates"]:
            commune = self.communes.get(candidate["code"])
            candidate["commune_id"] = commune.id if commune else None
            candidate["retired"] = commune.retired if commune else None
        return data


def _commune_refs(codes: list[str]) -> dict[str, CommuneRef]:
    """code -> (id, retired) for the given codes, in one query.

    Plain SQL on purpose: this runs once per resolved address and the ORM's query
    compilation costs several times the query itself (0.7 ms against 0.1 ms on SQLite)."""
    if not codes:
        return {}
    meta = Commune._meta
    quote = connection.ops.quote_name
    code_col, id_col, retired_col = (quote(meta.get_field(name).column) for name in ("code", "id", "retired"))
    placeholders = ", ".join(["%s"] * len(codes))
    sql = (f"SELECT {code_col}, {id_col}, {retired_col} FROM {quote(meta.db_table)} "
           f"WHERE {code_col} IN ({placeholders})")
    with connection.cursor() as cursor:
        cursor.execute(sql, codes)
        return {code: CommuneRef(pk, bool(retired)) for code, pk, retired in cursor.fetchall()}


def resolve_address(text: str) -> AddressResult:
    """Resolve an old or new address (``geo.resolver.resolve``) and look up the candidate communes in the
    database (one query). A candidate missing from the database (units not loaded) has no CommuneRef."""
    from geo.resolver import resolve  # the resolver's tables are built on first use, not at start-up

    resolution = resolve(text)
    return AddressResult(resolution, _commune_refs([c.code for c in resolution.candidates]))
