"""API shapes of the scan events, the overdue packages and the incidents (custody.api_scans).

The scan batch is checked event by event by ``custody.scans.ingest`` (a bad event is rejected with its reason
while the others apply), so its request serializers describe the shape for the schema; only the envelope
(a list of at most 1,000 events) is checked here."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.serializers import BilingualErrorsMixin
from custody import scans
from custody.models import Incident, IncidentReason
from custody.services import STAFF_INCIDENT_REASONS
from postal.models import ItemStatus

OUTCOMES = ["applied", "late", "duplicate", "rejected"]


class PlainChoiceField(serializers.CharField):
    """A choice given as a plain string in the schema, its values in the help text (as catalog and dossiers do):
    "status" and "reason" enums with other values exist in other apps, and naming them apart would need
    settings.ENUM_NAME_OVERRIDES."""

    def __init__(self, *, choices, help_text="", **kwargs):
        self.values = [str(value) for value in choices]
        kwargs["help_text"] = f"{help_text} — {' | '.join(self.values)}" if help_text else " | ".join(self.values)
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and value not in self.values:
            raise serializers.ValidationError(
                f"“{value[:40]}” không phải là lựa chọn hợp lệ ({', '.join(self.values)}). / "
                f"“{value[:40]}” is not a valid choice ({', '.join(self.values)}).", code="invalid_choice")
        return value


class ScanErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The field it is about, e.g. events, item_id, to")
    message = serializers.CharField(help_text="Vietnamese / English")


class ScanErrorsSerializer(serializers.Serializer):
    errors = ScanErrorSerializer(many=True)


# --- Scan events -------------------------------------------------------------------------------------------


class ScanEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=64, help_text="The scanner's own id of the event; an id already "
                                                              "received is ignored (outcome `duplicate`)")
    item_id = serializers.CharField(max_length=40, help_text="S10 item id, e.g. EH100000005VN")
    event_type = PlainChoiceField(choices=ItemStatus.values, help_text="A normalised status (see GET "
                                  "/api/v1/scans/vocabulary); `in_transit` goes through manifests")
    unit = serializers.CharField(max_length=40, help_text="Code of the scanning post office or one-stop desk")
    time = serializers.DateTimeField(help_text="When it happened (ISO 8601 with offset, e.g. "
                                               "2026-11-23T08:30:00+07:00); at most 10 minutes in the future")
    actor = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                  help_text="User name on the scanner (a postman's for picked_up / "
                                            "out_for_delivery); the caller when empty")
    reason = PlainChoiceField(choices=IncidentReason.values, required=False, allow_blank=True,
                              help_text="Optional incident reason (e.g. nobody_home with delivery_failed; damaged "
                                        "or seal_broken on an arrival records the condition)")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ScanBatchSerializer(serializers.Serializer):
    events = ScanEventSerializer(many=True, help_text=f"1 to {scans.MAX_EVENTS} events, applied in order")


class EventErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="Vietnamese / English")


class ScanResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in the request (from 0)")
    event_id = serializers.CharField()
    outcome = PlainChoiceField(choices=OUTCOMES, help_text=(
        "applied: the package's state changed; late: kept on the timeline at its time, state unchanged (a later "
        "event was already applied); duplicate: this event id was already received, ignored; rejected: nothing "
        "written for this event, see `error`"))
    error = EventErrorSerializer(required=False, help_text="Only when rejected")
    status = PlainChoiceField(choices=ItemStatus.values, required=False,
                              help_text="The package's current status (applied and late)")
    custodian = serializers.CharField(required=False, help_text="Its current custodian, e.g. post_office:12")


class ScanCountsSerializer(serializers.Serializer):
    applied = serializers.IntegerField()
    late = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ScanResponseSerializer(serializers.Serializer):
    results = ScanResultSerializer(many=True)
    counts = ScanCountsSerializer()


class VocabularyEntrySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(help_text="Vietnamese")


class VocabularySerializer(serializers.Serializer):
    statuses = VocabularyEntrySerializer(many=True)
    incident_reasons = VocabularyEntrySerializer(many=True)
    max_events = serializers.IntegerField(help_text="Most events in one request")


# --- Overdue packages --------------------------------------------------------------------------------------


class OverdueQuerySerializer(BilingualErrorsMixin, serializers.Serializer):
    post_office = serializers.IntegerField(required=False, min_value=1, help_text=(
        "Id of the post office answerable for the packages; default: your own post office, or every post office "
        "in your scope"))


class OverdueItemSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    tracking_code = serializers.CharField()
    custodian = serializers.CharField(help_text="e.g. manifest:BK-880000-261123-001, post_office:880000")
    responsible_post_office = serializers.CharField(allow_null=True, help_text="Code of the answerable post office")
    leg_started_at = serializers.DateTimeField(allow_null=True)
    leg_due_at = serializers.DateTimeField()
    overdue_working_hours = serializers.FloatField(help_text="Working time past the limit, in hours")
    overdue_working_days = serializers.IntegerField(help_text="Whole working days past the limit")
    overdue_text = serializers.CharField(help_text="e.g. “2 ngày làm việc 3 giờ”")
    flagged_at = serializers.DateTimeField(allow_null=True, help_text="When the daily task reported it")


# --- Incidents ---------------------------------------------------------------------------------------------


class IncidentSerializer(serializers.ModelSerializer):
    reason = PlainChoiceField(choices=IncidentReason.values, read_only=True)
    status = PlainChoiceField(choices=Incident.Status.values, read_only=True)
    item_id = serializers.CharField(source="item.item_id")
    tracking_code = serializers.CharField(source="item.dossier.display_tracking_code")
    manifest = serializers.CharField(source="manifest.code", allow_null=True, default=None)
    reason_label = serializers.CharField(source="get_reason_display")
    status_label = serializers.CharField(source="get_status_display")
    province = serializers.CharField(source="province.code")
    post_office = serializers.CharField(source="post_office.code", allow_null=True, default=None,
                                        help_text="Code of the answerable post office")
    reported_by = serializers.CharField(source="reported_by.username", allow_null=True, default=None)
    next_statuses = serializers.SerializerMethodField(help_text="Where it may go next")

    class Meta:
        model = Incident
        fields = ["code", "item_id", "tracking_code", "manifest", "reason", "reason_label", "status", "status_label",
                  "description", "province", "post_office", "reported_by", "reported_at", "resolution",
                  "compensation_amount", "closed_at", "citizen_notified_at", "next_statuses"]

    def get_next_statuses(self, incident) -> list[str]:
        return sorted(str(s) for s in Incident.TRANSITIONS.get(incident.status, ()))


class IncidentDetailSerializer(IncidentSerializer):
    proposed_compensation = serializers.SerializerMethodField(
        help_text="The amount the compensation rules give (postage × multiple + fixed, capped); null without a rule")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "proposed_compensation"]

    def get_proposed_compensation(self, incident) -> int | None:
        from django.core.exceptions import ValidationError

        from custody.services import compensation_for

        try:
            return compensation_for(incident)
        except ValidationError:
            return None


class IncidentFilterSerializer(BilingualErrorsMixin, serializers.Serializer):
    status = PlainChoiceField(choices=Incident.Status.values, required=False)
    reason = PlainChoiceField(choices=IncidentReason.values, required=False)
    post_office = serializers.IntegerField(required=False, min_value=1, help_text="Id of the answerable post office")


class IncidentCreateSerializer(BilingualErrorsMixin, serializers.Serializer):
    item_id = serializers.CharField(max_length=40, help_text="S10 id of a package you can see")
    reason = PlainChoiceField(choices=[r.value for r in STAFF_INCIDENT_REASONS])
    description = serializers.CharField(max_length=1000, help_text=_("What happened (at least 5 characters)"))


class IncidentAdvanceSerializer(BilingualErrorsMixin, serializers.Serializer):
    to = PlainChoiceField(choices=[Incident.Status.INVESTIGATING, Incident.Status.RESOLVED,
                                   Incident.Status.COMPENSATED],
                          help_text="open → investigating → resolved | compensated (open → resolved too)")
    resolution = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="",
                                       help_text="How it was resolved (required for resolved / compensated)")
    compensation_amount = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=10**12,
        help_text="đồng; for compensated: default the rules' amount (see proposed_compensation)")
