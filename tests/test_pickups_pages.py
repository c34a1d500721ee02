"""Staff pickup pages: the call centre's form, the dispatcher's screen, the postman's run and the door form."""

import re

import pytest

from accounts.models import Role
from dossiers.models import Dossier
from pickups import services
from pickups.models import PickupRequest
from tests.conftest import make_user
from tests.test_pickups import _outbox_in_tmp, make_pickup, working_day  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_call_centre_registers_for_a_caller(client, intake_world, ag_call_centre):
    client.force_login(ag_call_centre)
    page = client.get("/thu-gom/dat-ho/")
    assert page.status_code == 200 and "Tỉnh An Giang" in text(page)
    response = client.post("/thu-gom/dat-ho/", {
        "contact_name": "Ông Sáu", "phone": "0909123456", "commune_q": "my hoa", "commune": "30313",
        "street": "Ấp 3", "procedure_code": "1.001612", "service_choice": "1",
        "preferred_date": working_day(2).isoformat(), "window": "custom", "window_start": "08:00",
        "window_end": "09:00"})
    pickup = PickupRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/thu-gom/{pickup.code}/"
    assert pickup.channel == "call_centre" and pickup.service_choice == 1 and pickup.window_text == "08:00–09:00"
    detail = client.get(response["Location"])
    assert pickup.display_code in text(detail) and "Đã đăng ký yêu cầu thu gom" in text(detail)


def test_call_centre_form_shows_service_errors(client, intake_world, ag_call_centre, kon_tum_ward):
    client.force_login(ag_call_centre)
    response = client.post("/thu-gom/dat-ho/", {"commune": kon_tum_ward.code, "procedure_code": "1.001612"})
    assert response.status_code == 200
    body = text(response)
    assert "không thuộc tỉnh của bạn" in body and "Nhập họ tên người liên hệ" in body
    assert not PickupRequest.objects.exists()


def test_pages_a_role_has_no_use_for(client, intake_world, ag_postman, ag_clerk, ag_officer):
    client.force_login(ag_postman)
    assert client.get("/thu-gom/dat-ho/").status_code == 403
    assert client.get("/thu-gom/dieu-phoi/").status_code == 403
    client.force_login(ag_clerk)
    assert client.get("/thu-gom/dieu-phoi/").status_code == 403
    assert client.get("/thu-gom/cua-toi/").status_code == 403
    client.force_login(ag_officer)
    assert client.get("/thu-gom/dat-ho/").status_code == 403
    client.logout()
    assert client.get("/thu-gom/").status_code == 302


def test_quang_ngai_clerk_sees_no_an_giang_pickup(client, make_pickup, qn_clerk):  # noqa: F811
    pickup = make_pickup()
    client.force_login(qn_clerk)
    assert pickup.display_code not in text(client.get("/thu-gom/"))
    assert client.get(f"/thu-gom/{pickup.code}/").status_code == 404
    assert client.post(f"/thu-gom/{pickup.code}/huy/", {"reason": "Không cần nữa"}).status_code == 404
    pickup.refresh_from_db()
    assert pickup.status == "registered"


def test_dispatcher_assigns_only_postmen_of_the_office_and_cancels(client, make_pickup, ag_manager,  # noqa: F811
                                                                  ag_postman, qn_post_office):
    stranger = make_user("kontum_postman", Role.POSTMAN, post_office=qn_post_office)
    first, second = make_pickup(), make_pickup(preferred_date=working_day(3))
    client.force_login(ag_manager)
    page = text(client.get("/thu-gom/dieu-phoi/"))
    assert first.display_code in page and second.display_code in page and "Sắp tới" in page
    assert f'value="{ag_postman.pk}"' in page and f'value="{stranger.pk}"' not in page
    refused = client.post(f"/thu-gom/{first.code}/phan-cong/", {"postman": stranger.pk, "next": "dispatch"},
                          follow=True)
    assert "Chỉ phân công cho bưu tá của bưu cục 880000" in text(refused)
    first.refresh_from_db()
    assert first.status == "registered"
    response = client.post(f"/thu-gom/{first.code}/phan-cong/", {"postman": ag_postman.pk, "next": "dispatch"})
    assert response.status_code == 302 and response["Location"] == "/thu-gom/dieu-phoi/"
    first.refresh_from_db()
    assert first.status == "assigned" and first.assigned_postman == ag_postman
    short = client.post(f"/thu-gom/{second.code}/huy/", {"reason": "x"}, follow=True)
    assert "ít nhất 5 ký tự" in text(short)
    client.post(f"/thu-gom/{second.code}/huy/", {"reason": "Công dân gọi hủy"})
    second.refresh_from_db()
    assert second.status == "cancelled" and second.reason == "Công dân gọi hủy"
    assert f'href="/thu-gom/{second.code}/"' not in text(client.get("/thu-gom/dieu-phoi/"))


def test_postman_sees_only_their_own_run(client, make_pickup, ag_manager, ag_postman, ag_post_office):  # noqa: F811
    other = make_user("an_postman2", Role.POSTMAN, post_office=ag_post_office)
    mine = services.assign_pickup(make_pickup(), ag_postman, ag_manager)
    theirs = services.assign_pickup(make_pickup(), other, ag_manager)
    unassigned = make_pickup()
    client.force_login(ag_postman)
    page = client.get("/thu-gom/cua-toi/")
    body = text(page)
    assert mine.display_code in body and theirs.display_code not in body and unassigned.display_code not in body
    assert f'href="tel:{mine.phone}"' in body and mine.street in body and "07:30–11:30" in body
    assert "Bắt đầu thu gom" in body and "Không thu gom được" in body
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
    assert client.post(f"/thu-gom/{theirs.code}/bat-dau/").status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == "assigned"


def door_form(world, **overrides):
    docs = list(world["birth"].documents.all())
    values = {"service_choice": "3", "applicant_kind": "person", "applicant_name": "Trần Văn Minh",
              "applicant_id_number": "089195000123", "applicant_phone": "0987654321",
              "return_street": "25 Tôn Đức Thắng", "return_commune": world["my_hoa"].code,
              "seal_numbers": "NP0001234, NP0001235", "payment_method": "cash"}
    for doc in docs:
        values[f"count_{doc.pk}"] = str(doc.count if doc.mandatory else 0)
        values[f"kind_{doc.pk}"] = ""
    values.update(overrides)
    return values


def test_postman_collects_at_the_door(client, make_pickup, intake_world, ag_manager, ag_postman):  # noqa: F811
    pickup = services.assign_pickup(make_pickup(), ag_postman, ag_manager)
    client.force_login(ag_postman)
    waiting = text(client.get(f"/thu-gom/{pickup.code}/thu-gom/"))
    assert "Bấm “Bắt đầu thu gom” khi đến nơi" in waiting
    started = client.post(f"/thu-gom/{pickup.code}/bat-dau/")
    assert started["Location"] == f"/thu-gom/{pickup.code}/thu-gom/"
    form = text(client.get(started["Location"]))
    assert "Tờ khai đăng ký khai sinh" in form and "Giấy chứng sinh" in form and "Số niêm phong" in form
    assert "Số tiền cần thu" in form

    missing_seal = client.post(started["Location"], door_form(intake_world, seal_numbers=""))
    assert missing_seal.status_code == 200 and "Nhập số niêm phong" in text(missing_seal)
    missing_doc = client.post(started["Location"], door_form(intake_world, **{
        f"count_{intake_world['birth'].documents.first().pk}": "0"}))
    assert "Còn thiếu giấy tờ bắt buộc" in text(missing_doc) and "Tờ khai đăng ký khai sinh" in text(missing_doc)
    pickup.refresh_from_db()
    assert pickup.status == "collecting" and not Dossier.objects.exists()

    done = client.post(started["Location"], door_form(intake_world))
    assert done.status_code == 302 and done["Location"] == f"/thu-gom/{pickup.code}/"
    dossier = Dossier.objects.get()
    pickup.refresh_from_db()
    assert pickup.status == "collected" and pickup.dossier == dossier and dossier.channel == "home_pickup"
    assert sorted(dossier.items.get().seal_numbers) == ["NP0001234", "NP0001235"]
    detail = text(client.get(done["Location"]))
    assert dossier.display_tracking_code in detail
    run = text(client.get("/thu-gom/cua-toi/"))
    assert "Đã xong hôm nay" in run and dossier.display_tracking_code in run
    # the print links, when the dossiers app provides them
    links = services_links(dossier)
    for _label, url in links:
        assert url in detail
    assert client.get(f"/thu-gom/{pickup.code}/thu-gom/")["Location"] == f"/thu-gom/{pickup.code}/"


def services_links(dossier):
    from pickups.views import print_links

    return print_links(dossier)


def test_postman_records_a_failed_pickup(client, make_pickup, ag_manager, ag_postman):  # noqa: F811
    pickup = services.assign_pickup(make_pickup(), ag_postman, ag_manager)
    client.force_login(ag_postman)
    response = client.post(f"/thu-gom/{pickup.code}/khong-thu-gom-duoc/",
                           {"reason": "Không có người ở nhà", "next": "my_run"})
    assert response["Location"] == "/thu-gom/cua-toi/"
    pickup.refresh_from_db()
    assert pickup.status == "failed" and pickup.reason == "Không có người ở nhà"


def test_admin_lists_in_scope_and_changes_nothing(client, make_pickup, ag_manager, qn_clerk):  # noqa: F811
    from django.contrib.auth.models import Permission

    pickup = make_pickup()
    for user in (ag_manager, qn_clerk):
        user.is_staff = True
        user.save()
        user.user_permissions.add(Permission.objects.get(codename="view_pickuprequest"))
    client.force_login(ag_manager)
    page = client.get("/admin/pickups/pickuprequest/")
    assert page.status_code == 200 and pickup.code in page.content.decode()
    assert client.get("/admin/pickups/pickuprequest/add/").status_code == 403
    client.force_login(qn_clerk)
    assert pickup.code not in client.get("/admin/pickups/pickuprequest/").content.decode()
