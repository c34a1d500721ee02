"""Concurrent intakes against PostgreSQL: receipt numbers and S10 item ids are never shared and have no
gaps, and the same submission sent at the same moment creates one dossier.

SQLite serialises every writer, so threads there prove nothing: these tests run on PostgreSQL only
(``DATABASE_URL=postgres://… pytest tests/test_intake_concurrency.py``)."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from dossiers.models import Dossier
from postal import s10
from postal.models import Item, ItemSeries, Receipt, ReceiptCounter
from tests.conftest import intake_data, make_user

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
PER_THREAD = 6


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (SQLite serialises writers): "
                    "set DATABASE_URL=postgres://… to run them")


def run_threads(target, n=THREADS):
    """Run target(i) in n threads started at the same moment; return their results, re-raising any error."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def two_counters(intake_world):
    """Post office 880000 and a second one, 880100, each with a clerk and its own EH range."""
    from network.models import PostOffice

    world = intake_world
    second = PostOffice.objects.create(code="880100", name="Bưu cục Mỹ Hòa Hưng", province=world["province"],
                                       commune=world["my_hoa"])
    second.carries_to.set([world["desk"]])
    ItemSeries.objects.create(post_office=second, service="send_dossier", indicator="EH",
                              first_serial=20_000_000, last_serial=20_999_999, next_serial=20_000_000)
    clerks = [world["clerk"], make_user("my_hoa_clerk", Role.COUNTER_CLERK, post_office=second)]
    return world, clerks


def test_concurrent_intakes_share_no_receipt_number_and_no_item_id(two_counters):
    from dossiers.services import take_in

    world, clerks = two_counters

    def work(i):
        clerk = clerks[i % 2]
        made = []
        for j in range(PER_THREAD):
            receive_only = j % 3 == 2  # a receipt, but no package
            data = intake_data(world, seal_numbers=[f"NP{i:02d}{j:04d}"]) if not receive_only else intake_data(
                world, service_choice=2, checklist=[], seal_numbers=[], external_code=f"EXT-{i}-{j}")
            made.append(take_in(data, clerk).pk)
        return made

    created = [pk for made in run_threads(work) for pk in made]
    assert len(created) == len(set(created)) == THREADS * PER_THREAD == Dossier.objects.count()

    year = timezone.localdate().year
    for clerk in clerks:
        office = clerk.post_office
        numbers = sorted(Receipt.objects.filter(post_office=office, year=year).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1)), f"gaps or repeats at {office.code}: {numbers}"
        assert len(numbers) == Dossier.objects.filter(post_office=office).count()
        assert ReceiptCounter.objects.get(post_office=office, year=year).last_number == len(numbers)

        items = list(Item.objects.filter(origin_post_office=office).values_list("item_id", flat=True))
        assert all(s10.is_valid(item_id) for item_id in items)
        serials = sorted(int(item_id[2:10]) for item_id in items)
        series = ItemSeries.objects.get(post_office=office, service="send_dossier")
        assert serials == list(range(series.first_serial, series.first_serial + len(serials))), serials
        assert series.next_serial == series.first_serial + len(serials)
    all_ids = list(Item.objects.values_list("item_id", flat=True))
    assert len(all_ids) == len(set(all_ids)) == THREADS * (PER_THREAD - PER_THREAD // 3)
    assert Receipt.objects.count() == THREADS * PER_THREAD


def test_the_same_submission_sent_by_eight_threads_creates_one_dossier(intake_world):
    from dossiers.services import take_in

    clerk = intake_world["clerk"]

    def work(_i):
        dossier = take_in(intake_data(intake_world), clerk, submission_key="form:same-moment")
        return dossier.pk, dossier.replayed

    results = run_threads(work)
    assert len({pk for pk, _ in results}) == 1
    assert Counter(replayed for _, replayed in results) == {False: 1, True: THREADS - 1}
    assert Dossier.objects.count() == Item.objects.count() == Receipt.objects.count() == 1
    assert ItemSeries.objects.get(indicator="EH").next_serial == 10_000_001
    assert ReceiptCounter.objects.get().last_number == 1


def test_the_same_idempotency_key_sent_by_eight_api_clients_creates_one_dossier(intake_world):
    from django.test import Client

    from tests.test_intake_api import body

    payload = body(intake_world)

    def work(_i):
        client = Client()
        client.force_login(intake_world["clerk"])
        response = client.post("/api/v1/dossiers/", payload, content_type="application/json",
                               headers={"Idempotency-Key": "burst-1"})
        return response.status_code, response.json()

    results = run_threads(work)
    statuses = Counter(code for code, _ in results)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, statuses
    assert len({data["tracking_code"] for code, data in results if code == 201}) == 1
    assert Dossier.objects.count() == Item.objects.count() == Receipt.objects.count() == 1
