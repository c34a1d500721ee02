"""API shapes of intake: what a client sends to take a dossier in (or to ask what it would cost), and the
dossier it gets back. The request shapes only check types and look up codes (communes, the old address);
everything else — CCCD, tax code, phone, checklist, seals, item id, fees — is checked by
``dossiers.services.take_in``, whose errors the view maps back to these field names (``SERVICE_FIELDS``)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import DocumentKind
from catalog.serializers import BILINGUAL_ERRORS, BilingualErrorsMixin
from dossiers.models import ApplicantKind, Channel, ServiceChoice, Status
from dossiers.services import ChecklistEntry, IntakeData
from geo.models import Commune
from postal.models import PaymentMethod

NUL_MESSAGE = "Không được chứa ký tự NUL. / Null characters are not allowed."
COMMUNE_CODE_LENGTH = 5

# A service error's key -> the API field it is about.
SERVICE_FIELDS = {
    "applicant_kind": "applicant.kind",
    "applicant_name": "applicant.name",
    "applicant_id_number": "applicant.id_number",
    "applicant_phone": "applicant.phone",
    "applicant_email": "applicant.email",
    "applicant_street": "applicant.street",
    "applicant_commune": "applicant.commune_code",
    "return_street": "return_address.street",
    "return_commune": "return_address.commune_code",
    "payment_method": "payment.method",
    "payment_reference": "payment.reference",
    "post_office": "post_office_code",
    "submission_key": "Idempotency-Key",
    "__all__": "non_field_errors",
}

SERVICE_CHOICE_HELP = "1 send the dossier only (gửi hồ sơ), 2 receive the result only (nhận kết quả), 3 both"
DOCUMENT_KIND = "original (bản chính) | certified_copy (bản sao chứng thực) | photocopy (bản photo)"


def bilingual_fields(fields):
    """DRF's common messages in Vietnamese and English for these fields and the children of list fields."""
    for field in fields:
        child = getattr(field, "child", None)
        if child is not None and not isinstance(child, serializers.BaseSerializer):
            bilingual_fields([child])
        for key, message in BILINGUAL_ERRORS.items():
            if key in field.error_messages:
                field.error_messages[key] = message
        for validator in field.validators:
            if type(validator).__name__ == "ProhibitNullCharactersValidator":
                validator.message = NUL_MESSAGE


class PlainChoiceField(serializers.CharField):
    """A choice given as a plain string in the schema (its values in the help text): an enum named "kind" is
    used by other apps with other values, and naming them apart would need settings.ENUM_NAME_OVERRIDES."""

    def __init__(self, *, choices, **kwargs):
        self.values = [str(value) for value, _label in choices]
        kwargs.setdefault("help_text", " | ".join(self.values))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and value not in self.values:
            raise serializers.ValidationError(
                f"“{value[:40]}” không phải là lựa chọn hợp lệ ({', '.join(self.values)}). / "
                f"“{value[:40]}” is not a valid choice ({', '.join(self.values)}).", code="invalid_choice")
        return value


class BilingualSerializer(BilingualErrorsMixin, serializers.Serializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bilingual_fields(self.fields.values())


def normalise_commune_code(code: str) -> str:
    code = (code or "").strip()
    return code.zfill(COMMUNE_CODE_LENGTH) if code.isdigit() and len(code) < COMMUNE_CODE_LENGTH else code


def commune_by_code(code: str):
    """The commune with this code ("3307" is "03307"), or None."""
    code = normalise_commune_code(code)
    return Commune.objects.select_related("province").filter(code=code).first() if code else None


def validated_commune(code: str):
    """The commune a code field names (None when left empty), or the field's error."""
    if not (code or "").strip():
        return None
    commune = commune_by_code(code)
    if commune is None:
        code = normalise_commune_code(code)[:10]
        raise serializers.ValidationError(f"Không có xã/phường mã “{code}”. / There is no commune with code “{code}”.")
    return commune


# --- Requests -----------------------------------------------------------------------------------------------


class ApplicantSerializer(BilingualSerializer):
    kind = PlainChoiceField(choices=ApplicantKind.choices, required=False, default=ApplicantKind.PERSON,
                            help_text="person (cá nhân) | organisation (tổ chức); default person")
    name = serializers.CharField(max_length=255, allow_blank=True, help_text="Full name, or the organisation's name")
    id_number = serializers.CharField(max_length=30, allow_blank=True,
                                      help_text="CCCD (12 digits) for a person; tax code (MST, 10 or 13 digits) "
                                                "for an organisation")
    phone = serializers.CharField(max_length=20, allow_blank=True,
                                  help_text="Vietnamese mobile: 10 digits starting 03/05/07/08/09, or +84…")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    street = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    commune_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="",
                                         help_text="The applicant's commune (new code, 5 digits)")

    def validate_commune_code(self, value):
        return validated_commune(value)


class ReturnAddressSerializer(BilingualSerializer):
    street = serializers.CharField(max_length=255, required=False, allow_blank=True, default="",
                                   help_text="House number, street, hamlet")
    commune_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="",
                                         help_text="New commune code (5 digits), e.g. one the resolver proposed")

    def validate_commune_code(self, value):
        return validated_commune(value)


class ChecklistEntrySerializer(BilingualSerializer):
    document_id = serializers.IntegerField(min_value=1, max_value=2**62,
                                           help_text="Id of the required document (see the quote's checklist)")
    brought_count = serializers.IntegerField(min_value=0, max_value=99)
    brought_kind = PlainChoiceField(choices=DocumentKind.choices, required=False, allow_blank=True, default="",
                                    help_text=DOCUMENT_KIND + "; empty: the kind the procedure asks for")


class PaymentSerializer(BilingualSerializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False, allow_blank=True, default="",
                                     help_text="cash | transfer | qr (needed when anything is to be paid)")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                      help_text="Transfer / QR transaction id")


class IntakeRequestSerializer(BilingualSerializer):
    """Everything counted, sealed and paid at the counter (``dossiers.services.IntakeData``)."""

    service_choice = serializers.ChoiceField(choices=ServiceChoice.choices, help_text=SERVICE_CHOICE_HELP)
    procedure_code = serializers.CharField(max_length=30, help_text="National procedure code, e.g. 1.001612")
    applicant = ApplicantSerializer()
    return_address = ReturnAddressSerializer(
        required=False, allow_null=True, default=None,
        help_text="Where the result goes (choices 2 and 3). When commune_code is given, return_address_text "
                  "is only recorded as the address as declared.")
    return_address_text = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="",
        help_text="The return address as written, old three-level or new two-level. Used only when it resolves "
                  "to exactly one commune; otherwise 400 on this field listing the candidates: send the chosen "
                  "one as return_address.commune_code.")
    checklist = ChecklistEntrySerializer(many=True, required=False, default=list,
                                         help_text="What was brought of each required document")
    seal_numbers = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                         required=False, default=list,
                                         help_text="Seal number(s) of the package (choices 1 and 3)")
    weight_grams = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                            max_value=30_000)
    payment = PaymentSerializer(required=False, default=dict)
    override_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                            help_text="Why a dossier with mandatory documents missing is taken in "
                                                      "(allowed roles only)")
    external_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                          help_text="The agency's dossier code (choice 2: filed directly or online)")
    item_id = serializers.CharField(max_length=30, required=False, allow_blank=True, default="",
                                    help_text="A pre-printed S10 label (e.g. EH000000015VN); empty: allocated")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    post_office_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                             help_text="Receiving post office; default and only choice: the "
                                                       "caller's own")

    def validate(self, attrs):
        from geo.resolver import AMBIGUOUS
        from geo.services import resolve_address

        address = attrs.get("return_address") or {}
        text = attrs.get("return_address_text", "").strip()
        attrs["return_street"] = address.get("street", "")
        attrs["return_commune"] = address.get("commune_code")
        if text and attrs["return_commune"] is None:
            result = resolve_address(text)
            resolution, commune_ref = result.resolution, result.commune
            if not resolution.resolved:
                candidates = [f"{c.code} {c.name} ({c.province_name})" for c in resolution.candidates]
                listed = "; ".join(candidates)
                if resolution.status == AMBIGUOUS:
                    message = (f"Địa chỉ có nhiều khả năng, không tự chọn: {listed}. Gửi mã xã/phường đã chọn trong "
                               f"return_address.commune_code. / The address may mean several communes; none is "
                               f"chosen for you: {listed}. Send the chosen one as return_address.commune_code.")
                else:
                    message = resolution.message
                raise serializers.ValidationError({"return_address_text": [message]})
            if commune_ref is None:
                candidate = resolution.commune
                raise serializers.ValidationError({"return_address_text": [
                    f"Địa chỉ ứng với {candidate.name} ({candidate.code}) nhưng xã/phường này chưa có trong hệ "
                    f"thống. / The address means {candidate.name} ({candidate.code}), which is not loaded here."]})
            attrs["return_commune"] = Commune.objects.get(pk=commune_ref.id)
            if not attrs["return_street"].strip():
                attrs["return_street"] = resolution.street
        attrs["return_address_input"] = text
        return attrs

    def intake_data(self) -> IntakeData:
        data = self.validated_data
        applicant, payment = data["applicant"], data.get("payment") or {}
        return IntakeData(
            service_choice=int(data["service_choice"]), procedure_code=data["procedure_code"].strip(),
            applicant_kind=applicant["kind"], applicant_name=applicant["name"],
            applicant_id_number=applicant["id_number"], applicant_phone=applicant["phone"],
            applicant_email=applicant.get("email", ""), applicant_street=applicant.get("street", ""),
            applicant_commune=applicant.get("commune_code"), return_street=data["return_street"],
            return_commune=data["return_commune"], return_address_input=data["return_address_input"],
            checklist=[ChecklistEntry(e["document_id"], e["brought_count"], e.get("brought_kind", ""))
                       for e in data["checklist"]],
            seal_numbers=list(data["seal_numbers"]), weight_grams=data["weight_grams"],
            payment_method=payment.get("method", ""), payment_reference=payment.get("reference", ""),
            override_reason=data["override_reason"], external_code=data["external_code"], item_id=data["item_id"],
            note=data["note"],
        )


class QuoteRequestSerializer(BilingualSerializer):
    """What an intake would cost, before the citizen commits to it."""

    service_choice = serializers.ChoiceField(choices=ServiceChoice.choices, help_text=SERVICE_CHOICE_HELP)
    procedure_code = serializers.CharField(max_length=30)
    commune_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="",
                                         help_text="Commune the result is returned to (choices 2 and 3); unknown: "
                                                   "the widest zone is quoted")
    weight_grams = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                            max_value=30_000)
    post_office_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                             help_text="Default: the caller's post office")

    def validate_commune_code(self, value):
        return validated_commune(value)


class CancelRequestSerializer(BilingualSerializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, help_text="Why (at least 10 characters)")


class DossierFilterSerializer(BilingualSerializer):
    """The query string of the dossier list."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    service_choice = serializers.ChoiceField(choices=ServiceChoice.choices, required=False)
    procedure_code = serializers.CharField(max_length=30, required=False)
    received_from = serializers.DateField(required=False, help_text="Received on or after (YYYY-MM-DD)")
    received_to = serializers.DateField(required=False, help_text="Received on or before (YYYY-MM-DD)")
    post_office_code = serializers.CharField(max_length=20, required=False)

    def validate(self, attrs):
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start and end and end < start:
            raise serializers.ValidationError({"received_to": [
                "Ngày kết thúc trước ngày bắt đầu. / The end date is before the start date."]})
        return attrs


class ItemCheckQuerySerializer(BilingualSerializer):
    item_id = serializers.CharField(max_length=40, help_text="As typed or scanned; spaces and case do not matter")


# --- Responses ----------------------------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField(source="procedure.code")
    name = serializers.CharField()
    version = serializers.IntegerField(source="number", help_text="The province's version number")


class AgencyRefSerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="Mã định danh")
    name = serializers.CharField()


class ApplicantOutSerializer(serializers.Serializer):
    kind = serializers.CharField(source="applicant_kind", help_text="person | organisation")
    name = serializers.CharField(source="applicant_name")
    id_number = serializers.CharField(source="applicant_id_number", help_text="CCCD or tax code, in full (staff)")
    phone = serializers.CharField(source="applicant_phone")
    email = serializers.CharField(source="applicant_email")
    street = serializers.CharField(source="applicant_street")
    commune_code = serializers.CharField(source="applicant_commune.code", allow_null=True, default=None)


class ReturnAddressOutSerializer(serializers.Serializer):
    street = serializers.CharField(source="return_street")
    commune_code = serializers.CharField(source="return_commune.code", allow_null=True, default=None)
    commune_name = serializers.CharField(source="return_commune.name", allow_null=True, default=None)
    province_name = serializers.CharField(source="return_commune.province.name", allow_null=True, default=None)
    as_declared = serializers.CharField(source="return_address_input",
                                        help_text="The address as written (old three-level), if one was given")


class ChecklistLineSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    document_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    mandatory = serializers.BooleanField()
    required_kind = serializers.CharField(help_text=DOCUMENT_KIND)
    required_count = serializers.IntegerField()
    brought_kind = serializers.CharField(help_text="Empty when nothing was brought")
    brought_count = serializers.IntegerField()


class ChargeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="postage_send | postage_return | agency_fee")
    label = serializers.CharField()
    list_amount = serializers.IntegerField(help_text="Whole đồng, before any free programme")
    amount = serializers.IntegerField(help_text="Whole đồng the citizen pays")
    zone = serializers.CharField(help_text="same_commune | same_province | other_province (postage)")
    free_programme = serializers.IntegerField(source="free_programme_id", allow_null=True)


class CustodianSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class ItemOutSerializer(serializers.Serializer):
    item_id = serializers.CharField(help_text="S10 item id")
    kind = serializers.CharField(help_text="dossier | supplement | result")
    status = serializers.CharField()
    custodian_kind = serializers.CharField(help_text="post_office | postman | manifest | desk | agency | citizen")
    custodian = serializers.SerializerMethodField()
    seal_numbers = serializers.ListField(child=serializers.CharField())
    weight_grams = serializers.IntegerField(allow_null=True)

    @extend_schema_field(CustodianSerializer(allow_null=True))
    def get_custodian(self, item):
        holder = item.custodian
        if holder is None:
            return None
        code = getattr(holder, "code", None) or getattr(holder, "identifier", None) or getattr(holder, "username",
                                                                                                None)
        name = getattr(holder, "name", None) or (holder.get_full_name() if hasattr(holder, "get_full_name")
                                                 else str(holder))
        return {"code": code, "name": name or str(holder)}


class ReceiptOutSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="{post office}-{year}-{number}")
    number = serializers.IntegerField()
    total = serializers.IntegerField()
    postage_amount = serializers.IntegerField()
    fee_amount = serializers.IntegerField()
    method = serializers.CharField(help_text="cash | transfer | qr")
    issued_at = serializers.DateTimeField()
    voided = serializers.BooleanField()
    pdf = serializers.SerializerMethodField(help_text="The receipt as PDF (A5); null if not available")

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, receipt):
        return _link(self.context.get("request"), "dossiers:receipt", receipt.dossier.tracking_code, receipt.pk)


class LinksSerializer(serializers.Serializer):
    slip = serializers.URLField(allow_null=True, help_text="Dossier slip (PDF)")
    label = serializers.URLField(allow_null=True, help_text="Package label 100×150 mm (PDF); null without a package")
    receipt = serializers.URLField(allow_null=True, help_text="Fee receipt (PDF), the first one not voided")
    api = serializers.URLField(help_text="This dossier in the API")


def _link(request, name: str, *args):
    """The URL of one of the dossier's printed documents (dossiers.views_print), or None if that view is not
    there."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(url) if request else url


class DossierSummarySerializer(serializers.Serializer):
    """One dossier in a list."""

    tracking_code = serializers.CharField(help_text="12 characters, as stored")
    tracking_code_display = serializers.CharField(source="display_tracking_code",
                                                  help_text="Grouped by 4 for reading out (XXXX-XXXX-XXXX)")
    status = serializers.CharField(help_text=" | ".join(Status.values))
    service_choice = serializers.IntegerField(help_text=SERVICE_CHOICE_HELP)
    channel = serializers.CharField(help_text=" | ".join(Channel.values))
    procedure_code = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="version.name")
    agency_identifier = serializers.CharField(source="agency.identifier")
    post_office_code = serializers.CharField(source="post_office.code")
    applicant_name = serializers.CharField()
    received_at = serializers.DateTimeField()
    expected_arrival = serializers.DateTimeField(allow_null=True)
    amount_paid = serializers.IntegerField(help_text="Whole đồng")
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, dossier):
        url = reverse("api:dossier-detail", args=[dossier.tracking_code])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DossierSerializer(serializers.Serializer):
    """A dossier with everything counted, sealed, charged and printed at intake."""

    tracking_code = serializers.CharField(help_text="12 characters, as stored")
    tracking_code_display = serializers.CharField(source="display_tracking_code",
                                                  help_text="Grouped by 4 for reading out (XXXX-XXXX-XXXX)")
    status = serializers.CharField(help_text=" | ".join(Status.values))
    service_choice = serializers.IntegerField(help_text=SERVICE_CHOICE_HELP)
    channel = serializers.CharField(help_text=" | ".join(Channel.values))
    procedure = ProcedureRefSerializer(source="version")
    agency = AgencyRefSerializer()
    desk = CodeNameSerializer(allow_null=True, help_text="The one-stop desk the dossier is carried to")
    post_office = CodeNameSerializer(help_text="The receiving post office")
    received_at = serializers.DateTimeField()
    received_by = serializers.CharField(source="received_by.username", allow_null=True, default=None)
    expected_arrival = serializers.DateTimeField(allow_null=True, help_text="Expected at the agency's desk")
    external_code = serializers.CharField()
    applicant = ApplicantOutSerializer(source="*")
    return_address = ReturnAddressOutSerializer(source="*")
    checklist = ChecklistLineSerializer(many=True)
    checklist_override_reason = serializers.CharField(help_text="Why it was taken in with documents missing")
    seal_numbers = serializers.SerializerMethodField()
    weight_grams = serializers.IntegerField(allow_null=True)
    items = ItemOutSerializer(many=True)
    charges = ChargeSerializer(many=True)
    postage_total = serializers.IntegerField()
    fee_total = serializers.IntegerField(help_text="Agency fees collected on its behalf")
    amount_paid = serializers.IntegerField()
    receipts = ReceiptOutSerializer(many=True)
    note = serializers.CharField()
    links = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_seal_numbers(self, dossier):
        item = dossier.outbound_item
        return list(item.seal_numbers) if item else []

    @extend_schema_field(LinksSerializer)
    def get_links(self, dossier):
        request = self.context.get("request")
        api = reverse("api:dossier-detail", args=[dossier.tracking_code])
        code = dossier.tracking_code
        receipt = next((r for r in dossier.receipts.all() if not r.voided), None)
        return {"slip": _link(request, "dossiers:slip", code),
                "label": _link(request, "dossiers:label", code) if dossier.outbound_item else None,
                "receipt": _link(request, "dossiers:receipt", code, receipt.pk) if receipt else None,
                "api": request.build_absolute_uri(api) if request else api}


class QuoteDocumentSerializer(serializers.Serializer):
    document_id = serializers.IntegerField(source="pk")
    position = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=DOCUMENT_KIND)
    count = serializers.IntegerField()
    mandatory = serializers.BooleanField()


class QuoteChargeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="postage_send | postage_return | agency_fee")
    label = serializers.CharField()
    list_amount = serializers.IntegerField()
    amount = serializers.IntegerField()
    zone = serializers.CharField()
    free_programme = serializers.IntegerField(allow_null=True)


class QuoteResponseSerializer(serializers.Serializer):
    service_choice = serializers.IntegerField()
    procedure = ProcedureRefSerializer()
    agency = AgencyRefSerializer()
    post_office = CodeNameSerializer()
    desk = CodeNameSerializer(allow_null=True)
    expected_arrival = serializers.DateTimeField(allow_null=True, help_text="If taken in now")
    charges = QuoteChargeSerializer(many=True)
    postage = serializers.IntegerField()
    fees = serializers.IntegerField()
    total = serializers.IntegerField()
    checklist = QuoteDocumentSerializer(many=True, help_text="What to bring (choices 1 and 3)")


class ItemCheckSerializer(serializers.Serializer):
    item_id = serializers.CharField(help_text="Normalised: upper case, no spaces or dashes")
    valid = serializers.BooleanField()
    message = serializers.CharField(help_text="Vietnamese / English")
    known = serializers.BooleanField(help_text="A package you may see carries this id")
    item_status = serializers.CharField(allow_null=True)
    dossier_tracking_code = serializers.CharField(allow_null=True)
    dossier_tracking_code_display = serializers.CharField(allow_null=True)
    dossier_status = serializers.CharField(allow_null=True)


class IntakeErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="e.g. applicant.phone, return_address_text, checklist")
    message = serializers.CharField(help_text="Vietnamese / English")


class IntakeErrorsSerializer(serializers.Serializer):
    errors = IntakeErrorSerializer(many=True)


def service_errors(exc: DjangoValidationError) -> dict:
    """A service's ValidationError keyed by the API's field names."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {SERVICE_FIELDS.get(key, key): messages for key, messages in exc.message_dict.items()}
