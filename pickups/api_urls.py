"""API of home pickup (staff; a citizen uses the public form with the SMS code).

* ``POST /pickups/`` — register a request on a caller's behalf (roles with ``request_pickup``);
* ``GET /pickups/`` — the requests the caller may see (filters ``status``, ``date``, ``post_office``);
* ``GET /pickups/{code}/`` — one request (404 outside the caller's scope, as for one that does not exist);
* ``POST /pickups/{code}/assign|start|fail|cancel`` — the transitions;
* ``POST /pickups/{code}/collect`` — at the door: the intake payload; the request becomes the dossier.

Every POST takes an ``Idempotency-Key`` header: the same key again gets the first answer."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.scopes import can_act, visible
from bcci.idempotency import idempotent
from dossiers.serializers import SERVICE_FIELDS as INTAKE_FIELDS
from pickups import services
from pickups.models import PickupRequest, Status, normalise_code
from pickups.serializers import (
    PickupAssignSerializer,
    PickupCollectResultSerializer,
    PickupCollectSerializer,
    PickupCreateSerializer,
    PickupErrorsSerializer,
    PickupReasonSerializer,
    PickupSerializer,
)

TAGS = ["pickups"]
ERRORS = OpenApiResponse(PickupErrorsSerializer, description="Each error names its field; messages in Vietnamese / "
                                                             "English")
IDEMPOTENCY = OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                               description="The same key again (same caller, same body) gets the first answer")
# A service error's key -> the API field it is about.
REQUEST_FIELDS = {"commune": "commune_code", "__all__": "non_field_errors"}
RELATED = ("procedure", "version", "commune", "province", "post_office", "assigned_postman", "requested_by",
           "dossier")


def _service_errors(exc: DjangoValidationError, fields: dict):
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {fields.get(key, key): messages for key, messages in exc.message_dict.items()}


def _run(fn, fields=REQUEST_FIELDS):
    try:
        return fn()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(_service_errors(exc, fields)) from exc


def _pickups(user):
    return visible(user, PickupRequest.objects.select_related(*RELATED))


@extend_schema_view(
    get=extend_schema(
        summary="The pickup requests the caller may see",
        parameters=[OpenApiParameter("status", str, description="registered | assigned | collecting | collected | "
                                     "cancelled | failed | open"),
                    OpenApiParameter("date", OpenApiTypes.DATE, description="Preferred date"),
                    OpenApiParameter("post_office", str, description="Post office code")],
        responses={200: PickupSerializer(many=True), 400: ERRORS}, tags=TAGS, operation_id="pickups_list"),
    post=extend_schema(
        summary="Register a pickup on a caller's behalf",
        description="Call-centre agents (channel call_centre) and post-office staff (channel counter) with the "
                    "request_pickup action. The commune must be in the caller's province and served by a post "
                    "office; the procedure must be receivable by post there; the date a working day, not past.",
        request=PickupCreateSerializer, parameters=[IDEMPOTENCY],
        responses={201: PickupSerializer, 400: ERRORS, 403: ERRORS, 409: ERRORS, 422: ERRORS},
        tags=TAGS, operation_id="pickups_create"),
)
class PickupListCreate(generics.ListAPIView):
    serializer_class = PickupSerializer
    parser_classes = [JSONParser]
    filter_backends = []

    def get_queryset(self):
        qs = _pickups(self.request.user)
        params = self.request.query_params
        state = params.get("status", "")
        if state == "open":
            qs = qs.filter(status__in=(Status.REGISTERED, Status.ASSIGNED, Status.COLLECTING))
        elif state:
            if state not in Status.values:
                raise exceptions.ValidationError({"status": [
                    f"Trạng thái “{state[:30]}” không hợp lệ. / “{state[:30]}” is not a status."]})
            qs = qs.filter(status=state)
        if params.get("date"):
            from django.utils.dateparse import parse_date

            try:
                day = parse_date(params["date"])
            except ValueError:
                day = None
            if day is None:
                raise exceptions.ValidationError({"date": ["Ngày không hợp lệ, dùng dạng YYYY-MM-DD. / "
                                                           "Invalid date, use YYYY-MM-DD."]})
            qs = qs.filter(preferred_date=day)
        if params.get("post_office"):
            qs = qs.filter(post_office__code=params["post_office"])
        return qs.order_by("preferred_date", "window_start", "created_at")

    @idempotent
    def post(self, request):
        if not can_act(request.user, "request_pickup"):
            raise exceptions.PermissionDenied("Bạn không có quyền đặt lịch thu gom. / "
                                              "You are not allowed to request pickups.")
        serializer = PickupCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pickup = _run(lambda: services.request_pickup(serializer.pickup_data(), request.user))
        pickup = PickupRequest.objects.select_related(*RELATED).get(pk=pickup.pk)
        return Response(PickupSerializer(pickup, context={"request": request}).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(summary="One pickup request", responses={200: PickupSerializer, 404: ERRORS},
                                      tags=TAGS, operation_id="pickups_retrieve"))
class PickupDetail(generics.RetrieveAPIView):
    serializer_class = PickupSerializer

    def get_object(self):
        return get_object_or_404(_pickups(self.request.user), code=normalise_code(self.kwargs["code"]))


class PickupAction(APIView):
    """Base of the transition endpoints: the pickup in the caller's scope (else 404), then the service."""

    parser_classes = [JSONParser]
    request_serializer = None

    def get_pickup(self, code):
        return get_object_or_404(_pickups(self.request.user), code=normalise_code(code))

    def act(self, pickup, data):  # pragma: no cover - interface
        raise NotImplementedError

    @idempotent
    def post(self, request, code):
        pickup = self.get_pickup(code)
        data = None
        if self.request_serializer is not None:
            serializer = self.request_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer
        pickup = self.act(pickup, data)
        pickup = PickupRequest.objects.select_related(*RELATED).get(pk=pickup.pk)
        return Response(PickupSerializer(pickup, context={"request": request}).data)


def _action_schema(summary, description, request=None, operation_id=""):
    return extend_schema_view(post=extend_schema(
        summary=summary, description=description, request=request, parameters=[IDEMPOTENCY],
        responses={200: PickupSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS, 422: ERRORS},
        tags=TAGS, operation_id=operation_id))


@_action_schema("Assign (or reassign) a postman", "The dispatcher (post-office manager) of the pickup's post "
                "office; the postman must belong to it.", PickupAssignSerializer, "pickups_assign")
class PickupAssign(PickupAction):
    request_serializer = PickupAssignSerializer

    def act(self, pickup, data):
        postman = User.objects.filter(username=data.validated_data["postman"]).first()
        return _run(lambda: services.assign_pickup(pickup, postman, self.request.user))


@_action_schema("Start collecting", "The assigned postman sets off (registered → collecting needs an assignment "
                "first).", None, "pickups_start")
class PickupStart(PickupAction):
    def act(self, pickup, data):
        return _run(lambda: services.start_pickup(pickup, self.request.user))


@_action_schema("Could not collect", "The assigned postman records why (nobody home, dossier not ready...).",
                PickupReasonSerializer, "pickups_fail")
class PickupFail(PickupAction):
    request_serializer = PickupReasonSerializer

    def act(self, pickup, data):
        return _run(lambda: services.fail_pickup(pickup, self.request.user, data.validated_data["reason"]))


@_action_schema("Cancel a pickup", "Before collection starts; the dispatcher or staff who take requests.",
                PickupReasonSerializer, "pickups_cancel")
class PickupCancel(PickupAction):
    request_serializer = PickupReasonSerializer

    def act(self, pickup, data):
        return _run(lambda: services.cancel_pickup(pickup, self.request.user, data.validated_data["reason"]))


COLLECT_FIELDS = {**INTAKE_FIELDS, "procedure_code": "non_field_errors"}


@extend_schema_view(post=extend_schema(
    summary="Collect at the door: the pickup becomes the intake",
    description="The same checks as a counter intake (checklist, seal, fees, item id); the dossier's channel is "
                "home_pickup. All or nothing: on any error the pickup stays collecting and no dossier is written.",
    request=PickupCollectSerializer, parameters=[IDEMPOTENCY],
    responses={201: PickupCollectResultSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS, 422: ERRORS},
    tags=TAGS, operation_id="pickups_collect"))
class PickupCollect(PickupAction):
    @idempotent
    def post(self, request, code):
        pickup = self.get_pickup(code)
        serializer = PickupCollectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.intake_data(pickup)
        dossier = _run(lambda: services.collect_pickup(pickup, data, request.user), COLLECT_FIELDS)
        pickup = PickupRequest.objects.select_related(*RELATED).get(pk=pickup.pk)
        item = dossier.items.filter(kind="dossier").first()
        body = {"pickup": PickupSerializer(pickup, context={"request": request}).data,
                "dossier_tracking_code": dossier.tracking_code, "item_id": item.item_id if item else None,
                "amount_paid": dossier.amount_paid}
        return Response(body, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("pickups/", PickupListCreate.as_view(), name="pickup-list"),
    path("pickups/<str:code>/", PickupDetail.as_view(), name="pickup-detail"),
    path("pickups/<str:code>/assign", PickupAssign.as_view(), name="pickup-assign"),
    path("pickups/<str:code>/start", PickupStart.as_view(), name="pickup-start"),
    path("pickups/<str:code>/fail", PickupFail.as_view(), name="pickup-fail"),
    path("pickups/<str:code>/cancel", PickupCancel.as_view(), name="pickup-cancel"),
    path("pickups/<str:code>/collect", PickupCollect.as_view(), name="pickup-collect"),
]
