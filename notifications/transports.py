"""Ways a notification leaves the system, registered by name; ``settings.NOTIFY_TRANSPORTS`` lists the ones in
use, tried in order until one accepts the message (so a later gateway can have a fallback).

* ``file`` appends one JSON line per message to ``NOTIFY_OUTBOX_DIR/<yyyy-mm-dd>.jsonl`` (local date): the
  default, for development, demos and tests, and a record another process can ship;
* ``console`` writes the message to the ``notifications`` logger.

A transport is a class with a ``name``, the ``channels`` it can carry and ``send(notification)``, which returns
a provider reference (or "") or raises ``TransportError`` (any other exception counts as a failure too).
A later issue adds an SMS gateway, SMTP and Zalo with ``@register``; add their names to the choices of
``NOTIFY_TRANSPORTS`` in bcci/settings.py."""

from __future__ import annotations

import json
import logging
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger("notifications")

REGISTRY: dict[str, type[Transport]] = {}


class TransportError(Exception):
    """The transport could not send the message (the text is recorded as the notification's last error)."""


def register(cls):
    REGISTRY[cls.name] = cls
    return cls


class Transport:
    name = ""
    channels = frozenset({"sms", "email"})

    def send(self, notification) -> str:  # pragma: no cover - interface
        raise NotImplementedError


def payload(notification) -> dict:
    return {
        "id": notification.pk, "channel": notification.channel, "to": notification.recipient,
        "template": notification.template_key, "subject": notification.subject, "body": notification.body,
        "related": (f"{notification.content_type.app_label}.{notification.content_type.model}:{notification.object_id}"
                    if notification.content_type_id else None),
        "at": timezone.now().isoformat(),
    }


@register
class ConsoleTransport(Transport):
    name = "console"

    def send(self, notification) -> str:
        logger.info("notification %s %s → %s: %s", notification.pk, notification.channel, notification.recipient,
                    notification.body)
        return ""


@register
class FileTransport(Transport):
    name = "file"

    def send(self, notification) -> str:
        directory = settings.NOTIFY_OUTBOX_DIR
        try:
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, f"{timezone.localdate():%Y-%m-%d}.jsonl")
            line = json.dumps(payload(notification), ensure_ascii=False) + "\n"
            # One write of one line in append mode: lines of concurrent workers do not interleave.
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise TransportError(f"Không ghi được hộp thư đi {directory}: {exc} / "
                                 f"Cannot write the outbox {directory}: {exc}") from exc
        return f"{os.path.basename(path)}"


def transports_for(channel: str) -> list[Transport]:
    """The configured transports that carry ``channel``, in the configured order."""
    found = []
    for name in settings.NOTIFY_TRANSPORTS:
        cls = REGISTRY.get(name)
        if cls is None:
            raise ImproperlyConfigured(f"NOTIFY_TRANSPORTS: không có kênh gửi “{name}”. / "
                                       f"NOTIFY_TRANSPORTS: no transport named “{name}”.")
        if channel in cls.channels:
            found.append(cls())
    return found
