"""The one place that answers "may this user see / act on this object".

Every scoped model declares ``scope_paths``: the ORM path from the model to the
province, and where relevant to the post office and the agency, it belongs to,
e.g. ``{"province": "province", "post_office": "post_office"}``. From that:

* ``visible(user, queryset)`` filters any list: a national administrator sees
  everything; post-office staff see what belongs to their post office (or, for
  objects that belong to no post office, to their province); agency staff
  likewise with their agency; provincial roles see their province.
* ``can_view(user, obj)`` is ``visible`` applied to one object.
* ``can_act(user, action, obj)`` adds the role's permitted actions.

Views and API endpoints use these and answer 404 for an object outside the
scope, so nothing about it (not even that it exists) leaks.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import AGENCY_ROLES, POST_OFFICE_ROLES, Role

# What each role may do, by action name. Later issues add their actions here.
ROLE_ACTIONS: dict[str, set[str]] = {
    Role.COUNTER_CLERK: {"view", "take_in", "request_pickup"},
    Role.POSTMAN: {"view", "take_in", "collect_pickup"},
    Role.POST_OFFICE_MANAGER: {"view", "manage_staff", "take_in", "override_checklist", "cancel_dossier",
                               "request_pickup", "assign_pickup", "collect_pickup", "manage_series"},
    Role.ONE_STOP_OFFICER: {"view", "desk_reception", "process", "record_result", "hand_result", "digitise"},
    Role.AGENCY_PROCESSOR: {"view", "process", "record_result", "digitise"},
    Role.SECONDED_STAFF: {"view", "desk_reception", "hand_result", "digitise"},
    Role.CALL_CENTRE: {"view", "request_pickup"},
    Role.PROVINCIAL_ADMIN: {"view", "manage_staff", "manage_network", "manage_calendar", "manage_catalog",
                            "manage_tariff", "manage_series"},
    Role.NATIONAL_ADMIN: {"view", "manage_staff", "manage_network", "manage_calendar", "manage_units",
                          "manage_catalog", "manage_tariff", "manage_series"},
    Role.AUDITOR: {"view", "view_audit"},
}


def _paths(model) -> dict[str, str]:
    paths = getattr(model, "scope_paths", None)
    if not paths or "province" not in paths:
        raise TypeError(f"{model.__name__} declares no scope_paths with a province")
    return paths


def _any(path, value) -> Q:
    """A path, or several (a dossier belongs to its deciding agency and to the agency of the desk that
    receives it): the object is in scope through any of them."""
    if isinstance(path, (list, tuple)):
        q = Q(pk__in=[])
        for one in path:
            q |= Q(**{one: value})
        return q
    return Q(**{path: value})


def scope_q(user, model) -> Q | None:
    """The filter for ``model`` rows that ``user`` may see; None means everything."""
    if not user or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_national:
        return None
    paths = _paths(model)
    if user.role in POST_OFFICE_ROLES and user.post_office_id and "post_office" in paths:
        return _any(paths["post_office"], user.post_office_id)
    if user.role in AGENCY_ROLES and user.agency_id and "agency" in paths:
        return _any(paths["agency"], user.agency_id)
    if user.province_id:
        return _any(paths["province"], user.province_id)
    return Q(pk__in=[])


def visible(user, queryset: QuerySet) -> QuerySet:
    q = scope_q(user, queryset.model)
    return queryset if q is None else queryset.filter(q)


def can_view(user, obj) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_act(user, action: str, obj=None) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    allowed = user.is_superuser or action in ROLE_ACTIONS.get(user.role, set())
    return allowed and (obj is None or can_view(user, obj))


def _resolve(obj, path: str):
    """Follow an ORM path like ``province`` or ``pk`` on an instance to an id."""
    if path == "pk":
        return obj.pk
    parts = path.split("__")
    value = obj
    for part in parts[:-1]:
        value = getattr(value, part, None)
        if value is None:
            return None
    last = parts[-1]
    if last.endswith("_id_scope") or last.endswith("_id"):
        return getattr(value, last, None)
    return getattr(value, f"{last}_id", None) if hasattr(value, f"{last}_id") else getattr(
        getattr(value, last, None), "pk", None
    )


def unit_ids_of(obj) -> dict[str, int | None]:
    """The province / post office / agency ids an object belongs to (for audit events)."""
    paths = getattr(type(obj), "scope_paths", None) or {}
    return {kind: _resolve(obj, path[0] if isinstance(path, (list, tuple)) else path)
            for kind, path in paths.items()}
