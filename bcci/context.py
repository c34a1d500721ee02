"""Template context: the navigation a user's role gives them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.scopes import can_act


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    items = [(_("Trang chủ"), reverse("home"))]
    if can_act(user, "take_in") and user.post_office_id:
        items.append((_("Tiếp nhận hồ sơ"), reverse("dossiers:intake")))
    items.append((_("Hồ sơ"), reverse("dossiers:list")))
    if user.post_office_id or user.agency_id:
        items.append((_("Bảng kê"), reverse("custody:manifest_list")))
    if user.post_office_id or user.role in ("provincial_admin", "national_admin", "auditor"):
        items.append((_("Quá hạn"), reverse("custody:overdue")))
    items.append((_("Sự cố"), reverse("custody:incident_list")))
    if can_act(user, "desk_reception"):
        items.append((_("Một cửa"), reverse("onestop:desk")))
    if can_act(user, "process"):
        items.append((_("Hồ sơ của tôi"), reverse("onestop:inbox")))
    if can_act(user, "process") or user.role in ("provincial_admin", "national_admin", "auditor"):
        items.append((_("Hạn giải quyết"), reverse("onestop:deadlines")))
    if user.role == "postman":
        items.append((_("Thu gom của tôi"), reverse("pickups:my_run")))
    elif can_act(user, "assign_pickup"):
        items.append((_("Điều phối thu gom"), reverse("pickups:dispatch")))
    elif can_act(user, "request_pickup"):
        items.append((_("Thu gom tại nhà"), reverse("pickups:list")))
    items.append((_("Bưu cục"), reverse("network:post_office_list")))
    items.append((_("Cơ quan"), reverse("network:agency_list")))
    items.append((_("Bộ phận Một cửa"), reverse("network:desk_list")))
    items.append((_("Độ phủ"), reverse("network:coverage")))
    items.append((_("Thủ tục"), reverse("catalog:search")))
    if can_act(user, "manage_catalog"):
        items.append((_("Nhập danh mục TTHC"), reverse("catalog_import:upload")))

    items.append((_("Đơn vị hành chính"), reverse("geo:commune_search")))
    items.append((_("Lịch làm việc"), reverse("workdays:calendar")))
    if can_act(user, "view_audit") or user.is_national:
        items.append((_("Nhật ký"), reverse("audit:event_list")))
    if user.is_staff:
        items.append((_("Quản trị"), reverse("admin:index")))
    return {"nav_items": items}
