"""Story fixtures: a clerk in An Giang, a clerk in Quảng Ngãi (the former Kon Tum
province merged into Quảng Ngãi on 01/07/2025), a one-stop officer, and so on."""

import pytest

from accounts.models import Role, User
from geo.models import Commune, Province
from network.models import Agency, PostOffice

PASSWORD = "Bcci-test-2026!"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture
def an_giang(db):
    return Province.objects.create(code="91", name="Tỉnh An Giang", division_type="tỉnh")


@pytest.fixture
def quang_ngai(db):
    return Province.objects.create(code="51", name="Tỉnh Quảng Ngãi", division_type="tỉnh")


@pytest.fixture
def long_xuyen(an_giang):
    return Commune.objects.create(code="30307", name="Phường Long Xuyên", division_type="phường", province=an_giang)


@pytest.fixture
def kon_tum_ward(quang_ngai):
    return Commune.objects.create(code="23293", name="Phường Kon Tum", division_type="phường", province=quang_ngai)


@pytest.fixture
def ag_post_office(an_giang, long_xuyen):
    return PostOffice.objects.create(code="880000", name="Bưu cục Long Xuyên", province=an_giang, commune=long_xuyen)


@pytest.fixture
def ag_commune_point(an_giang, long_xuyen):
    return PostOffice.objects.create(
        code="881234", name="Điểm BĐVHX Mỹ Hòa", kind=PostOffice.Kind.COMMUNE_POINT, province=an_giang,
        commune=long_xuyen,
    )


@pytest.fixture
def qn_post_office(quang_ngai, kon_tum_ward):
    return PostOffice.objects.create(code="580000", name="Bưu cục Kon Tum", province=quang_ngai, commune=kon_tum_ward)


@pytest.fixture
def ag_agency(an_giang):
    return Agency.objects.create(
        identifier="000.00.12.H01", name="Sở Tư pháp tỉnh An Giang",
        level=Agency.Level.PROVINCIAL_DEPARTMENT, province=an_giang,
    )


@pytest.fixture
def qn_agency(quang_ngai):
    return Agency.objects.create(
        identifier="000.00.12.H55", name="Sở Tư pháp tỉnh Quảng Ngãi",
        level=Agency.Level.PROVINCIAL_DEPARTMENT, province=quang_ngai,
    )


def make_user(username, role, **units):
    user = User(username=username, role=role, first_name=username.title(), **units)
    user.set_password(PASSWORD)
    user.full_clean()
    user.save()
    return user


@pytest.fixture
def ag_clerk(ag_post_office):
    return make_user("an_clerk", Role.COUNTER_CLERK, post_office=ag_post_office)


@pytest.fixture
def qn_clerk(qn_post_office):
    return make_user("kontum_clerk", Role.COUNTER_CLERK, post_office=qn_post_office)


@pytest.fixture
def ag_officer(ag_agency):
    return make_user("an_officer", Role.ONE_STOP_OFFICER, agency=ag_agency)


@pytest.fixture
def ag_admin(an_giang):
    return make_user("an_admin", Role.PROVINCIAL_ADMIN, province=an_giang)


@pytest.fixture
def national_admin(db):
    return make_user("nation", Role.NATIONAL_ADMIN)


@pytest.fixture
def ag_auditor(an_giang):
    return make_user("an_auditor", Role.AUDITOR, province=an_giang)


# --- Intake world: a published procedure, a desk, postage, item-id ranges, post-office staff -------------


@pytest.fixture
def ag_manager(ag_post_office):
    return make_user("an_manager", Role.POST_OFFICE_MANAGER, post_office=ag_post_office)


@pytest.fixture
def ag_postman(ag_post_office):
    return make_user("an_postman", Role.POSTMAN, post_office=ag_post_office)


@pytest.fixture
def ag_call_centre(an_giang):
    return make_user("an_call_centre", Role.CALL_CENTRE, province=an_giang)


@pytest.fixture
def my_hoa(an_giang):
    return Commune.objects.create(code="30313", name="Xã Mỹ Hòa Hưng", division_type="xã", province=an_giang)


@pytest.fixture
def intake_world(an_giang, long_xuyen, my_hoa, ag_post_office, ag_agency, ag_clerk):
    """An Giang, ready for intake at post office 880000 (Long Xuyên):

    * procedure ``1.001612`` (birth registration, agency 000.00.12.H01): by post both ways; documents
      #1 form (original × 1, mandatory), #2 birth certificate (original × 1, mandatory), #3 power of attorney
      (certified copy × 1, optional); one fee of 25,000 đ collected by the post;
    * procedure ``1.000894`` (marriage): not by post (reason and basis);
    * a provincial one-stop desk MC-T91 in Long Xuyên that 880000 carries to;
    * national postage 16,000 / 22,000 / 32,000 đ (same commune / province / other) for both services;
    * S10 ranges EH (dossiers) and EK (results) for 880000.

    Returns a dict with those objects."""
    import datetime

    from catalog.services import DocumentData, FeeData, VersionData, save_version
    from network.models import OneStopDesk
    from postal.models import ItemSeries, PostageRate

    ag_agency.commune = long_xuyen
    ag_agency.save()
    centre = Agency.objects.create(identifier="000.00.01.H01", name="Trung tâm PVHCC tỉnh An Giang",
                                   level=Agency.Level.PROVINCIAL_CENTRE, province=an_giang, commune=long_xuyen)
    desk = OneStopDesk.objects.create(code="MC-T91", name="Trung tâm PVHCC tỉnh An Giang", agency=centre,
                                      level=OneStopDesk.Level.PROVINCIAL, province=an_giang, commune=long_xuyen)
    ag_post_office.served_communes.set([long_xuyen, my_hoa])
    ag_post_office.carries_to.set([desk])
    birth, _ = save_version(VersionData(
        code="1.001612", name="Đăng ký khai sinh", field_code="HT", field_name="Hộ tịch", level="provincial",
        agency_id=ag_agency.pk, processing_time=3, processing_unit="days", receive_by_post=True,
        return_by_post=True, receive_basis="Quyết định số 2358/QĐ-UBND", return_basis="Quyết định số 2358/QĐ-UBND",
        documents=[DocumentData("Tờ khai đăng ký khai sinh", "original", 1, True),
                   DocumentData("Giấy chứng sinh", "original", 1, True),
                   DocumentData("Văn bản ủy quyền", "certified_copy", 1, False)],
        fees=[FeeData("Lệ phí đăng ký khai sinh", "le_phi", "LP-HT01", 25_000)],
    ), an_giang)
    marriage, _ = save_version(VersionData(
        code="1.000894", name="Đăng ký kết hôn", field_code="HT", field_name="Hộ tịch", level="provincial",
        agency_id=ag_agency.pk, processing_time=5, processing_unit="days", receive_by_post=False,
        return_by_post=False, receive_basis="Quyết định số 2358/QĐ-UBND", return_basis="Quyết định số 2358/QĐ-UBND",
        not_by_post_reason="Hai bên nam, nữ phải có mặt", documents=[DocumentData("Tờ khai", "original")],
    ), an_giang)
    start = datetime.date(2025, 7, 1)
    for service in ("send_dossier", "return_result"):
        for zone, amount in (("same_commune", 16_000), ("same_province", 22_000), ("other_province", 32_000)):
            PostageRate.objects.create(service=service, zone=zone, base_amount=amount, step_amount=3_000,
                                       valid_from=start)
    ItemSeries.objects.create(post_office=ag_post_office, service="send_dossier", indicator="EH",
                              first_serial=10_000_000, last_serial=10_999_999, next_serial=10_000_000)
    ItemSeries.objects.create(post_office=ag_post_office, service="return_result", indicator="EK",
                              first_serial=10_000_000, last_serial=10_999_999, next_serial=10_000_000)
    return {"province": an_giang, "post_office": ag_post_office, "agency": ag_agency, "centre": centre,
            "desk": desk, "birth": birth, "marriage": marriage, "clerk": ag_clerk, "long_xuyen": long_xuyen,
            "my_hoa": my_hoa}


def intake_data(world, **overrides):
    """A complete, valid IntakeData for birth registration, choice 3, everything brought."""
    from dossiers.services import ChecklistEntry, IntakeData

    docs = list(world["birth"].documents.all())
    values = dict(
        service_choice=3, procedure_code="1.001612", applicant_kind="person", applicant_name="Nguyễn Thị Lan",
        applicant_id_number="089195000123", applicant_phone="0912345678", applicant_email="lan@example.vn",
        return_street="12 Hai Bà Trưng", return_commune=world["my_hoa"],
        checklist=[ChecklistEntry(d.pk, d.count) for d in docs if d.mandatory], seal_numbers=["NP0001234"],
        payment_method="cash",
    )
    values.update(overrides)
    return IntakeData(**values)


@pytest.fixture
def make_intake(intake_world):
    """make_intake(**overrides) -> a Dossier taken in by the An Giang clerk."""
    from dossiers.services import take_in

    def make(actor=None, **overrides):
        return take_in(intake_data(intake_world, **overrides), actor or intake_world["clerk"])

    return make
