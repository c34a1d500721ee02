"""Admin of the chain of custody: leg time limits and compensation rules are edited through
``custody.services`` (their permission checks and rules become form errors); manifests, incidents and the
packages' timeline are read-only here (they change only through the custody pages, the API and the
services), each limited to the user's scope."""

from django.contrib import admin
from django.db.models import Q

from custody.models import CompensationRule, Incident, ItemEvent, LegLimit, Manifest
from custody.services import check_compensation_rule, check_leg_limit, save_compensation_rule, save_leg_limit
from postal.admin import ReadOnlyAdmin, ServiceAdmin


class NationalOrOwnProvinceAdmin(ServiceAdmin):
    """National rows apply everywhere, so everyone may read them; the service limits who writes."""

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request).select_related("province")
        if request.user.is_national:
            return qs
        return qs.filter(Q(province__isnull=True) | Q(province_id=request.user.province_id))


@admin.register(LegLimit)
class LegLimitAdmin(NationalOrOwnProvinceAdmin):
    service = save_leg_limit
    checker = check_leg_limit
    list_display = ["leg", "other_province", "province", "working_days"]
    list_filter = ["leg", "other_province", "province"]


@admin.register(CompensationRule)
class CompensationRuleAdmin(NationalOrOwnProvinceAdmin):
    service = save_compensation_rule
    checker = check_compensation_rule
    list_display = ["reason", "province", "postage_multiple", "fixed_amount", "maximum_amount", "basis"]
    list_filter = ["reason", "province"]


@admin.register(Manifest)
class ManifestAdmin(ReadOnlyAdmin):
    list_display = ["code", "status", "origin_kind", "origin_post_office", "origin_desk", "destination_kind",
                    "destination_post_office", "destination_desk", "seal_number", "opened_at", "dispatched_at",
                    "received_at"]
    list_filter = ["status", "origin_kind", "destination_kind"]
    search_fields = ["code", "seal_number"]
    list_select_related = ["origin_post_office", "origin_desk", "destination_post_office", "destination_desk"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["code", "item", "reason", "status", "post_office", "reported_at", "compensation_amount",
                    "closed_at"]
    list_filter = ["status", "reason"]
    search_fields = ["code", "item__item_id"]
    list_select_related = ["item", "post_office"]


@admin.register(ItemEvent)
class ItemEventAdmin(ReadOnlyAdmin):
    list_display = ["item", "status", "reason", "occurred_at", "source", "unit_kind", "post_office", "desk",
                    "actor_label", "applied"]
    list_filter = ["source", "status", "applied"]
    search_fields = ["item__item_id", "event_id"]
    list_select_related = ["item", "post_office", "desk"]
