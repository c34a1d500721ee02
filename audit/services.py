"""``record_event``: the one way an audit event is written."""

import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from audit.context import current_source
from audit.models import AuditEvent


def _jsonable(data):
    if data is None:
        return None
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _scope_ids(obj):
    """The province / post office / agency an object belongs to, by its scope_paths."""
    from accounts.scopes import unit_ids_of

    if obj is None:
        return {}
    return unit_ids_of(obj)


def record_event(action: str, obj=None, actor=None, before=None, after=None, *, client: str = ""):
    """Write one append-only audit event. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside transaction.atomic()")
    source = current_source()
    ids = _scope_ids(obj)
    return AuditEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(actor.get_username() if getattr(actor, "pk", None) else (client or "system")),
        content_type=ContentType.objects.get_for_model(type(obj)) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        source_ip=source.ip,
        client=client or source.client,
        before=_jsonable(before),
        after=_jsonable(after),
        province_id_scope=ids.get("province"),
        post_office_id_scope=ids.get("post_office"),
        agency_id_scope=ids.get("agency"),
    )


def snapshot(obj, fields):
    """The named fields of obj as a dict for before/after data."""
    data = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "pk"):
            value = value.pk
        data[name] = value
    return data


def record_events(entries, actor=None, *, client: str = ""):
    """Write many audit events at once (bulk operations such as a batch of scans): ``entries`` are
    (action, obj, before, after) tuples. Same rules as record_event: inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must be called inside transaction.atomic()")
    source = current_source()
    has_actor = getattr(actor, "pk", None) is not None
    label = actor.get_username() if has_actor else (client or "system")
    types = {}
    rows = []
    for action, obj, before, after in entries:
        model = type(obj)
        if model not in types:
            types[model] = ContentType.objects.get_for_model(model)
        ids = _scope_ids(obj)
        rows.append(AuditEvent(
            action=action, actor=actor if has_actor else None, actor_label=label, content_type=types[model],
            object_id=str(obj.pk), object_repr=str(obj)[:255], source_ip=source.ip, client=client or source.client,
            before=_jsonable(before), after=_jsonable(after), province_id_scope=ids.get("province"),
            post_office_id_scope=ids.get("post_office"), agency_id_scope=ids.get("agency")))
    return AuditEvent.objects.bulk_create(rows, batch_size=500)
