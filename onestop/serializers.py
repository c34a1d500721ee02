"""API shapes of the one-stop desk: what a client sends for each step (only types and lengths are checked
here; every rule about the dossier is ``onestop.services``'s), and the dossier it gets back with its
deadline, steps, pauses, extensions, notices, requests to supplement, scanned documents and result."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import DocumentKind
from dossiers.models import Status
from dossiers.serializers import (
    DOCUMENT_KIND,
    AgencyRefSerializer,
    BilingualSerializer,
    CodeNameSerializer,
    ItemOutSerializer,
    PaymentSerializer,
    PlainChoiceField,
    ReceiptOutSerializer,
)
from onestop import services
from onestop.models import Attachment

CLOSED_STATUSES = (Status.REFUSED, Status.STOPPED, Status.WITHDRAWN, Status.CANCELLED)
DEADLINE_STATES = ("on_time", "at_risk", "overdue", "done_on_time", "done_late", "none")
DEADLINE_HELP = ("on_time | at_risk (less than ONESTOP_AT_RISK_PERCENT of the legal time left) | overdue | "
                 "done_on_time | done_late | none (the clock is not running: not accepted yet, or closed)")
STATUS_HELP = " | ".join(Status.values)
PORTAL_HELP = ("TrangThaiHoSo of the national portal: 1 newly registered, 2 received, 3 refused, 4 processing, "
               "5 supplement requested, 6 financial obligation, 7 withdrawn, 8 stopped, 9 processed, "
               "10 result returned; null for a cancelled dossier")


# --- Requests ---------------------------------------------------------------------------------------------


def _few_seals(value):
    if len(value) > 10:
        raise serializers.ValidationError("Tối đa 10 số niêm phong. / At most 10 seal numbers.")
    return value


class SupplementLineSerializer(BilingualSerializer):
    name = serializers.CharField(max_length=500, help_text="The document to bring or correct")
    kind = PlainChoiceField(choices=DocumentKind.choices, help_text=DOCUMENT_KIND)
    count = serializers.IntegerField(min_value=1, max_value=99)
    reason = serializers.CharField(max_length=500, help_text="What is missing or wrong")


class SupplementRequestSerializer(BilingualSerializer):
    """Form 02: each missing or wrong document with its count and the reason."""

    lines = SupplementLineSerializer(many=True, help_text="At least one line, at most 50")
    reason = serializers.CharField(max_length=1000, help_text="The overall reason")

    def validate_lines(self, value):
        if not value:
            raise serializers.ValidationError("Liệt kê từng giấy tờ cần bổ sung. / List each document to supplement.")
        if len(value) > 50:
            raise serializers.ValidationError("Tối đa 50 dòng. / At most 50 lines.")
        return value

    def supplement_lines(self) -> list[services.SupplementLine]:
        return [services.SupplementLine(line["name"], line["kind"], line["count"], line["reason"])
                for line in self.validated_data["lines"]]


class OnestopReasonSerializer(BilingualSerializer):
    reason = serializers.CharField(max_length=1000, allow_blank=True, help_text="Why (at least 10 characters)")


class HandOffSerializer(BilingualSerializer):
    """A line of the process control slip (form 06): to a member of the deciding agency, or to a unit."""

    to_username = serializers.CharField(max_length=150, required=False, allow_blank=True, default="",
                                        help_text="A processor or one-stop officer of the deciding agency")
    to_label = serializers.CharField(max_length=255, required=False, allow_blank=True, default="",
                                     help_text="Or a unit / department, e.g. “Lãnh đạo Sở”")
    task = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    days = serializers.IntegerField(min_value=0, max_value=365, required=False, allow_null=True, default=None,
                                    help_text="Working days for this step (empty: no time of its own)")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs["to_username"].strip() and not attrs["to_label"].strip():
            raise serializers.ValidationError({"to_username": [
                "Chọn người hoặc bộ phận nhận (to_username hoặc to_label). / "
                "Choose who receives it (to_username or to_label)."]})
        return attrs


class FinancialObligationSerializer(BilingualSerializer):
    amount = serializers.IntegerField(min_value=1, max_value=10**13, help_text="Whole đồng")
    reason = serializers.CharField(max_length=1000, help_text="What is to be paid (tax, charge…)")


class WorkingDayMomentField(serializers.Field):
    """An ISO date-time, or a date meaning the end of that working day's last session."""

    default_error_messages = {
        "invalid": "Nhập ngày giờ ISO 8601 (2025-07-15T17:00:00+07:00) hoặc ngày (2025-07-15). / "
                   "Enter an ISO 8601 date-time (2025-07-15T17:00:00+07:00) or a date (2025-07-15).",
        "not_working_day": "Ngày {day} không phải ngày làm việc. / {day} is not a working day.",
    }

    def to_internal_value(self, data):
        from workdays.calendar import get_calendar

        text = str(data).strip() if isinstance(data, str) else ""
        try:
            moment = parse_datetime(text) if "T" in text or " " in text else None
            day = None if moment else parse_date(text)
        except ValueError:
            self.fail("invalid")
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        if day is None:
            self.fail("invalid")
        calendar = get_calendar()
        if not calendar.is_working_day(day):
            self.fail("not_working_day", day=day.strftime("%d/%m/%Y"))
        return datetime.datetime.combine(day, calendar.day_end, tzinfo=calendar.tz)

    def to_representation(self, value):
        return value.isoformat()


@extend_schema_field({"type": "string", "description": "ISO 8601 date-time, or a date (end of that working day)",
                      "example": "2025-07-15"})
class NewDueField(WorkingDayMomentField):
    pass


class ExtendSerializer(BilingualSerializer):
    """Form 04: an apology and a new appointment, before the current one."""

    new_due = NewDueField(help_text="ISO date-time, or a date: the end of that working day")
    reason = serializers.CharField(max_length=1000, help_text="Why (at least 10 characters)")


class OnestopResultSerializer(BilingualSerializer):
    reference = serializers.CharField(max_length=255, allow_blank=True, help_text="Số, ký hiệu of the decision")
    fees_due = serializers.IntegerField(min_value=0, max_value=10**13, required=False, default=0,
                                        help_text="Fees still to collect when the result is handed over (đồng)")


class HandResultSerializer(BilingualSerializer):
    seal_numbers = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                         help_text="Seal number(s) of the result package (at most 10)")

    def validate_seal_numbers(self, value):
        return _few_seals(value)


class AttachmentUploadSerializer(BilingualSerializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG — judged by its bytes, not its name",
                                 allow_empty_file=False)
    kind = PlainChoiceField(choices=Attachment.Kind.choices, required=False, default=Attachment.Kind.SCAN,
                            help_text="scan (the dossier's documents) | result (the scanned result)")
    document_name = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                          help_text="Which document of the dossier this is")


class SupplementTakeInSerializer(BilingualSerializer):
    """The supplement package taken in at the counter."""

    seal_numbers = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                         required=False, default=list,
                                         help_text="Seal number(s) of the supplement package (at most 10)")
    weight_grams = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                            max_value=30_000)
    payment = PaymentSerializer(required=False, default=dict)
    item_id = serializers.CharField(max_length=30, required=False, allow_blank=True, default="",
                                    help_text="A pre-printed S10 label; empty: allocated")

    def validate_seal_numbers(self, value):
        return _few_seals(value)


class OnestopDossierFilterSerializer(BilingualSerializer):
    """The query string of the one-stop dossier list."""

    status = PlainChoiceField(choices=Status.choices, required=False, help_text=STATUS_HELP)
    deadline = PlainChoiceField(choices=[(v, v) for v in ("on_time", "at_risk", "overdue")], required=False,
                                help_text="on_time | at_risk | overdue (dossiers whose clock is running)")
    received_from = serializers.DateField(required=False, help_text="Taken in by the post on or after (YYYY-MM-DD)")
    received_to = serializers.DateField(required=False, help_text="Taken in on or before (YYYY-MM-DD)")
    accepted_from = serializers.DateField(required=False, help_text="Accepted at the desk on or after")
    accepted_to = serializers.DateField(required=False, help_text="Accepted at the desk on or before")
    code = serializers.CharField(max_length=60, required=False, allow_blank=True,
                                 help_text="Dossier code, or its beginning (e.g. 000.00.12.H01-250703)")

    def validate(self, attrs):
        for start, end in (("received_from", "received_to"), ("accepted_from", "accepted_to")):
            if attrs.get(start) and attrs.get(end) and attrs[end] < attrs[start]:
                raise serializers.ValidationError({end: [
                    "Ngày kết thúc trước ngày bắt đầu. / The end date is before the start date."]})
        return attrs


class DeadlinesQuerySerializer(BilingualSerializer):
    agency = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                   help_text="Agency identifier (mã định danh); default: your agency, or every "
                                             "agency in your scope")


# --- Responses --------------------------------------------------------------------------------------------


def _hours(delta):
    return None if delta is None else round(delta.total_seconds() / 3600, 2)


def _username(user):
    return user.get_username() if user is not None else None


def _api_url(request, name, *args):
    url = reverse(name, args=args)
    return request.build_absolute_uri(url) if request else url


class DeadlineMixin(serializers.Serializer):
    due_at = serializers.DateTimeField(allow_null=True, help_text="The appointment (hẹn trả kết quả)")
    remaining_hours = serializers.SerializerMethodField(
        help_text="Working hours left to the due date on the working-day calendar (negative: late; frozen while "
                  "the clock is paused); null before acceptance")
    deadline_state = serializers.SerializerMethodField(help_text=DEADLINE_HELP)

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_remaining_hours(self, dossier):
        if dossier.due_at is None or dossier.decided_at is not None or dossier.status in CLOSED_STATUSES:
            return None
        return _hours(services.remaining(dossier, self.context.get("now")))

    @extend_schema_field(serializers.ChoiceField(choices=DEADLINE_STATES))
    def get_deadline_state(self, dossier):
        return services.deadline_state(dossier, self.context.get("now"))


class OnestopSummarySerializer(DeadlineMixin):
    """One dossier in a one-stop list."""

    tracking_code = serializers.CharField()
    tracking_code_display = serializers.CharField(source="display_tracking_code")
    code = serializers.CharField(allow_null=True, help_text="{agency identifier}-{yyMMdd}-{NNNN}, once accepted")
    status = serializers.CharField(help_text=STATUS_HELP)
    portal_status = serializers.IntegerField(allow_null=True, help_text=PORTAL_HELP)
    procedure_code = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="version.name")
    agency_identifier = serializers.CharField(source="agency.identifier")
    desk_code = serializers.CharField(source="desk.code", allow_null=True, default=None)
    applicant_name = serializers.CharField()
    received_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, dossier):
        return _api_url(self.context.get("request"), "api:onestop-dossier-detail", dossier.tracking_code)


class ProcessingStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    from_user = serializers.SerializerMethodField()
    to_user = serializers.SerializerMethodField()
    to_label = serializers.CharField()
    task = serializers.CharField()
    sent_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    on_time = serializers.BooleanField(allow_null=True, help_text="null while the step is open or has no time")
    note = serializers.CharField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_from_user(self, step):
        return _username(step.from_user)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_to_user(self, step):
        return _username(step.to_user)


class ClockPauseSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="supplement | financial_obligation")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="null: the clock is stopped now")


class OnestopExtensionSerializer(serializers.Serializer):
    previous_due_at = serializers.DateTimeField()
    new_due_at = serializers.DateTimeField()
    reason = serializers.CharField()
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField(source="issued_by.username")


class OnestopNoticeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="refusal (form 03) | stop (form 05) | withdrawal | financial_obligation")
    reason = serializers.CharField()
    amount = serializers.IntegerField(allow_null=True, help_text="Financial obligation, đồng")
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField(source="issued_by.username")
    met_at = serializers.DateTimeField(allow_null=True)


class SupplementLineOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text=DOCUMENT_KIND)
    count = serializers.IntegerField()
    reason = serializers.CharField()


class SupplementRequestOutSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField(help_text="open | answered | closed")
    reason = serializers.CharField()
    lines = SupplementLineOutSerializer(many=True)
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField(source="requested_by.username")
    answered_at = serializers.DateTimeField(allow_null=True)
    item_id = serializers.CharField(source="item.item_id", allow_null=True, default=None,
                                    help_text="The supplement package sent by post (S10 id), if any")
    item_status = serializers.CharField(source="item.status", allow_null=True, default=None)


class AttachmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField(help_text="scan | result")
    original_name = serializers.CharField()
    document_name = serializers.CharField()
    content_type = serializers.CharField(help_text="As the file's bytes say: application/pdf, image/jpeg, image/png")
    size = serializers.IntegerField(help_text="Bytes")
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    download = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, attachment):
        return _api_url(self.context.get("request"), "api:onestop-attachment-download",
                        attachment.dossier.tracking_code, attachment.pk)


class OnestopResultOutSerializer(serializers.Serializer):
    reference = serializers.CharField(source="result_reference")
    fees_due = serializers.IntegerField(source="result_fees_due")
    decided_at = serializers.DateTimeField()
    on_time = serializers.SerializerMethodField()
    returned_at = serializers.DateTimeField(allow_null=True)
    item_id = serializers.SerializerMethodField(help_text="The result package (S10 id) once handed to the post")

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_on_time(self, dossier):
        return None if dossier.due_at is None else dossier.decided_at <= dossier.due_at

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_item_id(self, dossier):
        item = next((i for i in dossier.items.all() if i.kind == "result" and i.status != "cancelled"), None)
        return item.item_id if item else None


class OnestopDossierSerializer(DeadlineMixin):
    """A dossier as the one-stop desk and the agency see it."""

    tracking_code = serializers.CharField()
    tracking_code_display = serializers.CharField(source="display_tracking_code")
    code = serializers.CharField(allow_null=True, help_text="{agency identifier}-{yyMMdd}-{NNNN}, once accepted")
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display")
    portal_status = serializers.IntegerField(allow_null=True, help_text=PORTAL_HELP)
    service_choice = serializers.IntegerField()
    procedure_code = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="version.name")
    processing_time = serializers.IntegerField(source="version.processing_time")
    processing_unit = serializers.CharField(source="version.processing_unit", help_text="days | half_days | hours")
    agency = AgencyRefSerializer(help_text="The deciding agency")
    desk = CodeNameSerializer(allow_null=True)
    post_office = CodeNameSerializer(help_text="The post office that took the dossier in")
    applicant_name = serializers.CharField()
    received_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    accepted_by = serializers.CharField(source="accepted_by.username", allow_null=True, default=None)
    original_due_at = serializers.DateTimeField(allow_null=True, help_text="The first appointment")
    allowed_hours = serializers.SerializerMethodField(help_text="Working hours from acceptance to the due date")
    paused = serializers.SerializerMethodField(help_text="The clock stands still now")
    decided_at = serializers.DateTimeField(allow_null=True)
    steps = ProcessingStepSerializer(many=True, help_text="The process control slip (form 06)")
    pauses = ClockPauseSerializer(many=True)
    extensions = OnestopExtensionSerializer(many=True, help_text="Form 04")
    notices = OnestopNoticeSerializer(many=True)
    supplement_requests = SupplementRequestOutSerializer(many=True, help_text="Form 02")
    attachments = AttachmentOutSerializer(many=True, help_text="Scanned documents (metadata; download by URL)")
    items = ItemOutSerializer(many=True, help_text="Packages: the dossier, supplements, the result")
    result = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_allowed_hours(self, dossier):
        return _hours(services.allowed_time(dossier))

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_paused(self, dossier):
        return any(p.ended_at is None for p in dossier.pauses.all())

    @extend_schema_field(OnestopResultOutSerializer(allow_null=True))
    def get_result(self, dossier):
        if dossier.decided_at is None:
            return None
        return OnestopResultOutSerializer(dossier, context=self.context).data


class DeadlineRowSerializer(OnestopSummarySerializer):
    """A dossier of the deadline lists."""


class AgencyDeadlineCountSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    name = serializers.CharField()
    running = serializers.IntegerField()
    at_risk = serializers.IntegerField()
    overdue = serializers.IntegerField()


class DeadlinesSerializer(serializers.Serializer):
    agency = AgencyRefSerializer(allow_null=True, help_text="The agency asked for (null: every agency in scope)")
    at_risk_percent = serializers.IntegerField(help_text="At risk: less than this share of the legal time left")
    computed_at = serializers.DateTimeField()
    running = serializers.IntegerField(help_text="Dossiers whose clock runs (or is paused)")
    by_agency = AgencyDeadlineCountSerializer(many=True)
    at_risk = DeadlineRowSerializer(many=True, help_text="Soonest due first")
    overdue = DeadlineRowSerializer(many=True, help_text="Most overdue first")


class SupplementQuoteSerializer(serializers.Serializer):
    """What the counter sees before taking a supplement in."""

    tracking_code = serializers.CharField()
    tracking_code_display = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    procedure_name = serializers.CharField()
    applicant_name = serializers.CharField()
    desk = CodeNameSerializer(allow_null=True, help_text="The desk the package travels to")
    request = SupplementRequestOutSerializer(allow_null=True, help_text="The open request; null: none is open")
    postage_list_amount = serializers.IntegerField(help_text="Send postage for the weight given (đồng)")
    postage_amount = serializers.IntegerField(help_text="What the citizen pays (0 under a free programme)")
    zone = serializers.CharField()


class SupplementChargeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    list_amount = serializers.IntegerField()
    amount = serializers.IntegerField()
    zone = serializers.CharField()
    free_programme = serializers.IntegerField(source="free_programme_id", allow_null=True)


class SupplementTakenInSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    supplement_number = serializers.IntegerField()
    item = ItemOutSerializer()
    leg_due_at = serializers.DateTimeField(help_text="When the package must reach the desk")
    charge = SupplementChargeSerializer()
    receipt = ReceiptOutSerializer(allow_null=True, help_text="null when nothing was paid")


class OnestopErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="e.g. reason, lines, new_due, to_username, status")
    message = serializers.CharField(help_text="Vietnamese / English")


class OnestopErrorsSerializer(serializers.Serializer):
    errors = OnestopErrorSerializer(many=True)
