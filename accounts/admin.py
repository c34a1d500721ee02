from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scopes import visible
from accounts.services import NATIONAL_ONLY_ROLES, save_staff_user, set_user_permissions

PRIVILEGED_FIELDS = {"is_superuser", "groups", "user_permissions"}


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

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_national:
            return fieldsets
        # Provincial administrators never see (nor post) superuser, group or permission fields.
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in PRIVILEGED_FIELDS]})
                for name, opts in fieldsets]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_national:
            kwargs["choices"] = [("", "---------")] + [
                (value, label) for value, label in Role.choices if value not in NATIONAL_ONLY_ROLES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("post_office", "agency", "province"):
            kwargs["queryset"] = visible(request.user, db_field.related_model._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        save_staff_user(obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        # Groups and permissions go through their service function (national administrators only).
        if "groups" in form.cleaned_data or "user_permissions" in form.cleaned_data:
            set_user_permissions(form.instance, form.cleaned_data.get("groups", form.instance.groups.all()),
                                 form.cleaned_data.get("user_permissions", form.instance.user_permissions.all()),
                                 actor=request.user)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: audit events refer to users
