"""Queued work of the chain of custody (Django's django.tasks API)."""

from django.tasks import task


@task
def flag_overdue_items() -> dict:
    """Daily: flag packages past their leg's time limit and tell the post offices' managers."""
    from custody.services import flag_overdue

    flagged = flag_overdue()
    return {str(pk): ids for pk, ids in flagged.items()}
