"""Enqueue the daily jobs (run it from cron or a systemd timer once a day)."""

from django.core.management.base import BaseCommand

from custody.tasks import flag_overdue_items
from workdays.tasks import refresh_calendar


class Command(BaseCommand):
    help = "Enqueue the daily jobs on the task queue: the calendar refresh, the overdue-package check."

    def handle(self, *args, **options):
        for job in (refresh_calendar, flag_overdue_items):
            result = job.enqueue()
            self.stdout.write(f"{job.name} enqueued: {result.id}")
