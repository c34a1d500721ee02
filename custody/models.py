"""Chain of custody: every package's timeline, the hand-over manifests (bảng kê giao nhận) it travels on,
the incidents when something goes wrong, the time allowed per leg and the compensation rules.

The package itself (``postal.Item``) holds its current status and its one current custodian; this app
holds how it got there. Every change goes through custody.services."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from postal.models import ItemStatus


class UnitKind(models.TextChoices):
    POST_OFFICE = "post_office", _("Bưu cục")
    DESK = "desk", _("Bộ phận Một cửa")


class IncidentReason(models.TextChoices):
    """Why something went wrong — kept apart from the statuses."""

    MISSING = "missing", _("Thiếu so với bảng kê")
    EXTRA = "extra", _("Thừa so với bảng kê")
    LOST = "lost", _("Thất lạc")
    DAMAGED = "damaged", _("Hư hỏng")
    SEAL_BROKEN = "seal_broken", _("Niêm phong bị rách, mở")
    MISROUTED = "misrouted", _("Chuyển sai địa chỉ")
    NOBODY_HOME = "nobody_home", _("Không có người nhận")
    WRONG_ADDRESS = "wrong_address", _("Sai địa chỉ")
    REFUSED = "refused", _("Người nhận từ chối")
    MOVED = "moved", _("Người nhận đã chuyển đi")
    OTHER = "other", _("Lý do khác")


class ItemEvent(models.Model):
    """One line of a package's timeline: a scan, a hand-over, a manifest step. Append-only.

    ``applied`` says whether it moved the package's current state; an event that arrives late (its time is
    before the last applied one) is kept on the timeline at its time but changes nothing."""

    class Source(models.TextChoices):
        INTAKE = "intake", _("Tiếp nhận")
        MANIFEST = "manifest", _("Bảng kê")
        SCAN = "scan", _("Máy quét")
        SYSTEM = "system", _("Hệ thống")

    event_id = models.CharField(_("mã sự kiện"), max_length=64, unique=True)
    item = models.ForeignKey("postal.Item", on_delete=models.PROTECT, related_name="events")
    status = models.CharField(_("trạng thái"), max_length=30, choices=ItemStatus.choices)
    reason = models.CharField(_("lý do"), max_length=20, choices=IncidentReason.choices, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("thời điểm"))
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    source = models.CharField(_("nguồn"), max_length=20, choices=Source.choices)
    unit_kind = models.CharField(_("loại đơn vị"), max_length=20, choices=UnitKind.choices, blank=True)
    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    desk = models.ForeignKey("network.OneStopDesk", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    manifest = models.ForeignKey("custody.Manifest", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="events")
    applied = models.BooleanField(_("đã áp dụng"), default=True)
    custodian_after = models.CharField(_("người giữ sau sự kiện"), max_length=80, blank=True)

    scope_paths = {"province": "item__province", "post_office": "item__origin_post_office",
                   "agency": "item__dossier__agency"}

    class Meta:
        ordering = ["item", "occurred_at", "pk"]
        verbose_name = _("sự kiện bưu gửi")
        verbose_name_plural = _("sự kiện bưu gửi")
        indexes = [models.Index(fields=["item", "occurred_at"])]

    def __str__(self):
        return f"{self.item_id} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"


class Manifest(models.Model):
    """Bảng kê giao nhận: the packages handed from one unit to another in one trip, confirmed on both sides."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang lập")
        CLOSED = "closed", _("Đã niêm phong")
        DISPATCHED = "dispatched", _("Đang vận chuyển")
        RECEIVED = "received", _("Đã nhận đủ")
        RECEIVED_WITH_DISCREPANCIES = "discrepancies", _("Đã nhận, có sai lệch")
        CANCELLED = "cancelled", _("Đã hủy")

    code = models.CharField(_("số bảng kê"), max_length=40, unique=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.OPEN)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="+")
    origin_kind = models.CharField(_("nơi gửi là"), max_length=20, choices=UnitKind.choices)
    origin_post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="manifests_out")
    origin_desk = models.ForeignKey("network.OneStopDesk", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="manifests_out")
    destination_kind = models.CharField(_("nơi nhận là"), max_length=20, choices=UnitKind.choices)
    destination_post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, null=True,
                                                blank=True, related_name="manifests_in")
    destination_desk = models.ForeignKey("network.OneStopDesk", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="manifests_in")
    seal_number = models.CharField(_("số niêm phong bảng kê"), max_length=20, blank=True)
    courier_name = models.CharField(_("người vận chuyển"), max_length=150, blank=True)
    courier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("bưu tá vận chuyển"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    closed_at = models.DateTimeField(_("niêm phong lúc"), null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    dispatched_at = models.DateTimeField(_("giao đi lúc"), null=True, blank=True)
    dispatch_location = models.CharField(_("nơi giao"), max_length=255, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    received_at = models.DateTimeField(_("nhận lúc"), null=True, blank=True)
    receipt_location = models.CharField(_("nơi nhận"), max_length=255, blank=True)
    due_at = models.DateTimeField(_("hạn đến nơi"), null=True, blank=True)

    scope_paths = {"province": "province", "post_office": "origin_post_office", "agency": "origin_desk__agency"}

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("bảng kê giao nhận")
        verbose_name_plural = _("bảng kê giao nhận")
        indexes = [models.Index(fields=["status", "destination_post_office"]),
                   models.Index(fields=["status", "destination_desk"])]

    def __str__(self):
        return self.code

    @property
    def origin(self):
        return self.origin_post_office if self.origin_kind == UnitKind.POST_OFFICE else self.origin_desk

    @property
    def destination(self):
        return (self.destination_post_office if self.destination_kind == UnitKind.POST_OFFICE
                else self.destination_desk)


class ManifestLine(models.Model):
    """One package on a manifest, and how it was found at the destination."""

    class Condition(models.TextChoices):
        PENDING = "pending", _("Chưa kiểm")
        OK = "ok", _("Nguyên vẹn")
        SEAL_BROKEN = "seal_broken", _("Niêm phong bị rách, mở")
        DAMAGED = "damaged", _("Hư hỏng")
        MISSING = "missing", _("Không thấy")

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("postal.Item", on_delete=models.PROTECT, related_name="manifest_lines")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    condition = models.CharField(_("tình trạng khi nhận"), max_length=20, choices=Condition.choices,
                                 default=Condition.PENDING)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["manifest", "added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["manifest", "item"], name="item_once_per_manifest")]

    def __str__(self):
        return f"{self.manifest_id}: {self.item_id}"


class Incident(models.Model):
    """Sự cố: a package missing, damaged, with a broken seal or misrouted — followed until resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("Mới ghi nhận")
        INVESTIGATING = "investigating", _("Đang xác minh")
        RESOLVED = "resolved", _("Đã xử lý")
        COMPENSATED = "compensated", _("Đã bồi thường")

    TRANSITIONS = {
        Status.OPEN: {Status.INVESTIGATING, Status.RESOLVED},
        Status.INVESTIGATING: {Status.RESOLVED, Status.COMPENSATED},
        Status.RESOLVED: set(),
        Status.COMPENSATED: set(),
    }

    code = models.CharField(_("mã sự cố"), max_length=40, unique=True)
    item = models.ForeignKey("postal.Item", on_delete=models.PROTECT, related_name="incidents")
    manifest = models.ForeignKey(Manifest, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="incidents")
    reason = models.CharField(_("loại sự cố"), max_length=20, choices=IncidentReason.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.OPEN)
    description = models.CharField(_("mô tả"), max_length=1000, blank=True)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="+")
    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="incidents", verbose_name=_("bưu cục chịu trách nhiệm"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    reported_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    resolution = models.CharField(_("kết quả xử lý"), max_length=1000, blank=True)
    compensation_amount = models.PositiveBigIntegerField(_("số tiền bồi thường (đồng)"), null=True, blank=True)
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)
    citizen_notified_at = models.DateTimeField(_("đã báo công dân lúc"), null=True, blank=True)

    scope_paths = {"province": "province", "post_office": "post_office", "agency": "item__dossier__agency"}

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("sự cố")
        verbose_name_plural = _("sự cố")

    def __str__(self):
        return self.code


class CompensationRule(models.Model):
    """How much is paid for an incident: a multiple of the postage paid, at least / at most a sum.

    The defaults loaded with the demo are placeholders an administrator must check against the Postal Law
    and the post's published terms; nothing is hard-coded."""

    reason = models.CharField(_("loại sự cố"), max_length=20, choices=IncidentReason.choices)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("tỉnh (trống = toàn quốc)"))
    postage_multiple = models.DecimalField(_("bội số cước"), max_digits=5, decimal_places=2, default=0)
    fixed_amount = models.PositiveBigIntegerField(_("số tiền cố định (đồng)"), default=0)
    maximum_amount = models.PositiveBigIntegerField(_("tối đa (đồng)"), null=True, blank=True)
    basis = models.CharField(_("căn cứ"), max_length=255, blank=True)

    scope_paths = {"province": "province"}

    class Meta:
        verbose_name = _("mức bồi thường")
        verbose_name_plural = _("mức bồi thường")

    def __str__(self):
        return f"{self.get_reason_display()}: ×{self.postage_multiple} + {self.fixed_amount:,} đ"


class LegLimit(models.Model):
    """Thời hạn chặng — working days allowed for one leg, inside a province or between provinces."""

    class Leg(models.TextChoices):
        POST_OFFICE_TO_DESK = "post_office_to_desk", _("Bưu cục → Bộ phận Một cửa")
        DESK_TO_POST_OFFICE = "desk_to_post_office", _("Bộ phận Một cửa → bưu cục")
        POST_OFFICE_TO_POST_OFFICE = "post_office_to_post_office", _("Bưu cục → bưu cục")
        DESK_TO_DESK = "desk_to_desk", _("Bộ phận Một cửa → Bộ phận Một cửa")

    leg = models.CharField(_("chặng"), max_length=40, choices=Leg.choices)
    other_province = models.BooleanField(_("liên tỉnh"), default=False)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("tỉnh (trống = toàn quốc)"))
    working_days = models.PositiveSmallIntegerField(_("số ngày làm việc"), validators=[MaxValueValidator(60)])

    scope_paths = {"province": "province"}

    class Meta:
        verbose_name = _("thời hạn chặng")
        verbose_name_plural = _("thời hạn chặng")

    def __str__(self):
        return f"{self.get_leg_display()}{' (liên tỉnh)' if self.other_province else ''}: {self.working_days}"
