"""The pickup API: register (with Idempotency-Key), list and read within the caller's scope, the transitions,
and collection at the door with the intake payload."""

import pytest

from dossiers.models import Dossier
from pickups.models import PickupRequest
from tests.test_pickups import _outbox_in_tmp, make_pickup, working_day  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
API = "/api/v1/pickups/"


def body(world, **overrides):
    values = {"contact_name": "Trần Văn Minh", "phone": "0987654321", "commune_code": world["my_hoa"].code,
              "street": "25 Tôn Đức Thắng", "procedure_code": "1.001612", "service_choice": 3,
              "preferred_date": working_day().isoformat(), "window": "morning"}
    values.update(overrides)
    return values


def post(client, url, data=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, data or {}, content_type="application/json", headers=headers)


def fields(response):
    return {e["field"] for e in response.json()["errors"]}


def door(world, **overrides):
    docs = [d for d in world["birth"].documents.all() if d.mandatory]
    values = {"applicant": {"kind": "person", "id_number": "089195000123"},
              "checklist": [{"document_id": d.pk, "brought_count": d.count} for d in docs],
              "seal_numbers": ["NP0001234"], "payment": {"method": "cash"}}
    values.update(overrides)
    return values


def test_call_centre_registers_with_idempotency_key(client, intake_world, ag_call_centre):
    client.force_login(ag_call_centre)
    first = post(client, API, body(intake_world), key="call-0001")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["status"] == "registered" and data["onestop_state"] == 1 and data["channel"] == "call_centre"
    assert data["post_office"] == "880000" and data["commune_code"] == "30313" and data["requested_by"] == "an_call_centre"
    assert data["url"].endswith(f"{API}{data['code']}/")
    again = post(client, API, body(intake_world), key="call-0001")
    assert again.status_code == 201 and again.json() == data and again["Idempotent-Replayed"] == "true"
    assert PickupRequest.objects.count() == 1
    other = post(client, API, body(intake_world, street="Khác"), key="call-0001")
    assert other.status_code == 422 and PickupRequest.objects.count() == 1


def test_register_errors_name_their_fields(client, intake_world, ag_call_centre):
    client.force_login(ag_call_centre)
    response = post(client, API, body(intake_world, phone="123", procedure_code="1.000894"))
    assert response.status_code == 400
    assert fields(response) == {"phone", "procedure_code"}
    assert all(" / " in e["message"] for e in response.json()["errors"])
    response = post(client, API, body(intake_world, commune_code="30999", window="night"))
    assert fields(response) == {"window"}  # the shape first
    response = post(client, API, body(intake_world, commune_code="30999"))
    assert fields(response) == {"commune_code"}
    assert not PickupRequest.objects.exists()


def test_register_needs_request_pickup_and_the_province(client, intake_world, ag_postman, qn_clerk):
    client.force_login(ag_postman)
    assert post(client, API, body(intake_world)).status_code == 403
    client.force_login(qn_clerk)
    response = post(client, API, body(intake_world))
    assert response.status_code == 400 and fields(response) == {"commune_code"}
    client.logout()
    assert post(client, API, body(intake_world)).status_code in (401, 403)


def test_list_and_detail_are_scoped(client, make_pickup, qn_clerk, ag_clerk):  # noqa: F811
    pickup = make_pickup()
    client.force_login(qn_clerk)
    assert client.get(API).json()["results"] == []
    assert client.get(f"{API}{pickup.code}/").status_code == 404
    assert post(client, f"{API}{pickup.code}/cancel", {"reason": "Không cần nữa"}).status_code == 404
    client.force_login(ag_clerk)
    listed = client.get(API).json()["results"]
    assert [p["code"] for p in listed] == [pickup.code]
    assert client.get(API, {"status": "collected"}).json()["results"] == []
    assert len(client.get(API, {"status": "open", "date": pickup.preferred_date.isoformat()}).json()["results"]) == 1
    assert fields(client.get(API, {"status": "lost"})) == {"status"}
    assert fields(client.get(API, {"date": "tomorrow"})) == {"date"}
    assert client.get(f"{API}{pickup.code}/").json()["procedure_name"] == "Đăng ký khai sinh"
    assert client.get(f"{API}{pickup.display_code.lower()}/").json()["code"] == pickup.code  # as read out


def test_transitions(client, make_pickup, ag_manager, ag_postman, ag_clerk, qn_post_office):  # noqa: F811
    from accounts.models import Role
    from tests.conftest import make_user

    make_user("kontum_postman", Role.POSTMAN, post_office=qn_post_office)
    pickup = make_pickup()
    url = f"{API}{pickup.code}"
    client.force_login(ag_clerk)
    assert post(client, f"{url}/assign", {"postman": "an_postman"}).status_code == 403
    client.force_login(ag_manager)
    bad = post(client, f"{url}/assign", {"postman": "kontum_postman"})
    assert bad.status_code == 400 and fields(bad) == {"postman"}
    assert fields(post(client, f"{url}/assign", {})) == {"postman"}
    assigned = post(client, f"{url}/assign", {"postman": "an_postman"}, key="assign-1")
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    assert assigned.json()["assigned_postman"] == "an_postman"
    client.force_login(ag_postman)
    assert post(client, f"{url}/cancel", {"reason": "Công dân đổi ý"}).status_code == 403
    started = post(client, f"{url}/start")
    assert started.json()["status"] == "collecting" and started.json()["onestop_state"] == 2
    assert fields(post(client, f"{url}/start")) == {"status"}
    assert fields(post(client, f"{url}/fail", {"reason": "x"})) == {"reason"}
    failed = post(client, f"{url}/fail", {"reason": "Không có người ở nhà"})
    assert failed.json()["status"] == "failed" and failed.json()["onestop_state"] == 4

    other = make_pickup()
    client.force_login(ag_manager)
    cancelled = post(client, f"{API}{other.code}/cancel", {"reason": "Trùng yêu cầu"})
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["reason"] == "Trùng yêu cầu"


def test_collect_turns_the_pickup_into_a_dossier(client, make_pickup, intake_world, ag_manager,  # noqa: F811
                                                 ag_postman):
    pickup = make_pickup()
    client.force_login(ag_manager)
    post(client, f"{API}{pickup.code}/assign", {"postman": "an_postman"})
    client.force_login(ag_postman)
    url = f"{API}{pickup.code}/collect"
    assert fields(post(client, url, door(intake_world))) == {"status"}  # not started yet
    post(client, f"{API}{pickup.code}/start")

    bad = post(client, url, door(intake_world, seal_numbers=[], applicant={"id_number": "12"}))
    assert bad.status_code == 400 and fields(bad) == {"seal_numbers", "applicant.id_number"}
    pickup.refresh_from_db()
    assert pickup.status == "collecting" and not Dossier.objects.exists()

    done = post(client, url, door(intake_world), key="door-1")
    assert done.status_code == 201, done.json()
    data = done.json()
    dossier = Dossier.objects.get()
    assert data["dossier_tracking_code"] == dossier.tracking_code and data["item_id"].startswith("EH")
    assert data["pickup"]["status"] == "collected" and data["pickup"]["dossier"] == dossier.tracking_code
    assert data["amount_paid"] == dossier.amount_paid
    assert dossier.channel == "home_pickup" and dossier.applicant_name == "Trần Văn Minh"
    assert dossier.applicant_phone == "0987654321" and dossier.return_commune == intake_world["my_hoa"]
    replay = post(client, url, door(intake_world), key="door-1")
    assert replay.status_code == 201 and replay.json() == data and Dossier.objects.count() == 1
    assert fields(post(client, url, door(intake_world))) == {"status"}
