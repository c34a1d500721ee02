"""API of the public tracking page: ``GET /api/v1/tracking/{code}?phone_last4=`` — no login.

The same lookup as the page (custody.tracking.lookup): the same data, the same limits, the same neutral 404 for
an unknown tracking code and an unknown item id. With ``phone_last4`` (the last 4 digits of the registered phone)
the answer adds the ``private`` part; wrong digits answer 200 with the public part and ``phone_check.result``
"wrong" (the tries left); too many wrong digits for the dossier, or too many lookups from the client, answer 429
with ``Retry-After``. Answers with the private part are ``Cache-Control: no-store``."""

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from custody import tracking

TAGS = ["tracking"]
STATUS_HELP = ("The package's normalised status (" + ", ".join(tracking.STATUS_CODES) + "); `awaiting_result` while "
               "a dossier registered to receive its result by post has no package yet")


class TrackingErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="`code` or `phone_last4`; null for a rate limit")
    message = serializers.CharField(help_text="Vietnamese / English")


class TrackingErrorsSerializer(serializers.Serializer):
    errors = TrackingErrorSerializer(many=True)


class TrackingStatusSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=STATUS_HELP)
    message = serializers.CharField(help_text="In plain Vietnamese, e.g. “Đang chuyển đến Trung tâm PVHCC tỉnh An Giang”")
    at = serializers.DateTimeField(allow_null=True)


class TrackingStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.CharField(help_text=STATUS_HELP)
    message = serializers.CharField()
    item_kind = serializers.CharField(allow_blank=True, help_text="dossier, supplement, result (blank: the dossier)")


class TrackingDossierSerializer(serializers.Serializer):
    procedure_code = serializers.CharField()
    procedure_name = serializers.CharField()
    service_choice = serializers.IntegerField(help_text="1 send the dossier, 2 receive the result, 3 both")
    service_label = serializers.CharField()
    post_office = serializers.CharField(help_text="The receiving post office")
    agency = serializers.CharField()
    desk = serializers.CharField(allow_blank=True, help_text="The receiving one-stop desk")
    received_at = serializers.DateTimeField()
    expected_arrival = serializers.DateTimeField(allow_null=True, help_text="Expected arrival at the agency")
    applicant_initials = serializers.CharField(help_text="e.g. “N. T. L.”")
    cancelled = serializers.BooleanField()


class TrackingChargeSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.IntegerField(help_text="đồng")


class TrackingItemSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()


class TrackingIncidentSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.CharField()
    reported_at = serializers.DateTimeField()
    message = serializers.CharField()


class TrackingReturnAddressSerializer(serializers.Serializer):
    street = serializers.CharField(allow_blank=True)
    commune = serializers.CharField(allow_blank=True)
    province = serializers.CharField(allow_blank=True)
    as_written = serializers.CharField(allow_blank=True, help_text="An old address as the citizen wrote it")


class TrackingPrivateSerializer(serializers.Serializer):
    applicant_name = serializers.CharField()
    return_address = TrackingReturnAddressSerializer()
    charges = TrackingChargeSerializer(many=True)
    amount_paid = serializers.IntegerField(help_text="đồng")
    external_code = serializers.CharField(allow_blank=True, help_text="The agency's own dossier code")
    items = TrackingItemSerializer(many=True)
    open_incidents = TrackingIncidentSerializer(many=True)


class TrackingPhoneCheckSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="ok, wrong (see tries_left), unavailable (try again later)")
    message = serializers.CharField(allow_blank=True)
    tries_left = serializers.IntegerField(allow_null=True)


class TrackingSerializer(serializers.Serializer):
    tracking_code = serializers.CharField(help_text="As printed: XXXX-XXXX-XXXX")
    detail_level = serializers.CharField(help_text="public, or verified after the phone check")
    status = TrackingStatusSerializer()
    dossier = TrackingDossierSerializer()
    timeline = TrackingStepSerializer(many=True, help_text="In time order, late scans at their time")
    phone_check = TrackingPhoneCheckSerializer(allow_null=True)
    private = TrackingPrivateSerializer(allow_null=True, help_text="Only with the right `phone_last4`")


def as_json(outcome: tracking.Outcome) -> dict:
    t = outcome.tracking
    data = {
        "tracking_code": t.tracking_code,
        "detail_level": "verified" if t.private else "public",
        "status": {"code": t.status, "message": t.status_message, "at": _dt(t.status_at)},
        "dossier": {
            "procedure_code": t.procedure_code, "procedure_name": t.procedure_name,
            "service_choice": t.service_choice, "service_label": t.service_label, "post_office": t.post_office,
            "agency": t.agency, "desk": t.desk, "received_at": _dt(t.received_at),
            "expected_arrival": _dt(t.expected_arrival), "applicant_initials": t.applicant_initials,
            "cancelled": t.cancelled},
        "timeline": [{"at": _dt(s.at), "status": s.status, "message": s.message, "item_kind": s.item_kind}
                     for s in t.timeline],
        "phone_check": None,
        "private": None,
    }
    if outcome.phone_check:
        data["phone_check"] = {"result": outcome.phone_check, "message": outcome.phone_message,
                               "tries_left": outcome.tries_left}
    p = t.private
    if p:
        data["private"] = {
            "applicant_name": p.applicant_name,
            "return_address": {"street": p.return_street, "commune": p.return_commune,
                               "province": p.return_province, "as_written": p.return_address_input},
            "charges": [{"label": c["label"], "amount": c["amount"]} for c in p.charges],
            "amount_paid": p.amount_paid, "external_code": p.external_code,
            "items": [{k: i[k] for k in ("item_id", "kind", "status", "status_label")} for i in p.items],
            "open_incidents": [{**i, "reported_at": _dt(i["reported_at"])} for i in p.incidents],
        }
    return data


def _dt(value):
    return value.isoformat() if value else None


class TrackingLookup(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Track a dossier (public)",
        description="Look a dossier up by its tracking code (12 characters; dashes, spaces and lower case accepted) or "
                    "by the S10 id of one of its packages. Without `phone_last4` the answer has no personal data (the "
                    "applicant as initials only). With the right last 4 digits of the registered phone it adds "
                    "`private` (full name, return address, charges paid, the agency's dossier code, item ids, open "
                    "incidents); wrong digits answer 200 with `phone_check.result` = `wrong`. An unknown code and an "
                    "unknown item id answer the same 404. Limits: lookups per client address, and wrong digits per "
                    "dossier (then the check is locked): 429 with `Retry-After`. No login.",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH,
                             description="Tracking code (e.g. 7KQM-3XHN-WR2P) or S10 item id (e.g. EH123456785VN)"),
            OpenApiParameter("phone_last4", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="The last 4 digits of the phone registered with the dossier"),
        ],
        responses={
            200: TrackingSerializer,
            400: OpenApiResponse(TrackingErrorsSerializer, description="Not a tracking code or item id (a wrong S10 "
                                                                       "check digit says so), or phone_last4 not 4 digits"),
            404: OpenApiResponse(TrackingErrorsSerializer, description="No such dossier (the same for both kinds of code)"),
            429: OpenApiResponse(TrackingErrorsSerializer, description="Too many lookups, or the phone check is locked; "
                                                                       "see Retry-After"),
        },
        tags=TAGS, operation_id="tracking_lookup", auth=[],
    )
    def get(self, request, code):
        phone = None
        phone_error = None
        try:
            phone = tracking.parse_phone(request.query_params.get("phone_last4"), "phone_last4")
        except ValidationError as exc:
            phone_error = exc.message_dict["phone_last4"][0]
        outcome = tracking.lookup(code, client=tracking.client_key(request), phone=phone, code_field="code",
                                  phone_field="phone_last4")
        if outcome.http_status == 200 and phone_error:
            outcome.http_status, outcome.error_field, outcome.error = 400, "phone_last4", phone_error
        if outcome.http_status != 200:
            response = Response({"errors": [{"field": outcome.error_field, "message": outcome.error}]},
                                status=outcome.http_status)
            if outcome.retry_after:
                response["Retry-After"] = str(outcome.retry_after)
        else:
            response = Response(as_json(outcome))
        if phone is not None or outcome.verified:
            patch_cache_control(response, no_store=True, private=True)
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response


urlpatterns = [
    path("tracking/<str:code>", TrackingLookup.as_view(), name="tracking_lookup"),
]
