"""The task queue: Django's django.tasks API, run by a real worker on the database
backend (django-tasks-db) and on Redis (django-tasks-rq). The task is a real one:
workdays.tasks.refresh_calendar."""

import os

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus, task_backends

from workdays.models import PublicHoliday
from workdays.tasks import refresh_calendar


@pytest.mark.django_db(transaction=True)
def test_database_worker_runs_the_task(settings):
    if settings.TASK_BACKEND == "rq":
        # Tasks are built by the default backend's task class (the RQ backend's differs),
        # so the database worker is tested in the run whose default is the database queue.
        pytest.skip("TASK_BACKEND=rq: the database-queue worker is tested in the SQLite run")
    result = refresh_calendar.using(backend="database").enqueue()
    assert result.status == TaskResultStatus.READY
    assert not PublicHoliday.objects.exists()
    call_command("db_worker", backend="database", queue_name="default", batch=True, no_startup_delay=True,
                 verbosity=0)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert PublicHoliday.objects.filter(name__icontains="Tết").exists()


def _redis_or_skip():
    import redis
    from django.conf import settings

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("BCCI_REQUIRE_REDIS"):
            raise
        pytest.skip(f"no Redis at {settings.REDIS_URL}: RQ worker test skipped")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_rq_worker_runs_the_task():
    _redis_or_skip()
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    result = refresh_calendar.using(backend="rq").enqueue()
    queue = django_rq.get_queue("default", job_class=Job)
    assert result.id in queue.job_ids
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    finished = task_backends["rq"].get_result(result.id)
    assert finished.status == TaskResultStatus.SUCCESSFUL, finished.errors
    assert PublicHoliday.objects.filter(name__icontains="Tết").exists()


@pytest.mark.django_db(transaction=True)
def test_enqueue_daily_puts_the_calendar_refresh_on_the_configured_queue():
    from io import StringIO

    out = StringIO()
    call_command("enqueue_daily", stdout=out)
    lines = out.getvalue().strip().splitlines()
    paths = []
    for line in lines:
        result = task_backends["default"].get_result(line.rsplit(" ", 1)[-1])
        assert result.status == TaskResultStatus.READY
        paths.append(result.task.module_path)
    assert paths == ["workdays.tasks.refresh_calendar", "custody.tasks.flag_overdue_items"]
