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
