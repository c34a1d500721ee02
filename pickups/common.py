"""Helpers the pickup pages share: the request form to PickupData, service errors onto a form."""

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef

from geo.models import Commune
from network.models import PostOffice
from pickups.services import PickupData


def apply_errors(form, exc: ValidationError, aliases: dict | None = None):
    """Put a service's errors on the form's fields (an unknown field: a form-wide error)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, errors in exc.error_dict.items():
        target = (aliases or {}).get(name, name)
        if target not in form.fields:
            target = None
        for error in errors:
            for message in error.messages:
                form.add_error(target, message)


def request_data(form, province=None) -> tuple[PickupData, Commune | None]:
    """The PickupData a (cleaned) PickupForm gives, and the chosen commune."""
    data = form.cleaned_data
    code = form.chosen_commune()
    commune = Commune.objects.select_related("province").filter(code=code).first() if code else None
    procedure = form.chosen_procedure(commune.province if commune else province)
    return PickupData(
        contact_name=data.get("contact_name", ""), phone=data.get("phone", ""), commune=code,
        street=data.get("street", ""), procedure_code=procedure, service_choice=data.get("service_choice"),
        preferred_date=data.get("preferred_date"), window=data.get("window", ""),
        window_start=data.get("window_start"), window_end=data.get("window_end"), note=data.get("note", ""),
    ), commune


def with_service(communes):
    """Mark each commune whether a post office collects there (``served``)."""
    ids = [c.pk for c in communes]
    served = set(Commune.objects.filter(pk__in=ids).filter(Exists(PostOffice.served_communes.through.objects.filter(
        commune_id=OuterRef("pk"), postoffice__active=True, postoffice__accepts_dossiers=True)))
        .values_list("pk", flat=True))
    for commune in communes:
        commune.served = commune.pk in served
    return communes


def client_ip(request) -> str | None:
    """The address the per-IP limit counts: REMOTE_ADDR, or behind our reverse proxy (the same setting as the
    tracking page, TRACKING_TRUST_X_FORWARDED_FOR) the last address of X-Forwarded-For; an IPv6 client by its
    /64 (which one subscriber usually holds whole)."""
    address = request.META.get("REMOTE_ADDR") or ""
    if getattr(settings, "TRACKING_TRUST_X_FORWARDED_FOR", False):
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if forwarded:
            address = forwarded[-1]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
