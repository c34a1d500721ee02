"""Background jobs of notifications (Django's ``django.tasks`` API)."""

from __future__ import annotations

from django.tasks import task


@task()
def send_notification(notification_id: int) -> dict:
    """Send one queued notification through the configured transports (see notifications.services)."""
    from notifications.services import deliver

    return deliver(notification_id)
