"""Tariffs, free programmes and item-id ranges: written through services that check who may write what."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from postal.models import FreeProgramme, ItemSeries, PostageRate
from postal.services import save_programme, save_rate, save_series


@pytest.fixture
def staff_admin(ag_admin):
    ag_admin.is_staff = True
    ag_admin.save()
    ag_admin.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="postal", codename__regex=r"^(view|add|change)_"))
    return ag_admin


def test_a_provincial_admin_sets_a_rate_for_their_province_only(staff_admin, quang_ngai, national_admin):
    rate = save_rate(PostageRate(province=staff_admin.province, service="send_dossier", zone="same_province",
                                 base_amount=20_000, valid_from=datetime.date(2026, 1, 1)), staff_admin)
    assert AuditEvent.objects.filter(action="postal.rate_saved", object_id=str(rate.pk)).exists()
    for province in (None, quang_ngai):
        with pytest.raises(PermissionDenied):
            save_rate(PostageRate(province=province, service="send_dossier", zone="same_province",
                                  base_amount=1, valid_from=datetime.date(2026, 1, 1)), staff_admin)
    save_rate(PostageRate(service="send_dossier", zone="same_province", base_amount=21_000,
                          valid_from=datetime.date(2026, 1, 1)), national_admin)


def test_a_clerk_cannot_touch_tariffs(ag_clerk, an_giang):
    with pytest.raises(PermissionDenied):
        save_programme(FreeProgramme(name="x", province=an_giang, covers="both",
                                     valid_from=datetime.date(2026, 1, 1)), ag_clerk)


def test_dates_in_the_wrong_order_are_named(staff_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        save_programme(FreeProgramme(name="x", province=staff_admin.province, covers="both",
                                     valid_from=datetime.date(2026, 2, 1), valid_to=datetime.date(2026, 1, 1)),
                       staff_admin)
    assert "valid_to" in err.value.message_dict


def test_admin_form_shows_the_service_refusal(client, staff_admin):
    client.force_login(staff_admin)
    response = client.post("/admin/postal/postagerate/add/", {
        "service": "send_dossier", "zone": "same_province", "base_amount": 5, "base_weight_grams": 2000,
        "step_amount": 0, "step_weight_grams": 500, "valid_from": "2026-01-01"})
    assert response.status_code == 200 and "You may not change this" in response.content.decode()
    assert not PostageRate.objects.exists()
    response = client.post("/admin/postal/postagerate/add/", {
        "province": staff_admin.province_id, "service": "send_dossier", "zone": "same_province",
        "base_amount": 5, "base_weight_grams": 2000, "step_amount": 0, "step_weight_grams": 500,
        "valid_from": "2026-01-01"})
    assert response.status_code == 302 and PostageRate.objects.get().province == staff_admin.province


def test_admin_series_overlap_is_a_form_error(client, staff_admin, ag_post_office, qn_post_office):
    save_series(ItemSeries(post_office=qn_post_office, service="send_dossier", indicator="EH",
                           first_serial=1, last_serial=1000))
    client.force_login(staff_admin)
    data = {"post_office": ag_post_office.pk, "service": "send_dossier", "indicator": "EH", "first_serial": 500,
            "last_serial": 2000, "next_serial": 500, "active": "on"}
    response = client.post("/admin/postal/itemseries/add/", data)
    assert response.status_code == 200 and "overlaps" in response.content.decode()
    data.update(first_serial=1001, next_serial=1001)
    assert client.post("/admin/postal/itemseries/add/", data).status_code == 302
    # The Quảng Ngãi range is not even listed for the An Giang administrator.
    listing = client.get("/admin/postal/itemseries/").content.decode()
    assert "580000" not in listing and "880000" in listing
    assert client.get(f"/admin/postal/itemseries/{ItemSeries.objects.get(post_office=qn_post_office).pk}/change/"
                      ).status_code in (302, 404)


def test_dossiers_are_read_only_in_the_admin(client, make_intake, national_admin):
    national_admin.is_staff = True
    national_admin.save()
    national_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="dossiers"))
    dossier = make_intake()
    client.force_login(national_admin)
    assert client.get(f"/admin/dossiers/dossier/{dossier.pk}/change/").status_code == 200
    assert client.get("/admin/dossiers/dossier/add/").status_code == 403
