"""State changes of the network: each in one transaction with its audit event."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.scopes import can_act
from audit.services import record_event, snapshot
from network.models import Agency, PostOffice

POST_OFFICE_FIELDS = ["code", "name", "kind", "province", "commune", "parent", "street", "phone", "active"]
AGENCY_FIELDS = ["identifier", "name", "level", "province", "commune", "parent", "street", "phone", "email",
                 "active"]


def _check_commune(obj):
    if obj.commune_id and obj.commune.province_id != obj.province_id:
        raise ValidationError({"commune": _("Xã/phường không thuộc tỉnh đã chọn. / "
                                            "The commune is not in the chosen province.")})


def _save(obj, fields, actor, action, before):
    if actor is not None and not can_act(actor, "manage_network"):
        raise PermissionDenied(_("Bạn không có quyền quản lý mạng lưới. / You may not manage the network."))
    obj.full_clean()
    _check_commune(obj)
    if actor is not None and not actor.is_national and obj.province_id != actor.province_id:
        raise PermissionDenied(_("Đơn vị ngoài phạm vi tỉnh của bạn. / The unit is outside your province."))
    with transaction.atomic():
        obj.save()
        record_event(action, obj, actor, before=before, after=snapshot(obj, fields))
    return obj


def save_post_office(post_office: PostOffice, actor=None) -> PostOffice:
    """Create or update a post office or commune post point."""
    creating = post_office.pk is None
    before = None if creating else snapshot(PostOffice.objects.get(pk=post_office.pk), POST_OFFICE_FIELDS)
    action = "network.post_office_created" if creating else "network.post_office_updated"
    return _save(post_office, POST_OFFICE_FIELDS, actor, action, before)


def save_agency(agency: Agency, actor=None) -> Agency:
    """Create or update an agency (and its one-stop desk)."""
    creating = agency.pk is None
    before = None if creating else snapshot(Agency.objects.get(pk=agency.pk), AGENCY_FIELDS)
    action = "network.agency_created" if creating else "network.agency_updated"
    return _save(agency, AGENCY_FIELDS, actor, action, before)
