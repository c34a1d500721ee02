from django.contrib import admin

from accounts.scopes import visible
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by notifications.services only."""

    list_display = ["created_at", "channel", "recipient", "template_key", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "template_key"]
    search_fields = ["recipient_phone", "recipient_email", "object_id", "template_key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request)).select_related("content_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
