"""UPU S10 item ids: check digit, validation messages, allocation from ranges."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from postal import s10
from postal.models import ItemSeries
from postal.services import allocate_item_id, save_series


@pytest.mark.parametrize("serial, digit", [
    ("12345678", 5),   # RB123456785GB, the UPU example
    ("00071761", 8),   # EB000717618HK
    ("00000008", 0),   # 11 - (sum mod 11) = 10 -> 0
    ("00000000", 5),   # 11 - 0 = 11 -> 5
])
def test_check_digit(serial, digit):
    assert s10.check_digit(serial) == digit


def test_the_domain_examples():
    assert s10.is_valid("RB123456785GB")
    assert not s10.is_valid("RB123456786US")
    assert s10.is_valid("EB000717618HK")
    assert s10.make("RB", 12345678, "GB") == "RB123456785GB"


def test_validate_normalises_what_people_type():
    item = s10.make("EH", 10000000)
    spaced = f"{item[:2].lower()} {item[2:6]} {item[6:11]} {item[11:].lower()}"
    assert s10.validate(spaced) == item


def test_a_wrong_check_digit_says_which_digit_is_expected():
    with pytest.raises(ValidationError) as err:
        s10.validate("EH100000004VN")
    message = err.value.message_dict["item_id"][0]
    assert "sai số kiểm tra" in message and "wrong check digit" in message
    assert f"phải là {s10.check_digit('10000000')}" in message


@pytest.mark.parametrize("text, code", [
    ("", "required"), ("EH12345VN", "format"), ("1H100000003VN", "format"), ("EH100000003GB", "country"),
])
def test_other_bad_ids_are_named(text, code):
    with pytest.raises(ValidationError) as err:
        s10.validate(text, "scan")
    assert "scan" in err.value.message_dict
    assert err.value.error_dict["scan"][0].code == code


def test_foreign_ids_are_valid_when_no_country_is_required():
    assert s10.validate("RB123456785GB", country=None) == "RB123456785GB"


@pytest.fixture
def series(ag_post_office):
    return save_series(ItemSeries(post_office=ag_post_office, service="send_dossier", indicator="EH",
                                  first_serial=100, last_serial=102))


def test_allocation_runs_through_the_range_then_refuses(series, ag_post_office):
    with transaction.atomic():
        ids = [allocate_item_id(ag_post_office, "send_dossier")[1] for _ in range(3)]
    assert ids == [s10.make("EH", 100), s10.make("EH", 101), s10.make("EH", 102)]
    with pytest.raises(ValidationError) as err, transaction.atomic():
        allocate_item_id(ag_post_office, "send_dossier")
    assert "item_id" in err.value.message_dict and "no item-id range" in err.value.message_dict["item_id"][0]


def test_a_rolled_back_allocation_takes_no_number(series, ag_post_office):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        allocate_item_id(ag_post_office, "send_dossier")
        1 / 0  # noqa: B018 - the intake fails after taking a number
    with transaction.atomic():
        assert allocate_item_id(ag_post_office, "send_dossier")[1] == s10.make("EH", 100)


def test_a_commune_point_uses_its_parent_range(series, ag_post_office, ag_commune_point):
    ag_commune_point.parent = ag_post_office
    ag_commune_point.save()
    with transaction.atomic():
        assert allocate_item_id(ag_commune_point, "send_dossier")[1] == s10.make("EH", 100)


def test_ranges_of_one_indicator_never_overlap(series, qn_post_office):
    with pytest.raises(ValidationError) as err:
        save_series(ItemSeries(post_office=qn_post_office, service="send_dossier", indicator="EH",
                               first_serial=50, last_serial=100))
    assert "first_serial" in err.value.message_dict
    other = save_series(ItemSeries(post_office=qn_post_office, service="send_dossier", indicator="EK",
                                   first_serial=50, last_serial=100))
    assert other.next_serial == 50
    assert AuditEvent.objects.filter(action="postal.series_saved").count() == 2


def test_the_next_serial_never_goes_back(series, ag_post_office):
    with transaction.atomic():
        allocate_item_id(ag_post_office, "send_dossier")
    series.refresh_from_db()
    series.next_serial = 100
    with pytest.raises(ValidationError) as err:
        save_series(series)
    assert "next_serial" in err.value.message_dict


def test_bad_indicator_and_range_are_refused(ag_post_office):
    with pytest.raises(ValidationError) as err:
        save_series(ItemSeries(post_office=ag_post_office, service="send_dossier", indicator="E1",
                               first_serial=5, last_serial=100_000_000))
    assert {"indicator", "last_serial"} <= set(err.value.message_dict)
