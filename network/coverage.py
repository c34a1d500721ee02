"""Coverage of a province by the postal network (the seeds' "24 communes without a
BĐVHX", "17 post offices and 9 BĐVHX accepting dossiers")."""

from dataclasses import dataclass, field
from io import BytesIO

from geo.models import Commune
from network.models import OneStopDesk, PostOffice


@dataclass
class Coverage:
    province: object
    communes: int = 0
    post_offices_accepting: int = 0
    commune_points_accepting: int = 0
    desks: int = 0
    communes_without_point: list = field(default_factory=list)
    desks_not_served: list = field(default_factory=list)
    communes_not_served: list = field(default_factory=list)


def province_coverage(province) -> Coverage:
    """Communes with no accepting post office or BĐVHX located in them; desks no post
    office carries to; communes no post office serves. Retired communes are left out."""
    communes = Commune.objects.filter(province=province, retired=False).order_by("code")
    accepting = PostOffice.objects.filter(province=province, active=True, accepts_dossiers=True)
    with_point = set(accepting.exclude(commune=None).values_list("commune_id", flat=True))
    served = set(accepting.values_list("served_communes", flat=True)) | with_point
    desks = OneStopDesk.objects.filter(province=province, active=True).select_related("commune", "agency")
    carried = set(accepting.values_list("carries_to", flat=True))
    result = Coverage(province=province)
    result.communes = communes.count()
    result.post_offices_accepting = accepting.filter(kind=PostOffice.Kind.POST_OFFICE).count()
    result.commune_points_accepting = accepting.filter(kind=PostOffice.Kind.COMMUNE_POINT).count()
    result.desks = desks.count()
    result.communes_without_point = [c for c in communes if c.pk not in with_point]
    result.communes_not_served = [c for c in communes if c.pk not in served]
    result.desks_not_served = [d for d in desks.order_by("code") if d.pk not in carried]
    return result


def coverage_xlsx(cov: Coverage) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    bold = Font(bold=True)
    ws.append([f"Độ phủ mạng lưới bưu chính công ích — {cov.province.name}"])
    ws["A1"].font = bold
    rows = [
        ("Số xã/phường/đặc khu", cov.communes),
        ("Bưu cục tiếp nhận hồ sơ TTHC", cov.post_offices_accepting),
        ("Điểm BĐVHX tiếp nhận hồ sơ TTHC", cov.commune_points_accepting),
        ("Xã chưa có bưu cục hoặc điểm BĐVHX tiếp nhận", len(cov.communes_without_point)),
        ("Xã chưa được bưu cục nào phục vụ", len(cov.communes_not_served)),
        ("Bộ phận Một cửa", cov.desks),
        ("Bộ phận Một cửa chưa có bưu cục chuyển hồ sơ", len(cov.desks_not_served)),
    ]
    for row in rows:
        ws.append(row)
    ws.column_dimensions["A"].width = 50
    for title, items, columns in [
        ("Xã chưa có điểm", cov.communes_without_point, lambda c: [c.code, c.name]),
        ("Xã chưa được phục vụ", cov.communes_not_served, lambda c: [c.code, c.name]),
        ("Một cửa chưa có bưu cục", cov.desks_not_served,
         lambda d: [d.code, d.name, d.commune.name if d.commune else ""]),
    ]:
        sheet = wb.create_sheet(title)
        sheet.append(["Mã", "Tên", "Xã/phường"] if title.startswith("Một") else ["Mã", "Tên"])
        for cell in sheet[1]:
            cell.font = bold
        for item in items:
            sheet.append(columns(item))
        sheet.column_dimensions["B"].width = 50
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
