"""Home pickup (issue #4, item 8): the request's rules, the state machine, assignment, collection at the door
(the pickup becomes the intake, all or nothing) and who sees what. The helpers here are shared by the other
test_pickups_* files."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Role
from accounts.scopes import can_view, visible
from audit.models import AuditEvent
from dossiers.models import Dossier
from notifications.models import Notification
from pickups import services
from pickups.models import ONESTOP_STATE, TRANSITIONS, PickupRequest, Status
from pickups.services import PickupData
from postal.models import Item, Receipt
from tests.conftest import intake_data, make_user


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    """Notifications sent while testing (e.g. a live server test) go to a temporary outbox."""
    settings.NOTIFY_OUTBOX_DIR = tmp_path / "outbox"


def working_day(after: int = 1) -> datetime.date:
    """The ``after``-th working day after today."""
    from workdays.calendar import next_working_day

    day = timezone.localdate()
    for _ in range(after):
        day = next_working_day(day)
    return day


def weekend_day() -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() != 6:
        day += datetime.timedelta(days=1)
    return day


def pickup_data(world, **overrides) -> PickupData:
    values = dict(contact_name="Trần Văn Minh", phone="0987654321", commune=world["my_hoa"].code,
                  street="25 Tôn Đức Thắng, ấp Mỹ Hòa", procedure_code="1.001612", service_choice=3,
                  preferred_date=working_day(), window="morning", note="Gọi trước 15 phút")
    values.update(overrides)
    return PickupData(**values)


@pytest.fixture
def make_pickup(intake_world, ag_call_centre):
    """make_pickup(**overrides) -> a registered pickup in Mỹ Hòa Hưng (served by 880000), by the call centre."""

    def make(**overrides):
        return services.request_pickup(pickup_data(intake_world, **overrides), ag_call_centre)

    return make


@pytest.fixture
def collecting(make_pickup, ag_manager, ag_postman):
    pickup = make_pickup()
    services.assign_pickup(pickup, ag_postman, ag_manager)
    return services.start_pickup(pickup, ag_postman)


def door_data(world, **overrides):
    """What the postman records at the door: intake_data for the pickup's procedure."""
    return intake_data(world, applicant_name="Trần Văn Minh", applicant_phone="0987654321",
                       return_street="25 Tôn Đức Thắng, ấp Mỹ Hòa", **overrides)


def messages_of(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


# --- Registering ------------------------------------------------------------------------------------------


def test_call_centre_registers_a_pickup_with_post_office_event_and_notification(make_pickup, intake_world,
                                                                                ag_call_centre):
    pickup = make_pickup()
    assert pickup.status == Status.REGISTERED and pickup.onestop_state == 1
    assert pickup.channel == "call_centre" and pickup.requested_by == ag_call_centre
    assert pickup.phone_verified_at is None
    assert pickup.post_office == intake_world["post_office"] and pickup.province == intake_world["province"]
    assert pickup.version == intake_world["birth"] and pickup.procedure.code == "1.001612"
    assert (pickup.window_start, pickup.window_end) == (datetime.time(7, 30), datetime.time(11, 30))
    assert len(pickup.code) == 12 and set(pickup.code) <= set("23456789ABCDEFGHJKMNPQRSTVWXYZ")
    event = AuditEvent.objects.get(action="pickup.registered")
    assert event.object_id == str(pickup.pk) and event.actor == ag_call_centre
    assert event.province_id_scope == intake_world["province"].pk
    assert event.post_office_id_scope == intake_world["post_office"].pk
    note = Notification.objects.get(template_key="pickup_registered")
    assert note.recipient_phone == "0987654321" and pickup.display_code in note.body
    assert note.related == pickup and note.province == intake_world["province"]


def test_a_clerk_registers_on_the_counter_channel(intake_world, ag_clerk):
    pickup = services.request_pickup(pickup_data(intake_world), ag_clerk)
    assert pickup.channel == "counter" and pickup.requested_by == ag_clerk


def test_custom_window(make_pickup):
    pickup = make_pickup(window="custom", window_start="14:00", window_end="15:30")
    assert pickup.window_text == "14:00–15:30"


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"contact_name": " "}, "contact_name", "họ tên"),
    ({"phone": "0123"}, "phone", "10 chữ số"),
    ({"commune": ""}, "commune", "Chọn xã/phường"),
    ({"street": ""}, "street", "số nhà"),
    ({"procedure_code": "9.999999"}, "procedure_code", "Không có thủ tục"),
    ({"procedure_code": "1.000894"}, "procedure_code", "không cho phép tiếp nhận"),
    ({"service_choice": 2}, "service_choice", "dịch vụ 1"),
    ({"preferred_date": "2020-01-02"}, "preferred_date", "đã qua"),
    ({"preferred_date": "hôm nay"}, "preferred_date", "YYYY-MM-DD"),
    ({"window": "night"}, "window", "buổi sáng"),
    ({"window": "custom", "window_start": "15:00", "window_end": "15:10"}, "window_end", "30 phút"),
    ({"window": "custom", "window_start": "05:00", "window_end": "09:00"}, "window_start", "06:00"),
    ({"window": "custom"}, "window_start", "HH:MM"),
])
def test_bad_requests_name_their_field_and_write_nothing(make_pickup, overrides, field, text):
    with pytest.raises(ValidationError) as exc:
        make_pickup(**overrides)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert text in " ".join(exc.value.message_dict[field])
    assert " / " in exc.value.message_dict[field][0]  # Vietnamese / English
    assert not PickupRequest.objects.exists() and not Notification.objects.exists()


def test_not_by_post_refusal_gives_reason_and_legal_basis(make_pickup):
    with pytest.raises(ValidationError) as exc:
        make_pickup(procedure_code="1.000894")
    text = " ".join(exc.value.message_dict["procedure_code"])
    assert "Hai bên nam, nữ phải có mặt" in text and "Quyết định số 2358/QĐ-UBND" in text


def test_a_weekend_day_is_refused(make_pickup):
    with pytest.raises(ValidationError) as exc:
        make_pickup(preferred_date=weekend_day())
    assert "không phải ngày làm việc" in " ".join(exc.value.message_dict["preferred_date"])


def test_a_window_already_over_today_is_refused(intake_world):
    from workdays.calendar import is_working_day

    day = working_day()
    late = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
    assert is_working_day(day)
    with pytest.raises(ValidationError) as exc:
        services.validate_request(pickup_data(intake_world, preferred_date=day, window="morning"), now=late)
    assert "đã qua" in " ".join(exc.value.message_dict["window"])
    services.validate_request(pickup_data(intake_world, preferred_date=day, window="afternoon"), now=late)


def test_a_commune_no_post_office_serves_is_refused_naming_commune(make_pickup, an_giang):
    from geo.models import Commune

    far = Commune.objects.create(code="30999", name="Xã Xa Xôi", division_type="xã", province=an_giang)
    with pytest.raises(ValidationError) as exc:
        make_pickup(commune=far.code)
    assert "Chưa có bưu cục nào thu gom hồ sơ tại Xã Xa Xôi" in exc.value.message_dict["commune"][0]


def test_a_retired_commune_is_refused(make_pickup, my_hoa):
    my_hoa.retired = True
    my_hoa.save()
    with pytest.raises(ValidationError) as exc:
        make_pickup()
    assert "không còn là đơn vị hành chính" in exc.value.message_dict["commune"][0]


def test_staff_register_only_in_their_province(intake_world, ag_call_centre, kon_tum_ward):
    with pytest.raises(ValidationError) as exc:
        services.request_pickup(pickup_data(intake_world, commune=kon_tum_ward.code), ag_call_centre)
    assert "không thuộc tỉnh của bạn" in exc.value.message_dict["commune"][0]


def test_roles_without_request_pickup_may_not_register(intake_world, ag_officer, ag_postman):
    for user in (ag_officer, ag_postman):
        with pytest.raises(PermissionDenied):
            services.request_pickup(pickup_data(intake_world), user)


# --- The state machine ------------------------------------------------------------------------------------


def test_transition_table_and_onestop_codes():
    assert TRANSITIONS[Status.REGISTERED] == {Status.ASSIGNED, Status.CANCELLED}
    assert TRANSITIONS[Status.ASSIGNED] == {Status.ASSIGNED, Status.COLLECTING, Status.CANCELLED, Status.FAILED}
    assert TRANSITIONS[Status.COLLECTING] == {Status.COLLECTED, Status.FAILED}
    assert all(not TRANSITIONS[s] for s in (Status.COLLECTED, Status.CANCELLED, Status.FAILED))
    assert set(ONESTOP_STATE) == set(Status.values)
    assert [ONESTOP_STATE[s] for s in ("registered", "assigned", "collecting", "collected", "cancelled",
                                       "failed")] == [1, 1, 2, 3, 4, 4]


def test_registered_assigned_collecting_failed(make_pickup, ag_manager, ag_postman):
    pickup = make_pickup()
    pickup = services.assign_pickup(pickup, ag_postman, ag_manager)
    assert pickup.status == Status.ASSIGNED and pickup.assigned_postman == ag_postman and pickup.assigned_at
    pickup = services.start_pickup(pickup, ag_postman)
    assert pickup.status == Status.COLLECTING and pickup.started_at and pickup.onestop_state == 2
    pickup = services.fail_pickup(pickup, ag_postman, "Không có người ở nhà")
    assert pickup.status == Status.FAILED and pickup.reason == "Không có người ở nhà" and pickup.closed_at
    assert pickup.onestop_state == 4
    actions = list(AuditEvent.objects.for_object(pickup).order_by("pk").values_list("action", flat=True))
    assert actions == ["pickup.registered", "pickup.assigned", "pickup.started", "pickup.failed"]
    failed = AuditEvent.objects.get(action="pickup.failed")
    assert failed.before["status"] == "collecting" and failed.after["status"] == "failed"
    assert failed.after["reason"] == "Không có người ở nhà" and failed.actor == ag_postman
    keys = set(Notification.objects.values_list("template_key", flat=True))
    assert keys == {"pickup_registered", "pickup_assigned", "pickup_failed"}


def test_assigned_may_fail_and_reassign(make_pickup, ag_manager, ag_postman, ag_post_office):
    other = make_user("an_postman2", Role.POSTMAN, post_office=ag_post_office)
    pickup = services.assign_pickup(make_pickup(), ag_postman, ag_manager)
    pickup = services.assign_pickup(pickup, other, ag_manager)
    assert pickup.status == Status.ASSIGNED and pickup.assigned_postman == other
    with pytest.raises(PermissionDenied):  # no longer the first postman's
        services.start_pickup(pickup, ag_postman)
    pickup = services.fail_pickup(pickup, other, "Không liên lạc được")
    assert pickup.status == Status.FAILED


@pytest.mark.parametrize("who", ["manager", "call_centre"])
def test_registered_and_assigned_may_be_cancelled(make_pickup, ag_manager, ag_postman, ag_call_centre, who):
    actor = ag_manager if who == "manager" else ag_call_centre
    first = services.cancel_pickup(make_pickup(), actor, "Công dân đổi ý")
    assert first.status == Status.CANCELLED and first.reason == "Công dân đổi ý" and first.onestop_state == 4
    second = services.assign_pickup(make_pickup(), ag_postman, ag_manager)
    second = services.cancel_pickup(second, actor, "Trùng yêu cầu")
    assert second.status == Status.CANCELLED
    assert Notification.objects.filter(template_key="pickup_cancelled").count() == 2


def test_forbidden_transitions_change_nothing(make_pickup, collecting, ag_manager, ag_postman, intake_world):
    registered = make_pickup()
    with pytest.raises(ValidationError) as exc:  # registered -> collecting needs an assignment first
        services.start_pickup(registered, ag_manager)
    assert "Không thể chuyển" in exc.value.message_dict["status"][0]
    with pytest.raises(ValidationError):  # registered -> failed
        services.fail_pickup(registered, ag_manager, "Không có người ở nhà")
    with pytest.raises(ValidationError):  # collecting -> cancelled
        services.cancel_pickup(collecting, ag_manager, "Công dân đổi ý")
    with pytest.raises(ValidationError):  # collecting -> assigned
        services.assign_pickup(collecting, ag_postman, ag_manager)
    with pytest.raises(ValidationError):  # registered -> collected
        services.collect_pickup(registered, door_data(intake_world), ag_manager)
    cancelled = services.cancel_pickup(make_pickup(), ag_manager, "Công dân đổi ý")
    for attempt in (lambda: services.assign_pickup(cancelled, ag_postman, ag_manager),
                    lambda: services.cancel_pickup(cancelled, ag_manager, "Lần nữa nhé"),
                    lambda: services.fail_pickup(cancelled, ag_manager, "Không có người ở nhà")):
        with pytest.raises(ValidationError):
            attempt()
    registered.refresh_from_db()
    collecting.refresh_from_db()
    assert registered.status == Status.REGISTERED and collecting.status == Status.COLLECTING
    assert not AuditEvent.objects.filter(action__in=["pickup.failed", "pickup.collected"]).exists()


def test_reasons_are_required(make_pickup, ag_manager):
    pickup = make_pickup()
    with pytest.raises(ValidationError) as exc:
        services.cancel_pickup(pickup, ag_manager, " ")
    assert "reason" in exc.value.message_dict
    pickup.refresh_from_db()
    assert pickup.status == Status.REGISTERED


# --- Assignment -------------------------------------------------------------------------------------------


def test_only_a_postman_of_that_post_office(make_pickup, ag_manager, ag_clerk, qn_post_office, ag_post_office):
    pickup = make_pickup()
    stranger = make_user("kontum_postman", Role.POSTMAN, post_office=qn_post_office)
    retired = make_user("old_postman", Role.POSTMAN, post_office=ag_post_office)
    retired.is_active = False
    retired.save()
    for postman in (stranger, ag_clerk, retired, None):
        with pytest.raises(ValidationError) as exc:
            services.assign_pickup(pickup, postman, ag_manager)
        assert "bưu tá của bưu cục 880000" in exc.value.message_dict["postman"][0]
    pickup.refresh_from_db()
    assert pickup.status == Status.REGISTERED and pickup.assigned_postman is None


def test_only_the_dispatcher_assigns(make_pickup, ag_postman, ag_clerk, ag_call_centre, qn_post_office):
    pickup = make_pickup()
    other_manager = make_user("kontum_manager", Role.POST_OFFICE_MANAGER, post_office=qn_post_office)
    for actor in (ag_postman, ag_clerk, ag_call_centre, other_manager):
        with pytest.raises(PermissionDenied):
            services.assign_pickup(pickup, ag_postman, actor)


def test_postmen_of_lists_active_postmen_of_the_office(ag_post_office, ag_postman, ag_clerk, qn_post_office):
    make_user("kontum_postman", Role.POSTMAN, post_office=qn_post_office)
    assert services.postmen_of(ag_post_office) == [ag_postman]


# --- Collection at the door: the pickup becomes the intake ------------------------------------------------


def test_postman_turns_the_pickup_into_an_intake(collecting, intake_world, ag_postman):
    dossier = services.collect_pickup(collecting, door_data(intake_world), ag_postman)
    pickup = PickupRequest.objects.get(pk=collecting.pk)
    assert pickup.status == Status.COLLECTED and pickup.dossier == dossier and pickup.onestop_state == 3
    assert pickup.closed_at is not None
    assert dossier.channel == "home_pickup" and dossier.submission_key == f"pickup:{pickup.pk}"
    assert dossier.post_office == intake_world["post_office"] and dossier.received_by == ag_postman
    assert dossier.procedure.code == "1.001612" and dossier.service_choice == 3
    item = Item.objects.get(dossier=dossier)
    assert item.item_id.startswith("EH") and item.item_id.endswith("VN")
    receipt = Receipt.objects.get(dossier=dossier)
    assert receipt.post_office == intake_world["post_office"]
    assert dossier.amount_paid == dossier.postage_total + dossier.fee_total > 0
    assert AuditEvent.objects.filter(action="dossier.received", object_id=str(dossier.pk)).exists()
    collected = AuditEvent.objects.get(action="pickup.collected")
    assert collected.after == {"status": "collected", "assigned_postman": ag_postman.pk, "reason": "",
                               "dossier": dossier.pk}
    note = Notification.objects.get(template_key="pickup_collected")
    assert dossier.display_tracking_code in note.body


@pytest.mark.parametrize(("overrides", "field"), [
    ({"seal_numbers": []}, "seal_numbers"),
    ({"checklist": []}, "checklist"),
    ({"applicant_id_number": "123"}, "applicant_id_number"),
    ({"payment_method": ""}, "payment_method"),
])
def test_a_failing_intake_leaves_the_pickup_collecting_and_writes_no_dossier(collecting, intake_world,
                                                                             ag_postman, overrides, field):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.collect_pickup(collecting, door_data(intake_world, **overrides), ag_postman)
    assert field in exc.value.message_dict
    collecting.refresh_from_db()
    assert collecting.status == Status.COLLECTING and collecting.dossier is None
    assert not Dossier.objects.exists() and not Item.objects.exists() and not Receipt.objects.exists()
    assert AuditEvent.objects.count() == events
    assert not Notification.objects.filter(template_key="pickup_collected").exists()


def test_a_failure_after_take_in_rolls_back_take_in_too(collecting, intake_world, ag_postman, monkeypatch):
    """take_in's writes and the pickup's transition are one transaction."""

    def broken(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(services, "notify", broken)
    with pytest.raises(RuntimeError):
        services.collect_pickup(collecting, door_data(intake_world), ag_postman)
    collecting.refresh_from_db()
    assert collecting.status == Status.COLLECTING and collecting.dossier is None
    assert not Dossier.objects.exists() and not Item.objects.exists() and not Receipt.objects.exists()


def test_the_procedure_is_the_requests(collecting, intake_world, ag_postman):
    with pytest.raises(ValidationError) as exc:
        services.collect_pickup(collecting, door_data(intake_world, procedure_code="1.000894"), ag_postman)
    assert "procedure_code" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.collect_pickup(collecting, door_data(intake_world, service_choice=2), ag_postman)
    assert "service_choice" in exc.value.message_dict


def test_only_the_assigned_postman_or_the_manager_collects(collecting, intake_world, ag_clerk, ag_post_office,
                                                            ag_manager):
    other = make_user("an_postman2", Role.POSTMAN, post_office=ag_post_office)
    for actor in (other, ag_clerk):
        with pytest.raises(PermissionDenied):
            services.collect_pickup(collecting, door_data(intake_world), actor)
    dossier = services.collect_pickup(collecting, door_data(intake_world), ag_manager)
    assert dossier.received_by == ag_manager


# --- Scopes -----------------------------------------------------------------------------------------------


def test_scoping(make_pickup, qn_clerk, ag_clerk, ag_call_centre, ag_manager, ag_postman, national_admin):
    pickup = make_pickup()
    everything = PickupRequest.objects.all()
    assert list(visible(qn_clerk, everything)) == [] and not can_view(qn_clerk, pickup)
    for user in (ag_clerk, ag_call_centre, ag_manager, ag_postman, national_admin):
        assert can_view(user, pickup), user
