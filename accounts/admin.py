from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.scopes import visible
from accounts.services import save_staff_user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "role", "post_office", "agency", "province", "is_active"]
    list_filter = ["role", "is_active", "province"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Vai trò và đơn vị"), {"fields": ["role", "post_office", "agency", "province", "phone"]}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Vai trò và đơn vị"), {"fields": ["role", "post_office", "agency", "province"]}),
    )
    autocomplete_fields = ["post_office", "agency", "province"]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))

    def save_model(self, request, obj, form, change):
        save_staff_user(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: audit events refer to users
