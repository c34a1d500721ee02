"""Audit events: written by every service function in its transaction, append-only."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, AuditEvent
from audit.services import record_event
from network.models import PostOffice
from network.services import save_post_office


@pytest.fixture
def event(ag_post_office, ag_admin):
    ag_post_office.name = "Bưu cục Long Xuyên 2"
    save_post_office(ag_post_office, actor=ag_admin)
    return AuditEvent.objects.for_object(ag_post_office).get()


def test_service_writes_event_with_before_and_after(event, ag_admin):
    assert event.action == "network.post_office_updated"
    assert event.actor == ag_admin
    assert event.before["name"] == "Bưu cục Long Xuyên"
    assert event.after["name"] == "Bưu cục Long Xuyên 2"
    assert event.province_id_scope == ag_admin.province_id


def test_event_cannot_be_changed_or_deleted_through_the_orm(event):
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_database_refuses_an_update_even_in_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "network.post_office_updated"


@pytest.mark.django_db(transaction=True)
def test_record_event_outside_a_transaction_is_refused(ag_post_office):
    with pytest.raises(RuntimeError):
        record_event("x", ag_post_office)


def test_failed_change_leaves_no_event_and_no_change(ag_post_office, ag_admin):
    from django.core.exceptions import ValidationError

    ag_post_office.code = ""  # required
    with pytest.raises(ValidationError) as err:
        save_post_office(ag_post_office, actor=ag_admin)
    assert "code" in err.value.message_dict
    assert AuditEvent.objects.count() == 0
    assert PostOffice.objects.get(pk=ag_post_office.pk).code == "880000"


def test_event_records_the_request_ip(client, ag_admin, ag_post_office):
    client.force_login(ag_admin)
    from audit.context import audit_source

    with audit_source(ip="10.1.2.3", client="web"), transaction.atomic():
        record_event("test.ping", ag_post_office, ag_admin)
    event = AuditEvent.objects.get(action="test.ping")
    assert event.source_ip == "10.1.2.3" and event.client == "web"


def test_events_are_shown_on_the_object_page(client, event, ag_admin):
    client.force_login(ag_admin)
    page = client.get(f"/network/post-offices/{event.object_id}/").content.decode()
    assert "network.post_office_updated" in page


def test_admin_offers_no_edit_or_delete(client, event, national_admin):
    national_admin.is_staff = national_admin.is_superuser = True
    national_admin.save()
    client.force_login(national_admin)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    response = client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "forged"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "network.post_office_updated"
