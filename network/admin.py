from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.scopes import visible
from network.models import Agency, OneStopDesk, PostOffice
from network.services import check_service_area, check_unit, save_agency, save_desk, save_post_office


class ScopedServiceAdmin(admin.ModelAdmin):
    """Admin that lists only the user's scope, offers only in-scope choices, checks the
    service's rules while validating the form (so bad input is a form error, not a 500)
    and saves through the service function."""

    service = None

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "scope_paths"):
            kwargs["queryset"] = visible(request.user, db_field.related_model._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "scope_paths"):
            kwargs["queryset"] = visible(request.user, db_field.related_model._default_manager.all())
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ServiceCheckedForm(form):
            def _post_clean(self):
                super()._post_clean()
                try:
                    check_unit(self.instance)
                    if "served_communes" in self.cleaned_data and "carries_to" in self.cleaned_data:
                        check_service_area(self.instance, self.cleaned_data["served_communes"],
                                           self.cleaned_data["carries_to"])
                except ValidationError as exc:
                    self._update_errors(exc)

        return ServiceCheckedForm

    def save_model(self, request, obj, form, change):
        type(self).service(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # units are deactivated, never deleted


@admin.register(PostOffice)
class PostOfficeAdmin(ScopedServiceAdmin):
    service = save_post_office
    list_display = ["code", "name", "kind", "province", "commune", "active"]
    list_filter = ["kind", "active", "province"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["commune", "parent"]
    filter_horizontal = ["served_communes", "carries_to"]

    def save_related(self, request, form, formsets, change):
        # Service areas go through their own service function (audited, checked).
        from network.services import set_service_area

        set_service_area(form.instance, form.cleaned_data["served_communes"], form.cleaned_data["carries_to"],
                         actor=request.user)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Agency)
class AgencyAdmin(ScopedServiceAdmin):
    service = save_agency
    list_display = ["identifier", "name", "level", "province", "active"]
    list_filter = ["level", "active", "province"]
    search_fields = ["identifier", "name"]
    autocomplete_fields = ["commune", "parent"]


@admin.register(OneStopDesk)
class OneStopDeskAdmin(ScopedServiceAdmin):
    service = save_desk
    list_display = ["code", "name", "agency", "level", "mode", "province", "active"]
    list_filter = ["level", "mode", "active", "province"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["agency", "commune", "post_office"]
    readonly_fields = ["province"]
