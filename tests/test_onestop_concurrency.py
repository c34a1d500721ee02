"""Acceptance at the one-stop desk under concurrency, against PostgreSQL: two officers accepting the same dossier
at the same moment — exactly one gets the code, the other a clear message; many dossiers accepted at once for one
receiving unit — codes unique, consecutive from 1, no gap, and a number taken by an acceptance that rolled back is
not lost.

SQLite serialises every writer, so threads there prove nothing: these tests run on PostgreSQL only
(``DATABASE_URL=postgres://… pytest tests/test_onestop_concurrency.py``)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role
from custody import services as custody
from dossiers.models import Dossier
from onestop import services as onestop
from onestop.models import CodeCounter
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (SQLite serialises writers): "
                    "set DATABASE_URL=postgres://… to run them")


def run_threads(target, n):
    """Run target(i) in n threads released at the same moment; their results and errors, by thread."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - examined by the test
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return results, errors


@pytest.fixture
def officers(intake_world):
    return [make_user(f"officer{i}", Role.ONE_STOP_OFFICER, agency=intake_world["centre"]) for i in range(8)]


@pytest.fixture
def arrived(make_intake, intake_world, ag_postman, officers):
    """arrived(n) -> n dossiers whose packages reached the desk on one manifest."""
    def make(n):
        clerk = intake_world["clerk"]
        dossiers = [make_intake() for _ in range(n)]
        manifest = custody.open_manifest(clerk, intake_world["desk"])
        for dossier in dossiers:
            custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
        custody.close_manifest(manifest, "BK-SEAL-01", clerk)
        custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
        for dossier in dossiers:
            custody.receive_item(manifest, dossier.outbound_item.item_id, officers[0])
        custody.finish_receipt(manifest, officers[0])
        return [Dossier.objects.get(pk=d.pk) for d in dossiers]
    return make


def test_two_officers_accept_the_same_dossier(arrived, officers):
    (dossier,) = arrived(1)

    def accept(i):
        return onestop.accept(Dossier.objects.get(pk=dossier.pk), officers[i]).code

    results, errors = run_threads(accept, 2)
    assert sorted(r is not None for r in results) == [False, True]
    error = next(e for e in errors if e is not None)
    assert isinstance(error, ValidationError) and list(error.message_dict) == ["status"]
    text = error.message_dict["status"][0]
    assert "người khác vừa xử lý" in text and "someone else may have just handled it" in text
    dossier.refresh_from_db()
    code = next(r for r in results if r)
    assert dossier.status == "accepted" and dossier.code == code and code.endswith("-0001")
    assert dossier.accepted_by == officers[results.index(code)]
    assert CodeCounter.objects.get().last == 1


def test_many_acceptances_give_consecutive_codes(arrived, officers, intake_world):
    threads, per_thread = 8, 3
    dossiers = arrived(threads * per_thread + 2)
    rolled_back = dossiers[-2:]  # accepted once inside a transaction that rolls back, then for real

    class Undo(Exception):
        pass

    def accept(i):
        codes = []
        for dossier in dossiers[i * per_thread:(i + 1) * per_thread]:
            codes.append(onestop.accept(dossier, officers[i]).code)
        if i < len(rolled_back):
            try:
                with transaction.atomic():
                    onestop.accept(rolled_back[i], officers[i])
                    raise Undo
            except Undo:
                pass
        return codes

    results, errors = run_threads(accept, threads)
    assert errors == [None] * threads
    for i, dossier in enumerate(rolled_back):  # the rolled-back acceptances left nothing behind
        assert Dossier.objects.get(pk=dossier.pk).code is None
        onestop.accept(dossier, officers[i])
    codes = list(Dossier.objects.exclude(code=None).values_list("code", flat=True))
    day = timezone.localdate().strftime("%y%m%d")
    assert all(code.startswith(f"000.00.12.H01-{day}-") for code in codes)
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert len(set(codes)) == len(codes) == len(dossiers)
    assert numbers == list(range(1, len(dossiers) + 1))  # consecutive, no gap, none twice
    assert CodeCounter.objects.get(agency=intake_world["agency"]).last == len(dossiers)
    assert sorted(c for r in results for c in r) == sorted(
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers[:-2]]).values_list("code", flat=True))


def test_a_code_is_on_disk_before_it_is_given(intake_world):
    """The acceptance commits asynchronously (the counter's lock goes at once) but next_code's caller gets
    control back only once the WAL holding that commit has been flushed."""
    agency = intake_world["agency"]
    with transaction.atomic():
        code = onestop.next_code(agency, timezone.now())
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            written = cursor.fetchone()[0]
        onestop.next_code(agency, timezone.now())  # a second code in the same transaction: one flush
        assert [hook for _sids, hook, _robust in connection.run_on_commit] == [onestop._wait_for_wal_flush]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SELECT pg_current_wal_flush_lsn() > %s::pg_lsn", [written])
        assert cursor.fetchone()[0] is True
    assert code.endswith("-0001") and CodeCounter.objects.get(agency=agency).last == 2
