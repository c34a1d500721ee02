from django.utils.translation import gettext as _
from rest_framework import serializers

from geo.models import Commune, Province
from network.models import Agency, OneStopDesk, PostOffice


class ScopedChoicesMixin:
    """Related staff-side objects (post offices, agencies, desks) are looked up within the
    caller's scope only, so one of another province answers exactly like one that does not
    exist. Provinces and communes are public reference data and are not filtered."""

    def get_fields(self):
        from accounts.scopes import visible

        fields = super().get_fields()
        request = self.context.get("request")
        for field in fields.values():
            queryset = getattr(field, "queryset", None)
            if (request is not None and queryset is not None and hasattr(queryset.model, "scope_paths")
                    and queryset.model._meta.app_label != "geo"):
                field.queryset = visible(request.user, queryset)
        return fields


class UnitCodesMixin(ScopedChoicesMixin, serializers.Serializer):
    """Province and commune by their official codes, checked to belong together."""

    province_code = serializers.SlugRelatedField(
        source="province", slug_field="code", queryset=Province.objects.filter(retired=False),
        error_messages={"does_not_exist": _("Không có tỉnh mã {value}. / No province with code {value}.")},
    )
    commune_code = serializers.SlugRelatedField(
        source="commune", slug_field="code", queryset=Commune.objects.filter(retired=False), required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("Không có xã/phường mã {value}. / No commune with code {value}.")},
    )

    def validate(self, attrs):
        province = attrs.get("province", getattr(self.instance, "province", None))
        commune = attrs.get("commune", getattr(self.instance, "commune", None))
        if commune is not None and province is not None and commune.province_id != province.pk:
            raise serializers.ValidationError({"commune_code": _(
                "Xã/phường không thuộc tỉnh đã chọn. / The commune is not in the chosen province.")})
        return attrs


class PostOfficeSerializer(UnitCodesMixin, serializers.ModelSerializer):
    served_commune_codes = serializers.SlugRelatedField(
        source="served_communes", slug_field="code", many=True, read_only=True)
    carries_to_desk_codes = serializers.SlugRelatedField(source="carries_to", slug_field="code", many=True,
                                                         read_only=True)

    class Meta:
        model = PostOffice
        fields = ["id", "code", "name", "kind", "province_code", "commune_code", "street", "phone",
                  "opening_hours", "latitude", "longitude", "accepts_dossiers", "active",
                  "served_commune_codes", "carries_to_desk_codes"]


class AgencySerializer(UnitCodesMixin, serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "identifier", "name", "level", "province_code", "commune_code", "street", "phone",
                  "email", "active"]


class OneStopDeskSerializer(ScopedChoicesMixin, serializers.ModelSerializer):
    agency_identifier = serializers.SlugRelatedField(source="agency", slug_field="identifier",
                                                     queryset=Agency.objects.all())
    commune_code = serializers.SlugRelatedField(source="commune", slug_field="code", required=False,
                                                allow_null=True, queryset=Commune.objects.filter(retired=False))
    post_office_code = serializers.SlugRelatedField(source="post_office", slug_field="code", required=False,
                                                    allow_null=True, queryset=PostOffice.objects.all())
    province_code = serializers.CharField(source="province.code", read_only=True)

    class Meta:
        model = OneStopDesk
        fields = ["id", "code", "name", "agency_identifier", "level", "mode", "province_code", "commune_code",
                  "post_office_code", "street", "opening_hours", "active"]


class CoverageSerializer(serializers.Serializer):
    province_code = serializers.CharField(source="province.code")
    communes = serializers.IntegerField()
    post_offices_accepting = serializers.IntegerField()
    commune_points_accepting = serializers.IntegerField()
    desks = serializers.IntegerField()
    communes_without_point = serializers.SerializerMethodField()
    communes_not_served = serializers.SerializerMethodField()
    desks_not_served = serializers.SerializerMethodField()

    def get_communes_without_point(self, obj) -> list[str]:
        return [c.code for c in obj.communes_without_point]

    def get_communes_not_served(self, obj) -> list[str]:
        return [c.code for c in obj.communes_not_served]

    def get_desks_not_served(self, obj) -> list[str]:
        return [d.code for d in obj.desks_not_served]
