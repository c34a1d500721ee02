"""API of hand-over manifests (bảng kê giao nhận) and the staff view of one package.

* ``GET /manifests/`` — the manifests within the caller's scope (and those coming to their unit), filters
  ``status`` and ``direction``; ``POST /manifests/`` — open one at the caller's unit for a destination;
* ``GET /manifests/{code}/`` — one manifest with its lines, incidents and both sides' confirmations;
* ``POST /manifests/{code}/items`` (add a package by its S10 id) and ``DELETE /manifests/{code}/items/{id}``;
* ``POST /manifests/{code}/close|dispatch|receive|finish|cancel`` — the steps;
* ``GET /items/{item_id}/`` — a package's timeline, custodians, manifests and incidents.

Every change goes through ``custody.services``; a refusal names its field in Vietnamese and English and changes
nothing; acting from the wrong side of a manifest is a 403 with the reason; a manifest or package outside the
caller's reach answers 404 like one that does not exist. Every POST takes an ``Idempotency-Key``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from django.http import Http404
from django.urls import path, re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import POST_OFFICE_ROLES, User
from bcci.idempotency import HEADER, idempotent
from custody import services
from custody.models import Incident, Manifest, UnitKind
from custody.serializers_manifests import (
    ManifestCloseSerializer,
    ManifestDispatchSerializer,
    ManifestErrorsSerializer,
    ManifestFilterSerializer,
    ManifestFinishSerializer,
    ManifestItemSerializer,
    ManifestOpenSerializer,
    ManifestReceiveResultSerializer,
    ManifestReceiveSerializer,
    ManifestSerializer,
    ManifestSummarySerializer,
    StaffItemSerializer,
    manifest_data,
    manifest_summary,
    service_errors,
    staff_item_data,
)
from custody.views_items import get_item, item_details, manifests_for
from custody.views_manifests import manifest_queryset, unit_q
from network.models import OneStopDesk, PostOffice

TAGS = ["custody"]
ERRORS = OpenApiResponse(ManifestErrorsSerializer, description="Each error names its field; messages in "
                                                               "Vietnamese / English")
FORBIDDEN = OpenApiResponse(ManifestErrorsSerializer, description="Not your side of the manifest (the origin "
                                                                  "adds, seals, dispatches; the destination "
                                                                  "receives), with the reason")
NOT_FOUND = OpenApiResponse(ManifestErrorsSerializer, description="No such manifest within your scope")
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (≤ 255 characters). The same key with the same body answers the first answer "
                "again (header Idempotent-Replayed: true); with another body: 422; while the first runs: 409.")
ACTION_RESPONSES = {200: ManifestSerializer, 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ERRORS, 422: ERRORS}
# A service error's key -> the API field it is about.
FIELDS = {"__all__": "non_field_errors"}


def _run(fn, fields=None):
    try:
        return fn()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc.args[0] if exc.args else exc)) from exc
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(service_errors(exc, {**FIELDS, **(fields or {})})) from exc


def get_manifest(request, code: str) -> Manifest:
    manifest = manifests_for(request.user, manifest_queryset()).filter(code=(code or "").strip().upper()).first()
    if manifest is None:
        raise exceptions.NotFound()
    return manifest


def _manifest_response(request, code: str, http_status=status.HTTP_200_OK) -> Response:
    manifest = get_manifest(request, code)
    return Response(ManifestSerializer(manifest_data(manifest, request)).data, status=http_status)


def _destination(data: dict):
    kind, code = data["kind"], data["code"].strip()
    model = OneStopDesk if kind == UnitKind.DESK else PostOffice
    unit = model.objects.filter(code=code).first()
    if unit is None:
        what = ("Bộ phận Một cửa", "one-stop desk") if kind == UnitKind.DESK else ("bưu cục", "post office")
        raise exceptions.ValidationError({"destination.code": [
            f"Không có {what[0]} mã “{code[:40]}”. / There is no {what[1]} with code “{code[:40]}”."]})
    return unit


class ManifestListCreate(generics.ListAPIView):
    serializer_class = ManifestSummarySerializer
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        params = ManifestFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        user = self.request.user
        queryset = manifests_for(user, manifest_queryset())
        state = filters.get("status")
        if state == "active":
            queryset = queryset.filter(status__in=(Manifest.Status.OPEN, Manifest.Status.CLOSED,
                                                   Manifest.Status.DISPATCHED))
        elif state:
            queryset = queryset.filter(status=state)
        direction = filters.get("direction")
        if direction:
            condition = unit_q(user, "origin" if direction == "outgoing" else "destination")
            queryset = queryset.filter(condition) if condition is not None else queryset.none()
        return queryset.annotate(item_count=Count("lines")).order_by("-opened_at", "-pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = [manifest_summary(m, request) for m in page]
        return self.get_paginated_response(ManifestSummarySerializer(data, many=True).data)

    @extend_schema(
        summary="List manifests",
        description="Manifests within your scope (sent from your post office or desk, your province's) and those "
                    "coming to your unit; newest first. `direction=incoming` lists what your unit must receive.",
        parameters=[ManifestFilterSerializer], responses={200: ManifestSummarySerializer(many=True), 400: ERRORS},
        tags=TAGS, operation_id="manifests_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Open a manifest",
        description="At your unit (your post office, or your agency's one-stop desk) for a destination: a one-stop "
                    "desk (`kind` desk, its code) or another post office (`kind` post_office, its code).",
        request=ManifestOpenSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: ManifestSerializer, 400: ERRORS, 403: ERRORS, 409: ERRORS, 422: ERRORS},
        tags=TAGS, operation_id="manifests_open")
    @idempotent
    def post(self, request):
        serializer = ManifestOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        destination = _destination(data["destination"])
        desk = None
        if data["origin_desk_code"].strip():
            desk = OneStopDesk.objects.filter(code=data["origin_desk_code"].strip()).first()
            if desk is None:
                raise exceptions.ValidationError({"origin_desk_code": [
                    "Không có Bộ phận Một cửa mã này. / There is no one-stop desk with this code."]})
        manifest = _run(lambda: services.open_manifest(request.user, destination, desk=desk))
        return _manifest_response(request, manifest.code, status.HTTP_201_CREATED)


class ManifestDetail(APIView):
    @extend_schema(summary="One manifest", description="Its lines (package, dossier, procedure, seals, condition "
                   "on arrival), counts, incidents and both sides' confirmations (who, when, where).",
                   responses={200: ManifestSerializer, 404: NOT_FOUND}, tags=TAGS, operation_id="manifests_detail")
    def get(self, request, code):
        return _manifest_response(request, code)


class ManifestItems(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Add a package (scan)",
        description="By the origin, while the manifest is open. Refused with the reason (field `item_id`): a wrong "
                    "check digit, an unknown package, one your unit does not hold, one bound elsewhere (wrong "
                    "destination), one already on an open manifest.",
        request=ManifestItemSerializer, parameters=[IDEMPOTENCY_KEY], responses={**ACTION_RESPONSES,
                                                                                 201: ManifestSerializer},
        tags=TAGS, operation_id="manifests_add_item")
    @idempotent
    def post(self, request, code):
        manifest = get_manifest(request, code)
        serializer = ManifestItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _run(lambda: services.add_to_manifest(manifest, serializer.validated_data["item_id"], request.user))
        return _manifest_response(request, manifest.code, status.HTTP_201_CREATED)


class ManifestItem(APIView):
    @extend_schema(summary="Remove a package", description="By the origin, while the manifest is open.",
                   responses=ACTION_RESPONSES, tags=TAGS, operation_id="manifests_remove_item")
    def delete(self, request, code, item_id):
        manifest = get_manifest(request, code)
        _run(lambda: services.remove_from_manifest(manifest, item_id[:40], request.user))
        return _manifest_response(request, manifest.code)


class ManifestClose(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="Close and seal", description="By the origin: no package can be added or removed "
                   "afterwards. A manifest with no package cannot be sealed.", request=ManifestCloseSerializer,
                   parameters=[IDEMPOTENCY_KEY], responses=ACTION_RESPONSES, tags=TAGS, operation_id="manifests_close")
    @idempotent
    def post(self, request, code):
        manifest = get_manifest(request, code)
        serializer = ManifestCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _run(lambda: services.close_manifest(manifest, serializer.validated_data["seal_number"], request.user))
        return _manifest_response(request, manifest.code)


def _courier(manifest: Manifest, username: str):
    """A member of staff of the post office at the origin (or, from a desk, at the destination)."""
    office = manifest.origin_post_office or manifest.destination_post_office
    user = User.objects.filter(username=username, is_active=True, role__in=POST_OFFICE_ROLES).first()
    if user is None or office is None or user.post_office_id != office.pk:
        raise exceptions.ValidationError({"courier_username": [
            f"“{username[:40]}” không phải nhân viên của {office}. / “{username[:40]}” is not staff of {office}."]})
    return user


class ManifestDispatch(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="Hand to the courier", description="By the origin, once sealed: the courier is a "
                   "member of staff of the post office (`courier_username`) or named (`courier_name`). Every "
                   "package becomes held by the manifest, in transit, with the leg's due time.",
                   request=ManifestDispatchSerializer, parameters=[IDEMPOTENCY_KEY], responses=ACTION_RESPONSES,
                   tags=TAGS, operation_id="manifests_dispatch")
    @idempotent
    def post(self, request, code):
        manifest = get_manifest(request, code)
        serializer = ManifestDispatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        username = data["courier_username"].strip()
        courier = _courier(manifest, username) if username else None
        _run(lambda: services.dispatch_manifest(manifest, request.user, courier=courier,
                                                courier_name=data["courier_name"], location=data["location"]),
             {"courier": "courier_username" if username else "courier_name"})
        return _manifest_response(request, manifest.code)


class ManifestReceive(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Receive a package (scan at the destination)",
        description="By the destination, once dispatched (or to take in a package found after the receipt). "
                    "`condition` ok, seal_broken or damaged (the last two open an incident). A package that is "
                    "not on the manifest is taken in as extra and an incident records it (`on_manifest` false).",
        request=ManifestReceiveSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={**ACTION_RESPONSES, 200: ManifestReceiveResultSerializer}, tags=TAGS,
        operation_id="manifests_receive")
    @idempotent
    def post(self, request, code):
        manifest = get_manifest(request, code)
        serializer = ManifestReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = _run(lambda: services.receive_item(manifest, data["item_id"], request.user,
                                                    condition=data["condition"], note=data["note"]))
        if isinstance(result, Incident):
            body = {"item_id": result.item.item_id, "on_manifest": False, "condition": "extra",
                    "incident_code": result.code}
        else:
            incident = Incident.objects.filter(item=result.item, manifest=manifest, reason=result.condition) \
                .order_by("-reported_at", "-pk").first() if result.condition != "ok" else None
            body = {"item_id": result.item.item_id, "on_manifest": True, "condition": result.condition,
                    "incident_code": incident.code if incident else None}
        body["manifest"] = manifest_data(get_manifest(request, manifest.code), request)
        return Response(ManifestReceiveResultSerializer(body).data)


class ManifestFinish(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="Confirm the receipt", description="By the destination (who, when, where): packages "
                   "not scanned are missing — each gets an incident and stays with the manifest until found.",
                   request=ManifestFinishSerializer, parameters=[IDEMPOTENCY_KEY], responses=ACTION_RESPONSES,
                   tags=TAGS, operation_id="manifests_finish")
    @idempotent
    def post(self, request, code):
        manifest = get_manifest(request, code)
        serializer = ManifestFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _run(lambda: services.finish_receipt(manifest, request.user, location=serializer.validated_data["location"]))
        return _manifest_response(request, manifest.code)


class ManifestCancel(APIView):
    @extend_schema(summary="Cancel", description="By the origin, while open or sealed (not once dispatched); the "
                   "packages stay where they are.", request=None, parameters=[IDEMPOTENCY_KEY],
                   responses=ACTION_RESPONSES, tags=TAGS, operation_id="manifests_cancel")
    @idempotent
    def post(self, request, code):
        manifest = get_manifest(request, code)
        _run(lambda: services.cancel_manifest(manifest, request.user))
        return _manifest_response(request, manifest.code)


class StaffItemDetail(APIView):
    @extend_schema(
        summary="One package (staff view)",
        description="Status and current custodian, every event of its timeline (time, status, unit, actor, "
                    "source, applied or not, reason, note), who held it and when, the manifests it was on and its "
                    "incidents. Within your scope, or if your unit handled it; else 404. A malformed id (wrong "
                    "check digit…) is a 400 on `item_id`.",
        responses={200: StaffItemSerializer, 400: ERRORS, 404: NOT_FOUND}, tags=TAGS, operation_id="items_detail")
    def get(self, request, item_id):
        try:
            item = get_item(request.user, item_id[:40])
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(service_errors(exc)) from exc
        except Http404 as exc:
            raise exceptions.NotFound() from exc
        return Response(StaffItemSerializer(staff_item_data(item_details(request.user, item))).data)


urlpatterns = [
    path("manifests/", ManifestListCreate.as_view(), name="manifest-list"),
    path("manifests/<str:code>/", ManifestDetail.as_view(), name="manifest-detail"),
    path("manifests/<str:code>/items", ManifestItems.as_view(), name="manifest-items"),
    path("manifests/<str:code>/items/<str:item_id>", ManifestItem.as_view(), name="manifest-item"),
    path("manifests/<str:code>/close", ManifestClose.as_view(), name="manifest-close"),
    path("manifests/<str:code>/dispatch", ManifestDispatch.as_view(), name="manifest-dispatch"),
    path("manifests/<str:code>/receive", ManifestReceive.as_view(), name="manifest-receive"),
    path("manifests/<str:code>/finish", ManifestFinish.as_view(), name="manifest-finish"),
    path("manifests/<str:code>/cancel", ManifestCancel.as_view(), name="manifest-cancel"),
    # An id with at least one digit, so that words such as items/overdue (another endpoint) are never taken.
    re_path(r"^items/(?P<item_id>(?=[^/]*\d)[^/]{1,40})/$", StaffItemDetail.as_view(), name="item-detail"),
]
