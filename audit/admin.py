from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the app offers no way to change or delete an audit event."""

    list_display = ["time", "actor_label", "action", "object_repr", "client", "source_ip"]
    list_filter = ["action", "client"]
    search_fields = ["object_repr", "actor_label", "object_id", "action"]
    date_hierarchy = "time"

    def get_queryset(self, request):
        from accounts.scopes import visible

        return visible(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
