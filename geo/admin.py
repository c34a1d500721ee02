from django.contrib import admin

from geo.models import Commune, Province


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    """Reference data, loaded by `manage.py load_units`; read-only here."""

    list_display = ["code", "name", "division_type", "retired"]
    search_fields = ["code", "name", "search_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Commune)
class CommuneAdmin(ProvinceAdmin):
    list_display = ["code", "name", "division_type", "province", "retired"]
    list_filter = ["province", "retired"]
    list_select_related = ["province"]
