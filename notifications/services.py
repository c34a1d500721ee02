"""``notify`` — queue a message to a citizen — and ``deliver`` — send it (run by the task).

``notify`` writes the ``Notification`` in the caller's transaction (so a rolled-back state change sends
nothing) and enqueues ``send_notification`` once that transaction commits. Sending happens in the task, through
the transports of ``settings.NOTIFY_TRANSPORTS``; whatever a transport does, nothing is raised into the code
that called ``notify`` and nothing it changed is undone.

Retries: a failed attempt is recorded (``attempts``, ``last_error``, an audit event) and the task is enqueued
again to run after ``NOTIFY_RETRY_SECONDS × 2^(attempt−1)`` — django.tasks' ``run_after``, which the database
(django-tasks-db) and Redis (django-tasks-rq) backends honour. A backend that cannot defer (the ``immediate``
backend of tests and quick local runs) retries at once. After ``NOTIFY_MAX_ATTEMPTS`` attempts the
notification is ``failed`` for good. The task is safe to deliver twice: it locks the row and only sends a
``queued`` notification."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import record_event
from notifications.models import Channel, Notification, Status
from notifications.texts import render
from notifications.transports import TransportError, transports_for

logger = logging.getLogger("notifications")
ERROR_MAX = 1000
CLAIM_LEASE = datetime.timedelta(minutes=5)  # longer than any transport may take


def _recipient(recipient: str, channel: str | None) -> tuple[str, str, str]:
    """(channel, phone, email) of a recipient: an email address, else a mobile number."""
    from dossiers.validators import validate_mobile

    text = (recipient or "").strip()
    channel = channel or (Channel.EMAIL if "@" in text else Channel.SMS)
    if channel == Channel.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError({"recipient": f"Email “{text[:80]}” không hợp lệ. / "
                                                f"“{text[:80]}” is not a valid email address."}) from None
        return channel, "", text
    if channel != Channel.SMS:
        raise ValidationError({"channel": "Kênh phải là sms hoặc email. / The channel must be sms or email."})
    try:
        return channel, validate_mobile(text), ""
    except ValidationError as exc:
        raise ValidationError({"recipient": exc.messages}) from None


def notify(template_key: str, recipient: str, context: dict, *, related=None, province=None,
           channel: str | None = None) -> Notification:
    """Queue ``template_key`` filled with ``context`` for ``recipient`` (mobile number or email) about
    ``related`` (any model instance; its province is taken from its ``scope_paths`` unless given)."""
    channel, phone, email = _recipient(recipient, channel)
    subject, body = render(template_key, context)
    province_id = getattr(province, "pk", province)
    if province_id is None and related is not None:
        from accounts.scopes import unit_ids_of

        province_id = unit_ids_of(related).get("province")
    with transaction.atomic():
        notification = Notification.objects.create(
            channel=channel, recipient_phone=phone, recipient_email=email, template_key=template_key,
            subject=subject[:200], body=body,
            content_type=ContentType.objects.get_for_model(type(related)) if related is not None else None,
            object_id=str(related.pk) if related is not None else "", province_id=province_id,
        )
        pk = notification.pk
        transaction.on_commit(lambda: _enqueue(pk), robust=True)
    return notification


def _enqueue(pk: int, run_after: datetime.datetime | None = None):
    from notifications.tasks import send_notification

    task = send_notification
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(pk)


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: base, 2×base, 4×base..."""
    return datetime.timedelta(seconds=settings.NOTIFY_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def deliver(notification_id: int) -> dict:
    """Send one queued notification (the task's body). Returns what happened; never raises for a transport.

    The row is claimed with a short lease first (a conditional UPDATE), so a task delivered twice sends once,
    and the transports run outside any transaction (a slow gateway holds no database lock)."""
    now = timezone.now()
    claimed = (Notification.objects.filter(pk=notification_id, status=Status.QUEUED)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
               .update(claimed_until=now + CLAIM_LEASE))
    if not claimed:
        current = Notification.objects.filter(pk=notification_id).values_list("status", flat=True).first()
        return {"status": current or "missing"}
    notification = Notification.objects.select_related("content_type").get(pk=notification_id)
    errors, used = [], ""
    transports = transports_for(notification.channel)
    if not transports:
        errors.append(f"Không có kênh gửi nào cho {notification.channel} trong NOTIFY_TRANSPORTS. / "
                      f"No transport in NOTIFY_TRANSPORTS carries {notification.channel}.")
    for transport in transports:
        try:
            transport.send(notification)
        except Exception as exc:  # noqa: BLE001 - any failure of a transport is recorded, never raised
            kind = "" if isinstance(exc, TransportError) else f"{type(exc).__name__}: "
            errors.append(f"{transport.name}: {kind}{exc}")
            logger.warning("notification %s: transport %s failed: %s", notification.pk, transport.name, exc)
            continue
        used = transport.name
        break
    return _record_attempt(notification.pk, used, errors)


def _record_attempt(pk: int, used: str, errors: list[str]) -> dict:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=pk)
        now = timezone.now()
        before = {"status": notification.status, "attempts": notification.attempts}
        notification.attempts += 1
        notification.claimed_until = None
        if used:
            notification.status = Status.SENT
            notification.transport = used
            notification.sent_at = now
            notification.next_attempt_at = None
            action = "notification.sent"
        else:
            notification.last_error = "\n".join(errors)[:ERROR_MAX]
            if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                notification.status = Status.FAILED
                notification.next_attempt_at = None
                action = "notification.failed"
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
                action = "notification.attempt_failed"
        notification.save(update_fields=["status", "attempts", "last_error", "transport", "sent_at",
                                         "next_attempt_at", "claimed_until"])
        record_event(action, notification, None, before=before, after={
            "status": notification.status, "attempts": notification.attempts, "transport": used,
            "error": "" if used else notification.last_error, "next_attempt_at": notification.next_attempt_at})
        if action == "notification.attempt_failed":
            run_after = notification.next_attempt_at
            transaction.on_commit(lambda: _enqueue(pk, run_after), robust=True)
    return {"status": notification.status, "attempts": notification.attempts, "transport": used}


def requeue_due(now=None, stale_after=datetime.timedelta(minutes=15)) -> int:
    """Enqueue again the queued notifications whose task looks lost (the queue was down when they committed,
    or a worker died): retry time long passed, or never tried and older than ``stale_after``. Returns how
    many. Safe to run often: a notification enqueued twice is still sent once."""
    now = now or timezone.now()
    due = Q(next_attempt_at__lte=now - stale_after) | Q(attempts=0, created_at__lte=now - stale_after)
    ids = list(Notification.objects.filter(due, status=Status.QUEUED).values_list("pk", flat=True)[:1000])
    for pk in ids:
        _enqueue(pk)
    return len(ids)
