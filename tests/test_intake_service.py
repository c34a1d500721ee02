"""dossiers.services.take_in: the three service choices, the checklist, refusals, seals, postage and
free programmes, receipts, item ids, idempotency, permissions and scopes."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.scopes import visible
from audit.models import AuditEvent
from dossiers.models import TRACKING_ALPHABET, ChecklistLine, Dossier
from dossiers.services import ChecklistEntry, cancel, take_in
from postal import s10
from postal.models import FreeProgramme, Item, PostageRate, Receipt
from tests.conftest import intake_data


def counts():
    return (Dossier.objects.count(), Item.objects.count(), Receipt.objects.count(), AuditEvent.objects.count(),
            ChecklistLine.objects.count())


def test_send_and_receive_end_to_end(make_intake, intake_world):
    from workdays.calendar import add_working_days

    dossier = make_intake()
    assert dossier.status == "received" and dossier.channel == "counter" and dossier.service_choice == 3
    assert len(dossier.tracking_code) == 12 and set(dossier.tracking_code) <= set(TRACKING_ALPHABET)
    assert dossier.version == intake_world["birth"] and dossier.agency == intake_world["agency"]
    assert dossier.desk == intake_world["desk"] and dossier.post_office == intake_world["post_office"]
    assert dossier.applicant_phone == "0912345678" and dossier.received_by == intake_world["clerk"]
    assert dossier.expected_arrival == add_working_days(dossier.received_at, 1)
    # Checklist: every document of the version, with what was brought.
    lines = list(dossier.checklist.all())
    assert [(line.name, line.brought_count, line.mandatory) for line in lines] == [
        ("Tờ khai đăng ký khai sinh", 1, True), ("Giấy chứng sinh", 1, True), ("Văn bản ủy quyền", 0, False)]
    # Postage: post office and desk in the same ward; the result goes to another commune of the province.
    charges = [(c.kind, c.zone, c.amount) for c in dossier.charges.all()]
    assert charges == [("postage_send", "same_commune", 16_000), ("agency_fee", "", 25_000),
                       ("postage_return", "same_province", 22_000)]
    assert (dossier.postage_total, dossier.fee_total, dossier.amount_paid) == (38_000, 25_000, 63_000)
    # The sealed package: an S10 id from the post office's range, held by the post office.
    item = dossier.outbound_item
    assert item.item_id == s10.make("EH", 10_000_000) and s10.is_valid(item.item_id)
    assert item.custodian_kind == "post_office" and item.custodian == intake_world["post_office"]
    assert item.seal_numbers == ["NP0001234"] and item.status == "pending"
    receipt = dossier.receipts.get()
    assert receipt.number == 1 and receipt.total == 63_000 and receipt.fee_amount == 25_000
    assert receipt.code == f"880000-{timezone.localdate().year}-000001"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dossier.received", "postal.item_created", "postal.receipt_issued"} <= actions


def test_send_only_needs_no_return_address(make_intake):
    dossier = make_intake(service_choice=1, return_commune=None, return_street="")
    assert [c.kind for c in dossier.charges.all()] == ["postage_send", "agency_fee"]
    assert dossier.outbound_item is not None


def test_receive_only_registers_the_address_and_the_return_postage(make_intake, intake_world):
    dossier = make_intake(service_choice=2, checklist=[], seal_numbers=[], external_code="000.00.12.H01-261120-0007")
    assert [c.kind for c in dossier.charges.all()] == ["postage_return"]
    assert not dossier.items.exists() and not dossier.checklist.exists() and dossier.expected_arrival is None
    assert dossier.external_code == "000.00.12.H01-261120-0007"
    with pytest.raises(ValidationError) as err:
        make_intake(service_choice=2, checklist=[], seal_numbers=[])
    assert "external_code" in err.value.message_dict


def test_a_procedure_not_allowed_by_post_is_refused_with_reason_and_basis(make_intake):
    before = counts()
    with pytest.raises(ValidationError) as err:
        make_intake(procedure_code="1.000894")
    message = err.value.message_dict["procedure_code"][0]
    assert "Hai bên nam, nữ phải có mặt" in message and "Quyết định số 2358/QĐ-UBND" in message
    assert "does not allow" in message
    assert counts() == before


def test_every_bad_field_is_named_and_nothing_is_written(make_intake):
    before = counts()
    with pytest.raises(ValidationError) as err:
        make_intake(applicant_name=" ", applicant_id_number="12345", applicant_phone="0212345678",
                    applicant_email="not-an-email", return_commune=None, return_street="",
                    seal_numbers=["x"], weight_grams=40_000, payment_method="cheque")
    fields = set(err.value.message_dict)
    assert {"applicant_name", "applicant_id_number", "applicant_phone", "applicant_email", "return_commune",
            "return_street", "seal_numbers", "weight_grams"} <= fields
    for messages in err.value.message_dict.values():
        assert all(" / " in m for m in messages)  # Vietnamese / English
    assert counts() == before


def test_payment_method_is_needed_when_something_is_due(make_intake):
    with pytest.raises(ValidationError) as err:
        make_intake(payment_method="")
    assert "payment_method" in err.value.message_dict


@pytest.mark.parametrize("cccd, ok", [
    ("089195000123", True), ("001099012345", True), ("08919500012", False), ("089A95000123", False),
    ("003195000123", False),  # 003 is no province code
    ("089399000123", False),  # century digit 3 (2000s) + 99 -> 2099, in the future
])
def test_cccd_structure(make_intake, cccd, ok):
    if ok:
        assert make_intake(applicant_id_number=cccd).applicant_id_number == cccd
    else:
        with pytest.raises(ValidationError) as err:
            make_intake(applicant_id_number=cccd)
        assert "applicant_id_number" in err.value.message_dict


def test_an_organisation_gives_a_tax_code(make_intake):
    dossier = make_intake(applicant_kind="organisation", applicant_name="Công ty TNHH Mẫu",
                          applicant_id_number="0100233488")
    assert dossier.applicant_id_number == "0100233488"
    with pytest.raises(ValidationError) as err:
        make_intake(applicant_kind="organisation", applicant_id_number="0100233489")
    assert "check digit" in err.value.message_dict["applicant_id_number"][0]


def test_phone_in_international_form_is_normalised(make_intake):
    assert make_intake(applicant_phone="+84 912.345.678").applicant_phone == "0912345678"


def test_missing_mandatory_document_blocks_and_says_what_to_bring(make_intake, intake_world):
    docs = list(intake_world["birth"].documents.all())
    before = counts()
    with pytest.raises(ValidationError) as err:
        make_intake(checklist=[ChecklistEntry(docs[0].pk, 1)])
    message = err.value.message_dict["checklist"][0]
    assert "Giấy chứng sinh (Bản chính × 1)" in message and "Tờ khai" not in message
    # A photocopy does not stand for an original.
    with pytest.raises(ValidationError) as err:
        make_intake(checklist=[ChecklistEntry(docs[0].pk, 1), ChecklistEntry(docs[1].pk, 1, "photocopy")])
    assert "Giấy chứng sinh" in err.value.message_dict["checklist"][0]
    # A clerk may not override, even with a reason.
    with pytest.raises(ValidationError) as err:
        make_intake(checklist=[ChecklistEntry(docs[0].pk, 1)], override_reason="Công dân cam kết bổ sung sau")
    assert "override_reason" in err.value.message_dict
    assert counts() == before


def test_a_manager_may_override_with_a_written_reason(make_intake, intake_world, ag_manager):
    docs = list(intake_world["birth"].documents.all())
    with pytest.raises(ValidationError) as err:
        make_intake(actor=ag_manager, checklist=[ChecklistEntry(docs[0].pk, 1)], override_reason="ok")
    assert "override_reason" in err.value.message_dict
    dossier = make_intake(actor=ag_manager, checklist=[ChecklistEntry(docs[0].pk, 1)],
                          override_reason="Giấy chứng sinh bệnh viện gửi thẳng cơ quan")
    assert dossier.checklist_override_by == ag_manager
    assert dossier.checklist_override_reason == "Giấy chứng sinh bệnh viện gửi thẳng cơ quan"
    event = AuditEvent.objects.get(action="dossier.received", object_id=str(dossier.pk))
    assert event.after["missing_overridden"] == ["Giấy chứng sinh (Bản chính × 1)"]


def test_a_user_granted_the_permission_may_override(make_intake, intake_world, ag_clerk):
    from django.contrib.auth.models import Permission

    ag_clerk.user_permissions.add(Permission.objects.get(codename="override_checklist"))
    clerk = type(ag_clerk).objects.get(pk=ag_clerk.pk)
    docs = list(intake_world["birth"].documents.all())
    dossier = make_intake(actor=clerk, checklist=[ChecklistEntry(docs[0].pk, 1)],
                          override_reason="Được trưởng bưu cục phân quyền")
    assert dossier.checklist_override_by == clerk


def test_checklist_entries_of_another_procedure_are_refused(make_intake):
    with pytest.raises(ValidationError) as err:
        make_intake(checklist=[ChecklistEntry(999_999, 1)])
    assert "checklist" in err.value.message_dict


def test_seals_are_recorded_normalised_and_unique(make_intake):
    dossier = make_intake(seal_numbers=["np-0001", " NP-0002 ", ""], weight_grams=350)
    assert dossier.outbound_item.seal_numbers == ["NP-0001", "NP-0002"]
    assert dossier.outbound_item.weight_grams == 350
    with pytest.raises(ValidationError) as err:
        make_intake(seal_numbers=["NP-0001", "np-0001"])
    assert "seal_numbers" in err.value.message_dict


def test_a_pre_printed_label_is_validated_and_used_once(make_intake):
    label = s10.make("EH", 55_000_001)
    assert make_intake(item_id=label.lower()).outbound_item.item_id == label
    with pytest.raises(ValidationError) as err:
        make_intake(item_id=label)
    assert "already used" in err.value.message_dict["item_id"][0]
    wrong = label[:10] + str((int(label[10]) + 1) % 10) + "VN"
    with pytest.raises(ValidationError) as err:
        make_intake(item_id=wrong)
    assert "wrong check digit" in err.value.message_dict["item_id"][0]


def test_postage_grows_with_weight_steps(make_intake):
    dossier = make_intake(service_choice=1, weight_grams=2_600)  # 600 g over the first 2 kg: 2 steps of 500 g
    assert dossier.charges.get(kind="postage_send").amount == 16_000 + 2 * 3_000


def test_a_province_rate_wins_over_the_national_one(make_intake, intake_world):
    PostageRate.objects.create(province=intake_world["province"], service="send_dossier", zone="same_commune",
                               base_amount=12_000, valid_from=datetime.date(2025, 1, 1))
    assert make_intake(service_choice=1).charges.get(kind="postage_send").amount == 12_000


def test_a_free_programme_zeroes_the_citizens_part(make_intake, intake_world):
    programme = FreeProgramme.objects.create(
        name="Trả kết quả khai sinh miễn phí", province=intake_world["province"],
        procedure=intake_world["birth"].procedure, covers="return", valid_from=datetime.date(2025, 7, 1))
    dossier = make_intake()
    ret = dossier.charges.get(kind="postage_return")
    assert (ret.list_amount, ret.amount, ret.free_programme) == (22_000, 0, programme)
    assert dossier.charges.get(kind="postage_send").amount == 16_000
    assert dossier.receipts.get().total == 16_000 + 25_000


def test_an_expired_or_other_province_programme_does_not_apply(make_intake, intake_world, quang_ngai):
    FreeProgramme.objects.create(name="Hết hạn", province=intake_world["province"], covers="both",
                                 valid_from=datetime.date(2024, 1, 1), valid_to=datetime.date(2024, 12, 31))
    FreeProgramme.objects.create(name="Tỉnh khác", province=quang_ngai, covers="both",
                                 valid_from=datetime.date(2024, 1, 1))
    assert make_intake().amount_paid == 63_000


def test_nothing_due_means_no_receipt_and_no_payment_method(make_intake, intake_world):
    FreeProgramme.objects.create(name="Miễn cước", province=intake_world["province"], covers="both",
                                 valid_from=datetime.date(2025, 1, 1))
    dossier = make_intake(service_choice=2, checklist=[], seal_numbers=[], external_code="X-1", payment_method="")
    assert dossier.amount_paid == 0 and not dossier.receipts.exists()


def test_receipt_numbers_have_no_gaps_even_when_an_intake_fails(make_intake):
    first = make_intake()
    with pytest.raises(ValidationError):
        make_intake(seal_numbers=[])
    second = make_intake()
    assert [first.receipts.get().number, second.receipts.get().number] == [1, 2]


def test_receipt_numbers_restart_each_year_per_post_office(intake_world):
    clerk = intake_world["clerk"]
    old = take_in(intake_data(intake_world), clerk, at=timezone.make_aware(datetime.datetime(2025, 12, 31, 10)))
    new = take_in(intake_data(intake_world), clerk, at=timezone.make_aware(datetime.datetime(2026, 1, 2, 9)))
    assert (old.receipts.get().code, new.receipts.get().code) == ("880000-2025-000001", "880000-2026-000001")


def test_the_same_submission_twice_creates_one_dossier(intake_world):
    clerk = intake_world["clerk"]
    first = take_in(intake_data(intake_world), clerk, submission_key="form-1")
    again = take_in(intake_data(intake_world), clerk, submission_key="form-1")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Dossier.objects.count() == 1 and Receipt.objects.count() == 1


def test_a_commune_point_intake_is_on_that_channel(intake_world, ag_commune_point, ag_post_office):
    from accounts.models import Role
    from tests.conftest import make_user

    ag_commune_point.parent = ag_post_office
    ag_commune_point.save()
    clerk = make_user("point_clerk", Role.COUNTER_CLERK, post_office=ag_commune_point)
    dossier = take_in(intake_data(intake_world), clerk)
    assert dossier.channel == "commune_point" and dossier.post_office == ag_commune_point
    assert dossier.outbound_item.item_id == s10.make("EH", 10_000_000)  # from the parent's range


def test_who_may_take_in(intake_world, ag_officer, qn_clerk, ag_post_office):
    with pytest.raises(PermissionDenied):
        take_in(intake_data(intake_world), ag_officer)
    with pytest.raises(PermissionDenied):
        take_in(intake_data(intake_world), qn_clerk, post_office=ag_post_office)
    assert not Dossier.objects.exists()


def test_a_post_office_that_takes_no_dossiers(intake_world, ag_post_office):
    ag_post_office.accepts_dossiers = False
    ag_post_office.save()
    with pytest.raises(ValidationError) as err:
        take_in(intake_data(intake_world), intake_world["clerk"])
    assert "post_office" in err.value.message_dict


def test_a_retired_commune_cannot_receive_a_result(make_intake, intake_world):
    commune = intake_world["my_hoa"]
    commune.retired = True
    commune.save()
    with pytest.raises(ValidationError) as err:
        make_intake()
    assert "return_commune" in err.value.message_dict


def test_scopes_of_dossiers(make_intake, qn_clerk, ag_officer, ag_admin, ag_auditor):
    dossier = make_intake()
    assert not visible(qn_clerk, Dossier.objects.all()).exists()
    assert not visible(qn_clerk, Item.objects.all()).exists()
    assert not visible(qn_clerk, Receipt.objects.all()).exists()
    for user in (ag_officer, ag_admin, ag_auditor, dossier.received_by):
        assert list(visible(user, Dossier.objects.all())) == [dossier]


def test_cancel_needs_the_role_and_a_reason(make_intake, ag_manager, ag_clerk, qn_clerk):
    dossier = make_intake()
    with pytest.raises(PermissionDenied):
        cancel(dossier, ag_clerk, "Nhập nhầm thủ tục khác")
    with pytest.raises(PermissionDenied):
        cancel(dossier, qn_clerk, "Nhập nhầm thủ tục khác")
    with pytest.raises(ValidationError) as err:
        cancel(dossier, ag_manager, "nhầm")
    assert "reason" in err.value.message_dict
    cancelled = cancel(dossier, ag_manager, "Nhập nhầm thủ tục khác")
    assert cancelled.status == "cancelled" and cancelled.outbound_item.status == "cancelled"
    assert AuditEvent.objects.filter(action="dossier.cancelled", object_id=str(dossier.pk)).exists()
    with pytest.raises(ValidationError) as err:
        cancel(cancelled, ag_manager, "Nhập nhầm thủ tục khác")
    assert "status" in err.value.message_dict
