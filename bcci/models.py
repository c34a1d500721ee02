"""Cross-cutting records that belong to no domain noun."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``: the same key again gets the same answer."""

    owner = models.CharField(max_length=150)  # "user:<pk>" (or, for connected systems, "client:<pk>")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)  # None while the first request is running
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="one_answer_per_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.owner} {self.key}"
