"""A request to collect a dossier at the citizen's address (thu gom hồ sơ tại nhà), and the one-time codes
that confirm a citizen's phone before a request from the public form is registered.

Every change goes through pickups.services (one function per transition, see ``TRANSITIONS``)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.models import TRACKING_LENGTH, format_tracking_code


def normalise_code(text: str) -> str:
    """A pickup code as typed or read out: "jwcr-8wkr wfaa" -> "JWCR8WKRWFAA"."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:TRACKING_LENGTH + 8]


class Status(models.TextChoices):
    REGISTERED = "registered", _("Đã đăng ký")
    ASSIGNED = "assigned", _("Đã phân công bưu tá")
    COLLECTING = "collecting", _("Bưu tá đang thu gom")
    COLLECTED = "collected", _("Đã thu gom, đã tiếp nhận hồ sơ")
    CANCELLED = "cancelled", _("Đã hủy")
    FAILED = "failed", _("Không thu gom được")


# The explicit transition table: status -> statuses a pickup may move to. ASSIGNED -> ASSIGNED is a reassignment.
TRANSITIONS: dict[str, set[str]] = {
    Status.REGISTERED: {Status.ASSIGNED, Status.CANCELLED},
    Status.ASSIGNED: {Status.ASSIGNED, Status.COLLECTING, Status.CANCELLED, Status.FAILED},
    Status.COLLECTING: {Status.COLLECTED, Status.FAILED},
    Status.COLLECTED: set(),
    Status.CANCELLED: set(),
    Status.FAILED: set(),
}
OPEN_STATUSES = (Status.REGISTERED, Status.ASSIGNED, Status.COLLECTING)

# Home-pickup state codes of the provinces' one-stop systems (OpenCPS & co.): 0 not used, 1 registered,
# 2 collecting, 3 dossier handed over, 4 pickup cancelled.
ONESTOP_STATE = {
    Status.REGISTERED: 1,
    Status.ASSIGNED: 1,
    Status.COLLECTING: 2,
    Status.COLLECTED: 3,
    Status.CANCELLED: 4,
    Status.FAILED: 4,
}


class Window(models.TextChoices):
    MORNING = "morning", _("Buổi sáng (7:30–11:30)")
    AFTERNOON = "afternoon", _("Buổi chiều (13:00–17:00)")
    CUSTOM = "custom", _("Khung giờ khác")


WINDOW_TIMES = {
    Window.MORNING: (datetime.time(7, 30), datetime.time(11, 30)),
    Window.AFTERNOON: (datetime.time(13, 0), datetime.time(17, 0)),
}


class RequestChannel(models.TextChoices):
    WEB = "web", _("Công dân tự đặt trên web")
    CALL_CENTRE = "call_centre", _("Tổng đài")
    COUNTER = "counter", _("Tại quầy bưu cục")


class PickupRequest(models.Model):
    """Yêu cầu thu gom hồ sơ tại nhà."""

    code = models.CharField(_("mã yêu cầu"), max_length=TRACKING_LENGTH, unique=True, editable=False)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    reason = models.CharField(_("lý do hủy / không thu gom được"), max_length=500, blank=True)

    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="pickups")
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="pickups",
                                verbose_name=_("xã/phường"))
    street = models.CharField(_("số nhà, đường, thôn/ấp"), max_length=255)
    contact_name = models.CharField(_("người liên hệ"), max_length=255)
    phone = models.CharField(_("số điện thoại"), max_length=10)

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="pickups",
                                  verbose_name=_("thủ tục"))
    version = models.ForeignKey("catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="pickups",
                                verbose_name=_("phiên bản thủ tục khi đăng ký"))
    service_choice = models.PositiveSmallIntegerField(_("dịch vụ"), choices=[
        (1, _("Gửi hồ sơ")), (3, _("Gửi hồ sơ và nhận kết quả"))])
    preferred_date = models.DateField(_("ngày hẹn"))
    window = models.CharField(_("khung giờ"), max_length=10, choices=Window.choices)
    window_start = models.TimeField(_("từ"))
    window_end = models.TimeField(_("đến"))
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    channel = models.CharField(_("kênh đặt"), max_length=20, choices=RequestChannel.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("nhân viên đặt hộ"))
    phone_verified_at = models.DateTimeField(_("xác nhận số điện thoại lúc"), null=True, blank=True)

    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, related_name="pickups",
                                    verbose_name=_("bưu cục thu gom"))
    assigned_postman = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="pickups", verbose_name=_("bưu tá"))
    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="pickup", verbose_name=_("hồ sơ đã tiếp nhận"))

    created_at = models.DateTimeField(_("đăng ký lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(_("phân công lúc"), null=True, blank=True)
    started_at = models.DateTimeField(_("bắt đầu thu gom lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)

    scope_paths = {"province": "province", "post_office": "post_office"}

    class Meta:
        ordering = ["preferred_date", "window_start", "created_at"]
        verbose_name = _("yêu cầu thu gom hồ sơ")
        verbose_name_plural = _("yêu cầu thu gom hồ sơ")
        indexes = [
            models.Index(fields=["post_office", "status", "preferred_date"]),
            models.Index(fields=["assigned_postman", "status"]),
            models.Index(fields=["province", "created_at"]),
        ]

    def __str__(self):
        return f"{self.display_code} — {self.procedure.code}"

    @property
    def display_code(self) -> str:
        return format_tracking_code(self.code)

    @property
    def onestop_state(self) -> int:
        """The state code one-stop systems use for a home pickup (1 registered, 2 collecting, 3 handed over,
        4 cancelled)."""
        return ONESTOP_STATE[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def address(self) -> str:
        return f"{self.street}, {self.commune.name}, {self.province.name}"

    @property
    def window_text(self) -> str:
        return f"{self.window_start:%H:%M}–{self.window_end:%H:%M}"


class PhoneVerification(models.Model):
    """One one-time code sent to a phone to confirm a request of the public form.

    Only a keyed hash of the code is kept. Every code sent is a row, so the rate limits are counts of rows:
    resending in one flow makes a new row (a new code) that replaces the previous one."""

    flow = models.CharField(max_length=43, db_index=True, editable=False,
                            help_text="The random token of one form submission, shared by its resent codes")
    phone = models.CharField(max_length=10, db_index=True)
    code_hash = models.CharField(max_length=64)
    salt = models.CharField(max_length=32)
    payload = models.JSONField(help_text="The request waiting for the code (the form's cleaned values)")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    pickup = models.ForeignKey(PickupRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mã xác nhận số điện thoại")
        verbose_name_plural = _("mã xác nhận số điện thoại")

    def __str__(self):
        return f"…{self.phone[-3:]} {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else f"…{self.phone[-3:]}"
