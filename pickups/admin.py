from django.contrib import admin

from accounts.scopes import visible
from pickups.models import PickupRequest


@admin.register(PickupRequest)
class PickupRequestAdmin(admin.ModelAdmin):
    """Read-only, scoped: requests change through pickups.services (the staff pages and the API), never here."""

    list_display = ["code", "status", "preferred_date", "window", "commune", "procedure", "post_office",
                    "assigned_postman", "channel", "created_at"]
    list_filter = ["status", "channel", "window", "province"]
    search_fields = ["code", "phone", "contact_name", "procedure__code"]
    date_hierarchy = "preferred_date"
    readonly_fields = [f.name for f in PickupRequest._meta.fields]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request)).select_related(
            "commune", "procedure", "post_office", "assigned_postman")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
