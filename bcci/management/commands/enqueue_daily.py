"""Enqueue the daily jobs (run it from cron or a systemd timer once a day)."""

from django.core.management.base import BaseCommand

from workdays.tasks import refresh_calendar


class Command(BaseCommand):
    help = "Enqueue the daily jobs on the task queue: the calendar refresh."

    def handle(self, *args, **options):
        result = refresh_calendar.enqueue()
        self.stdout.write(f"refresh_calendar enqueued: {result.id}")
