"""Demo data: An Giang with post offices, commune post points, agencies and one
user per role. Idempotent: a second run changes nothing and writes no event."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, User
from accounts.services import save_staff_user
from geo.models import Commune, Province
from network.models import Agency, OneStopDesk, PostOffice
from network.services import save_agency, save_desk, save_post_office, set_service_area

DEMO_PASSWORD = "bcci-demo-2026"

POST_OFFICES = [
    # code, name, kind, commune code, street, parent code
    ("880000", "Bưu điện tỉnh An Giang", PostOffice.Kind.POST_OFFICE, "30307", "106 Trần Hưng Đạo", None),
    ("881000", "Bưu cục Châu Đốc", PostOffice.Kind.POST_OFFICE, "30316", "73 Lê Lợi", "880000"),
    ("882000", "Bưu cục Rạch Giá", PostOffice.Kind.POST_OFFICE, "30742", "1 Mậu Thân", "880000"),
    ("881510", "Điểm BĐVHX Mỹ Hòa Hưng", PostOffice.Kind.COMMUNE_POINT, "30313", "Ấp Mỹ Hòa", "880000"),
    ("883210", "Điểm BĐVHX Chợ Mới", PostOffice.Kind.COMMUNE_POINT, "30628", "Ấp Thị 1", "880000"),
]
AGENCIES = [
    # identifier, name, level, commune code, street, parent identifier
    ("000.00.01.H01", "Trung tâm Phục vụ hành chính công tỉnh An Giang", Agency.Level.PROVINCIAL_CENTRE,
     "30307", "17 Nguyễn Văn Cưng", None),
    ("000.00.12.H01", "Sở Tư pháp tỉnh An Giang", Agency.Level.PROVINCIAL_DEPARTMENT, "30307",
     "8 Lê Triệu Kiết", None),
    ("000.00.13.H01", "Sở Xây dựng tỉnh An Giang", Agency.Level.PROVINCIAL_DEPARTMENT, "30307",
     "10 Hai Bà Trưng", None),
    ("000.20.30.H01", "UBND phường Long Xuyên", Agency.Level.COMMUNE_COMMITTEE, "30307", "5 Lý Tự Trọng", None),
    ("000.21.30.H01", "Trung tâm Phục vụ hành chính công phường Long Xuyên", Agency.Level.COMMUNE_CENTRE,
     "30307", "5 Lý Tự Trọng", "000.20.30.H01"),
]
DESKS = [
    # code, name, agency identifier, level, mode, commune code, hosting post office (mode 1)
    ("MC-T91", "Trung tâm Phục vụ hành chính công tỉnh An Giang", "000.00.01.H01", OneStopDesk.Level.PROVINCIAL,
     OneStopDesk.Mode.SECONDED, "30307", None),
    ("MC-30307", "Trung tâm Phục vụ hành chính công phường Long Xuyên", "000.21.30.H01",
     OneStopDesk.Level.COMMUNE, OneStopDesk.Mode.SECONDED, "30307", None),
    ("MC-30316", "Bộ phận Một cửa phường Châu Đốc (tại Bưu cục Châu Đốc)", "000.00.01.H01",
     OneStopDesk.Level.COMMUNE, OneStopDesk.Mode.AT_POST_OFFICE, "30316", "881000"),
]
SERVICE_AREAS = {
    # post office: (communes it serves, desks it carries to)
    "880000": (["30307", "30292", "30301"], ["MC-T91", "MC-30307"]),
    "881000": (["30316"], ["MC-30316", "MC-T91"]),
    "882000": (["30742"], ["MC-T91"]),
    "881510": (["30313"], ["MC-T91"]),
    "883210": (["30628"], ["MC-T91"]),
}
USERS = [
    # username, full name, role, unit
    ("giaodichvien", "Nguyễn Thị Lan", Role.COUNTER_CLERK, ("post_office", "880000")),
    ("buuta", "Trần Văn Hùng", Role.POSTMAN, ("post_office", "880000")),
    ("truongbuucuc", "Lê Minh Tâm", Role.POST_OFFICE_MANAGER, ("post_office", "880000")),
    ("motcua", "Phạm Thu Hà", Role.ONE_STOP_OFFICER, ("agency", "000.00.01.H01")),
    ("chuyenvien", "Võ Quốc Bảo", Role.AGENCY_PROCESSOR, ("agency", "000.00.12.H01")),
    ("nvbdmotcua", "Đỗ Thị Hồng", Role.SECONDED_STAFF, ("agency", "000.00.01.H01")),
    ("quantritinh", "Huỳnh Ngọc Mai", Role.PROVINCIAL_ADMIN, ("province", "91")),
    ("tongdai", "Lâm Thị Kim Ngân", Role.CALL_CENTRE, ("province", "91")),
    ("quantri", "Đặng Văn Quang", Role.NATIONAL_ADMIN, None),
    ("kiemtoan", "Bùi Thanh Xuân", Role.AUDITOR, ("province", "91")),
]


def _upsert(model, key: dict, service, values: dict):
    """Create or update one demo row through its service function; (object, 1 if changed else 0)."""
    obj = model.objects.filter(**key).first() or model(**key)
    if obj.pk is not None and all(getattr(obj, k) == v for k, v in values.items()):
        return obj, 0
    for name, value in values.items():
        setattr(obj, name, value)
    return service(obj), 1


class Command(BaseCommand):
    help = "Load the An Giang demo data (post offices, agencies, one user per role). Idempotent."

    def handle(self, *args, **options):
        try:
            province = Province.objects.get(code="91")
        except Province.DoesNotExist:
            raise CommandError(
                "Chưa có đơn vị hành chính: chạy `manage.py load_units` trước. / "
                "No administrative units: run `manage.py load_units` first."
            ) from None
        communes = {c.code: c for c in Commune.objects.filter(province=province)}
        changed = 0
        with transaction.atomic():
            offices, agencies, desks = {}, {}, {}
            for code, name, kind, commune, street, parent in POST_OFFICES:
                offices[code], n = _upsert(PostOffice, {"code": code}, save_post_office, {
                    "name": name, "kind": kind, "province": province, "commune": communes[commune],
                    "street": street, "parent": offices.get(parent)})
                changed += n
            for ident, name, level, commune, street, parent in AGENCIES:
                agencies[ident], n = _upsert(Agency, {"identifier": ident}, save_agency, {
                    "name": name, "level": level, "province": province, "commune": communes[commune],
                    "street": street, "parent": agencies.get(parent)})
                changed += n
            for code, name, agency, level, mode, commune, office in DESKS:
                desks[code], n = _upsert(OneStopDesk, {"code": code}, save_desk, {
                    "name": name, "agency": agencies[agency], "level": level, "mode": mode,
                    "commune": communes[commune], "post_office": offices.get(office), "province": province})
                changed += n
            for office, (served, carried) in SERVICE_AREAS.items():
                post_office = offices[office]
                before = (set(post_office.served_communes.values_list("code", flat=True)),
                          set(post_office.carries_to.values_list("code", flat=True)))
                if before != (set(served), set(carried)):
                    set_service_area(post_office, [communes[c] for c in served], [desks[d] for d in carried])
                    changed += 1
            for username, full_name, role, unit in USERS:
                if User.objects.filter(username=username).exists():
                    continue
                first, last = full_name.rsplit(" ", 1)[1], full_name.rsplit(" ", 1)[0]
                user = User(username=username, first_name=first, last_name=last, role=role)
                if unit:
                    kind, key = unit
                    target = {"post_office": offices, "agency": agencies}.get(kind, {"91": province})[key]
                    setattr(user, kind, target)
                if role in (Role.NATIONAL_ADMIN, Role.PROVINCIAL_ADMIN):
                    user.is_staff = True
                    user.is_superuser = role == Role.NATIONAL_ADMIN
                save_staff_user(user, password=DEMO_PASSWORD)
                changed += 1
            admin = User.objects.filter(username="quantritinh", is_staff=True).first()
            if admin and grant_admin_permissions(admin):
                changed += 1
        changed += self.load_catalog(province)
        with transaction.atomic():
            changed += load_postal_demo(province)
        from custody.demo import load_custody_demo

        changed += load_custody_demo()
        self.stdout.write(f"Demo data: {changed} change(s).")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, full_name, role, _unit in USERS:
            self.stdout.write(f"  {username:<14} {Role(role).label} — {full_name}")

    def load_catalog(self, province) -> int:
        """The sample An Giang procedure list (catalog/samples), through the import service.
        A second run finds every row unchanged and writes nothing."""
        from catalog.imports import SAMPLE_FILE, import_now

        batch, counts = import_now(SAMPLE_FILE.read_bytes(), SAMPLE_FILE.name, province)
        self.stdout.write(f"Catalogue (TTHC): {counts['added']} added, {counts['changed']} changed, "
                          f"{counts['unchanged']} unchanged.")
        return counts["added"] + counts["changed"] or (1 if batch else 0)


# Demo postage (đồng), national: the same for sending a dossier and returning a result.
DEMO_RATES = {"same_commune": (16_000, 3_000), "same_province": (22_000, 4_000), "other_province": (32_000, 6_000)}
# Demo S10 ranges: (post office, service, indicator, first serial, last serial).
DEMO_SERIES = [
    ("880000", "send_dossier", "EH", 10_000_000, 10_999_999),
    ("880000", "return_result", "EK", 10_000_000, 10_999_999),
    ("881000", "send_dossier", "EH", 11_000_000, 11_999_999),
    ("881000", "return_result", "EK", 11_000_000, 11_999_999),
    ("882000", "send_dossier", "EH", 12_000_000, 12_999_999),
    ("882000", "return_result", "EK", 12_000_000, 12_999_999),
    ("881510", "send_dossier", "EH", 13_000_000, 13_099_999),
    ("883210", "send_dossier", "EH", 13_100_000, 13_199_999),
]


def load_postal_demo(province) -> int:
    """National demo postage, S10 ranges for the demo post offices, and a free-return programme
    for birth registration in An Giang (the seeds mention free returns). Idempotent."""
    import datetime

    from catalog.models import Procedure
    from postal.models import FreeProgramme, ItemSeries, PostageRate
    from postal.services import save_programme, save_rate, save_series

    changed = 0
    start = datetime.date(2025, 7, 1)
    for service in ("send_dossier", "return_result"):
        for zone, (base, step) in DEMO_RATES.items():
            if not PostageRate.objects.filter(province=None, service=service, zone=zone).exists():
                save_rate(PostageRate(service=service, zone=zone, base_amount=base, step_amount=step,
                                      valid_from=start))
                changed += 1
    for office, service, indicator, first, last in DEMO_SERIES:
        if not ItemSeries.objects.filter(indicator=indicator, first_serial=first).exists():
            save_series(ItemSeries(post_office=PostOffice.objects.get(code=office), service=service,
                                   indicator=indicator, first_serial=first, last_serial=last))
            changed += 1
    birth = Procedure.objects.filter(code="1.001612").first()
    if birth and not FreeProgramme.objects.filter(province=province, procedure=birth).exists():
        save_programme(FreeProgramme(
            name="Trả kết quả đăng ký khai sinh miễn phí tại nhà", province=province, procedure=birth,
            covers=FreeProgramme.Covers.RETURN, basis="Chương trình mẫu (dữ liệu demo)", valid_from=start))
        changed += 1
    return changed


def grant_admin_permissions(user) -> bool:
    """Let a provincial administrator use the admin for network, staff, calendar and catalogue."""
    from django.contrib.auth.models import Permission

    from accounts.services import set_user_permissions

    wanted = Permission.objects.filter(
        content_type__app_label__in=["network", "accounts", "workdays", "audit", "catalog", "postal"],
        codename__regex=r"^(view|add|change)_",
    )
    if not wanted.exclude(pk__in=user.user_permissions.values("pk")).exists():
        return False
    set_user_permissions(user, user.groups.all(), [*user.user_permissions.all(), *wanted])
    return True
