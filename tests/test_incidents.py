"""Incidents: open → investigating → resolved | compensated; compensation by the rules (the province's over
the national one, capped); scoping; the citizen is told. Pages, API, admin and demo rules."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from custody.models import CompensationRule, Incident, LegLimit
from notifications.models import Notification
from tests.conftest import make_user

API = "/api/v1/incidents/"


@pytest.fixture
def dossier(make_intake):
    return make_intake()


@pytest.fixture
def incident(dossier, intake_world):
    return custody.report_incident(dossier.outbound_item, "lost", intake_world["clerk"],
                                   description="Không tìm thấy trong kho")


@pytest.fixture
def qn_manager(qn_post_office):
    return make_user("kontum_manager", Role.POST_OFFICE_MANAGER, post_office=qn_post_office)


def rule(reason, multiple, fixed=0, maximum=None, province=None):
    return custody.save_compensation_rule(CompensationRule(
        reason=reason, province=province, postage_multiple=Decimal(multiple), fixed_amount=fixed,
        maximum_amount=maximum))


def notes(incident, template):
    return Notification.objects.filter(object_id=str(incident.pk), template_key=template)


# --- Service ---------------------------------------------------------------------------------------------


def test_report_tells_the_citizen(incident, dossier):
    assert incident.status == "open" and incident.reason == "lost"
    assert incident.post_office == dossier.post_office and incident.province_id == dossier.province_id
    message = notes(incident, "incident_opened").get()
    assert message.recipient_phone == dossier.applicant_phone
    assert incident.code in message.body and dossier.outbound_item.item_id in message.body
    incident.refresh_from_db()
    assert incident.citizen_notified_at is not None
    assert AuditEvent.objects.filter(action="custody.incident_opened", object_id=str(incident.pk)).exists()
    # on the package's timeline, without changing its state
    event = dossier.outbound_item.events.get(reason="lost")
    assert not event.applied


def test_report_refusals(dossier, intake_world, ag_auditor, qn_clerk):
    item, clerk = dossier.outbound_item, intake_world["clerk"]
    with pytest.raises(PermissionDenied):
        custody.report_incident(item, "lost", ag_auditor, description="Không thấy đâu")
    with pytest.raises(ValidationError) as err:
        custody.report_incident(item, "lost", qn_clerk, description="Không thấy đâu")
    assert "item_id" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        custody.report_incident(item, "missing", clerk, description="Không thấy đâu")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        custody.report_incident(item, "lost", clerk, description=" ")
    assert "description" in err.value.message_dict
    custody.report_incident(item, "damaged", clerk, description="Bì rách một góc")
    with pytest.raises(ValidationError) as err:
        custody.report_incident(item, "damaged", clerk, description="Bì rách lần nữa")
    assert "already open" in err.value.message_dict["reason"][0]
    assert Incident.objects.count() == 1


def test_transitions(incident, ag_manager, dossier, intake_world):
    with pytest.raises(ValidationError) as err:
        custody.advance_incident(incident, "compensated", ag_manager, resolution="Bồi thường luôn", amount=1)
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        custody.advance_incident(incident, "open", ag_manager)
    assert "status" in err.value.message_dict
    incident = custody.advance_incident(incident, "investigating", ag_manager)
    assert incident.status == "investigating" and incident.closed_at is None
    with pytest.raises(ValidationError) as err:
        custody.advance_incident(incident, "resolved", ag_manager, resolution="ok")
    assert "resolution" in err.value.message_dict
    incident = custody.advance_incident(incident, "resolved", ag_manager, resolution="Đã tìm thấy tại kho")
    assert incident.status == "resolved" and incident.closed_at
    for to in ("investigating", "compensated", "resolved", "open"):
        with pytest.raises(ValidationError):
            custody.advance_incident(incident, to, ag_manager, resolution="Thử lại lần nữa", amount=0)
    assert notes(incident, "incident_resolved").count() == 1
    # open → resolved directly
    other = custody.report_incident(dossier.outbound_item, "misrouted", intake_world["clerk"],
                                    description="Chuyển nhầm bưu cục")
    assert custody.advance_incident(other, "resolved", ag_manager, resolution="Đã chuyển lại").status == "resolved"


def test_who_follows_up(incident, intake_world, ag_auditor, ag_admin, qn_manager, national_admin):
    for user in (intake_world["clerk"], ag_auditor):
        with pytest.raises(PermissionDenied):
            custody.advance_incident(incident, "investigating", user)
    with pytest.raises(PermissionDenied):
        custody.advance_incident(incident, "investigating", qn_manager)  # another province
    assert custody.advance_incident(incident, "investigating", ag_admin).status == "investigating"
    assert custody.advance_incident(incident, "resolved", national_admin, resolution="Đã tìm thấy").status == \
        "resolved"


def test_compensation_by_the_rules(incident, ag_manager, dossier, an_giang):
    postage = dossier.postage_total
    assert postage > 0
    custody.advance_incident(incident, "investigating", ag_manager)
    with pytest.raises(ValidationError) as err:
        custody.compensation_for(incident)
    assert "compensation_amount" in err.value.message_dict
    with pytest.raises(ValidationError):  # no rule and no amount given
        custody.advance_incident(incident, "compensated", ag_manager, resolution="Bồi thường theo quy định")
    rule("lost", "4")
    assert custody.compensation_for(incident) == 4 * postage
    province_rule = rule("lost", "3", fixed=10_000, province=an_giang)
    assert custody.compensation_for(incident) == 3 * postage + 10_000  # the province's rule wins
    province_rule.maximum_amount = 50_000
    custody.save_compensation_rule(province_rule)
    assert custody.compensation_for(incident) == min(3 * postage + 10_000, 50_000)
    province_rule.maximum_amount = 0
    custody.save_compensation_rule(province_rule)
    assert custody.compensation_for(incident) == 0  # a cap of 0 is a cap
    province_rule.delete()
    incident = custody.advance_incident(incident, "compensated", ag_manager, resolution="Bồi thường theo quy định")
    assert incident.status == "compensated" and incident.compensation_amount == 4 * postage
    message = notes(incident, "incident_compensated").get()
    assert f"{4 * postage:,}".replace(",", ".") in message.body


def test_a_given_amount_overrides_the_rule(incident, ag_manager):
    rule("lost", "4")
    custody.advance_incident(incident, "investigating", ag_manager)
    with pytest.raises(ValidationError) as err:
        custody.advance_incident(incident, "compensated", ag_manager, resolution="Thỏa thuận", amount=-1)
    assert "compensation_amount" in err.value.message_dict
    incident = custody.advance_incident(incident, "compensated", ag_manager, resolution="Thỏa thuận", amount=123_000)
    assert incident.compensation_amount == 123_000


def test_rules_are_checked(an_giang, ag_admin, quang_ngai):
    rule("lost", "4")
    with pytest.raises(ValidationError) as err:
        rule("lost", "2")
    assert "reason" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # a provincial admin does not write national rules
        custody.save_compensation_rule(CompensationRule(reason="damaged", postage_multiple=2), actor=ag_admin)
    with pytest.raises(PermissionDenied):
        custody.save_compensation_rule(CompensationRule(reason="damaged", province=quang_ngai, postage_multiple=2),
                                       actor=ag_admin)
    mine = custody.save_compensation_rule(CompensationRule(reason="damaged", province=an_giang, postage_multiple=2),
                                          actor=ag_admin)
    assert AuditEvent.objects.filter(action="custody.compensation_rule_saved", object_id=str(mine.pk)).exists()
    with pytest.raises(ValidationError) as err:
        custody.save_compensation_rule(CompensationRule(reason="seal_broken", province=an_giang,
                                                        postage_multiple=Decimal("-1")), actor=ag_admin)
    assert "postage_multiple" in err.value.message_dict
    national = CompensationRule.objects.get(reason="lost", province=None)
    national.province = an_giang  # taking over a national rule is not a provincial admin's to do
    with pytest.raises(PermissionDenied):
        custody.save_compensation_rule(national, actor=ag_admin)


def test_a_damaged_arrival_tells_the_citizen_even_without_a_phone(make_intake, intake_world, ag_postman):
    dossier = make_intake()
    type(dossier).objects.filter(pk=dossier.pk).update(applicant_phone="")
    desk_officer = make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
    custody.close_manifest(manifest, "SEAL-77", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    custody.receive_item(manifest, dossier.outbound_item.item_id, desk_officer, condition="damaged", note="Bị ướt")
    incident = Incident.objects.get(reason="damaged")
    assert notes(incident, "incident_opened").get().recipient_email == dossier.applicant_email


# --- API -------------------------------------------------------------------------------------------------


def errors(response):
    return {e["field"] for e in response.json()["errors"]}


def test_api_report_list_read_advance(client, dossier, intake_world, ag_manager):
    rule("damaged", "2")
    client.force_login(intake_world["clerk"])
    item_id = dossier.outbound_item.item_id
    response = client.post(API, {"item_id": item_id.lower(), "reason": "damaged", "description": "Bì bị rách"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    code = body["code"]
    assert body["status"] == "open" and body["item_id"] == item_id and body["next_statuses"] == [
        "investigating", "resolved"]
    assert body["proposed_compensation"] == 2 * dossier.postage_total
    assert client.get(API).json()["results"][0]["code"] == code
    assert client.get(API, {"status": "resolved"}).json()["results"] == []
    assert client.get(API, {"reason": "damaged", "post_office": dossier.post_office_id}).json()["count"] == 1
    assert client.get(API, {"status": "nonsense"}).status_code == 400
    assert client.get(f"{API}{code}/").json()["code"] == code
    # a clerk does not follow incidents up
    response = client.post(f"{API}{code}/advance", {"to": "investigating"}, content_type="application/json")
    assert response.status_code == 403
    client.force_login(ag_manager)
    response = client.post(f"{API}{code}/advance", {"to": "compensated", "resolution": "x"},
                           content_type="application/json")
    assert response.status_code == 400 and errors(response) == {"to"}
    assert client.post(f"{API}{code}/advance", {"to": "investigating"},
                       content_type="application/json").json()["status"] == "investigating"
    response = client.post(f"{API}{code}/advance", {"to": "compensated", "resolution": "Bồi thường"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["compensation_amount"] == 2 * dossier.postage_total
    assert response.json()["citizen_notified_at"]


def test_api_refusals_and_scope(client, dossier, incident, qn_clerk, qn_manager, ag_auditor, intake_world):
    client.force_login(intake_world["clerk"])
    item_id = dossier.outbound_item.item_id
    for body, field in (({"item_id": item_id, "reason": "missing", "description": "Không thấy"}, "reason"),
                        ({"item_id": "EH000000000VN", "reason": "lost", "description": "Không thấy"}, "item_id"),
                        ({"item_id": item_id[:-3] + "9VN", "reason": "lost", "description": "Không thấy"}, "item_id"),
                        ({"item_id": item_id, "reason": "lost"}, "description"),
                        ({"item_id": item_id, "reason": "lost", "description": "Lại mất"}, "reason")):
        before = Incident.objects.count()
        response = client.post(API, body, content_type="application/json")
        assert response.status_code == 400 and field in errors(response), (body, response.json())
        assert Incident.objects.count() == before
    for user in (qn_clerk, qn_manager):
        client.force_login(user)
        assert client.get(API).json()["count"] == 0
        assert client.get(f"{API}{incident.code}/").status_code == 404
        response = client.post(f"{API}{incident.code}/advance", {"to": "investigating"},
                               content_type="application/json")
        assert response.status_code == 404
        response = client.post(API, {"item_id": item_id, "reason": "damaged", "description": "Bì rách"},
                               content_type="application/json")
        assert response.status_code == 400 and errors(response) == {"item_id"}
    client.force_login(ag_auditor)
    assert client.get(f"{API}{incident.code}/").status_code == 200
    assert client.post(API, {"item_id": item_id, "reason": "damaged", "description": "Bì rách"},
                       content_type="application/json").status_code == 403
    client.logout()
    assert client.get(API).status_code in (401, 403)
    incident.refresh_from_db()
    assert incident.status == "open"


def test_a_desk_sees_what_it_found(client, make_intake, intake_world, ag_postman):
    """The centre's desk is not the dossier's agency, yet it sees the incidents it recorded on arrival."""
    desk_officer = make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])
    clerk = intake_world["clerk"]
    item = make_intake().outbound_item
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, item.item_id, clerk)
    custody.close_manifest(manifest, "SEAL-78", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    custody.receive_item(manifest, item.item_id, desk_officer, condition="seal_broken")
    client.force_login(desk_officer)
    assert client.get(API).json()["results"][0]["reason"] == "seal_broken"


# --- Pages -----------------------------------------------------------------------------------------------


def test_pages(client, incident, ag_manager, dossier, qn_manager):
    rule("lost", "4")
    client.force_login(ag_manager)
    page = client.get("/buu-gui/su-co/").content.decode()
    assert incident.code in page
    assert incident.code not in client.get("/buu-gui/su-co/", {"status": "resolved"}).content.decode()
    assert incident.code in client.get("/buu-gui/su-co/", {"status": "active", "reason": "lost"}).content.decode()
    detail = client.get(f"/buu-gui/su-co/{incident.code}/")
    assert detail.status_code == 200 and "Bắt đầu xác minh" in detail.content.decode()
    url = f"/buu-gui/su-co/{incident.code}/xu-ly/"
    assert client.post(url, {"action": "investigate"}).status_code == 302
    proposed = 4 * dossier.postage_total
    assert f'value="{proposed}"' in client.get(f"/buu-gui/su-co/{incident.code}/").content.decode()
    response = client.post(url, {"action": "compensate", "amount": proposed + 1000, "resolution": "Bồi thường"})
    assert response.status_code == 400 and "give the reason" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "investigating"
    response = client.post(url, {"action": "compensate", "amount": proposed + 1000, "amount_note": "Cước bổ sung",
                                 "resolution": "Bồi thường"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "compensated" and incident.compensation_amount == proposed + 1000
    assert "Cước bổ sung" in incident.resolution
    client.force_login(qn_manager)
    assert client.get(f"/buu-gui/su-co/{incident.code}/").status_code == 404
    assert f"/su-co/{incident.code}/" not in client.get("/buu-gui/su-co/").content.decode()


def test_report_page(client, dossier, intake_world, ag_auditor):
    client.force_login(intake_world["clerk"])
    item_id = dossier.outbound_item.item_id
    page = client.get("/buu-gui/su-co/ghi-nhan/", {"item_id": item_id}).content.decode()
    assert item_id in page and "autofocus" in page
    response = client.post("/buu-gui/su-co/ghi-nhan/", {"item_id": item_id, "reason": "lost", "description": "x"})
    assert response.status_code == 200 and "at least 5 characters" in response.content.decode()
    response = client.post("/buu-gui/su-co/ghi-nhan/", {"item_id": item_id, "reason": "lost",
                                                        "description": "Không thấy trong kho"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/su-co/{incident.code}/")
    client.force_login(ag_auditor)
    assert client.get("/buu-gui/su-co/ghi-nhan/").status_code == 403


# --- Admin and demo --------------------------------------------------------------------------------------


@pytest.fixture
def staff_admin(ag_admin):
    ag_admin.is_staff = True
    ag_admin.save()
    ag_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="custody"))
    return ag_admin


def test_admin_saves_through_the_services(client, staff_admin, an_giang):
    client.force_login(staff_admin)
    response = client.post("/admin/custody/leglimit/add/", {"leg": "post_office_to_desk", "province": an_giang.pk,
                                                             "working_days": 2})
    assert response.status_code == 302, response.content.decode()[:2000]
    limit = LegLimit.objects.get()
    assert AuditEvent.objects.filter(action="custody.leg_limit_saved", object_id=str(limit.pk)).exists()
    response = client.post("/admin/custody/leglimit/add/", {"leg": "post_office_to_desk", "working_days": 2})
    assert response.status_code == 200  # a national limit is not a provincial admin's: a form error
    assert LegLimit.objects.count() == 1
    response = client.post("/admin/custody/compensationrule/add/", {
        "reason": "lost", "province": an_giang.pk, "postage_multiple": "3", "fixed_amount": 0, "basis": "QĐ"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="custody.compensation_rule_saved").count() == 1
    for url in ("/admin/custody/manifest/", "/admin/custody/incident/", "/admin/custody/itemevent/"):
        assert client.get(url).status_code == 200
    assert client.get("/admin/custody/incident/add/").status_code == 403


def test_admin_lists_only_the_scope(client, staff_admin, incident, quang_ngai, qn_post_office, make_intake):
    client.force_login(staff_admin)
    assert incident.code in client.get("/admin/custody/incident/").content.decode()
    staff_admin.province = quang_ngai
    staff_admin.save()
    assert incident.code not in client.get("/admin/custody/incident/").content.decode()
    assert client.get(f"/admin/custody/incident/{incident.pk}/change/").status_code in (302, 404)


def test_demo_rules_are_idempotent(db):
    from custody.demo import load_custody_demo

    assert load_custody_demo() == 10
    events = AuditEvent.objects.count()
    assert load_custody_demo() == 0
    assert AuditEvent.objects.count() == events
    assert LegLimit.objects.get(leg="post_office_to_desk", other_province=True).working_days == 3
    assert custody.leg_days("post_office_to_post_office", None, False) == 1
    assert CompensationRule.objects.get(reason="lost").postage_multiple == 4
    assert "placeholder" in CompensationRule.objects.get(reason="misrouted").basis
