"""The Django admin respects the same scopes and rules as the pages and the API."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from accounts.services import save_staff_user
from network.models import OneStopDesk, PostOffice
from network.services import save_desk


@pytest.fixture
def staff_admin(ag_admin):
    ag_admin.is_staff = True
    ag_admin.save()
    ag_admin.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["network", "accounts"], codename__regex=r"^(view|add|change)_"))
    return ag_admin


def test_provincial_admin_cannot_grant_superuser_or_national_role(client, staff_admin, ag_clerk):
    client.force_login(staff_admin)
    page = client.get(f"/admin/accounts/user/{ag_clerk.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert 'value="national_admin"' not in page
    ag_clerk.role = Role.NATIONAL_ADMIN
    ag_clerk.post_office = None
    with pytest.raises(PermissionDenied):
        save_staff_user(ag_clerk, actor=staff_admin)
    ag_clerk.refresh_from_db()
    ag_clerk.is_superuser = True
    with pytest.raises(PermissionDenied):
        save_staff_user(ag_clerk, actor=staff_admin)
    ag_clerk.refresh_from_db()
    assert not ag_clerk.is_superuser and ag_clerk.role == Role.COUNTER_CLERK


def test_admin_refuses_a_parent_from_another_province(client, staff_admin, qn_post_office, long_xuyen):
    client.force_login(staff_admin)
    response = client.post("/admin/network/postoffice/add/", {
        "code": "889001", "name": "Bưu cục mới", "kind": "post_office", "province": staff_admin.province_id,
        "commune": long_xuyen.pk, "parent": qn_post_office.pk, "accepts_dossiers": "on", "active": "on",
    })
    assert response.status_code == 200  # the form again, with an error
    assert not PostOffice.objects.filter(code="889001").exists()


def test_admin_bad_desk_is_a_form_error_not_a_500(client, staff_admin, ag_agency):
    client.force_login(staff_admin)
    response = client.post("/admin/network/onestopdesk/add/", {
        "code": "MC-X", "name": "Một cửa xã", "agency": ag_agency.pk, "level": "commune", "mode": "standard",
        "active": "on",
    })
    assert response.status_code == 200
    assert "Bộ phận cấp xã cần xã/phường" in response.content.decode()
    assert not OneStopDesk.objects.filter(code="MC-X").exists()


def test_admin_offers_only_in_scope_desks(client, staff_admin, ag_post_office, qn_agency, kon_tum_ward):
    save_desk(OneStopDesk(code="QN-DESK-1", name="Một cửa Kon Tum", agency=qn_agency, level="commune",
                          commune=kon_tum_ward))
    client.force_login(staff_admin)
    page = client.get(f"/admin/network/postoffice/{ag_post_office.pk}/change/").content.decode()
    assert "QN-DESK-1" not in page


def test_provincial_import_does_not_rewrite_national_entries(an_giang, ag_agency, ag_admin, national_admin):
    from catalog.models import Field, Procedure
    from catalog.services import save_version
    from tests.test_catalog_versions import data

    save_version(data(ag_agency), an_giang, national_admin)
    version, outcome = save_version(data(ag_agency, field_name="HACKED FIELD", level="provincial"), an_giang,
                                    ag_admin)
    assert outcome == "unchanged"
    assert Field.objects.get(code="HT").name == "Hộ tịch"
    assert Procedure.objects.get(code="1.001612").level == "commune"
