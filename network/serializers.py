from rest_framework import serializers

from network.models import Agency, PostOffice


class PostOfficeSerializer(serializers.ModelSerializer):
    province_code = serializers.CharField(source="province.code", read_only=True)
    commune_code = serializers.CharField(source="commune.code", read_only=True, default=None)

    class Meta:
        model = PostOffice
        fields = ["id", "code", "name", "kind", "province_code", "commune_code", "street", "phone", "active"]


class AgencySerializer(serializers.ModelSerializer):
    province_code = serializers.CharField(source="province.code", read_only=True)
    commune_code = serializers.CharField(source="commune.code", read_only=True, default=None)

    class Meta:
        model = Agency
        fields = ["id", "identifier", "name", "level", "province_code", "commune_code", "street", "phone",
                  "email", "active"]
