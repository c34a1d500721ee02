"""Calendar admin: overrides are edited only through workdays.services (audit, cache, refresh).

Who may do what: provincial and national administrators (``manage_calendar``) may view;
only national administrators (``manage_units``) may add, change or delete an override.
``PublicHoliday`` and ``CalendarState`` are read-only (the refresh task writes them).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.scopes import can_act
from workdays.models import CalendarOverride, CalendarState, PublicHoliday
from workdays.services import clean_override, remove_override, set_override

WEEKDAYS = [_("Thứ Hai"), _("Thứ Ba"), _("Thứ Tư"), _("Thứ Năm"), _("Thứ Sáu"), _("Thứ Bảy"), _("Chủ Nhật")]


def _can_view(request):
    return can_act(request.user, "manage_calendar") or can_act(request.user, "manage_units")


def _can_edit(request):
    return can_act(request.user, "manage_units")


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["date", "kind", "reason"]

    def validate_unique(self):
        """No "date already exists" error: adding a date that has an override updates that
        override through set_override (documented behaviour, tested)."""
        return None

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                clean_override(data.get("date", self.instance.date), data.get("kind"), data.get("reason"))
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
        return data


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _can_view(request)

    def has_view_permission(self, request, obj=None):
        return _can_view(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReadOnlyAdmin):
    form = CalendarOverrideForm
    list_display = ["date_display", "weekday", "kind", "reason", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["reason"]
    date_hierarchy = "date"

    @admin.display(description=_("ngày"), ordering="date")
    def date_display(self, obj):
        return f"{obj.date:%d/%m/%Y}"

    @admin.display(description=_("thứ"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        return ["date"] if obj is not None else []  # another date is another override

    def has_add_permission(self, request):
        return _can_edit(request)

    def has_change_permission(self, request, obj=None):
        return _can_edit(request)

    def has_delete_permission(self, request, obj=None):
        return _can_edit(request)

    def save_model(self, request, obj, form, change):
        saved = set_override(obj.date, obj.kind, obj.reason, actor=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        remove_override(obj.date, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for override in queryset:
                remove_override(override.date, actor=request.user)


@admin.register(PublicHoliday)
class PublicHolidayAdmin(ReadOnlyAdmin):
    list_display = ["date_display", "weekday", "name", "name_en", "kind", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["name", "name_en"]
    date_hierarchy = "date"

    @admin.display(description=_("ngày"), ordering="date")
    def date_display(self, obj):
        return f"{obj.date:%d/%m/%Y}"

    @admin.display(description=_("thứ"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]


@admin.register(CalendarState)
class CalendarStateAdmin(ReadOnlyAdmin):
    list_display = ["version", "changed_at", "refreshed_at", "known_years", "warnings"]
