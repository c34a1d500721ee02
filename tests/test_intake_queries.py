"""The intake path made cheaper for bench/intake.py keeps its behaviour: the version in force, the destination
desk, the postage rate, receipt numbers and item ids are chosen exactly as before, in fewer queries; and the
number of queries of one intake stays within a budget."""

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.services import DocumentData, VersionData, current_version, save_version
from dossiers.services import destination_desk, take_in, version_for
from network.models import Agency, OneStopDesk, PostOffice
from postal import s10
from postal.models import ItemSeries, PostageRate, ReceiptCounter
from postal.services import allocate_item_id, next_receipt_number, postage_rate
from tests.conftest import intake_data
from tests.test_intake_api import body


def test_version_for_is_the_current_version(intake_world):
    province = intake_world["province"]
    birth = intake_world["birth"]
    assert version_for(" 1.001612 ", province).pk == current_version("1.001612", province).pk == birth.pk
    data = VersionData(code="1.001612", name="Đăng ký khai sinh (sửa)", field_code="HT", field_name="Hộ tịch",
                       level="provincial", agency_id=intake_world["agency"].pk, processing_time=2,
                       processing_unit="days", receive_by_post=True, return_by_post=True,
                       documents=[DocumentData("Tờ khai", "original")])
    save_version(data, province, publish=False)  # a draft changes nothing
    assert version_for("1.001612", province).pk == current_version("1.001612", province).pk == birth.pk
    newer, _ = save_version(data, province)
    assert version_for("1.001612", province).pk == current_version("1.001612", province).pk == newer.pk
    assert version_for("1.001612", intake_world["province"]).documents.count() == 1
    assert version_for("9.9", province) is None and version_for("", province) is None


def _desk(code, agency, level, province, commune=None, carried_by=None, active=True):
    desk = OneStopDesk.objects.create(code=code, name=code, agency=agency, level=level, province=province,
                                      commune=commune, active=active)
    if carried_by:
        carried_by.carries_to.add(desk)
    return desk


def test_destination_desk_order_of_preference(intake_world):
    world = intake_world
    province, office, agency = world["province"], world["post_office"], world["agency"]
    birth = version_for("1.001612", province)
    assert destination_desk(birth, office).code == "MC-T91"  # the provincial desk carried to
    # A provincial desk this office carries to comes before one it does not, whatever the codes.
    _desk("MC-A0", world["centre"], OneStopDesk.Level.PROVINCIAL, province)
    assert destination_desk(birth, office).code == "MC-T91"
    office.carries_to.clear()
    assert destination_desk(birth, office).code == "MC-A0"  # none carried: the first by code
    # The parent agency's desk comes before the provincial ones; the agency's own before its parent's.
    agency.parent = world["centre"]
    agency.save()
    _desk("MC-PARENT-Z", world["centre"], OneStopDesk.Level.COMMUNE, province, world["my_hoa"])
    version = version_for("1.001612", province)
    assert destination_desk(version, office).code == "MC-A0"  # the centre's desks, MC-A0 first by code
    own = _desk("MC-OWN", agency, OneStopDesk.Level.COMMUNE, province, world["my_hoa"])
    assert destination_desk(version_for("1.001612", province), office) == own
    own.active = False
    own.save()
    assert destination_desk(version_for("1.001612", province), office).code == "MC-A0"


def test_destination_desk_of_a_commune_agency(intake_world):
    world = intake_world
    province, office = world["province"], world["post_office"]
    committee = Agency.objects.create(identifier="000.00.31.H01", name="UBND xã Mỹ Hòa Hưng",
                                      level=Agency.Level.COMMUNE_COMMITTEE, province=province,
                                      commune=world["my_hoa"])
    save_version(VersionData(code="2.000001", name="Chứng thực", field_code="CT", field_name="Chứng thực",
                             level="commune", agency_id=committee.pk, processing_time=1, processing_unit="days",
                             receive_by_post=True, return_by_post=True), province)
    version = version_for("2.000001", province)
    assert destination_desk(version, office) is None  # the provincial desk is not a commune agency's
    _desk("MC-X-LX", world["centre"], OneStopDesk.Level.COMMUNE, province, world["long_xuyen"])
    assert destination_desk(version, office) is None  # another commune's desk
    desk = _desk("MC-X-MH", world["centre"], OneStopDesk.Level.COMMUNE, province, world["my_hoa"])
    assert destination_desk(version, office) == desk


def test_postage_rate_the_province_before_the_nation(intake_world):
    province, on = intake_world["province"], datetime.date(2026, 1, 1)
    national = postage_rate("send_dossier", "same_province", province, on)
    assert national.province_id is None and national.base_amount == 22_000
    old = PostageRate.objects.create(province=province, service="send_dossier", zone="same_province",
                                     base_amount=20_000, valid_from=datetime.date(2025, 7, 1))
    assert postage_rate("send_dossier", "same_province", province, on) == old
    newer = PostageRate.objects.create(province=province, service="send_dossier", zone="same_province",
                                       base_amount=19_000, valid_from=datetime.date(2025, 12, 1))
    assert postage_rate("send_dossier", "same_province", province, on) == newer
    assert postage_rate("send_dossier", "same_province", province, datetime.date(2025, 8, 1)) == old
    newer.valid_to = old.valid_to = datetime.date(2025, 12, 31)
    newer.save()
    old.save()
    assert postage_rate("send_dossier", "same_province", province, on) == national
    assert postage_rate("send_dossier", "same_province", None, on) == national
    assert postage_rate("send_dossier", "same_province", province, datetime.date(2020, 1, 1)) is None


def test_receipt_numbers(intake_world, qn_post_office):
    office = intake_world["post_office"]
    with transaction.atomic():
        assert [next_receipt_number(office, 2026) for _ in range(3)] == [1, 2, 3]
        assert next_receipt_number(office, 2027) == 1
        assert next_receipt_number(qn_post_office, 2026) == 1
    assert ReceiptCounter.objects.get(post_office=office, year=2026).last_number == 3
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        next_receipt_number(office, 2026)
        1 / 0  # noqa: B018 - the intake fails: the number was never taken
    with transaction.atomic():
        assert next_receipt_number(office, 2026) == 4


def test_item_ids_run_through_ranges_in_order(intake_world, qn_post_office):
    office = intake_world["post_office"]
    ItemSeries.objects.filter(post_office=office, service="send_dossier").update(active=False)
    later = ItemSeries.objects.create(post_office=office, service="send_dossier", indicator="EA",
                                      first_serial=500, last_serial=600, next_serial=500)
    first = ItemSeries.objects.create(post_office=office, service="send_dossier", indicator="EA",
                                      first_serial=100, last_serial=101, next_serial=100)
    ItemSeries.objects.create(post_office=qn_post_office, service="send_dossier", indicator="EA",
                              first_serial=1, last_serial=50, next_serial=1)
    with transaction.atomic():
        taken = [allocate_item_id(office, "send_dossier") for _ in range(3)]
    assert [item_id for _, item_id in taken] == [s10.make("EA", 100), s10.make("EA", 101), s10.make("EA", 500)]
    assert [series.pk for series, _ in taken] == [first.pk, first.pk, later.pk]
    series = taken[0][0]
    assert (series.indicator, series.first_serial, series.last_serial, series.next_serial) == ("EA", 100, 101, 101)
    assert not series._state.adding
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.next_serial, later.next_serial) == (102, 501)
    assert ItemSeries.objects.get(post_office=qn_post_office).next_serial == 1


# --- Budget -----------------------------------------------------------------------------------------------------


def test_query_budget_of_one_intake(client, intake_world):
    """A regression guard for bench/intake.py: queries of take_in and of the whole API request."""
    clerk = intake_world["clerk"]
    office = PostOffice.objects.select_related("province", "commune").get(pk=clerk.post_office_id)
    take_in(intake_data(intake_world), clerk, post_office=office)  # fills the process's caches
    with CaptureQueriesContext(connection) as service:
        take_in(intake_data(intake_world, seal_numbers=["NP7777"]), clerk, post_office=office,
                submission_key="budget")
    client.force_login(clerk)
    with CaptureQueriesContext(connection) as api:
        response = client.post("/api/v1/dossiers/", body(intake_world), content_type="application/json",
                               headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201
    def statements(ctx):  # savepoints are nearly free, and the test's own transaction adds some
        return [q["sql"][:150] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]

    assert len(statements(service)) <= 27, "\n".join(statements(service))  # 25 when written
    assert len(statements(api)) <= 37, "\n".join(statements(api))  # 35 when written: take_in's + session,
    # user, idempotency record (2), return commune, post office, and the four read-backs of the answer
