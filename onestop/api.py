"""API of the one-stop desk (Decree 118/2025) — for the desk's officers, the agency's processors and seconded
postal staff, each within their scope:

* ``GET /onestop/dossiers/`` — the dossiers in scope, soonest due first, filters ``status``, ``deadline``
  (on_time / at_risk / overdue), received and accepted date ranges, ``code``;
* ``GET /onestop/dossiers/{tracking_code}/`` — status and portal status code, code, dates, due date, the
  working hours left and the deadline state, the steps of form 06, pauses, extensions, notices, requests to
  supplement, scanned documents (metadata) and the result (the dossier's code works in place of the
  tracking code);
* ``POST /onestop/dossiers/{tracking_code}/{step}`` — accept, supplement, supplement-received, refuse,
  hand-off, financial-obligation, financial-obligation-met, extend, stop, withdraw, result, hand-result,
  return-at-desk: each one call of ``onestop.services``; the answer is the dossier as it now is;
* ``GET|POST /onestop/dossiers/{tracking_code}/attachments`` and ``GET …/attachments/{id}`` (the file);
* ``GET /onestop/deadlines?agency=`` — at-risk and overdue dossiers, per agency;
* ``GET|POST /dossiers/{tracking_code}/supplement`` — for the post office's counter: what the desk asked
  for and what the postage would be; take the supplement package in (``take_in_supplement``).

A dossier outside the caller's scope answers 404 as one that does not exist; a step the caller's role may not
take is 403 with the reason (checked before the body is read); a refusal names the API field in Vietnamese
and English and changes nothing. Every POST takes an ``Idempotency-Key``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Prefetch, Q
from django.http import FileResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.scopes import can_act, visible
from bcci.idempotency import HEADER, idempotent
from dossiers.models import Dossier, Status
from network.models import Agency
from onestop import services
from onestop.models import Attachment, Extension, Notice, ProcessingStep, SupplementRequest
from onestop.serializers import (
    AttachmentOutSerializer,
    AttachmentUploadSerializer,
    DeadlinesQuerySerializer,
    DeadlinesSerializer,
    ExtendSerializer,
    FinancialObligationSerializer,
    HandOffSerializer,
    HandResultSerializer,
    OnestopDossierFilterSerializer,
    OnestopDossierSerializer,
    OnestopErrorsSerializer,
    OnestopReasonSerializer,
    OnestopResultSerializer,
    OnestopSummarySerializer,
    SupplementQuoteSerializer,
    SupplementRequestSerializer,
    SupplementTakeInSerializer,
    SupplementTakenInSerializer,
)
from postal.models import Item

TAGS = ["onestop"]
ERRORS = OpenApiResponse(OnestopErrorsSerializer, description="Each error names its field; messages in "
                                                              "Vietnamese / English")
FORBIDDEN = OpenApiResponse(OnestopErrorsSerializer, description="Your role may not take this step on this "
                                                                 "dossier (the reason is given)")
NOT_FOUND = OpenApiResponse(OnestopErrorsSerializer, description="No such dossier within your scope")
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (≤ 255 characters). The same key with the same body answers the first answer "
                "again (header Idempotent-Replayed: true); with another body: 422; while the first runs: 409.")
ACTION_RESPONSES = {200: OnestopDossierSerializer, 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ERRORS,
                    422: ERRORS}
RUNNING = (Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.FINANCIAL_OBLIGATION)
DEADLINE_ROWS = 200  # rows per bucket of the deadline lists (the counts are always complete)
# A service error's key -> the API field it is about.
FIELDS = {"__all__": "non_field_errors", "to_user": "to_username", "payment_method": "payment.method",
          "payment_reference": "payment.reference"}


def service_errors(exc: DjangoValidationError, fields: dict | None = None) -> dict:
    names = {**FIELDS, **(fields or {})}
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    errors: dict[str, list] = {}
    for key, messages in exc.message_dict.items():
        errors.setdefault(names.get(key, key), []).extend(messages)
    return errors


def run_service(fn, fields: dict | None = None):
    """Call a service, turning its refusals into the API's 403 / 400."""
    try:
        return fn()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc.args[0] if exc.args else exc)) from exc
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(service_errors(exc, fields)) from exc


def normalise_tracking_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").upper()


def _lookup(code: str) -> Q:
    """A tracking code (with or without dashes), or the dossier's one-stop code."""
    code = (code or "").strip()[:80]
    return Q(tracking_code=normalise_tracking_code(code)[:20]) | Q(code=code)


def dossier_queryset():
    """A dossier with everything the detail shows, in a fixed number of queries."""
    items = Item.objects.select_related("custodian_post_office", "custodian_user", "custodian_desk",
                                        "custodian_agency", "custodian_manifest").order_by("pk")
    return Dossier.objects.select_related(
        "version__procedure", "procedure", "agency", "desk", "post_office", "accepted_by",
    ).prefetch_related(
        Prefetch("steps", ProcessingStep.objects.select_related("from_user", "to_user")),
        "pauses",
        Prefetch("extensions", Extension.objects.select_related("issued_by")),
        Prefetch("notices", Notice.objects.select_related("issued_by")),
        Prefetch("supplement_requests", SupplementRequest.objects.select_related("requested_by", "item")),
        Prefetch("attachments", Attachment.objects.select_related("uploaded_by")),
        Prefetch("items", items),
    )


def get_dossier(user, code: str, queryset=None) -> Dossier:
    dossier = visible(user, queryset if queryset is not None else dossier_queryset()).filter(_lookup(code)).first()
    if dossier is None:
        raise exceptions.NotFound()
    return dossier


def detail_response(request, dossier: Dossier, http_status=status.HTTP_200_OK) -> Response:
    fresh = get_dossier(request.user, dossier.tracking_code)
    body = OnestopDossierSerializer(fresh, context={"request": request, "now": timezone.now()}).data
    return Response(body, status=http_status)


# --- Reading ------------------------------------------------------------------------------------------------


class DossierList(generics.ListAPIView):
    serializer_class = OnestopSummarySerializer
    filter_backends = []

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    def get_queryset(self):
        self.now = timezone.now()
        params = OnestopDossierFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        queryset = visible(self.request.user, Dossier.objects.select_related(
            "procedure", "version", "agency", "desk").prefetch_related("pauses"))
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        for name, lookup in (("received_from", "received_at__date__gte"), ("received_to", "received_at__date__lte"),
                             ("accepted_from", "accepted_at__date__gte"), ("accepted_to", "accepted_at__date__lte")):
            if filters.get(name):
                queryset = queryset.filter(**{lookup: filters[name]})
        if (filters.get("code") or "").strip():
            queryset = queryset.filter(code__istartswith=filters["code"].strip())
        if filters.get("deadline"):
            # The state is computed on the working-day calendar, dossier by dossier, among those whose clock runs.
            running = queryset.filter(status__in=RUNNING, due_at__isnull=False, decided_at__isnull=True)
            keep = [d.pk for d in running if services.deadline_state(d, self.now) == filters["deadline"]]
            queryset = queryset.filter(pk__in=keep)
        return queryset.order_by(F("due_at").asc(nulls_last=True), "-received_at", "-pk")

    @extend_schema(
        summary="List dossiers at the one-stop desk",
        description="Dossiers within your scope (your agency's — as the deciding agency or as the desk that "
                    "receives them — or your province's), the soonest due first, each with its due date, working "
                    "hours left and deadline state.",
        parameters=[OnestopDossierFilterSerializer], responses={200: OnestopSummarySerializer(many=True), 400: ERRORS},
        tags=TAGS, operation_id="onestop_dossiers_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DossierDetail(APIView):
    @extend_schema(
        summary="One dossier at the one-stop desk",
        description="Status and the national portal's status code (1–10), the dossier code, dates, the due "
                    "date and the working hours left (frozen while the clock is paused), the deadline state, "
                    "the steps of the process control slip (form 06), pauses, extensions (form 04), notices "
                    "(forms 03, 05, withdrawal, financial obligation), requests to supplement (form 02), scanned "
                    "documents and the result. The dossier code may be given instead of the tracking code.",
        responses={200: OnestopDossierSerializer, 404: NOT_FOUND}, tags=TAGS, operation_id="onestop_dossiers_detail")
    def get(self, request, tracking_code):
        return detail_response(request, get_dossier(request.user, tracking_code))


# --- Steps --------------------------------------------------------------------------------------------------


@dataclass
class Step:
    """One POST step: who may take it (role action, workflow step), what it reads and which service it calls."""

    name: str
    summary: str
    description: str
    may: Any  # dossier -> (role action, workflow step), as the service checks them
    run: Any  # (dossier, user, validated data) -> anything
    serializer: type | None = None
    fields: dict | None = None


def _hand_off(dossier, user, data):
    to_user = None
    username = data["to_username"].strip()
    if username:
        to_user = User.objects.filter(username=username, agency_id=dossier.agency_id, is_active=True).first()
        if to_user is None:
            raise DjangoValidationError({"to_username": services._b(
                f"Không có cán bộ “{username[:150]}” của cơ quan giải quyết.",
                f"There is no active member of the deciding agency called “{username[:150]}”.")})
    return services.hand_off(dossier, user, to_user=to_user, to_label=data["to_label"], task=data["task"],
                             days=data["days"], note=data["note"])


def _supplement_may(dossier):
    return ("desk_reception" if dossier.status in (Status.RECEIVED, Status.SUPPLEMENT_REQUESTED) else "process",
            "request_supplement")


RECEPTION, PROCESS = ("desk_reception", "accept"), ("process", "process")
STEPS = [
    Step("accept", "Accept the dossier (form 01)",
         "The package is at the desk and the documents are complete: the dossier gets its code "
         "`{agency identifier}-{yyMMdd}-{NNNN}` (the receiving unit's sequence of the day: no gap, never reused) and "
         "its appointment from the procedure's legal time on the working-day calendar; the clock starts. Two "
         "officers accepting at once: one gets the code, the other 400 on `status`.",
         lambda d: RECEPTION, lambda d, u, data: services.accept(d, u)),
    Step("supplement", "Ask for a supplement (form 02)",
         "Each missing or wrong document with its kind, count and the reason. Before acceptance the clock does not "
         "start; after, it pauses until the supplement is received. The citizen is told and may send it by post.",
         _supplement_may,
         lambda d, u, data: services.request_supplement(d, u, data["_lines"], data["reason"]),
         SupplementRequestSerializer),
    Step("supplement-received", "The supplement has arrived",
         "The open request is answered (a supplement sent by post must have reached the desk). An accepted dossier "
         "goes back to processing with its due date moved by the pause; one not yet accepted can now be accepted.",
         lambda d: ("desk_reception", "request_supplement"), lambda d, u, data: services.receive_supplement(d, u)),
    Step("refuse", "Refuse (form 03)",
         "Not eligible: the package goes back to the citizen by post.",
         lambda d: ("desk_reception", "refuse"), lambda d, u, data: services.refuse(d, u, data["reason"]),
         OnestopReasonSerializer),
    Step("hand-off", "Hand the dossier on (form 06)",
         "Assign or pass on inside the agency: to a member of the deciding agency (`to_username`) or a unit "
         "(`to_label`), with the step's time in working days. The open step closes (on time or late).",
         lambda d: PROCESS, _hand_off, HandOffSerializer),
    Step("financial-obligation", "A financial obligation is required",
         "The citizen must pay (tax, charge) before processing goes on; the clock pauses meanwhile.",
         lambda d: PROCESS,
         lambda d, u, data: services.require_financial_obligation(d, u, data["amount"], data["reason"]),
         FinancialObligationSerializer),
    Step("financial-obligation-met", "The financial obligation is met",
         "Processing goes on; the due date moves by the pause.",
         lambda d: PROCESS, lambda d, u, data: services.financial_obligation_met(d, u)),
    Step("extend", "Extend (form 04)",
         "An apology and a new appointment, only before the current due date. `new_due` is an ISO date-time, or a "
         "date meaning the end of that working day.",
         lambda d: PROCESS, lambda d, u, data: services.extend(d, u, data["new_due"], data["reason"]),
         ExtendSerializer),
    Step("stop", "Stop processing (form 05)", "Processing stops, with the reason (at least 10 characters).",
         lambda d: PROCESS, lambda d, u, data: services.stop(d, u, data["reason"]), OnestopReasonSerializer),
    Step("withdraw", "The citizen withdraws the dossier",
         "Recorded by the desk on the citizen's written request, with the reason.",
         lambda d: RECEPTION, lambda d, u, data: services.withdraw(d, u, data["reason"]), OnestopReasonSerializer),
    Step("result", "Record the result",
         "The agency's decision (its reference) and any fees still due; on time or late on the calendar.",
         lambda d: ("record_result", "process"),
         lambda d, u, data: services.record_result(d, u, data["reference"], fees_due=data["fees_due"]),
         OnestopResultSerializer),
    Step("hand-result", "Hand the result to the post",
         "A sealed result package with its S10 id, held by the desk, to go on a manifest to the post office that "
         "serves the citizen's address (service choices 2 and 3 only).",
         lambda d: ("hand_result", "hand_result"),
         lambda d, u, data: services.hand_result_to_post(d, u, seal_numbers=data["seal_numbers"]),
         HandResultSerializer),
    Step("return-at-desk", "The citizen collects the result at the desk", "The result is returned; the dossier ends.",
         lambda d: ("hand_result", "hand_result"), lambda d, u, data: services.return_at_desk(d, u)),
]


def step_view(step: Step):
    operation = "onestop_dossiers_" + step.name.replace("-", "_")

    class StepView(APIView):
        parser_classes = [JSONParser]

        @extend_schema(summary=step.summary, description=step.description, request=step.serializer,
                       parameters=[IDEMPOTENCY_KEY], responses=ACTION_RESPONSES, tags=TAGS, operation_id=operation)
        @idempotent
        def post(self, request, tracking_code):
            user = request.user
            dossier = get_dossier(user, tracking_code, Dossier.objects.select_related("desk", "province"))
            # Who may act, before the body is read: a caller without the right learns nothing more.
            action, workflow_step = step.may(dossier)
            run_service(lambda: services.check_may(user, action, dossier, workflow_step))
            data: dict = {}
            if step.serializer is not None:
                serializer = step.serializer(data=request.data)
                serializer.is_valid(raise_exception=True)
                data = dict(serializer.validated_data)
                if isinstance(serializer, SupplementRequestSerializer):
                    data["_lines"] = serializer.supplement_lines()
            run_service(lambda: step.run(dossier, user, data), step.fields)
            return detail_response(request, dossier)

    StepView.__name__ = StepView.__qualname__ = "Step" + "".join(p.title() for p in step.name.split("-"))
    return StepView


# --- Scanned documents ----------------------------------------------------------------------------------------


class Attachments(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="The dossier's scanned documents", responses={200: AttachmentOutSerializer(many=True),
                                                                         404: NOT_FOUND},
                   tags=TAGS, operation_id="onestop_attachments_list")
    def get(self, request, tracking_code):
        dossier = get_dossier(request.user, tracking_code, Dossier.objects.all())
        attachments = dossier.attachments.select_related("uploaded_by", "dossier").order_by("uploaded_at", "pk")
        return Response(AttachmentOutSerializer(attachments, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Attach a scanned document",
        description="A PDF, JPEG or PNG — what the file's bytes say, whatever its name (a PNG named .pdf is stored "
                    "as a PNG; anything else is refused) — up to ATTACHMENT_MAX_MB, stored on disk or in "
                    "S3-compatible storage as configured, with its SHA-256.",
        request={"multipart/form-data": AttachmentUploadSerializer}, parameters=[IDEMPOTENCY_KEY],
        responses={201: AttachmentOutSerializer, 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ERRORS,
                   422: ERRORS},
        tags=TAGS, operation_id="onestop_attachments_upload")
    @idempotent
    def post(self, request, tracking_code):
        user = request.user
        dossier = get_dossier(user, tracking_code, Dossier.objects.select_related("desk", "province"))
        run_service(lambda: services.check_may(user, "digitise", dossier, "digitise"))
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attachment = run_service(lambda: services.attach(dossier, user, data["file"], kind=data["kind"],
                                                         document_name=data["document_name"]))
        attachment = Attachment.objects.select_related("uploaded_by", "dossier").get(pk=attachment.pk)
        return Response(AttachmentOutSerializer(attachment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}


def download_name(attachment: Attachment) -> str:
    """The original name, with the extension of what the content really is (a PNG named .pdf: .png)."""
    stem, ext = os.path.splitext(os.path.basename(attachment.original_name or ""))
    allowed = EXTENSIONS.get(attachment.content_type, (ext,))
    return f"{stem or 'tep'}{ext if ext.lower() in allowed else allowed[0]}"


class AttachmentDownload(APIView):
    @extend_schema(summary="Download a scanned document",
                   description="The file as stored, with its content type and `Content-Disposition: attachment`.",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: NOT_FOUND}, tags=TAGS,
                   operation_id="onestop_attachments_download")
    def get(self, request, tracking_code, attachment_id):
        dossier = get_dossier(request.user, tracking_code, Dossier.objects.all())
        attachment = dossier.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise exceptions.NotFound()
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError) as exc:
            raise exceptions.NotFound() from exc
        response = FileResponse(handle, content_type=attachment.content_type, as_attachment=True,
                                filename=download_name(attachment))
        response["Content-Length"] = str(attachment.size)
        response["Cache-Control"] = "private, no-store"
        return response


# --- Deadlines --------------------------------------------------------------------------------------------------


class Deadlines(APIView):
    @extend_schema(
        summary="Dossiers at risk and overdue",
        description="Among the dossiers whose clock runs (accepted, processing, or paused for a supplement or a "
                    "financial obligation): those with less than ONESTOP_AT_RISK_PERCENT of their legal time left "
                    "and those past their due date, on the working-day calendar, with counts per agency. `agency`: "
                    "an agency identifier within your scope (default: your agency — as the deciding agency or as "
                    "the desk's — or every agency in your scope). Lists show at most 200 rows each; the counts are "
                    "complete.",
        parameters=[DeadlinesQuerySerializer], responses={200: DeadlinesSerializer, 400: ERRORS}, tags=TAGS,
        operation_id="onestop_deadlines")
    def get(self, request):
        params = DeadlinesQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        user, identifier = request.user, (params.validated_data.get("agency") or "").strip()
        agency = None
        if identifier:
            agency = visible(user, Agency.objects.all()).filter(identifier=identifier).first()
            if agency is None:
                raise exceptions.ValidationError({"agency": [
                    f"Không có cơ quan mã “{identifier[:40]}” trong phạm vi của bạn. / "
                    f"There is no agency “{identifier[:40]}” within your scope."]})
        elif getattr(user, "agency_id", None):
            agency = user.agency
        queryset = visible(user, Dossier.objects.select_related("procedure", "version", "agency", "desk")
                           .prefetch_related("pauses")).filter(status__in=RUNNING, due_at__isnull=False,
                                                               decided_at__isnull=True)
        if agency is not None:
            queryset = queryset.filter(Q(agency=agency) | Q(desk__agency=agency))
        now = timezone.now()
        at_risk, overdue, per_agency = [], [], {}
        for dossier in queryset.order_by("due_at", "pk"):
            state = services.deadline_state(dossier, now)
            counts = per_agency.setdefault(dossier.agency_id, {
                "identifier": dossier.agency.identifier, "name": dossier.agency.name, "running": 0, "at_risk": 0,
                "overdue": 0})
            counts["running"] += 1
            if state in ("at_risk", "overdue"):
                counts[state] += 1
                (at_risk if state == "at_risk" else overdue).append(dossier)
        body = {"agency": agency, "at_risk_percent": settings.ONESTOP_AT_RISK_PERCENT, "computed_at": now,
                "running": sum(c["running"] for c in per_agency.values()),
                "by_agency": sorted(per_agency.values(), key=lambda c: c["identifier"]),
                "at_risk": at_risk[:DEADLINE_ROWS], "overdue": overdue[:DEADLINE_ROWS]}
        return Response(DeadlinesSerializer(body, context={"request": request, "now": now}).data)


# --- The supplement at the post office's counter ---------------------------------------------------------------


def counter_dossier(request, tracking_code: str) -> Dossier:
    user = request.user
    if not can_act(user, "take_in"):
        raise exceptions.PermissionDenied(
            "Bạn không có quyền tiếp nhận hồ sơ. / You are not allowed to take in dossiers.")
    dossier = (services.supplement_counter_dossiers(user)
               .select_related("desk__commune", "agency__commune", "province", "procedure", "version")
               .filter(tracking_code=normalise_tracking_code(tracking_code)[:20]).first())
    if dossier is None:
        raise exceptions.NotFound()
    return dossier


class CounterSupplement(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="What the desk asked to supplement (at the counter)",
        description="For post-office staff: the post office that took the dossier in, or any post office of the "
                    "dossier's province while it waits for a supplement (others: 404). The open request to "
                    "supplement (form 02: documents, counts, reasons) and the send postage to the desk for "
                    "`weight_grams` (free programmes applied); `request` is null when none is open.",
        parameters=[OpenApiParameter("weight_grams", OpenApiTypes.INT, required=False)],
        responses={200: SupplementQuoteSerializer, 403: FORBIDDEN, 404: NOT_FOUND}, tags=TAGS,
        operation_id="dossiers_supplement_quote")
    def get(self, request, tracking_code):
        dossier = counter_dossier(request, tracking_code)
        raw = request.query_params.get("weight_grams", "").strip()
        weight = None
        if raw:
            if not raw.isdigit() or not 0 < int(raw) <= 30_000:
                raise exceptions.ValidationError({"weight_grams": [
                    "Khối lượng từ 1 đến 30 000 g. / Weight between 1 and 30,000 g."]})
            weight = int(raw)
        request_ = None
        if dossier.status == Status.SUPPLEMENT_REQUESTED:
            request_ = (dossier.supplement_requests.filter(status=SupplementRequest.Status.OPEN)
                        .select_related("requested_by", "item").order_by("-number").first())
        post_office = request.user.post_office
        postage = run_service(lambda: services.supplement_postage(dossier, post_office, weight))
        body = {"tracking_code": dossier.tracking_code, "tracking_code_display": dossier.display_tracking_code,
                "code": dossier.code, "procedure_name": dossier.version.name,
                "applicant_name": dossier.applicant_name, "desk": dossier.desk, "request": request_,
                "postage_list_amount": postage.list_amount, "postage_amount": postage.amount, "zone": postage.zone}
        return Response(SupplementQuoteSerializer(body).data)

    @extend_schema(
        summary="Take a supplement package in (at the counter)",
        description="The citizen answers a request to supplement by post: the package gets its S10 id (allocated, "
                    "or a pre-printed label), its seal numbers and weight, and is linked to the open request; the "
                    "send postage is charged (free programmes apply) with a receipt when anything is paid. It then "
                    "travels on a manifest to the desk, which receives the supplement once it has arrived.",
        request=SupplementTakeInSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: SupplementTakenInSerializer, 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ERRORS,
                   422: ERRORS},
        tags=TAGS, operation_id="dossiers_supplement_take_in")
    @idempotent
    def post(self, request, tracking_code):
        dossier = counter_dossier(request, tracking_code)
        serializer = SupplementTakeInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = data.get("payment") or {}
        item = run_service(lambda: services.take_in_supplement(
            dossier, request.user, seal_numbers=data["seal_numbers"], payment_method=payment.get("method", ""),
            payment_reference=payment.get("reference", ""), weight_grams=data["weight_grams"],
            item_id=data["item_id"]))
        number = SupplementRequest.objects.filter(item=item).values_list("number", flat=True).first()
        body = {"tracking_code": dossier.tracking_code, "supplement_number": number, "item": item,
                "leg_due_at": item.leg_due_at, "charge": item.charge, "receipt": item.receipt}
        return Response(SupplementTakenInSerializer(body, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


urlpatterns = [
    path("onestop/dossiers/", DossierList.as_view(), name="onestop-dossier-list"),
    path("onestop/dossiers/<str:tracking_code>/", DossierDetail.as_view(), name="onestop-dossier-detail"),
    *[path(f"onestop/dossiers/<str:tracking_code>/{step.name}", step_view(step).as_view(),
           name=f"onestop-dossier-{step.name}") for step in STEPS],
    path("onestop/dossiers/<str:tracking_code>/attachments", Attachments.as_view(), name="onestop-attachments"),
    path("onestop/dossiers/<str:tracking_code>/attachments/<int:attachment_id>", AttachmentDownload.as_view(),
         name="onestop-attachment-download"),
    path("onestop/deadlines", Deadlines.as_view(), name="onestop-deadlines"),
    path("dossiers/<str:tracking_code>/supplement", CounterSupplement.as_view(), name="dossier-supplement"),
]
