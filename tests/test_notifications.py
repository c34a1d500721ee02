"""Notifications to citizens: queued in the caller's transaction, sent by a django.tasks task through the
configured transports, failures retried with backoff and recorded — never raised into the caller nor undoing
what it did."""

import datetime
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from notifications import services, transports
from notifications.models import Notification, Status
from notifications.services import deliver, notify
from notifications.tasks import send_notification
from tests.test_pickups import make_pickup, pickup_data  # noqa: F401 - shared fixtures

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
             "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
            "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.NOTIFY_OUTBOX_DIR = tmp_path / "outbox"
    settings.NOTIFY_TRANSPORTS = ["file"]
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_SECONDS = 60
    return tmp_path / "outbox"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


class BrokenTransport(transports.Transport):
    name = "broken"

    def send(self, notification):
        raise transports.TransportError("SMS gateway answered 503")


class CrashingTransport(transports.Transport):
    name = "crashing"

    def send(self, notification):
        raise ConnectionResetError("peer reset")


@pytest.fixture
def broken(settings, monkeypatch):
    monkeypatch.setitem(transports.REGISTRY, "broken", BrokenTransport)
    monkeypatch.setitem(transports.REGISTRY, "crashing", CrashingTransport)
    settings.NOTIFY_TRANSPORTS = ["broken"]


def lines(outbox):
    return [json.loads(line) for path in sorted(outbox.glob("*.jsonl")) for line in path.read_text().splitlines()]


def otp(phone="0912345678"):
    return notify("pickup_otp", phone, {"code": "123456", "minutes": 10})


@pytest.mark.django_db
def test_notify_queues_in_the_callers_transaction_and_enqueues_on_commit(database_tasks,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = otp("+84 912 345 678")
    assert len(callbacks) == 1
    note.refresh_from_db()
    assert note.status == Status.QUEUED and note.attempts == 0 and note.channel == "sms"
    assert note.recipient_phone == "0912345678"
    assert note.body.startswith("123456 là mã xác nhận") and "10 phút" in note.body
    task = DBTaskResult.objects.get(task_path="notifications.tasks.send_notification")
    assert task.args_kwargs == {"args": [note.pk], "kwargs": {}} and task.status == "READY"


@pytest.mark.django_db
def test_a_rolled_back_caller_sends_nothing(database_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                otp()
                raise RuntimeError("the state change failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not Notification.objects.exists() and not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_task_sends_through_the_file_transport(outbox):
    note = otp()
    result = send_notification.call(note.pk)
    assert result == {"status": "sent", "attempts": 1, "transport": "file"}
    note.refresh_from_db()
    assert note.status == Status.SENT and note.sent_at and note.transport == "file" and note.last_error == ""
    [line] = lines(outbox)
    assert line["to"] == "0912345678" and line["channel"] == "sms" and line["template"] == "pickup_otp"
    assert line["body"] == note.body and line["id"] == note.pk
    assert (outbox / f"{timezone.localdate():%Y-%m-%d}.jsonl").exists()
    event = AuditEvent.objects.get(action="notification.sent")
    assert event.object_id == str(note.pk) and event.after["transport"] == "file"
    # delivered twice (a queue may do that): sent once
    assert send_notification.call(note.pk) == {"status": "sent"}
    assert len(lines(outbox)) == 1


@pytest.mark.django_db
def test_a_claimed_notification_is_left_to_its_worker(outbox):
    note = otp()
    Notification.objects.filter(pk=note.pk).update(claimed_until=timezone.now() + datetime.timedelta(minutes=1))
    assert deliver(note.pk) == {"status": "queued"}
    assert lines(outbox) == []
    Notification.objects.filter(pk=note.pk).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert deliver(note.pk)["status"] == "sent"
    assert deliver(10 ** 9) == {"status": "missing"}


@pytest.mark.django_db
def test_the_console_transport_logs(settings, caplog):
    settings.NOTIFY_TRANSPORTS = ["console"]
    note = otp()
    with caplog.at_level(logging.INFO, logger="notifications"):
        assert deliver(note.pk)["transport"] == "console"
    assert "123456 là mã xác nhận" in caplog.text


@pytest.mark.django_db
def test_email_channel(outbox):
    note = notify("pickup_cancelled", "lan@example.vn", {"code": "ABCD-EFGH-JKMN", "reason": "Trùng"})
    assert note.channel == "email" and note.recipient_email == "lan@example.vn" and note.recipient_phone == ""
    assert note.subject == "Đã hủy yêu cầu thu gom hồ sơ ABCD-EFGH-JKMN"
    deliver(note.pk)
    assert lines(outbox)[0]["to"] == "lan@example.vn"


@pytest.mark.django_db
def test_bad_recipients_and_templates():
    with pytest.raises(ValidationError) as exc:
        notify("pickup_otp", "12345", {"code": "1", "minutes": 10})
    assert "recipient" in exc.value.message_dict
    with pytest.raises(ValidationError):
        notify("pickup_otp", "not-an@email", {"code": "1", "minutes": 10}, channel="email")
    with pytest.raises(KeyError):
        notify("no_such_template", "0912345678", {})
    with pytest.raises(KeyError):  # a placeholder left out is a programming error, found by tests
        notify("pickup_otp", "0912345678", {"code": "1"})
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_failing_transport_is_retried_with_backoff_then_recorded_as_failed(broken, database_tasks,
                                                                             django_capture_on_commit_callbacks):
    note = otp()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        result = send_notification.call(note.pk)
    assert result == {"status": "queued", "attempts": 1, "transport": ""}
    note.refresh_from_db()
    assert note.status == Status.QUEUED and note.attempts == 1 and "SMS gateway answered 503" in note.last_error
    assert before + datetime.timedelta(seconds=59) < note.next_attempt_at < before + datetime.timedelta(seconds=70)
    retry = DBTaskResult.objects.get(task_path="notifications.tasks.send_notification")
    assert retry.run_after == note.next_attempt_at  # django.tasks' run_after: the database queue waits
    with django_capture_on_commit_callbacks(execute=True):
        send_notification.call(note.pk)
    note.refresh_from_db()
    assert note.attempts == 2 and note.status == Status.QUEUED
    assert note.next_attempt_at - timezone.now() > datetime.timedelta(seconds=110)  # 60 s, then 120 s
    with django_capture_on_commit_callbacks(execute=True):
        assert send_notification.call(note.pk) == {"status": "failed", "attempts": 3, "transport": ""}
    note.refresh_from_db()
    assert note.status == Status.FAILED and note.next_attempt_at is None and note.sent_at is None
    assert DBTaskResult.objects.count() == 2  # no retry after the last attempt
    actions = list(AuditEvent.objects.for_object(note).order_by("pk").values_list("action", flat=True))
    assert actions == ["notification.attempt_failed", "notification.attempt_failed", "notification.failed"]
    assert AuditEvent.objects.filter(action="notification.failed").get().after["error"].startswith("broken:")


@pytest.mark.django_db
def test_retries_run_at_once_on_the_immediate_backend(broken, immediate_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = otp()
    note.refresh_from_db()
    assert note.status == Status.FAILED and note.attempts == 3


@pytest.mark.django_db
def test_the_next_transport_is_tried_when_one_fails(settings, broken, outbox):
    settings.NOTIFY_TRANSPORTS = ["crashing", "broken", "file"]
    note = otp()
    assert deliver(note.pk) == {"status": "sent", "attempts": 1, "transport": "file"}
    note.refresh_from_db()
    assert note.status == Status.SENT and len(lines(outbox)) == 1


@pytest.mark.django_db
def test_an_unexpected_exception_is_recorded_not_raised(settings, broken):
    settings.NOTIFY_TRANSPORTS = ["crashing"]
    note = otp()
    deliver(note.pk)
    note.refresh_from_db()
    assert note.last_error == "crashing: ConnectionResetError: peer reset" and note.status == Status.QUEUED


@pytest.mark.django_db
def test_an_unwritable_outbox_is_a_recorded_failure(settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings.NOTIFY_OUTBOX_DIR = blocker / "outbox"
    note = otp()
    deliver(note.pk)
    note.refresh_from_db()
    assert note.status == Status.QUEUED and "Không ghi được hộp thư đi" in note.last_error


@pytest.mark.django_db
def test_a_failing_transport_does_not_undo_the_pickup(broken, immediate_tasks, make_pickup,  # noqa: F811
                                                      django_capture_on_commit_callbacks):
    from pickups.models import PickupRequest

    with django_capture_on_commit_callbacks(execute=True):
        pickup = make_pickup()
    assert PickupRequest.objects.filter(pk=pickup.pk, status="registered").exists()
    note = Notification.objects.get(template_key="pickup_registered")
    assert note.status == Status.FAILED and note.attempts == 3 and note.related == pickup


@pytest.mark.django_db
def test_a_queue_that_is_down_does_not_break_the_caller(monkeypatch, make_pickup,  # noqa: F811
                                                        django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(services, "_enqueue", down)
    with django_capture_on_commit_callbacks(execute=True):
        pickup = make_pickup()  # robust on_commit: logged, not raised
    assert pickup.pk and Notification.objects.get(template_key="pickup_registered").status == Status.QUEUED


@pytest.mark.django_db
def test_requeue_due_picks_up_lost_tasks(database_tasks, monkeypatch):
    old = otp()
    fresh = otp("0987654321")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    # The task object is built at import for the configured backend (RQ in the PostgreSQL run), so check
    # what is enqueued rather than which queue table it lands in.
    enqueued = []
    monkeypatch.setattr(services, "_enqueue", lambda pk, run_after=None: enqueued.append(pk))
    assert services.requeue_due() == 1
    assert enqueued == [old.pk]
    assert fresh.pk != old.pk


@pytest.mark.django_db
def test_notification_admin_is_read_only_and_scoped(client, national_admin, make_pickup):  # noqa: F811
    national_admin.is_staff = True
    national_admin.is_superuser = True
    national_admin.save()
    make_pickup()
    client.force_login(national_admin)
    page = client.get("/admin/notifications/notification/")
    assert page.status_code == 200 and "0987654321" in page.content.decode()
    assert client.get("/admin/notifications/notification/add/").status_code == 403


def test_bad_notify_transports_stop_startup_naming_the_variable(tmp_path):
    from tests.test_settings import run_manage

    result = run_manage(tmp_path, "check", NOTIFY_TRANSPORTS="file,pigeon")
    assert result.returncode != 0
    assert "Biến môi trường NOTIFY_TRANSPORTS=" in result.stderr
    assert "Environment variable NOTIFY_TRANSPORTS=" in result.stderr
