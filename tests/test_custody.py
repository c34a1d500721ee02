"""Chain of custody: manifests from counter to desk and back, incidents, leg limits, the invariant."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from custody.models import Incident, ItemEvent
from postal import s10
from tests.conftest import make_user


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def sent(make_intake, intake_world, ag_postman):
    """A dossier taken in and its manifest to the desk, dispatched with the postman."""
    dossier = make_intake()
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-01", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    return dossier, manifest


def test_counter_to_desk(sent, desk_officer):
    dossier, manifest = sent
    item = dossier.outbound_item
    assert item.status == "in_transit" and item.custodian_kind == "manifest" and item.custodian == manifest
    custody.check_custody(item)
    custody.receive_item(manifest, item.item_id, desk_officer)
    manifest = custody.finish_receipt(manifest, desk_officer)
    item.refresh_from_db()
    assert manifest.status == "received" and manifest.received_by == desk_officer
    assert item.status == "at_one_stop_desk" and item.custodian_kind == "desk"
    custody.check_custody(item)
    statuses = list(ItemEvent.objects.filter(item=item).values_list("status", flat=True))
    assert statuses == ["pending", "in_transit", "at_one_stop_desk"]
    assert AuditEvent.objects.filter(action="custody.manifest_received").exists()


def test_missing_item_opens_an_incident_and_stays_with_the_manifest(sent, desk_officer):
    dossier, manifest = sent
    manifest = custody.finish_receipt(manifest, desk_officer)
    item = dossier.outbound_item
    assert manifest.status == "discrepancies"
    incident = Incident.objects.get(item=item)
    assert incident.reason == "missing" and incident.status == "open"
    item.refresh_from_db()
    assert item.custodian_kind == "manifest"
    custody.check_custody(item)
    custody.receive_item(manifest, item.item_id, desk_officer)  # found later
    incident.refresh_from_db()
    item.refresh_from_db()
    assert incident.status == "resolved" and item.custodian_kind == "desk"


def test_add_refusals(make_intake, intake_world, qn_clerk):
    clerk = intake_world["clerk"]
    dossier = make_intake()
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    item_id = dossier.outbound_item.item_id
    wrong = item_id[:10] + str((int(item_id[10]) + 1) % 10) + "VN"
    with pytest.raises(ValidationError) as err:
        custody.add_to_manifest(manifest, wrong, clerk)
    assert "check digit" in err.value.message_dict["item_id"][0]
    custody.add_to_manifest(manifest, item_id, clerk)
    with pytest.raises(ValidationError) as err:
        custody.add_to_manifest(manifest, item_id, clerk)
    assert "already" in err.value.message_dict["item_id"][0]
    other = custody.open_manifest(clerk, intake_world["desk"])
    with pytest.raises(ValidationError) as err:
        custody.add_to_manifest(other, item_id, clerk)
    assert manifest.code in err.value.message_dict["item_id"][0]
    with pytest.raises(PermissionDenied):
        custody.add_to_manifest(manifest, item_id, qn_clerk)
    with pytest.raises(ValidationError):
        custody.add_to_manifest(manifest, s10.make("EH", 77_777_777), clerk)


def test_wrong_destination_is_refused(make_intake, intake_world, an_giang, long_xuyen):
    from network.models import Agency, OneStopDesk

    other_agency = Agency.objects.create(identifier="000.99.99.H01", name="Khác", level="provincial_centre",
                                         province=an_giang, commune=long_xuyen)
    other_desk = OneStopDesk.objects.create(code="MC-X", name="Khác", agency=other_agency, level="provincial",
                                            province=an_giang, commune=long_xuyen)
    clerk = intake_world["clerk"]
    dossier = make_intake()
    manifest = custody.open_manifest(clerk, other_desk)
    with pytest.raises(ValidationError) as err:
        custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
    assert "Wrong destination" in err.value.message_dict["item_id"][0]


def test_manifest_steps_in_order(make_intake, intake_world, ag_postman, desk_officer):
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    with pytest.raises(ValidationError):
        custody.close_manifest(manifest, "SEAL-1", clerk)  # empty
    custody.add_to_manifest(manifest, make_intake().outbound_item.item_id, clerk)
    with pytest.raises(ValidationError):
        custody.dispatch_manifest(manifest, clerk, courier=ag_postman)  # not sealed
    with pytest.raises(ValidationError) as err:
        custody.close_manifest(manifest, "x", clerk)
    assert "seal_number" in err.value.message_dict
    custody.close_manifest(manifest, "SEAL-1", clerk)
    with pytest.raises(ValidationError) as err:
        custody.dispatch_manifest(manifest, clerk)
    assert "courier" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        custody.dispatch_manifest(manifest, desk_officer, courier=ag_postman)
    manifest = custody.dispatch_manifest(manifest, clerk, courier_name="Nguyễn Văn Tài xế")
    assert manifest.due_at is not None and manifest.status == "dispatched"
    with pytest.raises(PermissionDenied):
        custody.finish_receipt(manifest, clerk)  # the origin cannot confirm receipt
