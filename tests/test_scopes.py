"""A clerk in An Giang cannot see Quảng Ngãi's (former Kon Tum's) data: no object,
no count, no leak in an error — through the pages and through the API."""

import pytest

from accounts.models import Role
from accounts.scopes import can_act, can_view, visible
from network.models import Agency, PostOffice
from network.services import save_agency, save_post_office
from tests.conftest import make_user


@pytest.fixture
def both_provinces(ag_post_office, ag_commune_point, qn_post_office, ag_agency, qn_agency):
    return {"ag": ag_post_office, "qn": qn_post_office}


def login(client, user):
    client.force_login(user)
    return client


def test_clerk_lists_only_their_post_office(client, both_provinces, ag_clerk):
    assert list(visible(ag_clerk, PostOffice.objects.all())) == [both_provinces["ag"]]
    login(client, ag_clerk)
    page = client.get("/network/post-offices/").content.decode()
    assert "Bưu cục Long Xuyên" in page
    assert "Kon Tum" not in page


def test_clerk_cannot_open_another_provinces_post_office(client, both_provinces, ag_clerk):
    login(client, ag_clerk)
    other = both_provinces["qn"]
    response = client.get(f"/network/post-offices/{other.pk}/")
    assert response.status_code == 404
    assert "Kon Tum" not in response.content.decode()
    # Same answer as for an id that does not exist: nothing leaks.
    assert client.get("/network/post-offices/999999/").status_code == 404


def test_api_gives_no_object_and_no_count_outside_the_scope(client, both_provinces, ag_clerk):
    login(client, ag_clerk)
    body = client.get("/api/v1/post-offices/").json()
    assert body["count"] == 1
    assert [row["code"] for row in body["results"]] == ["880000"]
    other = both_provinces["qn"]
    response = client.get(f"/api/v1/post-offices/{other.pk}/")
    assert response.status_code == 404
    assert "Kon Tum" not in response.content.decode()
    # Filtering on the other province yields nothing either.
    assert client.get("/api/v1/post-offices/?province__code=51").json()["count"] == 0


def test_agency_staff_see_their_agency_only(client, both_provinces, ag_officer):
    assert list(visible(ag_officer, Agency.objects.all())) == [ag_officer.agency]
    login(client, ag_officer)
    assert client.get("/api/v1/agencies/").json()["count"] == 1


def test_province_admin_sees_their_province(both_provinces, ag_admin):
    codes = sorted(visible(ag_admin, PostOffice.objects.all()).values_list("code", flat=True))
    assert codes == ["880000", "881234"]
    assert not can_view(ag_admin, both_provinces["qn"])


def test_national_admin_sees_everything(both_provinces, national_admin):
    assert visible(national_admin, PostOffice.objects.all()).count() == 3
    assert can_view(national_admin, both_provinces["qn"])


def test_anonymous_sees_nothing(client, both_provinces):
    assert client.get("/api/v1/post-offices/").status_code in (401, 403)
    response = client.get("/network/post-offices/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_user_bound_to_nothing_sees_nothing(db, both_provinces):
    from accounts.models import User

    stray = User.objects.create(username="stray", role=Role.AUDITOR)
    stray.role = Role.COUNTER_CLERK  # unbound: a misconfigured account must not see everything
    assert visible(stray, PostOffice.objects.all()).count() == 0


def test_can_act_combines_role_and_scope(both_provinces, ag_clerk, ag_admin):
    assert not can_act(ag_clerk, "manage_network", both_provinces["ag"])
    assert can_act(ag_admin, "manage_network", both_provinces["ag"])
    assert not can_act(ag_admin, "manage_network", both_provinces["qn"])


def test_provincial_admin_cannot_create_units_in_another_province(both_provinces, ag_admin, quang_ngai):
    from django.core.exceptions import PermissionDenied

    before = PostOffice.objects.count()
    with pytest.raises(PermissionDenied):
        save_post_office(PostOffice(code="589999", name="Bưu cục lạ", province=quang_ngai), actor=ag_admin)
    assert PostOffice.objects.count() == before


def test_clerk_cannot_manage_network(both_provinces, ag_clerk, an_giang):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        save_agency(Agency(identifier="X.1", name="X", level=Agency.Level.COMMUNE_COMMITTEE,
                           province=an_giang), actor=ag_clerk)


def test_audit_log_is_scoped(client, both_provinces, ag_auditor, national_admin, quang_ngai):
    office = both_provinces["qn"]
    office.name = "Bưu cục Kon Tum (mới)"
    save_post_office(office, actor=national_admin)
    login(client, ag_auditor)
    body = client.get("/api/v1/audit-events/").json()
    assert all("Kon Tum" not in row["object_repr"] for row in body["results"])
    page = client.get("/audit/").content.decode()
    assert "Kon Tum" not in page


def test_clerk_cannot_read_the_audit_log(client, both_provinces, ag_clerk):
    login(client, ag_clerk)
    assert client.get("/audit/").status_code == 404
    assert client.get("/api/v1/audit-events/").json()["count"] == 0


def test_home_counts_only_the_scope(client, both_provinces, ag_clerk):
    login(client, ag_clerk)
    response = client.get("/")
    assert response.context["post_office_count"] == 1
    assert response.context["agency_count"] == 3 - 2  # An Giang's agency only (province fallback)


def test_role_binding_is_validated(db, ag_post_office):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        make_user("nobody", Role.COUNTER_CLERK)
    assert "post_office" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        make_user("officer", Role.ONE_STOP_OFFICER, post_office=ag_post_office)
    assert "agency" in err.value.message_dict
