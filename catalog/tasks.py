"""Background jobs of the catalogue (Django's ``django.tasks`` API).

``run_import`` writes a previewed and queued import batch (``catalog.imports``),
enqueued on commit by ``catalog.imports.request_commit``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.tasks import task


@task()
def run_import(batch_id: int) -> dict:
    from catalog.imports import commit_import, fail_batch
    from catalog.models import ImportBatch

    batch = ImportBatch.objects.select_related("committed_by").get(pk=batch_id)
    if batch.status != ImportBatch.Status.QUEUED:
        return {"status": batch.status}  # already run (a task delivered twice)
    actor = batch.committed_by
    try:
        batch = commit_import(batch, actor)
    except PermissionDenied as exc:
        fail_batch(batch, actor, str(exc))
        return {"status": ImportBatch.Status.FAILED}
    return {"status": batch.status, **batch.counts}
