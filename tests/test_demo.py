"""`make run` loads reference and demo data idempotently: running it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from audit.models import AuditEvent
from network.models import Agency, PostOffice


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        call_command("load_units", verbosity=0)
        out = StringIO()
        call_command("load_demo", stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        from django.db import connection

        # Module-scoped data: remove it so other modules start empty (audit rows via TRUNCATE-safe flush).
        call_command("flush", interactive=False, verbosity=0)
        connection.close()


@pytest.mark.django_db
def test_demo_has_one_user_per_role(loaded):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert "giaodichvien" in loaded and "bcci-demo-2026" in loaded
    assert PostOffice.objects.filter(province__code="91").count() == 5
    assert PostOffice.objects.filter(kind=PostOffice.Kind.COMMUNE_POINT).count() == 2
    assert Agency.objects.count() == 5


@pytest.mark.django_db
def test_second_run_changes_nothing(loaded):
    events = AuditEvent.objects.count()
    users = list(User.objects.order_by("pk").values())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "0 change(s)" in out.getvalue()
    assert AuditEvent.objects.count() == events
    assert list(User.objects.order_by("pk").values()) == users


@pytest.mark.django_db
def test_demo_users_can_log_in(client, loaded):
    response = client.post("/login/", {"username": "giaodichvien", "password": "bcci-demo-2026"}, follow=True)
    assert "Xin chào" in response.content.decode()
