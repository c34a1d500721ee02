"""Time limits per leg and overdue packages: the limit on the working-day calendar, the daily flag (once,
managers told, audit events), the task through the configured backend, the page and the API per post office."""

import datetime

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from custody.api_scans import answerable_q
from custody.models import LegLimit
from network.models import PostOffice
from notifications.models import Notification
from postal.models import Item
from tests.conftest import make_user

TZ = datetime.timezone(datetime.timedelta(hours=7))
API = "/api/v1/items/overdue"


@pytest.fixture
def manager(ag_manager):
    ag_manager.email = "truong.bc@example.vn"
    ag_manager.save()
    return ag_manager


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


def dispatch(intake_world, postman, *items, destination=None):
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, destination or intake_world["desk"])
    for item in items:
        custody.add_to_manifest(manifest, item.item_id, clerk)
    custody.close_manifest(manifest, "SEAL-OVER", clerk)
    return custody.dispatch_manifest(manifest, clerk, courier=postman)


@pytest.fixture
def late(make_intake, intake_world, ag_postman):
    """A package dispatched to the desk; returns (item, manifest, the moment one day after its limit)."""
    item = make_intake().outbound_item
    manifest = dispatch(intake_world, ag_postman, item)
    item.refresh_from_db()
    return item, manifest, item.leg_due_at + datetime.timedelta(days=1)


def test_the_leg_limit_is_counted_in_working_days(make_intake, intake_world, ag_postman, an_giang):
    item = make_intake().outbound_item
    manifest = dispatch(intake_world, ag_postman, item)
    from workdays.calendar import add_working_days

    assert manifest.due_at == add_working_days(manifest.dispatched_at, 1)  # the settings' default
    custody.save_leg_limit(LegLimit(leg="post_office_to_desk", province=None, working_days=2))
    custody.save_leg_limit(LegLimit(leg="post_office_to_desk", province=an_giang, working_days=4))
    assert custody.leg_days("post_office_to_desk", an_giang, False) == 4  # the province's own limit wins
    assert custody.leg_days("post_office_to_desk", None, False) == 2
    assert custody.leg_days("post_office_to_desk", an_giang, True) == 3  # settings: other province


def test_overdue_age_is_working_time(late):
    item, _manifest, _ = late
    item.leg_due_at = datetime.datetime(2026, 3, 13, 16, 0, tzinfo=TZ)  # a Friday
    monday = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=TZ)
    assert custody.overdue_age(item, monday) == datetime.timedelta(hours=2, minutes=30)


def test_flag_overdue_once_and_tell_the_managers(late, manager, intake_world):
    item, manifest, after = late
    assert list(custody.overdue_items(after - datetime.timedelta(days=2))) == []
    assert list(custody.overdue_items(after)) == [item]
    flagged = custody.flag_overdue(after)
    assert flagged == {intake_world["post_office"].pk: [item.item_id]}
    item.refresh_from_db()
    assert item.overdue_flagged_at == after
    message = Notification.objects.get(template_key="items_overdue")
    assert message.recipient_email == manager.email and item.item_id in message.body
    assert AuditEvent.objects.filter(action="custody.overdue_flagged", object_id=str(item.pk)).count() == 1
    # the next day: still overdue, not flagged again, nobody told twice
    assert custody.flag_overdue(after + datetime.timedelta(days=1)) == {}
    assert Notification.objects.filter(template_key="items_overdue").count() == 1
    assert AuditEvent.objects.filter(action="custody.overdue_flagged").count() == 1


def test_a_manager_without_contact_does_not_stop_the_flag(late, ag_manager):
    item, _manifest, after = late
    assert custody.flag_overdue(after)
    assert not Notification.objects.filter(template_key="items_overdue").exists()
    item.refresh_from_db()
    assert item.overdue_flagged_at


def test_received_packages_are_not_overdue_and_a_new_leg_can_be_flagged_again(late, desk_officer, intake_world,
                                                                             ag_postman, manager):
    item, manifest, after = late
    custody.flag_overdue(after)
    custody.receive_item(manifest, item.item_id, desk_officer)
    item.refresh_from_db()
    assert item.leg_due_at is None and not custody.overdue_items(after + datetime.timedelta(days=30)).exists()
    # back to the post office on a new leg (as a package returned to the citizen)
    Item.objects.filter(pk=item.pk).update(returning=True)
    back = custody.open_manifest(desk_officer, intake_world["post_office"], desk=intake_world["desk"])
    custody.add_to_manifest(back, item.item_id, desk_officer)
    custody.close_manifest(back, "SEAL-BACK", desk_officer)
    custody.dispatch_manifest(back, desk_officer, courier_name="Xe thư")
    item.refresh_from_db()
    assert item.overdue_flagged_at is None
    assert custody.flag_overdue(item.leg_due_at + datetime.timedelta(hours=1))
    item.refresh_from_db()
    assert item.overdue_flagged_at


@pytest.mark.django_db(transaction=True)
def test_the_daily_task_runs_through_the_configured_backend(make_intake, intake_world, ag_postman, manager,
                                                           settings):
    from custody.tasks import flag_overdue_items

    item = make_intake().outbound_item
    dispatch(intake_world, ag_postman, item)
    past = timezone.now() - datetime.timedelta(days=10)
    Item.objects.filter(pk=item.pk).update(leg_due_at=past)
    backend = task_backends["default"]
    result = flag_overdue_items.enqueue()
    if settings.TASK_BACKEND == "database":
        assert result.status == TaskResultStatus.READY
        call_command("db_worker", backend="default", queue_name="default", batch=True, no_startup_delay=True,
                     verbosity=0)
    elif settings.TASK_BACKEND == "rq":
        pytest.skip("TASK_BACKEND=rq: the worker is tested in tests/test_tasks.py")
    finished = backend.get_result(result.id) if settings.TASK_BACKEND != "immediate" else result
    assert finished.status == TaskResultStatus.SUCCESSFUL, finished.errors
    assert finished.return_value == {str(intake_world["post_office"].pk): [item.item_id]}
    item.refresh_from_db()
    assert item.overdue_flagged_at is not None
    assert Notification.objects.filter(template_key="items_overdue", recipient_email=manager.email).exists()


def test_the_answerable_post_office_in_sql_matches_the_service(make_intake, intake_world, ag_postman, desk_officer,
                                                              ag_commune_point):
    hub = PostOffice.objects.create(code="889999", name="Bưu cục trung chuyển", province=intake_world["province"],
                                    commune=intake_world["long_xuyen"])
    make_intake()  # one at the post office that took it in
    with_postman = make_intake().outbound_item
    Item.objects.filter(pk=with_postman.pk).update(custodian_kind="postman", custodian_post_office=None,
                                                   custodian_user=ag_postman)
    on_manifest = make_intake().outbound_item
    dispatch(intake_world, ag_postman, on_manifest)
    at_desk = make_intake().outbound_item
    Item.objects.filter(pk=at_desk.pk).update(custodian_kind="desk", custodian_post_office=None,
                                              custodian_desk=intake_world["desk"])
    elsewhere = make_intake().outbound_item
    Item.objects.filter(pk=elsewhere.pk).update(custodian_post_office=hub)
    offices = [intake_world["post_office"], hub, ag_commune_point]
    for item in Item.objects.all():
        expected = custody.responsible_post_office_id(item)
        got = [o.pk for o in offices if Item.objects.filter(answerable_q([o.pk]), pk=item.pk).exists()]
        assert got == [expected], (item.custodian_kind, got, expected)


# --- Page and API ----------------------------------------------------------------------------------------


@pytest.fixture
def overdue_now(late):
    item, _manifest, _after = late
    Item.objects.filter(pk=item.pk).update(leg_due_at=timezone.now() - datetime.timedelta(days=10))
    return item


def test_the_page_for_a_manager(client, overdue_now, manager, intake_world):
    client.force_login(manager)
    response = client.get("/buu-gui/qua-han/")
    page = response.content.decode()
    assert response.status_code == 200
    assert overdue_now.item_id in page and "ngày làm việc" in page and intake_world["post_office"].code in page
    other = PostOffice.objects.create(code="880100", name="Khác", province=intake_world["province"],
                                      commune=intake_world["my_hoa"])
    assert client.get("/buu-gui/qua-han/", {"post_office": other.pk}).status_code == 404


def test_the_page_for_a_provincial_role(client, overdue_now, ag_admin, intake_world, qn_post_office, qn_clerk,
                                        desk_officer):
    client.force_login(ag_admin)
    page = client.get("/buu-gui/qua-han/").content.decode()
    assert overdue_now.item_id in page and "<select" in page
    chosen = client.get("/buu-gui/qua-han/", {"post_office": intake_world["post_office"].pk}).content.decode()
    assert overdue_now.item_id in chosen
    assert client.get("/buu-gui/qua-han/", {"post_office": qn_post_office.pk}).status_code == 404
    assert client.get("/buu-gui/qua-han/", {"post_office": "x"}).status_code == 400
    client.force_login(qn_clerk)
    assert overdue_now.item_id not in client.get("/buu-gui/qua-han/").content.decode()
    client.force_login(desk_officer)
    assert client.get("/buu-gui/qua-han/").status_code == 403


def test_the_api(client, overdue_now, manager, ag_admin, qn_clerk, intake_world, qn_post_office):
    client.force_login(manager)
    body = client.get(API).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["item_id"] == overdue_now.item_id and row["status"] == "in_transit"
    assert row["custodian"].startswith("manifest:BK-880000-")
    assert row["responsible_post_office"] == "880000"
    assert row["overdue_working_days"] >= 3 and row["overdue_working_hours"] >= 24
    assert "ngày làm việc" in row["overdue_text"]
    client.force_login(ag_admin)
    assert client.get(API, {"post_office": intake_world["post_office"].pk}).json()["count"] == 1
    assert client.get(API, {"post_office": qn_post_office.pk}).status_code == 404
    response = client.get(API, {"post_office": "abc"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "post_office"
    client.force_login(qn_clerk)
    assert client.get(API).json()["count"] == 0
