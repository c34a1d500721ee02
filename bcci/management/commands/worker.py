"""Run the task worker for the configured backend (TASK_BACKEND)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker: db_worker for the database queue, an RQ worker for Redis."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Process what is queued, then exit.")

    def handle(self, *args, burst=False, **options):
        if settings.TASK_BACKEND == "rq":
            call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=burst,
                         with_scheduler=not burst)
        elif settings.TASK_BACKEND == "database":
            call_command("db_worker", queue_name="default", backend="default", batch=burst)
        else:
            self.stdout.write("TASK_BACKEND=immediate: tasks run inside the request; no worker needed.")
