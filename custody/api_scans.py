"""API of the chain of custody for scanners and follow-up:

* ``POST /api/v1/scans/`` — a batch of up to 1,000 scan events from a handheld scanner
  (``custody.scans.ingest``): one result per event (applied, late, duplicate, rejected with its reason) and
  the counts; ``GET /api/v1/scans/vocabulary`` — the normalised statuses and the incident reasons;
* ``GET /api/v1/items/overdue`` — packages past their leg's time limit, per answerable post office, with
  their age in working time;
* ``/api/v1/incidents/`` — list, read, report (``report_incident``) and follow up (``advance_incident``).

Authentication like the rest of the API (session or basic); every change goes through custody's services;
what is outside the caller's scope answers 404 (or, for a scanned package, "unknown")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AGENCY_ROLES, POST_OFFICE_ROLES
from accounts.scopes import scope_q, visible
from bcci.idempotency import HEADER, idempotent
from custody import scans, services
from custody.models import Incident, IncidentReason
from custody.serializers_scans import (
    IncidentAdvanceSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    OverdueItemSerializer,
    OverdueQuerySerializer,
    ScanBatchSerializer,
    ScanErrorsSerializer,
    ScanResponseSerializer,
    VocabularySerializer,
)
from network.models import PostOffice
from postal.models import Custodian, Item, ItemStatus

TAGS = ["custody"]
ERRORS = OpenApiResponse(ScanErrorsSerializer, description="Each error names its field; messages in Vietnamese / English")
NOT_FOUND = OpenApiResponse(ScanErrorsSerializer, description="Not found within your scope")
FORBIDDEN = OpenApiResponse(ScanErrorsSerializer, description="Your role may not do this")
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (≤ 255 characters): the same key with the same body answers the first answer "
                "again; with another body: 422; while the first is still running: 409.")
# A service error's key -> the API field it is about.
SERVICE_FIELDS = {"status": "to", "__all__": "non_field_errors"}


def _service_errors(exc: DjangoValidationError) -> exceptions.ValidationError:
    if not hasattr(exc, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exceptions.ValidationError({SERVICE_FIELDS.get(k, k): v for k, v in exc.message_dict.items()})


def _forbidden(exc) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(exc.args[0]) if exc.args else None)


def _bad(field: str, vi: str, en: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [f"{vi} / {en}"]})


# --- Scan events -------------------------------------------------------------------------------------------


class ScanBatch(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Send a batch of scan events",
        description=(
            f"Up to {scans.MAX_EVENTS} events from a handheld scanner, applied in order in one transaction. Each "
            "event gets its own result: `applied`, `late` (kept on the timeline at its time without changing the "
            "current state), `duplicate` (an event id already received — in an earlier request or earlier in this "
            "one — is ignored) or `rejected` with the reason (an unknown item id, a unit that does not hold the "
            "package, an impossible transition…: nothing is written for that event, the others apply). A package "
            "outside your scope answers as unknown. An arrival scan (`pending` at a post office, "
            "`at_one_stop_desk` at a desk) of a package travelling on a manifest to that unit receives it, as "
            "receiving the manifest by hand does. 400 when the body is not a list of 1 to 1,000 events (field "
            "`events`); 403 for roles that do not scan (auditors, call centre)."),
        request=ScanBatchSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={200: ScanResponseSerializer, 400: ERRORS, 403: FORBIDDEN}, tags=TAGS,
        operation_id="custody_scans_create",
    )
    @idempotent
    def post(self, request):
        if not scans.may_scan(request.user):
            raise exceptions.PermissionDenied("Tài khoản này không gửi sự kiện quét. / "
                                              "This account may not send scan events.")
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if not isinstance(events, list) or not events:
            raise _bad("events", "Gửi {\"events\": [...]} với 1 đến 1.000 sự kiện.",
                       "Send {\"events\": [...]} with 1 to 1,000 events.")
        if len(events) > scans.MAX_EVENTS:
            raise _bad("events", f"Tối đa {scans.MAX_EVENTS:,} sự kiện mỗi lần (đã gửi {len(events):,}).".replace(",", "."),
                       f"At most {scans.MAX_EVENTS:,} events per request ({len(events):,} sent).")
        try:
            results = scans.ingest(events, request.user)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise _forbidden(exc) from exc
        return Response({"results": [r.as_dict() for r in results], "counts": scans.counts(results)})


class ScanVocabulary(APIView):
    @extend_schema(
        summary="Statuses and incident reasons of scan events",
        description="The normalised statuses an event's `event_type` takes and the incident reasons (kept apart "
                    "from the statuses) its `reason` takes, each with its Vietnamese label.",
        responses={200: VocabularySerializer}, tags=TAGS, operation_id="custody_scans_vocabulary",
    )
    def get(self, request):
        with translation.override("vi"):
            body = {
                "statuses": [{"code": value, "label": str(label)} for value, label in ItemStatus.choices],
                "incident_reasons": [{"code": value, "label": str(label)} for value, label in IncidentReason.choices],
                "max_events": scans.MAX_EVENTS,
            }
        return Response(body)


# --- Overdue packages --------------------------------------------------------------------------------------


def may_see_overdue(user) -> bool:
    """Post-office staff (their own post office) and provincial / national roles; not agency staff."""
    return bool(user and user.is_authenticated and user.is_active and user.role not in AGENCY_ROLES)


def overdue_offices(user):
    """The post offices whose overdue lists ``user`` may read."""
    offices = PostOffice.objects.order_by("code")
    if not may_see_overdue(user):
        return offices.none()
    if user.role in POST_OFFICE_ROLES and user.post_office_id:
        return offices.filter(pk=user.post_office_id)
    return visible(user, offices)


def answerable_q(offices) -> Q:
    """Packages whose answerable post office (``services.responsible_post_office_id``) is in ``offices``
    (ids or a queryset): the holding post office, the holding postman's, the dispatching post office of the
    manifest carrying it, else the post office that took it in."""
    no_office = Q(custodian_post_office__isnull=True)
    no_postman_office = Q(custodian_user__isnull=True) | Q(custodian_user__post_office__isnull=True)
    no_manifest_office = Q(custodian_manifest__isnull=True) | Q(custodian_manifest__origin_post_office__isnull=True)
    return (Q(custodian_post_office__in=offices)
            | (no_office & Q(custodian_user__post_office__in=offices))
            | (no_office & no_postman_office & Q(custodian_manifest__origin_post_office__in=offices))
            | (no_office & no_postman_office & no_manifest_office & Q(origin_post_office__in=offices)))


def overdue_for(offices, now=None):
    """Overdue packages answerable to ``offices``, oldest limit first."""
    return services.overdue_items(now).filter(answerable_q(offices)).select_related(
        "custodian_desk", "custodian_agency", "custodian_user__post_office", "custodian_manifest__origin_post_office")


def custodian_display(item: Item) -> str:
    """The custodian for people: “Bảng kê BK-…”, “Bưu tá an_postman”, “Bưu cục 880000”…"""
    code = custodian_text(item).split(":", 1)[-1] if item.custodian_kind != Custodian.CITIZEN else ""
    return f"{Custodian(item.custodian_kind).label} {code}".strip()


def custodian_text(item: Item) -> str:
    holder = item.custodian
    if item.custodian_kind == Custodian.MANIFEST:
        return f"manifest:{holder.code}"
    if item.custodian_kind == Custodian.POSTMAN:
        return f"postman:{holder.username}"
    if item.custodian_kind in (Custodian.POST_OFFICE, Custodian.DESK):
        return f"{item.custodian_kind}:{holder.code}"
    if item.custodian_kind == Custodian.AGENCY:
        return f"agency:{holder.identifier}"
    return item.custodian_kind


def age_parts(age) -> tuple[int, float, str]:
    """(whole working days, remaining hours, text) of a working-time age: a working day is the calendar's
    sessions (8 hours by default)."""
    from workdays.calendar import get_calendar

    seconds = max(age.total_seconds(), 0)
    days, rest = divmod(seconds, get_calendar().day_us / 1_000_000)
    hours = rest / 3600
    if days:
        text = f"{int(days)} ngày làm việc {int(hours)} giờ"
    elif hours >= 1:
        text = f"{int(hours)} giờ {int(rest % 3600 // 60)} phút"
    else:
        text = f"{int(rest // 60)} phút"
    return int(days), hours, text


def overdue_row(item: Item, now, offices: dict) -> dict:
    """What a list shows of one overdue package: its age in working days and hours."""
    age = services.overdue_age(item, now)
    days, _hours, text = age_parts(age)
    office = offices.get(services.responsible_post_office_id(item))
    return {"item": item, "item_id": item.item_id, "kind": item.kind, "status": item.status,
            "tracking_code": item.dossier.display_tracking_code, "custodian": custodian_text(item),
            "custodian_display": custodian_display(item),
            "responsible_post_office": office.code if office else None, "office": office,
            "leg_started_at": item.leg_started_at, "leg_due_at": item.leg_due_at,
            "overdue_working_hours": round(max(age.total_seconds(), 0) / 3600, 2), "overdue_working_days": days,
            "overdue_text": text, "flagged_at": item.overdue_flagged_at}


def overdue_rows(items, now) -> list[dict]:
    items = list(items)
    ids = {services.responsible_post_office_id(item) for item in items}
    offices = PostOffice.objects.in_bulk([pk for pk in ids if pk])
    return [overdue_row(item, now, offices) for item in items]


class OverdueItems(generics.GenericAPIView):
    serializer_class = OverdueItemSerializer
    filter_backends = []

    @extend_schema(
        summary="Packages past their leg's time limit",
        description="Packages on a leg (pending, picked up, in transit) whose time limit has passed, oldest "
                    "first, for one answerable post office (the one holding the package, its postman's, the one "
                    "that dispatched the manifest carrying it, else the one that took it in). Post-office staff see "
                    "their own post office; provincial and national roles choose with `post_office` (default: "
                    "every post office in their scope). Age in working time (weekends and holidays do not count).",
        parameters=[OverdueQuerySerializer],
        responses={200: OverdueItemSerializer(many=True), 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=TAGS, operation_id="custody_items_overdue",
    )
    def get(self, request):
        if not may_see_overdue(request.user):
            raise exceptions.PermissionDenied()
        params = OverdueQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        offices = overdue_offices(request.user)
        chosen = params.validated_data.get("post_office")
        if chosen is not None:
            offices = get_object_or_404(offices, pk=chosen)
            offices = [offices.pk]
        now = timezone.now()
        page = self.paginate_queryset(overdue_for(offices, now))
        return self.get_paginated_response(OverdueItemSerializer(overdue_rows(page, now), many=True).data)


# --- Incidents ---------------------------------------------------------------------------------------------


def incidents_for(user, queryset=None):
    """The incidents ``user`` may look at: those of their scope, those they reported, and those about a
    manifest coming to their unit or a package their unit holds (a desk sees what it found on arrival)."""
    queryset = Incident.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated or not user.is_active:
        return queryset.none()
    base = scope_q(user, Incident)
    if base is None:
        return queryset
    extra = Q(reported_by=user)
    if user.role in POST_OFFICE_ROLES and user.post_office_id:
        extra |= Q(manifest__destination_post_office=user.post_office_id) | Q(
            item__custodian_post_office=user.post_office_id)
    elif user.role in AGENCY_ROLES and user.agency_id:
        extra |= Q(manifest__destination_desk__agency=user.agency_id) | Q(
            item__custodian_desk__agency=user.agency_id)
    return queryset.filter(base | extra)


INCIDENT_RELATED = ("item__dossier", "manifest", "province", "post_office", "reported_by")


def incident_queryset(user):
    return incidents_for(user, Incident.objects.select_related(*INCIDENT_RELATED))


class IncidentList(generics.ListAPIView):
    serializer_class = IncidentSerializer
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        params = IncidentFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        incidents = incident_queryset(self.request.user)
        for name in ("status", "reason"):
            if params.validated_data.get(name):
                incidents = incidents.filter(**{name: params.validated_data[name]})
        if params.validated_data.get("post_office"):
            incidents = incidents.filter(post_office_id=params.validated_data["post_office"])
        return incidents.order_by("-reported_at", "-pk")

    @extend_schema(
        summary="Incidents", description="Incidents within your scope (and those you reported or your unit "
                                         "found), newest first.",
        parameters=[IncidentFilterSerializer], responses={200: IncidentSerializer(many=True), 400: ERRORS},
        tags=TAGS, operation_id="custody_incidents_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Report an incident",
        description="A package you can see is lost, damaged, has a broken seal or was misrouted. The citizen is "
                    "told. One open incident per package and reason. Auditors may not report.",
        request=IncidentCreateSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: IncidentDetailSerializer, 400: ERRORS, 403: FORBIDDEN}, tags=TAGS,
        operation_id="custody_incidents_create",
    )
    @idempotent
    def post(self, request):
        if not services.may_report_incident(request.user):
            raise exceptions.PermissionDenied()
        serializer = IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            item = services.find_item(data["item_id"], request.user)
            incident = services.report_incident(item, data["reason"], request.user, description=data["description"])
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise _forbidden(exc) from exc
        incident = Incident.objects.select_related(*INCIDENT_RELATED).get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident).data, status=status.HTTP_201_CREATED)


class IncidentDetail(generics.RetrieveAPIView):
    serializer_class = IncidentDetailSerializer
    lookup_field = "code"
    filter_backends = []

    def get_queryset(self):
        return incident_queryset(self.request.user)

    @extend_schema(summary="One incident", responses={200: IncidentDetailSerializer, 404: NOT_FOUND}, tags=TAGS,
                   operation_id="custody_incidents_read")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class IncidentAdvance(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Follow an incident up",
        description="open → investigating → resolved or compensated (open → resolved too). Resolving and "
                    "compensating need the `resolution`; compensating pays `compensation_amount` (default: the "
                    "rules' amount, `proposed_compensation`). The citizen is told when it is closed. Post-office "
                    "managers and administrators only.",
        request=IncidentAdvanceSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={200: IncidentDetailSerializer, 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND}, tags=TAGS,
        operation_id="custody_incidents_advance",
    )
    @idempotent
    def post(self, request, code):
        incident = get_object_or_404(incident_queryset(request.user), code=code)
        if not services.may_handle_incident(request.user):
            raise exceptions.PermissionDenied()
        serializer = IncidentAdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            incident = services.advance_incident(incident, data["to"], request.user, resolution=data["resolution"],
                                                 amount=data["compensation_amount"])
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise _forbidden(exc) from exc
        incident = Incident.objects.select_related(*INCIDENT_RELATED).get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident).data)


urlpatterns = [
    path("scans/", ScanBatch.as_view(), name="scans"),
    path("scans/vocabulary", ScanVocabulary.as_view(), name="scan_vocabulary"),
    path("items/overdue", OverdueItems.as_view(), name="items_overdue"),
    path("incidents/", IncidentList.as_view(), name="incident_list"),
    path("incidents/<str:code>/", IncidentDetail.as_view(), name="incident_detail"),
    path("incidents/<str:code>/advance", IncidentAdvance.as_view(), name="incident_advance"),
]
