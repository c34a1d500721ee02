"""Shapes of the manifests API and of the staff item view (``/api/v1/manifests/…``, ``/api/v1/items/{id}/``).

Read shapes give choice values as plain strings with a ``…_label`` beside them (the values are in the help
text), so that no enum component clashes with other apps' ``status`` / ``kind`` enums. Request shapes check
their own fields with bilingual messages; every rule about the manifest itself is the services' to check."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import serializers

from catalog.serializers import BilingualErrorsMixin
from custody.models import Manifest, ManifestLine, UnitKind

MANIFEST_STATUS = "open | closed | dispatched | received | discrepancies | cancelled"
UNIT_KIND = "post_office | desk"
CONDITION = "pending | ok | seal_broken | damaged | missing"
ITEM_STATUS = ("pending | picked_up | in_transit | at_one_stop_desk | received_by_agency | result_ready | "
               "out_for_delivery | delivery_failed | held_at_post_office | delivered | returned_to_agency | cancelled")
CUSTODIAN_KIND = "post_office | postman | manifest | desk | agency | citizen"
RECEIVE_CONDITIONS = (ManifestLine.Condition.OK, ManifestLine.Condition.SEAL_BROKEN, ManifestLine.Condition.DAMAGED)


# --- Errors (for the schema) -----------------------------------------------------------------------------------


class ManifestErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The request field the error is about (null: none)")
    message = serializers.CharField(help_text="Vietnamese / English")


class ManifestErrorsSerializer(serializers.Serializer):
    errors = ManifestErrorSerializer(many=True)


def service_errors(exc: DjangoValidationError, fields: dict | None = None) -> dict:
    """A service's ValidationError keyed by the API's field names."""
    fields = fields or {}
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {fields.get(key, key): messages for key, messages in exc.message_dict.items()}


# --- Read shapes ---------------------------------------------------------------------------------------------------


class ManifestUnitSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=UNIT_KIND)
    code = serializers.CharField()
    name = serializers.CharField()


class ManifestPersonSerializer(serializers.Serializer):
    username = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class ManifestStepSerializer(serializers.Serializer):
    """One side's confirmation: who, when, where."""

    by = ManifestPersonSerializer(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    location = serializers.CharField(allow_blank=True)


class ManifestSenderSerializer(serializers.Serializer):
    opened = ManifestStepSerializer()
    closed = ManifestStepSerializer()
    dispatched = ManifestStepSerializer()


class ManifestLineSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    item_kind = serializers.CharField(help_text="dossier | supplement | result")
    item_status = serializers.CharField(help_text=ITEM_STATUS)
    dossier_tracking_code = serializers.CharField()
    dossier_tracking_code_display = serializers.CharField()
    procedure_code = serializers.CharField()
    seal_numbers = serializers.ListField(child=serializers.CharField())
    weight_grams = serializers.IntegerField(allow_null=True)
    condition = serializers.CharField(help_text=CONDITION)
    condition_label = serializers.CharField()
    added_at = serializers.DateTimeField()
    added_by = serializers.CharField(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)
    checked_by = serializers.CharField(allow_null=True)


class ManifestIncidentSerializer(serializers.Serializer):
    code = serializers.CharField()
    item_id = serializers.CharField()
    reason = serializers.CharField(help_text="missing | extra | lost | damaged | seal_broken | misrouted | …")
    reason_label = serializers.CharField()
    status = serializers.CharField(help_text="open | investigating | resolved | compensated")
    status_label = serializers.CharField()
    reported_at = serializers.DateTimeField()


class ManifestSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(help_text=MANIFEST_STATUS)
    status_label = serializers.CharField()
    origin = ManifestUnitSerializer()
    destination = ManifestUnitSerializer()
    seal_number = serializers.CharField(allow_blank=True)
    item_count = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    dispatched_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="When it must reach the destination")
    received_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="This manifest in the API")


class ManifestSerializer(ManifestSummarySerializer):
    sender = ManifestSenderSerializer(help_text="The origin's confirmations: opened, closed (sealed), dispatched")
    courier = ManifestPersonSerializer(allow_null=True, help_text="Who carries it (a postman, or a name)")
    receiver = ManifestStepSerializer(help_text="The destination's confirmation")
    counts = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="total, pending, ok, seal_broken, damaged, missing")
    lines = ManifestLineSerializer(many=True)
    incidents = ManifestIncidentSerializer(many=True)
    pdf_url = serializers.CharField(help_text="The printable manifest (A4 PDF, browser session)")


class ManifestReceiveResultSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    on_manifest = serializers.BooleanField(help_text="false: an extra package, taken in and recorded as an incident")
    condition = serializers.CharField(help_text="ok | seal_broken | damaged | extra")
    incident_code = serializers.CharField(allow_null=True)
    manifest = ManifestSerializer()


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": (user.get_full_name() or user.get_username()).strip()}


def _unit(kind: str, unit) -> dict:
    return {"kind": kind, "code": unit.code, "name": unit.name}


def _step(by, at, location="") -> dict:
    return {"by": _person(by), "at": at, "location": location or ""}


def manifest_summary(manifest: Manifest, request=None, item_count: int | None = None) -> dict:
    url = reverse("api:manifest-detail", args=[manifest.code])
    if item_count is None:
        item_count = getattr(manifest, "item_count", None)
    if item_count is None:
        item_count = manifest.lines.count()
    return {
        "code": manifest.code, "status": manifest.status, "status_label": manifest.get_status_display(),
        "origin": _unit(manifest.origin_kind, manifest.origin),
        "destination": _unit(manifest.destination_kind, manifest.destination),
        "seal_number": manifest.seal_number,
        "item_count": item_count,
        "opened_at": manifest.opened_at, "dispatched_at": manifest.dispatched_at, "due_at": manifest.due_at,
        "received_at": manifest.received_at, "url": request.build_absolute_uri(url) if request else url,
    }


def manifest_data(manifest: Manifest, request=None) -> dict:
    lines = list(manifest.lines.select_related("item__dossier__procedure", "added_by", "checked_by")
                 .order_by("added_at", "pk"))
    counts = {"total": len(lines)}
    for condition in ManifestLine.Condition.values:
        counts[condition] = sum(1 for line in lines if line.condition == condition)
    courier = None
    if manifest.courier_id or manifest.courier_name:
        courier = {"username": manifest.courier.get_username() if manifest.courier else None,
                   "name": manifest.courier_name or (_person(manifest.courier) or {}).get("name", "")}
    pdf = reverse("custody:manifest_pdf", args=[manifest.code])
    return {
        **manifest_summary(manifest, request, item_count=len(lines)),
        "sender": {"opened": _step(manifest.opened_by, manifest.opened_at),
                   "closed": _step(manifest.closed_by, manifest.closed_at),
                   "dispatched": _step(manifest.dispatched_by, manifest.dispatched_at, manifest.dispatch_location)},
        "courier": courier,
        "receiver": _step(manifest.received_by, manifest.received_at, manifest.receipt_location),
        "counts": counts,
        "lines": [{
            "item_id": line.item.item_id, "item_kind": line.item.kind, "item_status": line.item.status,
            "dossier_tracking_code": line.item.dossier.tracking_code,
            "dossier_tracking_code_display": line.item.dossier.display_tracking_code,
            "procedure_code": line.item.dossier.procedure.code, "seal_numbers": list(line.item.seal_numbers or []),
            "weight_grams": line.item.weight_grams, "condition": line.condition,
            "condition_label": line.get_condition_display(), "added_at": line.added_at,
            "added_by": line.added_by.get_username() if line.added_by else None, "checked_at": line.checked_at,
            "checked_by": line.checked_by.get_username() if line.checked_by else None,
        } for line in lines],
        "incidents": [{
            "code": i.code, "item_id": i.item.item_id, "reason": i.reason, "reason_label": i.get_reason_display(),
            "status": i.status, "status_label": i.get_status_display(), "reported_at": i.reported_at,
        } for i in manifest.incidents.select_related("item").order_by("reported_at", "pk")],
        "pdf_url": request.build_absolute_uri(pdf) if request else pdf,
    }


# --- Request shapes ------------------------------------------------------------------------------------------------


class ManifestFilterSerializer(BilingualErrorsMixin, serializers.Serializer):
    status = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                   help_text=f"{MANIFEST_STATUS}, or active (open, closed, dispatched)")
    direction = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                      help_text="outgoing (from your unit) | incoming (to your unit); "
                                                "empty: every manifest within your scope")

    def validate_status(self, value):
        if value and value not in Manifest.Status.values and value != "active":
            raise serializers.ValidationError(
                f"Trạng thái “{value[:20]}” không hợp lệ ({MANIFEST_STATUS}, active). / "
                f"“{value[:20]}” is not a manifest status ({MANIFEST_STATUS}, active).")
        return value

    def validate_direction(self, value):
        if value and value not in ("outgoing", "incoming"):
            raise serializers.ValidationError("Chiều: outgoing hoặc incoming. / Direction: outgoing or incoming.")
        return value


class ManifestDestinationSerializer(BilingualErrorsMixin, serializers.Serializer):
    kind = serializers.CharField(max_length=20, help_text=UNIT_KIND)
    code = serializers.CharField(max_length=40, help_text="The post office's code or the one-stop desk's code")

    def validate_kind(self, value):
        if value not in UnitKind.values:
            raise serializers.ValidationError("Loại nơi nhận: post_office hoặc desk. / "
                                              "The destination kind is post_office or desk.")
        return value


class ManifestOpenSerializer(BilingualErrorsMixin, serializers.Serializer):
    destination = ManifestDestinationSerializer()
    origin_desk_code = serializers.CharField(required=False, allow_blank=True, max_length=40, default="",
                                             help_text="Agency staff with several one-stop desks: the sending desk")


class ManifestItemSerializer(BilingualErrorsMixin, serializers.Serializer):
    item_id = serializers.CharField(max_length=40, help_text="The S10 id as scanned or typed")


class ManifestCloseSerializer(BilingualErrorsMixin, serializers.Serializer):
    seal_number = serializers.CharField(max_length=30, help_text="The manifest's seal (4–20 letters, digits, -)")


class ManifestDispatchSerializer(BilingualErrorsMixin, serializers.Serializer):
    courier_username = serializers.CharField(required=False, allow_blank=True, max_length=150, default="",
                                             help_text="A member of staff of the post office sending (or, from a "
                                                       "desk, receiving) the manifest")
    courier_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="",
                                         help_text="Or the courier's name")
    location = serializers.CharField(required=False, allow_blank=True, max_length=255, default="",
                                     help_text="Where it was handed over (default: the sending unit)")

    def validate(self, attrs):
        if not attrs["courier_username"].strip() and not attrs["courier_name"].strip():
            raise serializers.ValidationError({"courier_name": [
                "Ghi người vận chuyển: courier_username hoặc courier_name. / "
                "Name the courier: courier_username or courier_name."]})
        return attrs


class ManifestReceiveSerializer(BilingualErrorsMixin, serializers.Serializer):
    item_id = serializers.CharField(max_length=40, help_text="The S10 id as scanned or typed")
    condition = serializers.CharField(required=False, default="ok", max_length=20,
                                      help_text="ok | seal_broken | damaged (default ok)")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate_condition(self, value):
        if value not in RECEIVE_CONDITIONS:
            raise serializers.ValidationError("Tình trạng: ok, seal_broken hoặc damaged. / "
                                              "Condition: ok, seal_broken or damaged.")
        return value


class ManifestFinishSerializer(BilingualErrorsMixin, serializers.Serializer):
    location = serializers.CharField(required=False, allow_blank=True, max_length=255, default="",
                                     help_text="Where it was received (default: the destination)")


# --- The staff item view ------------------------------------------------------------------------------------------


class StaffItemHolderSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=CUSTODIAN_KIND)
    kind_label = serializers.CharField()
    code = serializers.CharField(allow_blank=True, help_text="Post office / desk code, agency identifier, "
                                                             "manifest code or postman's username")
    name = serializers.CharField(allow_blank=True)


class StaffItemCustodianSerializer(StaffItemHolderSerializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField(help_text=ITEM_STATUS)


class StaffItemEventSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    status = serializers.CharField(help_text=ITEM_STATUS)
    status_label = serializers.CharField()
    unit_kind = serializers.CharField(allow_blank=True, help_text=UNIT_KIND)
    unit_code = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_blank=True)
    source = serializers.CharField(help_text="intake | manifest | scan | system")
    applied = serializers.BooleanField(help_text="false: kept on the timeline without changing the state (a late "
                                                 "scan, an incident note)")
    reason = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    manifest_code = serializers.CharField(allow_blank=True)


class StaffItemManifestSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(help_text=MANIFEST_STATUS)
    origin = serializers.CharField()
    destination = serializers.CharField()
    condition = serializers.CharField(help_text=f"{CONDITION} | extra (not on the list)")
    dispatched_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)


class StaffItemIncidentSerializer(serializers.Serializer):
    code = serializers.CharField()
    reason = serializers.CharField()
    reason_label = serializers.CharField()
    status = serializers.CharField(help_text="open | investigating | resolved | compensated")
    status_label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    reported_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    compensation_amount = serializers.IntegerField(allow_null=True)
    manifest_code = serializers.CharField(allow_blank=True)


class StaffItemDossierSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    tracking_code_display = serializers.CharField()
    procedure_code = serializers.CharField()
    agency_identifier = serializers.CharField()


class StaffItemSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    kind = serializers.CharField(help_text="dossier | supplement | result")
    status = serializers.CharField(help_text=ITEM_STATUS)
    status_label = serializers.CharField()
    returning = serializers.BooleanField()
    seal_numbers = serializers.ListField(child=serializers.CharField())
    weight_grams = serializers.IntegerField(allow_null=True)
    last_event_at = serializers.DateTimeField(allow_null=True)
    leg_due_at = serializers.DateTimeField(allow_null=True)
    overdue_flagged_at = serializers.DateTimeField(allow_null=True)
    custodian = StaffItemHolderSerializer()
    dossier = StaffItemDossierSerializer()
    events = StaffItemEventSerializer(many=True)
    custodians = StaffItemCustodianSerializer(many=True, help_text="Who held it, from the applied events")
    manifests = StaffItemManifestSerializer(many=True)
    incidents = StaffItemIncidentSerializer(many=True)


def staff_item_data(details: dict) -> dict:
    """``custody.views_items.item_details`` as the API's plain data."""
    item, dossier = details["item"], details["dossier"]
    return {
        "item_id": item.item_id, "kind": item.kind, "status": item.status, "status_label": item.get_status_display(),
        "returning": item.returning, "seal_numbers": list(item.seal_numbers or []),
        "weight_grams": item.weight_grams, "last_event_at": item.last_event_at, "leg_due_at": item.leg_due_at,
        "overdue_flagged_at": item.overdue_flagged_at, "custodian": details["custodian"],
        "dossier": {"tracking_code": dossier.tracking_code, "tracking_code_display": dossier.display_tracking_code,
                    "procedure_code": dossier.procedure.code, "agency_identifier": dossier.agency.identifier},
        "events": details["timeline"], "custodians": details["custodians"],
        "manifests": details["manifests"], "incidents": details["incidents"],
    }
