from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.scopes import visible
from postal.models import FreeProgramme, Item, ItemSeries, PostageRate, Receipt
from postal.services import check_programme, check_rate, check_series, save_programme, save_rate, save_series


class ServiceAdmin(admin.ModelAdmin):
    """Lists the user's scope, offers in-scope choices, and saves through the service (whose rules
    and permission checks become form errors, not 500s)."""

    service = None
    checker = None

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "scope_paths"):
            kwargs["queryset"] = visible(request.user, db_field.related_model._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        checker = type(self).checker

        class ServiceCheckedForm(form):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    checker(self.instance, actor=request.user)
                except ValidationError as exc:
                    self._update_errors(exc)
                except PermissionDenied as exc:
                    self.add_error(None, str(exc))

        return ServiceCheckedForm

    def save_model(self, request, obj, form, change):
        type(self).service(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItemSeries)
class ItemSeriesAdmin(ServiceAdmin):
    service = save_series
    checker = check_series
    list_display = ["post_office", "service", "indicator", "first_serial", "last_serial", "next_serial",
                    "remaining", "active"]
    list_filter = ["service", "active", "indicator"]
    search_fields = ["post_office__code", "post_office__name"]

    def get_readonly_fields(self, request, obj=None):
        # Allocation moves next_serial; a form opened earlier must not move it back.
        return ["next_serial"] if obj else []


@admin.register(PostageRate)
class PostageRateAdmin(ServiceAdmin):
    service = save_rate
    checker = check_rate
    list_display = ["service", "zone", "province", "base_amount", "base_weight_grams", "step_amount",
                    "step_weight_grams", "valid_from", "valid_to"]
    list_filter = ["service", "zone", "province"]

    def get_queryset(self, request):
        # National rates apply everywhere, so everyone may read them; the service limits who writes.
        from django.db.models import Q

        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_national:
            return qs
        return qs.filter(Q(province__isnull=True) | Q(province_id=request.user.province_id))


@admin.register(FreeProgramme)
class FreeProgrammeAdmin(ServiceAdmin):
    service = save_programme
    checker = check_programme
    list_display = ["name", "province", "procedure", "covers", "valid_from", "valid_to"]
    list_filter = ["covers", "province"]
    raw_id_fields = ["procedure"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["item_id", "kind", "status", "custodian_kind", "custodian_post_office", "origin_post_office",
                    "created_at"]
    list_filter = ["kind", "status", "custodian_kind"]
    search_fields = ["item_id", "dossier__tracking_code"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["code", "dossier", "payer_name", "method", "total", "issued_at", "voided"]
    list_filter = ["method", "voided", "year"]
    search_fields = ["dossier__tracking_code", "payer_name"]
