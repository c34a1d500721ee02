"""The one-stop desk: accept with code and appointment, supplement (clock paused), refuse, process with
hand-offs, extend, stop, withdraw, result handed to the post — the transition table and who may act."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Role
from custody import services as custody
from dossiers.models import PORTAL_STATUS, Dossier
from onestop import services as onestop
from onestop.models import ClockPause, ProcessingStep
from tests.conftest import make_user


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def processor(intake_world):
    return make_user("processor", Role.AGENCY_PROCESSOR, agency=intake_world["agency"])


@pytest.fixture
def at_desk(make_intake, intake_world, ag_postman, desk_officer):
    """make(**intake overrides) -> a dossier whose package has reached the desk."""
    def make(**overrides):
        dossier = make_intake(**overrides)
        clerk = intake_world["clerk"]
        manifest = custody.open_manifest(clerk, intake_world["desk"])
        custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
        custody.close_manifest(manifest, "BK-SEAL-01", clerk)
        custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
        custody.receive_item(manifest, dossier.outbound_item.item_id, desk_officer)
        custody.finish_receipt(manifest, desk_officer)
        return Dossier.objects.get(pk=dossier.pk)
    return make


def test_accept_gives_code_and_appointment(at_desk, desk_officer, intake_world):
    from workdays.calendar import due

    dossier = at_desk()
    accepted = onestop.accept(dossier, desk_officer)
    day = timezone.localtime(accepted.accepted_at).strftime("%y%m%d")
    assert accepted.code == f"000.00.12.H01-{day}-0001"
    assert accepted.status == "accepted" and accepted.portal_status == 2
    assert accepted.due_at == due(accepted.accepted_at, 3, "days").due
    assert accepted.outbound_item.status == "received_by_agency"
    second = onestop.accept(at_desk(), desk_officer)
    assert second.code.endswith("-0002")


def test_accept_twice_is_refused(at_desk, desk_officer):
    dossier = at_desk()
    onestop.accept(dossier, desk_officer)
    with pytest.raises(ValidationError) as err:
        onestop.accept(dossier, desk_officer)
    assert "status" in err.value.message_dict


def test_accept_needs_the_package_at_the_desk(make_intake, desk_officer):
    with pytest.raises(ValidationError) as err:
        onestop.accept(make_intake(), desk_officer)
    assert "item" in err.value.message_dict


def test_supplement_before_acceptance_does_not_start_the_clock(at_desk, desk_officer):
    dossier = at_desk()
    request = onestop.request_supplement(dossier, desk_officer, [
        onestop.SupplementLine("Giấy chứng sinh", "original", 1, "Bản photo không hợp lệ")], "Thiếu bản chính")
    assert request.number == 1 and not ClockPause.objects.exists()
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested" and dossier.portal_status == 5
    with pytest.raises(ValidationError):
        onestop.accept(dossier, desk_officer)  # still open
    onestop.receive_supplement(dossier, desk_officer)
    assert onestop.accept(dossier, desk_officer).code


def test_supplement_after_acceptance_pauses_and_moves_the_due_date(at_desk, desk_officer, processor):
    dossier = onestop.accept(at_desk(), desk_officer)
    onestop.hand_off(dossier, desk_officer, to_user=processor, days=2)
    due_before = Dossier.objects.get(pk=dossier.pk).due_at
    t0 = timezone.now()
    onestop.request_supplement(dossier, processor, [
        onestop.SupplementLine("Tờ khai", "original", 1, "Sai thông tin")], "Tờ khai sai", at=t0)
    later = t0 + datetime.timedelta(days=7)
    dossier = onestop.receive_supplement(dossier, desk_officer, at=later)
    assert dossier.status == "processing" and dossier.due_at > due_before


def test_refuse_sends_the_package_back(at_desk, desk_officer):
    dossier = at_desk()
    with pytest.raises(ValidationError):
        onestop.refuse(dossier, desk_officer, "ngắn")
    onestop.refuse(dossier, desk_officer, "Không thuộc thẩm quyền giải quyết của cơ quan")
    dossier.refresh_from_db()
    item = dossier.outbound_item
    assert dossier.status == "refused" and dossier.portal_status == 3 and item.returning
    kind, unit = custody.final_destination(item)
    assert kind == "post_office" and unit == dossier.post_office


def test_processing_steps_result_and_handover(at_desk, desk_officer, processor, intake_world):
    dossier = onestop.accept(at_desk(), desk_officer)
    onestop.hand_off(dossier, desk_officer, to_user=processor, days=1, task="Thẩm định")
    onestop.hand_off(dossier, processor, to_label="Lãnh đạo Sở", days=1, task="Ký duyệt")
    assert list(ProcessingStep.objects.filter(dossier=dossier).values_list("position", flat=True)) == [1, 2]
    dossier = onestop.record_result(dossier, processor, "123/GKS", fees_due=0)
    assert dossier.status == "processed" and dossier.portal_status == 9 and dossier.decided_at <= dossier.due_at
    assert onestop.deadline_state(dossier) == "done_on_time"
    item = onestop.hand_result_to_post(dossier, desk_officer, seal_numbers=["KQ-0001"])
    assert item.kind == "result" and item.status == "result_ready" and item.custodian_kind == "desk"
    assert item.item_id.startswith("EK")
    custody.check_custody(item)
    with pytest.raises(ValidationError):
        onestop.hand_result_to_post(dossier, desk_officer, seal_numbers=["KQ-0002"])


def test_extension_only_before_the_due_date(at_desk, desk_officer):
    dossier = onestop.accept(at_desk(), desk_officer)
    new_due = dossier.due_at + datetime.timedelta(days=5)
    with pytest.raises(ValidationError) as err:
        onestop.extend(dossier, desk_officer, new_due, "Cần xác minh thêm thông tin", at=dossier.due_at)
    assert "new_due" in err.value.message_dict
    extension = onestop.extend(dossier, desk_officer, new_due, "Cần xác minh thêm thông tin")
    dossier.refresh_from_db()
    assert dossier.due_at == new_due and extension.previous_due_at == dossier.original_due_at


def test_stop_withdraw_and_terminal_states(at_desk, desk_officer):
    dossier = onestop.accept(at_desk(), desk_officer)
    onestop.stop(dossier, desk_officer, "Công dân không bổ sung đúng hạn")
    dossier.refresh_from_db()
    assert dossier.status == "stopped" and dossier.portal_status == 8
    with pytest.raises(ValidationError):
        onestop.withdraw(dossier, desk_officer, "Công dân đề nghị rút hồ sơ")
    other = at_desk()
    onestop.withdraw(other, desk_officer, "Công dân đề nghị rút hồ sơ")
    assert Dossier.objects.get(pk=other.pk).portal_status == 7


def test_who_may_act(at_desk, ag_clerk, qn_clerk, processor, intake_world, an_giang):
    dossier = at_desk()
    for actor in (ag_clerk, qn_clerk, processor):
        with pytest.raises(PermissionDenied):
            onestop.accept(dossier, actor)
    seconded = make_user("seconded", Role.SECONDED_STAFF, agency=intake_world["centre"])
    with pytest.raises(PermissionDenied):  # the desk is not a Mode 2 desk
        onestop.accept(dossier, seconded)
    desk = intake_world["desk"]
    desk.mode = "mode2"
    desk.save()
    assert onestop.accept(Dossier.objects.get(pk=dossier.pk), seconded).code
    with pytest.raises(PermissionDenied):  # refusing is not delegated by default
        onestop.refuse(at_desk(), seconded, "Không đủ điều kiện theo quy định")


def test_portal_status_covers_every_status():
    from dossiers.models import Status

    assert set(PORTAL_STATUS) == set(Status.values)
    assert sorted(v for v in PORTAL_STATUS.values() if v) == list(range(1, 11))
