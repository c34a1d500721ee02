"""Scan events from handheld scanners: POST /api/v1/scans/ (custody.scans.ingest) and the vocabulary.

A duplicate event id is ignored (also within one batch), a late event is kept on the timeline without
changing the state, a bad event is rejected with its reason while the others apply and writes nothing, an
arrival scan at a manifest's destination receives the package as receiving the manifest by hand does, and a
package of another province answers as unknown."""

import datetime
import itertools

import pytest
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from custody import scans
from custody import services as custody
from custody.models import Incident, ItemEvent, Manifest, ManifestLine
from postal import s10
from postal.models import Item
from tests.conftest import make_user

SCANS = "/api/v1/scans/"
_ids = itertools.count(1)


def ev(item, event_type, unit, *, at=None, actor="", reason="", event_id=None, note=""):
    item_id = item if isinstance(item, str) else item.item_id
    return {"event_id": event_id or f"test-{next(_ids)}", "item_id": item_id, "event_type": event_type,
            "unit": unit, "time": (at or timezone.now()).isoformat(), "actor": actor, "reason": reason,
            "note": note}


def post(client, events):
    return client.post(SCANS, {"events": events}, content_type="application/json")


def outcomes(response):
    return [r["outcome"] for r in response.json()["results"]]


def state(item):
    item = Item.objects.get(pk=item.pk)
    return (item.status, item.custodian_kind, item.custodian_post_office_id, item.custodian_user_id,
            item.custodian_manifest_id, item.custodian_desk_id, item.custodian_agency_id, item.last_event_at)


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def clerk_client(client, intake_world):
    client.force_login(intake_world["clerk"])
    return client


@pytest.fixture
def item(make_intake):
    return make_intake().outbound_item


def test_a_batch_applies_in_order_with_results_and_counts(clerk_client, item, ag_postman):
    response = post(clerk_client, [ev(item, "out_for_delivery", "880000", actor="an_postman"),
                                   ev(item, "delivery_failed", "880000", reason="nobody_home"),
                                   ev(item, "held_at_post_office", "880000")])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"applied": 3, "late": 0, "duplicate": 0, "rejected": 0}
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert body["results"][0]["status"] == "out_for_delivery"
    assert body["results"][0]["custodian"] == f"postman:{ag_postman.pk}"
    item.refresh_from_db()
    assert item.status == "held_at_post_office" and item.custodian_kind == "post_office"
    custody.check_custody(item)
    timeline = list(ItemEvent.objects.filter(item=item).values_list("status", "reason", "source", "applied"))
    assert timeline[1:] == [("out_for_delivery", "", "scan", True), ("delivery_failed", "nobody_home", "scan", True),
                            ("held_at_post_office", "", "scan", True)]
    assert AuditEvent.objects.filter(action="custody.held_at_post_office", object_id=str(item.pk),
                                     client="scanner").exists()


def test_duplicates_are_ignored_by_event_id_also_within_one_batch(clerk_client, item):
    first = ev(item, "held_at_post_office", "880000", event_id="SCANNER-7-000001")
    response = post(clerk_client, [first, dict(first)])
    assert outcomes(response) == ["applied", "duplicate"]
    again = post(clerk_client, [first])
    assert outcomes(again) == ["duplicate"]
    assert again.json()["counts"]["duplicate"] == 1
    assert ItemEvent.objects.filter(event_id="SCANNER-7-000001").count() == 1


def test_a_late_event_is_kept_on_the_timeline_without_changing_the_state(clerk_client, item, ag_postman):
    now = timezone.now() + datetime.timedelta(minutes=2)  # scanners' clocks may run a little ahead
    post(clerk_client, [ev(item, "out_for_delivery", "880000", actor="an_postman", at=now)])
    before = state(item)
    earlier = now - datetime.timedelta(seconds=30)  # after the intake, before the scan above
    response = post(clerk_client, [ev(item, "held_at_post_office", "880000", at=earlier, event_id="late-1")])
    assert outcomes(response) == ["late"]
    assert response.json()["results"][0]["status"] == "out_for_delivery"
    assert state(item) == before
    late = ItemEvent.objects.get(event_id="late-1")
    assert not late.applied and late.occurred_at == earlier
    timeline = list(ItemEvent.objects.filter(item=item).values_list("event_id", flat=True))
    assert timeline.index("late-1") == len(timeline) - 2  # placed by its time, before the applied scan


def test_a_bad_event_is_rejected_with_its_reason_while_the_others_apply(clerk_client, make_intake):
    one, two = make_intake().outbound_item, make_intake().outbound_item
    wrong_digit = one.item_id[:10] + str((int(one.item_id[10]) + 1) % 10) + "VN"
    response = post(clerk_client, [ev(one, "held_at_post_office", "880000"),
                                   ev(wrong_digit, "held_at_post_office", "880000", event_id="bad-1"),
                                   ev(two, "held_at_post_office", "880000")])
    assert response.status_code == 200
    assert outcomes(response) == ["applied", "rejected", "applied"]
    error = response.json()["results"][1]["error"]
    assert error["field"] == "item_id" and "check digit" in error["message"]
    assert not ItemEvent.objects.filter(event_id="bad-1").exists()


@pytest.mark.parametrize("case, field, words", [
    ("unknown_id", "item_id", "No item with id"),
    ("impossible", "event_type", "cannot become"),
    ("bad_type", "event_type", "not one of the statuses"),
    ("bad_reason", "reason", "not in the list"),
    ("unknown_unit", "unit", "No unit with code"),
    ("future", "time", "future"),
    ("bad_time", "time", "Invalid time"),
    ("dispatch_by_scan", "event_type", "manifest"),
    ("postman_needed", "actor", "postman"),
    ("no_event_id", "event_id", "missing"),
])
def test_refused_events_write_nothing(clerk_client, item, case, field, words, ag_postman):
    events = {
        "unknown_id": ev(s10.make("EH", 77_777_777), "held_at_post_office", "880000"),
        "impossible": ev(item, "delivered", "880000"),
        "bad_type": ev(item, "teleported", "880000"),
        "bad_reason": ev(item, "held_at_post_office", "880000", reason="aliens"),
        "unknown_unit": ev(item, "held_at_post_office", "NOPE"),
        "future": ev(item, "held_at_post_office", "880000", at=timezone.now() + datetime.timedelta(hours=1)),
        "bad_time": {**ev(item, "held_at_post_office", "880000"), "time": "yesterday"},
        "dispatch_by_scan": ev(item, "in_transit", "880000"),
        "postman_needed": ev(item, "out_for_delivery", "880000", actor="an_clerk"),
        "no_event_id": {**ev(item, "held_at_post_office", "880000"), "event_id": ""},
    }
    before = (state(item), ItemEvent.objects.count(), AuditEvent.objects.count())
    response = post(clerk_client, [events[case]])
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["outcome"] == "rejected", result
    assert result["error"]["field"] == field and words in result["error"]["message"], result
    assert (state(item), ItemEvent.objects.count(), AuditEvent.objects.count()) == before


def test_a_unit_that_does_not_hold_the_package_is_refused(client, item, intake_world, ag_admin):
    """A provincial administrator may scan for any unit of the province, but only where the package is."""
    from network.models import PostOffice

    other = PostOffice.objects.create(code="880100", name="Bưu cục Mỹ Hòa Hưng", province=intake_world["province"],
                                      commune=intake_world["my_hoa"])
    client.force_login(ag_admin)
    before = state(item)
    response = post(client, [ev(item, "held_at_post_office", other.code)])
    result = response.json()["results"][0]
    assert result["outcome"] == "rejected" and result["error"]["field"] == "unit"
    assert "does not hold" in result["error"]["message"]
    assert state(item) == before
    assert outcomes(post(client, [ev(item, "held_at_post_office", "880000")])) == ["applied"]


@pytest.fixture
def dispatched(make_intake, intake_world, ag_postman):
    """Two dossiers on a manifest to the desk, dispatched."""
    clerk = intake_world["clerk"]
    items = [make_intake().outbound_item for _ in range(2)]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    for item in items:
        custody.add_to_manifest(manifest, item.item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-01", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    return manifest, items


def test_an_arrival_scan_at_the_destination_receives_the_package(client, dispatched, desk_officer):
    manifest, (scanned, by_hand) = dispatched
    client.force_login(desk_officer)
    response = post(client, [ev(scanned, "at_one_stop_desk", "MC-T91")])
    assert outcomes(response) == ["applied"], response.json()
    custody.receive_item(manifest, by_hand.item_id, desk_officer)
    scanned.refresh_from_db()
    by_hand.refresh_from_db()
    for item in (scanned, by_hand):
        custody.check_custody(item)
        assert (item.status, item.custodian_kind, item.custodian_desk_id, item.leg_due_at) == (
            "at_one_stop_desk", "desk", manifest.destination_desk_id, None)
        line = ManifestLine.objects.get(manifest=manifest, item=item)
        assert line.condition == "ok" and line.checked_by == desk_officer
    assert ItemEvent.objects.get(item=scanned, status="at_one_stop_desk").manifest == manifest
    manifest = custody.finish_receipt(manifest, desk_officer)
    assert manifest.status == Manifest.Status.RECEIVED


def test_an_arrival_scan_elsewhere_is_refused(client, dispatched, intake_world):
    manifest, (item, _other) = dispatched
    client.force_login(intake_world["clerk"])
    before = state(item)
    response = post(client, [ev(item, "pending", "880000")])
    result = response.json()["results"][0]
    assert result["outcome"] == "rejected" and manifest.code in result["error"]["message"]
    assert state(item) == before


def test_a_missing_package_scanned_later_closes_its_incident(client, dispatched, desk_officer):
    manifest, (found, _other) = dispatched
    custody.finish_receipt(manifest, desk_officer)  # neither was scanned: both missing
    incident = Incident.objects.get(item=found, reason="missing")
    client.force_login(desk_officer)
    assert outcomes(post(client, [ev(found, "at_one_stop_desk", "MC-T91")])) == ["applied"]
    incident.refresh_from_db()
    found.refresh_from_db()
    assert incident.status == "resolved" and found.custodian_kind == "desk"
    custody.check_custody(found)


def test_a_damaged_arrival_opens_an_incident(client, dispatched, desk_officer):
    manifest, (item, _other) = dispatched
    client.force_login(desk_officer)
    response = post(client, [ev(item, "at_one_stop_desk", "MC-T91", reason="damaged", note="Góc bì bị ướt")])
    assert outcomes(response) == ["applied"]
    assert ManifestLine.objects.get(manifest=manifest, item=item).condition == "damaged"
    incident = Incident.objects.get(item=item)
    assert incident.reason == "damaged" and incident.manifest == manifest


def test_desk_scans_for_the_agency_and_back(client, dispatched, desk_officer):
    manifest, (item, _other) = dispatched
    client.force_login(desk_officer)
    response = post(client, [ev(item, "at_one_stop_desk", "MC-T91"), ev(item, "received_by_agency", "MC-T91"),
                             ev(item, "result_ready", "MC-T91")])
    assert outcomes(response) == ["applied"] * 3, response.json()
    item.refresh_from_db()
    assert item.status == "result_ready" and item.custodian_kind == "desk"
    custody.check_custody(item)


def test_another_provinces_packages_answer_as_unknown(client, item, qn_clerk):
    client.force_login(qn_clerk)
    before = state(item)
    response = post(client, [ev(item, "held_at_post_office", "580000")])
    result = response.json()["results"][0]
    assert result["outcome"] == "rejected" and result["error"]["field"] == "item_id"
    assert "No item with id" in result["error"]["message"]
    assert state(item) == before
    # and scanning for another province's unit is refused as such
    response = post(client, [ev(item, "held_at_post_office", "880000")])
    assert response.json()["results"][0]["error"]["field"] == "unit"


def test_the_envelope(clerk_client, item):
    for body in ([], {"events": []}, {"events": "x"}, {"events": {"a": 1}}, {"evts": [1]}):
        response = clerk_client.post(SCANS, body, content_type="application/json")
        assert response.status_code == 400, body
        assert [e["field"] for e in response.json()["errors"]] == ["events"]
    many = [ev(item, "held_at_post_office", "880000") for _ in range(scans.MAX_EVENTS + 1)]
    before = ItemEvent.objects.count()
    response = post(clerk_client, many)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "events"
    assert "1,000" in response.json()["errors"][0]["message"]
    assert ItemEvent.objects.count() == before
    response = post(clerk_client, [1, "x", None])
    assert response.status_code == 200 and outcomes(response) == ["rejected"] * 3


def test_exactly_one_thousand_events_apply(clerk_client, make_intake):
    items = [make_intake().outbound_item for _ in range(4)]
    now = timezone.now()
    events = [ev(items[n % 4], "held_at_post_office", "880000", at=now + datetime.timedelta(microseconds=n))
              for n in range(scans.MAX_EVENTS)]
    response = post(clerk_client, events)
    assert response.status_code == 200
    assert response.json()["counts"] == {"applied": 1000, "late": 0, "duplicate": 0, "rejected": 0}


def test_the_batch_takes_a_constant_number_of_queries(clerk_client, make_intake, django_assert_max_num_queries):
    items = [make_intake().outbound_item for _ in range(3)]
    small = [ev(i, "held_at_post_office", "880000") for i in items]
    with django_assert_max_num_queries(40) as small_ctx:
        post(clerk_client, small)
    large = [ev(items[n % 3], "held_at_post_office", "880000") for n in range(300)]
    with django_assert_max_num_queries(40) as large_ctx:
        response = post(clerk_client, large)
    assert response.json()["counts"]["applied"] == 300
    assert len(large_ctx.captured_queries) <= len(small_ctx.captured_queries) + 2


def test_who_may_scan(client, item, ag_auditor, ag_call_centre):
    response = client.post(SCANS, {"events": []}, content_type="application/json")
    assert response.status_code in (401, 403)
    for user in (ag_auditor, ag_call_centre):
        client.force_login(user)
        response = post(client, [ev(item, "held_at_post_office", "880000")])
        assert response.status_code == 403, user.role
        assert response.json()["errors"][0]["message"]


def test_the_vocabulary(clerk_client):
    response = clerk_client.get("/api/v1/scans/vocabulary")
    assert response.status_code == 200
    body = response.json()
    assert len(body["statuses"]) == 12 and {"code": "at_one_stop_desk", "label": "Đã đến Bộ phận Một cửa"} in \
        body["statuses"]
    assert {"code": "seal_broken", "label": "Niêm phong bị rách, mở"} in body["incident_reasons"]
    assert not {s["code"] for s in body["statuses"]} & {r["code"] for r in body["incident_reasons"]}
    assert body["max_events"] == 1000
