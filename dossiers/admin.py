from django.contrib import admin

from accounts.scopes import visible
from dossiers.models import Charge, ChecklistLine, Dossier


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ChecklistInline(ReadOnlyInline):
    model = ChecklistLine
    fields = ["position", "name", "mandatory", "required_kind", "required_count", "brought_kind", "brought_count"]


class ChargeInline(ReadOnlyInline):
    model = Charge
    fields = ["position", "kind", "label", "zone", "list_amount", "amount", "free_programme"]


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    """Read-only: dossiers change only through the intake and workflow screens (dossiers.services)."""

    list_display = ["tracking_code", "procedure", "applicant_name", "service_choice", "channel", "status",
                    "post_office", "received_at"]
    list_filter = ["status", "service_choice", "channel"]
    search_fields = ["tracking_code", "applicant_name", "applicant_phone", "items__item_id"]
    inlines = [ChecklistInline, ChargeInline]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request)).select_related("procedure", "post_office")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
