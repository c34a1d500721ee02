"""API of intake: take a dossier in (with an ``Idempotency-Key``), list and read dossiers within the caller's
scope, quote what an intake would cost, cancel one taken in by mistake, and check a typed or scanned S10
item id.

Every state change goes through ``dossiers.services`` (``take_in``, ``cancel``); errors name the API's
fields (``applicant.phone``, ``return_address_text``…) in Vietnamese and English; a dossier outside the
caller's scope answers 404 like one that does not exist."""

import hashlib

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import can_act, visible
from bcci.idempotency import HEADER, idempotent
from dossiers.models import Dossier, ServiceChoice
from dossiers.serializers import (
    CancelRequestSerializer,
    DossierFilterSerializer,
    DossierSerializer,
    DossierSummarySerializer,
    IntakeErrorsSerializer,
    IntakeRequestSerializer,
    ItemCheckQuerySerializer,
    ItemCheckSerializer,
    QuoteRequestSerializer,
    QuoteResponseSerializer,
    service_errors,
)
from dossiers.services import by_post_refusal, cancel, expected_arrival, quote, take_in, version_for
from network.models import PostOffice
from postal import s10
from postal.models import Item, Receipt

TAGS = ["intake"]
ERRORS = OpenApiResponse(IntakeErrorsSerializer,
                         description="Each error names its field; messages in Vietnamese / English")
NOT_FOUND = OpenApiResponse(IntakeErrorsSerializer, description="No such dossier within your scope")
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (≤ 255 characters), e.g. a UUID. The same key with the same body answers the "
                "first answer again (header Idempotent-Replayed: true) and never creates a second dossier; with "
                "another body: 422; while the first is still running: 409.")
SUBMISSION_KEY_LENGTH = 80  # Dossier.submission_key


def _forbidden(exc) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(exc.messages[0] if hasattr(exc, "messages") else exc))


def _submission_key(user, key: str) -> str:
    """The dossier's submission key for an Idempotency-Key: per caller, hashed when too long to store."""
    plain = f"api:{user.pk}:{key}"
    if len(plain) <= SUBMISSION_KEY_LENGTH:
        return plain
    return f"api:{user.pk}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"[:SUBMISSION_KEY_LENGTH]


def _post_office(user, code: str):
    """The post office named by ``post_office_code`` (within the caller's scope), or None for the default."""
    code = (code or "").strip()
    if not code:
        return None
    office = visible(user, PostOffice.objects.select_related("province", "commune")).filter(code=code).first()
    if office is None:
        raise exceptions.ValidationError({"post_office_code": [
            f"Không có bưu cục mã “{code[:20]}” trong phạm vi của bạn. / "
            f"There is no post office with code “{code[:20]}” within your scope."]})
    return office


def _own_post_office(user):
    """The caller's post office with what intake reads of it (one query instead of three lazy ones)."""
    if not getattr(user, "post_office_id", None):
        return None
    return PostOffice.objects.select_related("province", "commune").filter(pk=user.post_office_id).first()


def created_with() -> tuple:
    """What take_in creates with a dossier (prefetch lookups), read back for the answer."""
    items = Item.objects.select_related("custodian_post_office", "custodian_user", "custodian_desk",
                                        "custodian_agency").order_by("pk")
    return ("checklist", "charges", Prefetch("items", items),
            Prefetch("receipts", Receipt.objects.select_related("post_office").order_by("pk")))


def dossier_queryset():
    """Dossiers with everything the detail shows, in a fixed number of queries."""
    return Dossier.objects.select_related(
        "version__procedure", "procedure", "agency", "desk", "post_office", "received_by", "applicant_commune",
        "return_commune__province",
    ).prefetch_related(*created_with())


def normalise_tracking_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").upper()


def get_dossier(user, tracking_code: str) -> Dossier:
    dossier = visible(user, dossier_queryset()).filter(tracking_code=normalise_tracking_code(tracking_code)).first()
    if dossier is None:
        raise exceptions.NotFound()
    return dossier


def _dossier_response(request, dossier, code=status.HTTP_200_OK) -> Response:
    return Response(DossierSerializer(dossier, context={"request": request}).data, status=code)


class DossierListCreate(generics.ListAPIView):
    serializer_class = DossierSummarySerializer
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        params = DossierFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        queryset = visible(self.request.user, Dossier.objects.select_related(
            "procedure", "version", "agency", "post_office"))
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("service_choice"):
            queryset = queryset.filter(service_choice=filters["service_choice"])
        if filters.get("procedure_code"):
            queryset = queryset.filter(procedure__code=filters["procedure_code"].strip())
        if filters.get("post_office_code"):
            queryset = queryset.filter(post_office__code=filters["post_office_code"].strip())
        if filters.get("received_from"):
            queryset = queryset.filter(received_at__date__gte=filters["received_from"])
        if filters.get("received_to"):
            queryset = queryset.filter(received_at__date__lte=filters["received_to"])
        return queryset.order_by("-received_at", "-pk")

    @extend_schema(
        summary="List dossiers",
        description="Dossiers within your scope (your post office, your agency or your province), newest first.",
        parameters=[DossierFilterSerializer], responses={200: DossierSummarySerializer(many=True), 400: ERRORS},
        tags=TAGS, operation_id="dossiers_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Take a dossier in (intake)",
        description="What the counter does (Decision 45/2016): the checklist counted against the procedure "
                    "version, the applicant, the return address, the seal, fees and postage, the S10 item id "
                    "(allocated, or a pre-printed label validated) and the receipt — in one transaction. A "
                    "missing mandatory document blocks intake (the message lists what to bring) unless a role "
                    "allowed to override gives `override_reason`. A procedure the province does not allow by "
                    "post is refused with the reason and the legal basis. An old three-level return address "
                    "(`return_address_text`) is used only when it resolves to exactly one commune. Send an "
                    "`Idempotency-Key`: the same submission twice creates one dossier.",
        request=IntakeRequestSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: DossierSerializer, 400: ERRORS, 403: ERRORS, 409: ERRORS, 422: ERRORS},
        tags=TAGS, operation_id="dossiers_intake",
    )
    @idempotent
    def post(self, request):
        user = request.user
        if not can_act(user, "take_in"):  # before reading the body: a caller without the right learns nothing
            raise exceptions.PermissionDenied(
                "Bạn không có quyền tiếp nhận hồ sơ. / You are not allowed to take in dossiers.")
        serializer = IntakeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post_office = _post_office(user, serializer.validated_data["post_office_code"]) or _own_post_office(user)
        key = request.headers.get(HEADER, "").strip()
        try:
            dossier = take_in(serializer.intake_data(), user, post_office=post_office,
                              submission_key=_submission_key(user, key) if key else None)
        except DjangoPermissionDenied as exc:
            raise _forbidden(exc) from exc
        except DjangoValidationError as exc:
            errors = service_errors(exc)
            if serializer.validated_data["return_address_input"] and not serializer.validated_data.get(
                    "return_address"):
                for name in ("return_address.commune_code", "return_address.street"):
                    if name in errors:  # the commune came from the text: say so on the text
                        errors.setdefault("return_address_text", []).extend(errors.pop(name))
            raise exceptions.ValidationError(errors) from exc
        if getattr(dossier, "replayed", False):
            response = _dossier_response(request, dossier_queryset().get(pk=dossier.pk), status.HTTP_201_CREATED)
            response[REPLAYED] = "true"
            return response
        # The new dossier holds its version, agency, desk, post office, clerk and communes already: only what
        # was created alongside it is read back (four small queries instead of the detail's wide join).
        prefetch_related_objects([dossier], *created_with())
        return _dossier_response(request, dossier, status.HTTP_201_CREATED)


class DossierDetail(APIView):
    @extend_schema(
        summary="One dossier",
        description="With its checklist, seal numbers, items (S10 id, status, current custodian), charges, "
                    "receipts and links to the printed documents. The tracking code may be given with or without "
                    "dashes.",
        responses={200: DossierSerializer, 404: NOT_FOUND}, tags=TAGS, operation_id="dossiers_detail",
    )
    def get(self, request, tracking_code):
        return _dossier_response(request, get_dossier(request.user, tracking_code))


class DossierCancel(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Cancel a dossier taken in by mistake",
        description="Only before its package leaves the post office, by a role allowed to (post-office manager), "
                    "with the reason.",
        request=CancelRequestSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={200: DossierSerializer, 400: ERRORS, 403: ERRORS, 404: NOT_FOUND, 409: ERRORS, 422: ERRORS},
        tags=TAGS, operation_id="dossiers_cancel",
    )
    @idempotent
    def post(self, request, tracking_code):
        dossier = get_dossier(request.user, tracking_code)
        serializer = CancelRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cancel(dossier, request.user, serializer.validated_data["reason"])
        except DjangoPermissionDenied as exc:
            raise _forbidden(exc) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(service_errors(exc)) from exc
        return _dossier_response(request, get_dossier(request.user, tracking_code))


class DossierQuote(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="What an intake would cost",
        description="Postage per leg (by zone and weight; free programmes applied) and the agency's fees collected "
                    "by the post, the checklist to count, the one-stop desk the dossier would be carried to and "
                    "when it would arrive. Nothing is written. A procedure the province does not allow by post "
                    "answers 400 on `procedure_code` with the reason and the legal basis.",
        request=QuoteRequestSerializer, responses={200: QuoteResponseSerializer, 400: ERRORS},
        tags=TAGS, operation_id="dossiers_quote",
    )
    def post(self, request):
        serializer = QuoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        post_office = _post_office(request.user, data["post_office_code"]) or getattr(
            request.user, "post_office", None)
        if post_office is None:
            raise exceptions.ValidationError({"post_office_code": [
                "Cần mã bưu cục tiếp nhận. / The receiving post office's code is needed."]})
        service_choice = int(data["service_choice"])
        version = version_for(data["procedure_code"], post_office.province)
        if version is None:
            code = data["procedure_code"].strip()[:30]
            raise exceptions.ValidationError({"procedure_code": [
                f"Không có thủ tục mã “{code}” đang có hiệu lực tại {post_office.province.name}. / "
                f"No procedure with code “{code}” in force in {post_office.province.name}."]})
        refusal = by_post_refusal(version, service_choice)
        if refusal:
            raise exceptions.ValidationError({"procedure_code": [refusal]})
        try:
            the_quote = quote(version, service_choice, post_office, data["commune_code"], data["weight_grams"])
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(service_errors(exc)) from exc
        sends = service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH)
        desk = the_quote.desk
        body = {
            "service_choice": service_choice, "procedure": version, "agency": version.agency,
            "post_office": post_office, "desk": desk,
            "expected_arrival": expected_arrival(timezone.now(), post_office, desk, version) if sends else None,
            "charges": the_quote.charges, "postage": the_quote.postage, "fees": the_quote.fees,
            "total": the_quote.total, "checklist": list(version.documents.all()) if sends else [],
        }
        return Response(QuoteResponseSerializer(body, context={"request": request}).data)


def _item_check(request, raw: str) -> dict:
    value = s10.normalise(raw)
    answer = {"item_id": value, "valid": False, "message": "", "known": False, "item_status": None,
              "dossier_tracking_code": None, "dossier_tracking_code_display": None, "dossier_status": None}
    try:
        value = s10.validate(raw, "item_id")
    except DjangoValidationError as exc:
        answer["message"] = " ".join(exc.message_dict.get("item_id", exc.messages))
        return answer
    answer["valid"] = True
    item = visible(request.user, Item.objects.select_related("dossier")).filter(item_id=value).first()
    if item is None:
        answer["message"] = f"Số hiệu {value} hợp lệ. / Item id {value} is valid."
        return answer
    dossier = item.dossier
    answer.update(known=True, item_status=item.status, dossier_tracking_code=dossier.tracking_code,
                  dossier_tracking_code_display=dossier.display_tracking_code, dossier_status=dossier.status)
    answer["message"] = (f"Số hiệu {value} hợp lệ, thuộc hồ sơ {dossier.display_tracking_code}. / "
                         f"Item id {value} is valid; it belongs to dossier {dossier.display_tracking_code}.")
    return answer


ITEM_CHECK_DESCRIPTION = (
    "Validates an S10 id as typed or scanned (spaces, dashes and case do not matter): shape, check digit "
    "(a wrong one is named, with the digit expected) and country VN. Always 200 with `valid` and a "
    "Vietnamese / English `message`; when a package you may see carries the id, its dossier's tracking code and "
    "status.")


class ItemCheckQuery(APIView):
    @extend_schema(summary="Check an S10 item id", description=ITEM_CHECK_DESCRIPTION,
                   parameters=[ItemCheckQuerySerializer], responses={200: ItemCheckSerializer, 400: ERRORS},
                   tags=TAGS, operation_id="items_check_query")
    def get(self, request):
        params = ItemCheckQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(ItemCheckSerializer(_item_check(request, params.validated_data["item_id"])).data)


class ItemCheck(APIView):
    @extend_schema(summary="Check an S10 item id (in the path)", description=ITEM_CHECK_DESCRIPTION,
                   responses={200: ItemCheckSerializer}, tags=TAGS, operation_id="items_check")
    def get(self, request, item_id):
        return Response(ItemCheckSerializer(_item_check(request, item_id[:40])).data)


urlpatterns = [
    path("dossiers/", DossierListCreate.as_view(), name="dossier-list"),
    path("dossiers/quote", DossierQuote.as_view(), name="dossier-quote"),
    path("dossiers/<str:tracking_code>/", DossierDetail.as_view(), name="dossier-detail"),
    path("dossiers/<str:tracking_code>/cancel", DossierCancel.as_view(), name="dossier-cancel"),
    path("items/check", ItemCheckQuery.as_view(), name="item-check-query"),
    path("items/<str:item_id>/check", ItemCheck.as_view(), name="item-check"),
]
