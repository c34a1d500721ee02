"""Append-only audit events: one row for every state change, written in the
same transaction as the change itself by ``audit.record_event``."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only / Nhật ký chỉ được ghi thêm.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only / Nhật ký chỉ được ghi thêm.")

    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
        )


class AuditEvent(models.Model):
    """Sự kiện kiểm toán — who did what to which object, when, from where."""

    time = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("người thực hiện"), max_length=150, blank=True)
    action = models.CharField(_("hành động"), max_length=80, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True)
    source_ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    client = models.CharField(_("kênh / hệ thống"), max_length=120, blank=True)
    before = models.JSONField(_("trước"), null=True, blank=True)
    after = models.JSONField(_("sau"), null=True, blank=True)
    # Where the object lives, copied at write time so that the scope rules
    # can filter events exactly as they filter the objects themselves.
    province_id_scope = models.BigIntegerField(null=True, blank=True, db_index=True)
    post_office_id_scope = models.BigIntegerField(null=True, blank=True, db_index=True)
    agency_id_scope = models.BigIntegerField(null=True, blank=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    scope_paths = {
        "province": "province_id_scope",
        "post_office": "post_office_id_scope",
        "agency": "agency_id_scope",
    }

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "time"])]
        verbose_name = _("sự kiện kiểm toán")
        verbose_name_plural = _("nhật ký kiểm toán")

    def __str__(self):
        return f"{self.time:%d/%m/%Y %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only / Nhật ký chỉ được ghi thêm.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only / Nhật ký chỉ được ghi thêm.")
