"""The supplement sent by post: the desk asks (form 02), the citizen brings the missing documents to a post office
of the province, the clerk takes the package in (S10 id, seals, postage, receipt), it travels on a manifest to the
desk, and only once it is there does the desk receive the supplement — the dossier is then accepted, or goes back
to processing with its due date moved by the pause."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from custody.models import ItemEvent
from dossiers.models import Charge, Dossier
from network.models import PostOffice
from onestop import services as onestop
from onestop.models import SupplementRequest
from postal.models import FreeProgramme, Item, ItemSeries, Receipt
from tests.conftest import make_user
from tests.test_onestop import at_desk, desk_officer, processor  # noqa: F401 - fixtures

LINES = [onestop.SupplementLine("Giấy chứng sinh", "original", 1, "Chỉ có bản photo")]


def ask(dossier, officer, at=None):
    return onestop.request_supplement(dossier, officer, LINES, "Thiếu bản chính giấy chứng sinh", at=at)


def carry_to_desk(item, clerk, courier, officer, desk):
    manifest = custody.open_manifest(clerk, desk)
    custody.add_to_manifest(manifest, item.item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-77", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=courier)
    custody.receive_item(manifest, item.item_id, officer)
    custody.finish_receipt(manifest, officer)
    return manifest


@pytest.fixture
def other_office(intake_world):
    """A second post office of An Giang (Mỹ Hòa Hưng) with its own EH range and a clerk."""
    office = PostOffice.objects.create(code="880100", name="Bưu cục Mỹ Hòa Hưng", province=intake_world["province"],
                                       commune=intake_world["my_hoa"])
    office.carries_to.set([intake_world["desk"]])
    ItemSeries.objects.create(post_office=office, service="send_dossier", indicator="EH", first_serial=20_000_000,
                              last_serial=20_999_999, next_serial=20_000_000)
    return office


@pytest.fixture
def other_clerk(other_office):
    return make_user("myhoa_clerk", Role.COUNTER_CLERK, post_office=other_office)


def test_whole_loop_before_acceptance(at_desk, desk_officer, intake_world, ag_postman):  # noqa: F811
    clerk, desk = intake_world["clerk"], intake_world["desk"]
    dossier = at_desk()
    request = ask(dossier, desk_officer)
    postage_before, paid_before = dossier.postage_total, dossier.amount_paid
    item = onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0001"], payment_method="cash",
                                      weight_grams=120)
    assert item.kind == "supplement" and item.status == "pending" and item.custodian_kind == "post_office"
    assert item.custodian_post_office == intake_world["post_office"] and item.seal_numbers == ["NP-BS-0001"]
    assert item.item_id.startswith("EH") and item.leg_due_at > timezone.now()
    custody.check_custody(item)
    assert ItemEvent.objects.filter(item=item, source="intake").count() == 1
    request.refresh_from_db()
    assert request.item == item and request.status == "open"
    # Postage from Long Xuyên to the desk in Long Xuyên: same commune, 16,000 đ, paid with a receipt.
    charge = item.charge
    assert charge.kind == Charge.Kind.POSTAGE_SEND and charge.amount == 16_000 and charge.zone == "same_commune"
    assert item.receipt.total == 16_000 and item.receipt.postage_amount == 16_000
    dossier.refresh_from_db()
    assert (dossier.postage_total, dossier.amount_paid) == (postage_before + 16_000, paid_before + 16_000)
    assert AuditEvent.objects.filter(action="onestop.supplement_taken_in").exists()
    # Not at the desk yet: the desk cannot receive the supplement.
    with pytest.raises(ValidationError) as err:
        onestop.receive_supplement(dossier, desk_officer)
    assert "item" in err.value.message_dict
    carry_to_desk(item, clerk, ag_postman, desk_officer, desk)
    item.refresh_from_db()
    assert item.status == "at_one_stop_desk" and item.custodian_desk == desk
    onestop.receive_supplement(dossier, desk_officer)
    item.refresh_from_db()
    request.refresh_from_db()
    assert request.status == "answered" and item.status == "received_by_agency"
    assert item.custodian_kind == "agency" and item.custodian_agency == dossier.agency
    custody.check_custody(item)
    accepted = onestop.accept(Dossier.objects.get(pk=dossier.pk), desk_officer)
    assert accepted.status == "accepted" and accepted.code and accepted.due_at


def test_whole_loop_after_acceptance_moves_the_due_date(at_desk, desk_officer, processor, intake_world,  # noqa: F811
                                                        ag_postman):
    clerk = intake_world["clerk"]
    dossier = onestop.accept(at_desk(), desk_officer)
    onestop.hand_off(dossier, desk_officer, to_user=processor, days=2)
    due_before = Dossier.objects.get(pk=dossier.pk).due_at
    asked_at = timezone.now() - datetime.timedelta(days=7)
    ask(dossier, processor, at=asked_at)
    item = onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0002"], payment_method="cash")
    carry_to_desk(item, clerk, ag_postman, desk_officer, intake_world["desk"])
    dossier = onestop.receive_supplement(dossier, desk_officer)
    assert dossier.status == "processing" and dossier.due_at > due_before
    assert dossier.pauses.get().ended_at is not None


def test_any_post_office_of_the_province_may_take_it_in(at_desk, desk_officer, other_clerk,  # noqa: F811
                                                        intake_world, qn_clerk):
    dossier = at_desk()
    ask(dossier, desk_officer)
    with pytest.raises(PermissionDenied):  # another province's post office
        onestop.take_in_supplement(dossier, qn_clerk, seal_numbers=["NP-BS-0003"], payment_method="cash")
    with pytest.raises(PermissionDenied):  # the desk's officer does not take packages in
        onestop.take_in_supplement(dossier, desk_officer, seal_numbers=["NP-BS-0003"], payment_method="cash")
    item = onestop.take_in_supplement(dossier, other_clerk, seal_numbers=["NP-BS-0003"], payment_method="qr",
                                      payment_reference="QR-123")
    assert item.custodian_post_office.code == "880100" and item.item_id.startswith("EH2")
    # From Mỹ Hòa Hưng to the desk in Long Xuyên: same province, 22,000 đ.
    assert item.charge.amount == 22_000 and item.receipt.method == "qr"
    assert item.receipt.post_office.code == "880100"
    kind, unit = custody.final_destination(item)
    assert kind == "desk" and unit == intake_world["desk"]


def test_refusals_change_nothing(at_desk, desk_officer, intake_world):  # noqa: F811
    clerk = intake_world["clerk"]
    dossier = at_desk()
    with pytest.raises(ValidationError) as err:  # nothing was asked
        onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0004"], payment_method="cash")
    assert "status" in err.value.message_dict
    ask(dossier, desk_officer)
    next_serial = ItemSeries.objects.get(post_office=intake_world["post_office"], indicator="EH").next_serial
    items, receipts, charges = Item.objects.count(), Receipt.objects.count(), Charge.objects.count()
    with pytest.raises(ValidationError) as err:
        onestop.take_in_supplement(dossier, clerk, seal_numbers=["x"], payment_method="cash", weight_grams=0)
    assert set(err.value.message_dict) == {"seal_numbers", "weight_grams"}
    assert " / " in err.value.message_dict["seal_numbers"][0]
    with pytest.raises(ValidationError) as err:
        onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0004"], payment_method="")
    assert "payment_method" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0004"], payment_method="cash",
                                   item_id="EH123456788VN")
    assert "item_id" in err.value.message_dict
    assert (Item.objects.count(), Receipt.objects.count(), Charge.objects.count()) == (items, receipts, charges)
    assert ItemSeries.objects.get(post_office=intake_world["post_office"], indicator="EH").next_serial == next_serial
    assert SupplementRequest.objects.get(dossier=dossier).item is None
    onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0004"], payment_method="cash")
    with pytest.raises(ValidationError) as err:  # already taken in
        onestop.take_in_supplement(dossier, clerk, seal_numbers=["NP-BS-0005"], payment_method="cash")
    assert "item_id" in err.value.message_dict


def test_free_programme_means_no_receipt(at_desk, desk_officer, intake_world):  # noqa: F811
    FreeProgramme.objects.create(name="Miễn cước hồ sơ khai sinh", province=intake_world["province"],
                                 covers="both", basis="Nghị quyết 01/2025", valid_from=datetime.date(2025, 1, 1))
    dossier = at_desk()
    ask(dossier, desk_officer)
    receipts = Receipt.objects.count()
    item = onestop.take_in_supplement(dossier, intake_world["clerk"], seal_numbers=["NP-BS-0006"],
                                      payment_method="")
    assert item.charge.amount == 0 and item.charge.list_amount == 16_000 and item.charge.free_programme
    assert item.receipt is None and Receipt.objects.count() == receipts


def test_refusal_sends_the_supplement_back_too(at_desk, desk_officer, intake_world):  # noqa: F811
    dossier = at_desk()
    ask(dossier, desk_officer)
    item = onestop.take_in_supplement(dossier, intake_world["clerk"], seal_numbers=["NP-BS-0007"],
                                      payment_method="cash")
    onestop.refuse(dossier, desk_officer, "Không thuộc thẩm quyền giải quyết của cơ quan")
    item.refresh_from_db()
    assert item.returning
    assert custody.final_destination(item)[0] == "post_office"


# --- API ------------------------------------------------------------------------------------------------------


def test_api_counter_supplement(client, at_desk, desk_officer, intake_world, other_clerk, qn_clerk,  # noqa: F811
                                ag_postman):
    dossier = at_desk()
    url = reverse("api:dossier-supplement", args=[dossier.display_tracking_code])
    client.force_login(intake_world["clerk"])  # the post office that took the dossier in
    answer = client.get(url)
    assert answer.status_code == 200 and answer.json()["request"] is None
    client.force_login(other_clerk)  # another of the province: only a dossier waiting for a supplement
    assert client.get(url).status_code == 404
    ask(dossier, desk_officer)
    answer = client.get(url + "?weight_grams=150")
    body = answer.json()
    assert body["request"]["lines"][0]["name"] == "Giấy chứng sinh" and body["postage_amount"] == 22_000
    answer = client.post(url, {"seal_numbers": ["bad seal!"], "payment": {"method": "cash"}},
                         content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "seal_numbers"
    answer = client.post(url, {"seal_numbers": ["NP-BS-0010"], "payment": {"method": ""}},
                         content_type="application/json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "payment.method"
    answer = client.post(url, {"seal_numbers": ["NP-BS-0010"], "weight_grams": 150, "payment": {"method": "cash"}},
                         content_type="application/json", headers={"Idempotency-Key": "sup-1"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["supplement_number"] == 1 and body["item"]["kind"] == "supplement"
    assert body["charge"]["amount"] == 22_000 and body["receipt"]["total"] == 22_000
    again = client.post(url, {"seal_numbers": ["NP-BS-0010"], "weight_grams": 150, "payment": {"method": "cash"}},
                        content_type="application/json", headers={"Idempotency-Key": "sup-1"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Item.objects.filter(dossier=dossier, kind="supplement").count() == 1
    # Another province's clerk: the dossier does not exist for them; a desk officer may not take packages in.
    client.force_login(qn_clerk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"seal_numbers": ["NP-BS-0011"]}, content_type="application/json").status_code == 404
    client.force_login(desk_officer)
    assert client.post(url, {"seal_numbers": ["NP-BS-0011"]}, content_type="application/json").status_code == 403
    # The desk sees the package in the dossier's detail, and receives it only once it is there.
    item = Item.objects.get(dossier=dossier, kind="supplement")
    received = reverse("api:onestop-dossier-supplement-received", args=[dossier.tracking_code])
    answer = client.post(received, {}, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "item"
    manifest = custody.open_manifest(other_clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, item.item_id, other_clerk)
    custody.close_manifest(manifest, "BK-SEAL-78", other_clerk)
    custody.dispatch_manifest(manifest, other_clerk, courier_name="Nguyễn Văn Tài")
    custody.receive_item(manifest, item.item_id, desk_officer)
    answer = client.post(received, {}, content_type="application/json")
    assert answer.status_code == 200
    request = answer.json()["supplement_requests"][0]
    assert request["status"] == "answered" and request["item_id"] == item.item_id
    assert request["item_status"] == "received_by_agency"
