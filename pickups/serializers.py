"""API shapes of home pickup. Requests only check types and look up codes; the rules are pickups.services'
(and, at the door, dossiers.services.take_in's), whose errors the views map to these field names."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dossiers.serializers import (
    ApplicantSerializer,
    BilingualSerializer,
    ChecklistEntrySerializer,
    PaymentSerializer,
    ReturnAddressSerializer,
)
from dossiers.services import IntakeData
from pickups.models import PickupRequest, Window
from pickups.services import PickupData

STATUS_HELP = "registered | assigned | collecting | collected | cancelled | failed"
WINDOW_HELP = "morning (07:30–11:30) | afternoon (13:00–17:00) | custom (window_start–window_end)"


class PickupChoiceField(serializers.IntegerField):
    """The service choice of a pickup: 1 or 3 (an integer in the schema; the dossiers' enum has 1, 2, 3)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in (1, 3):
            raise serializers.ValidationError(
                "Thu gom tại nhà dùng cho dịch vụ 1 (gửi hồ sơ) hoặc 3 (gửi hồ sơ và nhận kết quả). / "
                "Home pickup is for service 1 (send the dossier) or 3 (send and receive the result).",
                code="invalid_choice")
        return value


class PickupSerializer(serializers.ModelSerializer):
    """A pickup request as staff see it."""

    service_choice = serializers.IntegerField(read_only=True, help_text="1 send the dossier, 3 send and receive "
                                              "the result")
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    onestop_state = serializers.IntegerField(read_only=True, help_text="Home-pickup state code of the one-stop "
                                             "systems: 1 registered, 2 collecting, 3 handed over, 4 cancelled")
    province = serializers.CharField(source="province.code", read_only=True)
    commune_code = serializers.CharField(source="commune.code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    procedure_code = serializers.CharField(source="procedure.code", read_only=True)
    procedure_name = serializers.CharField(source="version.name", read_only=True)
    window = serializers.CharField(read_only=True, help_text=WINDOW_HELP)
    channel = serializers.CharField(read_only=True, help_text="web | call_centre | counter")
    post_office = serializers.CharField(source="post_office.code", read_only=True)
    assigned_postman = serializers.SerializerMethodField()
    requested_by = serializers.SerializerMethodField()
    dossier = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = PickupRequest
        fields = ["code", "status", "onestop_state", "reason", "province", "commune_code", "commune_name", "street",
                  "contact_name", "phone", "procedure_code", "procedure_name", "service_choice", "preferred_date",
                  "window", "window_start", "window_end", "note", "channel", "requested_by", "phone_verified_at",
                  "post_office", "assigned_postman", "dossier", "created_at", "assigned_at", "started_at",
                  "closed_at", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_assigned_postman(self, obj):
        return obj.assigned_postman.username if obj.assigned_postman_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_requested_by(self, obj):
        return obj.requested_by.username if obj.requested_by_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_dossier(self, obj):
        """The tracking code of the dossier taken in at the door."""
        return obj.dossier.tracking_code if obj.dossier_id else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj):
        from django.urls import reverse

        path = reverse("api:pickup-detail", args=[obj.code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PickupCreateSerializer(BilingualSerializer):
    """A request registered by staff on a caller's behalf."""

    contact_name = serializers.CharField(max_length=255)
    phone = serializers.CharField(max_length=20, help_text="Vietnamese mobile: 10 digits starting 03/05/07/08/09")
    commune_code = serializers.CharField(max_length=10, help_text="New commune code (5 digits)")
    street = serializers.CharField(max_length=255, help_text="House number, street, hamlet")
    procedure_code = serializers.CharField(max_length=30, help_text="National procedure code, e.g. 1.001612")
    service_choice = PickupChoiceField(help_text="1 send the dossier only, 3 send and receive the result")
    preferred_date = serializers.DateField(help_text="A working day, today or later")
    window = serializers.ChoiceField(choices=Window.choices, help_text=WINDOW_HELP)
    window_start = serializers.TimeField(required=False, allow_null=True, default=None)
    window_end = serializers.TimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def pickup_data(self) -> PickupData:
        d = self.validated_data
        code = d["commune_code"].strip()
        return PickupData(contact_name=d["contact_name"], phone=d["phone"],
                          commune=code.zfill(5) if code.isdigit() else code, street=d["street"],
                          procedure_code=d["procedure_code"], service_choice=d["service_choice"],
                          preferred_date=d["preferred_date"], window=d["window"], window_start=d["window_start"],
                          window_end=d["window_end"], note=d["note"])


class PickupAssignSerializer(BilingualSerializer):
    postman = serializers.CharField(max_length=150, help_text="Username of a postman of the pickup's post office")


class PickupReasonSerializer(BilingualSerializer):
    reason = serializers.CharField(max_length=500, help_text="At least 5 characters")


class PickupCollectApplicantSerializer(ApplicantSerializer):
    """The applicant; name and phone default to the request's contact."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "phone"):
            self.fields[name].required = False
            self.fields[name].default = ""


class PickupCollectSerializer(BilingualSerializer):
    """What the postman counted, sealed and was paid at the door (the same as a counter intake; the procedure is
    the request's)."""

    service_choice = PickupChoiceField(required=False, allow_null=True, default=None,
                                       help_text="1 or 3; default: the request's")
    applicant = PickupCollectApplicantSerializer()
    return_address = ReturnAddressSerializer(required=False, allow_null=True, default=None,
                                             help_text="Where the result goes (choice 3); default: the pickup "
                                                       "address")
    checklist = ChecklistEntrySerializer(many=True, required=False, default=list)
    seal_numbers = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                         required=False, default=list)
    weight_grams = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                            max_value=30_000)
    payment = PaymentSerializer(required=False, default=dict)
    override_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    item_id = serializers.CharField(max_length=30, required=False, allow_blank=True, default="",
                                    help_text="A pre-printed S10 label; empty: allocated")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def intake_data(self, pickup) -> IntakeData:
        from dossiers.services import ChecklistEntry

        d = self.validated_data
        applicant = d["applicant"]
        address = d.get("return_address")
        if address:
            return_street, return_commune = address.get("street", ""), address.get("commune_code")
        else:
            return_street, return_commune = pickup.street, pickup.commune
        return IntakeData(
            service_choice=int(d["service_choice"] or pickup.service_choice), procedure_code=pickup.procedure.code,
            applicant_kind=applicant.get("kind") or "person",
            applicant_name=applicant.get("name") or pickup.contact_name,
            applicant_id_number=applicant.get("id_number", ""),
            applicant_phone=applicant.get("phone") or pickup.phone, applicant_email=applicant.get("email", ""),
            applicant_street=applicant.get("street") or pickup.street,
            applicant_commune=applicant.get("commune_code") or pickup.commune,
            return_street=return_street, return_commune=return_commune,
            checklist=[ChecklistEntry(e["document_id"], e["brought_count"], e.get("brought_kind", ""))
                       for e in d["checklist"]],
            seal_numbers=d["seal_numbers"], weight_grams=d["weight_grams"],
            payment_method=(d.get("payment") or {}).get("method", ""),
            payment_reference=(d.get("payment") or {}).get("reference", ""),
            override_reason=d["override_reason"], item_id=d["item_id"], note=d["note"])


class PickupCollectResultSerializer(serializers.Serializer):
    pickup = PickupSerializer()
    dossier_tracking_code = serializers.CharField()
    item_id = serializers.CharField(allow_null=True)
    amount_paid = serializers.IntegerField(help_text="đồng")


class PickupErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="Vietnamese / English")


class PickupErrorsSerializer(serializers.Serializer):
    errors = PickupErrorSerializer(many=True)
