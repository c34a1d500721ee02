"""State changes of the network: each in one transaction with its audit event."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.scopes import can_act
from audit.services import record_event, snapshot
from network.models import Agency, OneStopDesk, PostOffice

POST_OFFICE_FIELDS = ["code", "name", "kind", "province", "commune", "parent", "street", "phone", "opening_hours",
                      "latitude", "longitude", "accepts_dossiers", "active"]
DESK_FIELDS = ["code", "name", "agency", "level", "mode", "province", "commune", "post_office", "street",
               "opening_hours", "active"]
AGENCY_FIELDS = ["identifier", "name", "level", "province", "commune", "parent", "street", "phone", "email",
                 "active"]


def check_unit(obj):
    """Rules shared by post offices, agencies and desks: the commune, the parent and the
    hosting post office belong to the unit's province. Raises ValidationError by field."""
    errors = {}
    if obj.commune_id and obj.commune.province_id != obj.province_id:
        errors["commune"] = _("Xã/phường không thuộc tỉnh đã chọn. / The commune is not in the chosen province.")
    parent = getattr(obj, "parent", None)
    if parent is not None and parent.province_id != obj.province_id:
        errors["parent"] = _("Đơn vị cấp trên không thuộc tỉnh này. / The parent unit is not in this province.")
    if isinstance(obj, OneStopDesk):
        if obj.agency_id:
            obj.province_id = obj.agency.province_id
        if obj.mode == OneStopDesk.Mode.AT_POST_OFFICE and not obj.post_office_id:
            errors["post_office"] = _("Mô hình 1 cần bưu cục nơi đặt bộ phận. / "
                                      "Mode 1 needs the hosting post office.")
        if obj.post_office_id and obj.post_office.province_id != obj.province_id:
            errors["post_office"] = _("Bưu cục không thuộc tỉnh của cơ quan. / "
                                      "The post office is not in the agency's province.")
        if obj.level == OneStopDesk.Level.COMMUNE and not obj.commune_id:
            errors["commune"] = _("Bộ phận cấp xã cần xã/phường. / A commune-level desk needs its commune.")
    if errors:
        raise ValidationError(errors)


def check_service_area(post_office, communes, desks):
    errors = {}
    if any(c.province_id != post_office.province_id for c in communes):
        errors["served_communes"] = _("Có xã/phường ngoài tỉnh của bưu cục. / "
                                      "A commune is outside the post office's province.")
    if any(d.province_id != post_office.province_id for d in desks):
        errors["carries_to"] = _("Có bộ phận một cửa ngoài tỉnh của bưu cục. / "
                                 "A desk is outside the post office's province.")
    if errors:
        raise ValidationError(errors)


def _save(obj, fields, actor, action, before):
    if actor is not None and not can_act(actor, "manage_network"):
        raise PermissionDenied(_("Bạn không có quyền quản lý mạng lưới. / You may not manage the network."))
    obj.full_clean()
    check_unit(obj)
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


def save_desk(desk: OneStopDesk, actor=None) -> OneStopDesk:
    """Create or update a one-stop desk (Bộ phận Một cửa / TTPVHCC)."""
    if desk.agency_id:
        desk.province_id = desk.agency.province_id
    creating = desk.pk is None
    before = None if creating else snapshot(OneStopDesk.objects.get(pk=desk.pk), DESK_FIELDS)
    action = "network.desk_created" if creating else "network.desk_updated"
    return _save(desk, DESK_FIELDS, actor, action, before)


def set_service_area(post_office: PostOffice, communes, desks, actor=None) -> PostOffice:
    """Say which communes a post office serves and which desks it carries dossiers to."""
    if actor is not None and not can_act(actor, "manage_network", post_office):
        raise PermissionDenied(_("Bạn không có quyền quản lý mạng lưới. / You may not manage the network."))
    communes, desks = list(communes), list(desks)
    check_service_area(post_office, communes, desks)
    before = {"served_communes": sorted(post_office.served_communes.values_list("code", flat=True)),
              "carries_to": sorted(post_office.carries_to.values_list("code", flat=True))}
    after = {"served_communes": sorted(c.code for c in communes), "carries_to": sorted(d.code for d in desks)}
    if before == after:
        return post_office
    with transaction.atomic():
        post_office.served_communes.set(communes)
        post_office.carries_to.set(desks)
        record_event("network.service_area_set", post_office, actor, before=before, after=after)
    return post_office
