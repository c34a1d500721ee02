from rest_framework import serializers

from geo.models import Commune, Province


class ProvinceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Province
        fields = ["code", "name", "division_type", "retired", "retired_at"]


class CommuneSerializer(serializers.ModelSerializer):
    province_code = serializers.CharField(source="province.code", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)

    class Meta:
        model = Commune
        fields = ["code", "name", "division_type", "province_code", "province_name", "postal_code", "retired",
                  "retired_at"]


class AddressResolveRequestSerializer(serializers.Serializer):
    address = serializers.CharField(
        max_length=500, trim_whitespace=True,
        help_text="Old three-level or new two-level address, e.g. '12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, "
                  "An Giang'.",
        error_messages={
            "required": "Thiếu địa chỉ. / The address is missing.",
            "blank": "Địa chỉ trống. / The address is empty.",
            "null": "Địa chỉ trống. / The address is empty.",
            "invalid": "Địa chỉ phải là chuỗi ký tự. / The address must be a string.",
            "max_length": "Địa chỉ dài quá {max_length} ký tự. / The address is longer than {max_length} characters.",
        },
    )


class OldUnitSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Pre-2025 ward code (5 digits)")
    name = serializers.CharField()
    district = serializers.CharField()
    province = serializers.CharField()


class CandidateSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="New commune code (5 digits)")
    name = serializers.CharField()
    division_type = serializers.CharField()
    province_code = serializers.CharField()
    province_name = serializers.CharField()
    via = serializers.ChoiceField(choices=["old", "new", "old+new"],
                                  help_text="old: through the official conversion table; new: named directly")
    partial = serializers.BooleanField(help_text="The old ward was split: only part of it went to this commune")
    old_units = OldUnitSerializer(many=True)
    commune_id = serializers.IntegerField(allow_null=True, help_text="Database id; null if units are not loaded")
    retired = serializers.BooleanField(allow_null=True)


class MatchedSerializer(serializers.Serializer):
    ward = serializers.CharField(required=False)
    district = serializers.CharField(required=False)
    province = serializers.CharField(required=False)
    unrecognised = serializers.CharField(required=False)


class AddressResolveResponseSerializer(serializers.Serializer):
    input = serializers.CharField()
    status = serializers.ChoiceField(choices=["resolved", "ambiguous", "not_found"])
    code = serializers.CharField(allow_null=True, help_text="The new commune code when status is 'resolved'")
    street = serializers.CharField(help_text="What stood in front of the ward (house number, street, hamlet)")
    matched = MatchedSerializer(help_text="The parts of the input read as ward / district / province")
    interpretation = serializers.ChoiceField(choices=["old", "new", "mixed", ""])
    old_units = OldUnitSerializer(many=True, help_text="Every pre-2025 ward matched")
    candidates = CandidateSerializer(many=True)
    message = serializers.CharField(help_text="Vietnamese / English")
    message_vi = serializers.CharField()
    message_en = serializers.CharField()
