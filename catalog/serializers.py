"""API shapes of the catalogue: published versions (read) and a province's version (write)."""

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.formatting import lazy_format

from catalog.models import DocumentKind, FeeLine, Field, Level, ProcedureVersion, RequiredDocument, TimeUnit
from catalog.search import BY_POST_CHOICES
from catalog.services import DocumentData, FeeData, VersionData
from network.models import Agency

# DRF's own messages, in Vietnamese and English ("naming the field" is the error's "field").
BILINGUAL_ERRORS = {
    "required": _("Trường này là bắt buộc. / This field is required."),
    "null": _("Trường này không được để trống. / This field may not be null."),
    "blank": _("Trường này không được để trống. / This field may not be blank."),
    "invalid": _("Giá trị không hợp lệ. / Invalid value."),
    "max_length": _("Không quá {max_length} ký tự. / Ensure this field has no more than {max_length} characters."),
    "min_value": _("Giá trị phải lớn hơn hoặc bằng {min_value}. / "
                   "Ensure this value is greater than or equal to {min_value}."),
    "max_value": _("Giá trị phải nhỏ hơn hoặc bằng {max_value}. / "
                   "Ensure this value is less than or equal to {max_value}."),
    "max_string_length": _("Số quá lớn. / String value too large."),
    "invalid_choice": _("“{input}” không phải là lựa chọn hợp lệ. / “{input}” is not a valid choice."),
    "not_a_list": _("Cần một danh sách. / Expected a list of items."),
    "does_not_exist": _("Không có mã “{value}”. / No object with code “{value}”."),
}
DATE_ERROR = _("Ngày không hợp lệ, dùng dạng YYYY-MM-DD. / Invalid date, use YYYY-MM-DD.")


# Limits that a field checks with a validator built in its __init__, from the message it had then.
LIMIT_VALIDATORS = {MaxLengthValidator: "max_length", MinValueValidator: "min_value",
                    MaxValueValidator: "max_value"}


class BilingualErrorsMixin:
    """Every field of the serializer answers DRF's common errors in Vietnamese and English."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for key, message in BILINGUAL_ERRORS.items():
                if key in field.error_messages:
                    field.error_messages[key] = message
            if isinstance(field, serializers.DateField):
                field.error_messages["invalid"] = DATE_ERROR
            for validator in field.validators:
                key = LIMIT_VALIDATORS.get(type(validator))
                if key:
                    validator.message = lazy_format(BILINGUAL_ERRORS[key], **{key: getattr(field, key)})


# --- Read ---------------------------------------------------------------------


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name"]


# Read shapes give choice values as plain strings (the values are in the help text): an enum
# used by several components under a name other apps use too ("kind", "level", "status")
# cannot be named without settings.ENUM_NAME_OVERRIDES; the write shapes keep the enums.
DOCUMENT_KIND = "original (bản chính) | certified_copy (bản sao chứng thực) | photocopy (bản photo)"
FEE_KIND = "phi (phí) | le_phi (lệ phí)"
PROCEDURE_LEVEL = "central | provincial | commune | multi"
VERSION_STATUS = "draft | published | superseded"


class DocumentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=DOCUMENT_KIND)
    template = serializers.FileField(read_only=True, use_url=True, allow_null=True,
                                     help_text="URL of the form to fill in, if any")

    class Meta:
        model = RequiredDocument
        fields = ["position", "name", "kind", "count", "mandatory", "template"]
        # Explicit bounds: the schema must not depend on the database's integer ranges.
        extra_kwargs = {"position": {"max_value": 32767}, "count": {"max_value": 32767}}


class FeeSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=FEE_KIND)

    class Meta:
        model = FeeLine
        fields = ["position", "code", "name", "kind", "amount", "formula", "collector"]
        extra_kwargs = {"position": {"max_value": 32767},
                        "amount": {"help_text": "Whole đồng; null when the fee is a formula"}}


class VersionSerializer(serializers.ModelSerializer):
    """A province's published version of a procedure, as listed by a search."""

    province_code = serializers.CharField(source="province.code", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    code = serializers.CharField(source="procedure.code", read_only=True)
    field_code = serializers.CharField(source="procedure.field.code", read_only=True)
    field_name = serializers.CharField(source="procedure.field.name", read_only=True)
    level = serializers.CharField(source="procedure.level", read_only=True, help_text=PROCEDURE_LEVEL)
    status = serializers.CharField(read_only=True, help_text=VERSION_STATUS)
    agency_identifier = serializers.CharField(source="agency.identifier", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    service_choices = serializers.ListField(
        child=serializers.IntegerField(), read_only=True,
        help_text="Decision 45/2016 Art. 5 choices allowed: 1 send the dossier by post, "
                  "2 receive the result by post, 3 both",
    )
    page_url = serializers.SerializerMethodField(help_text="The public page of this procedure in this province")

    class Meta:
        model = ProcedureVersion
        fields = ["province_code", "province_name", "code", "name", "field_code", "field_name", "level",
                  "agency_identifier", "agency_name", "number", "status", "valid_from", "valid_to",
                  "processing_time", "processing_unit", "receive_by_post", "receive_basis", "receive_basis_date",
                  "return_by_post", "return_basis", "return_basis_date", "not_by_post_reason", "service_choices",
                  "page_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, version) -> str:
        url = reverse("catalog:procedure", args=[version.province.code, version.procedure.code])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class VersionDetailSerializer(VersionSerializer):
    """A version with what to prepare and what it costs."""

    documents = DocumentSerializer(many=True, read_only=True)
    fees = FeeSerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "documents", "fees"]
        read_only_fields = fields


class SearchQuerySerializer(BilingualErrorsMixin, serializers.Serializer):
    """The query string of a catalogue search."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Name without diacritics ('dang ky khai sinh') or a code prefix ('1.0016')")
    province = serializers.CharField(required=False, allow_blank=True, max_length=2,
                                     help_text="Province code (2 digits)")
    field = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="Field code")
    agency = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                   help_text="Agency identifier (mã định danh)")
    by_post = serializers.ChoiceField(choices=BY_POST_CHOICES, required=False, allow_blank=True,
                                      help_text="receive: the dossier may be sent by post; return: the result may be "
                                                "delivered by post; both; any: at least one; none: neither")


class ProvinceSearchQuerySerializer(SearchQuerySerializer):
    """The query string of a search in one province (the province is in the path)."""

    province = None


# --- Write --------------------------------------------------------------------


class DocumentWriteSerializer(BilingualErrorsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=500)
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    count = serializers.IntegerField(min_value=1, max_value=100, default=1)
    mandatory = serializers.BooleanField(default=True)


class FeeWriteSerializer(BilingualErrorsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=255)
    kind = serializers.ChoiceField(choices=FeeLine.Kind.choices)
    code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    amount = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None,
                                      help_text="Whole đồng; leave out when the fee is a formula")
    formula = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    collector = serializers.ChoiceField(choices=FeeLine.Collector.choices, default=FeeLine.Collector.POST)


class VersionWriteSerializer(BilingualErrorsMixin, serializers.Serializer):
    """Everything a province publishes about one procedure (catalog.services.VersionData)."""

    code = serializers.RegexField(
        r"^[0-9A-Za-z][0-9A-Za-z._-]*$", max_length=30, help_text="National procedure code, e.g. 1.001612",
        error_messages={"invalid": _("Mã thủ tục chỉ gồm chữ, số, dấu chấm, gạch. / "
                                     "A procedure code has only letters, digits, dots and dashes.")})
    name = serializers.CharField(max_length=500)
    field_code = serializers.CharField(max_length=40)
    field_name = serializers.CharField(max_length=255)
    level = serializers.ChoiceField(choices=Level.choices)
    agency_identifier = serializers.SlugRelatedField(slug_field="identifier", queryset=Agency.objects.all(),
                                                     help_text="The deciding agency's identifier (mã định danh)")
    processing_time = serializers.IntegerField(min_value=1, max_value=10_000)
    processing_unit = serializers.ChoiceField(choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    receive_by_post = serializers.BooleanField()
    receive_basis = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    receive_basis_date = serializers.DateField(required=False, allow_null=True, default=None)
    return_by_post = serializers.BooleanField()
    return_basis = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    return_basis_date = serializers.DateField(required=False, allow_null=True, default=None)
    not_by_post_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    documents = DocumentWriteSerializer(many=True, required=False, default=list)
    fees = FeeWriteSerializer(many=True, required=False, default=list)
    publish = serializers.BooleanField(default=True, help_text="false keeps the new version as a draft")
    valid_from = serializers.DateField(required=False, allow_null=True, default=None,
                                       help_text="Publication date (default: today)")

    def version_data(self) -> VersionData:
        data = dict(self.validated_data)
        for name in ("publish", "valid_from"):
            data.pop(name)
        agency = data.pop("agency_identifier")
        return VersionData(
            agency_id=agency.pk,
            documents=[DocumentData(**d) for d in data.pop("documents")],
            fees=[FeeData(**f) for f in data.pop("fees")],
            **data,
        )


class SaveResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["added", "changed", "unchanged"],
                                      help_text="added: first version in the province; changed: a new version "
                                                "superseding the current one; unchanged: already published as is")
    version = VersionDetailSerializer()


class CatalogErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="Vietnamese / English")


class CatalogErrorsSerializer(serializers.Serializer):
    errors = CatalogErrorSerializer(many=True)
