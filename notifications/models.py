"""A message to a citizen (SMS or email): what was sent, to whom, about what, and whether it went out.

Rows are written by ``notifications.services.notify`` in the caller's transaction and sent afterwards by the
``notifications.tasks.send_notification`` task through the configured transports."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("Tin nhắn SMS")
    EMAIL = "email", _("Thư điện tử")


class Status(models.TextChoices):
    QUEUED = "queued", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi không được")


class Notification(models.Model):
    """Thông báo — one message to one recipient."""

    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    recipient_phone = models.CharField(_("số điện thoại nhận"), max_length=20, blank=True)
    recipient_email = models.EmailField(_("email nhận"), blank=True)
    template_key = models.CharField(_("mẫu"), max_length=60)
    body = models.TextField(_("nội dung"))
    subject = models.CharField(_("tiêu đề (email)"), max_length=200, blank=True)

    # What the message is about (a pickup request, a dossier, a phone verification...).
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_id = models.CharField(max_length=40, blank=True)
    related = GenericForeignKey("content_type", "object_id")
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("tỉnh/thành phố"))

    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    transport = models.CharField(_("đã gửi qua"), max_length=40, blank=True)
    next_attempt_at = models.DateTimeField(_("thử lại lúc"), null=True, blank=True)
    # While a worker sends it: another delivery of the same task leaves it alone until then.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    scope_paths = {"province": "province"}

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["recipient_phone", "created_at"]),
        ]

    def __str__(self):
        return f"{self.template_key} → {self.recipient}"

    @property
    def recipient(self) -> str:
        return self.recipient_email if self.channel == Channel.EMAIL else self.recipient_phone
