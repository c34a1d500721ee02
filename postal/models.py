"""The post's side of a dossier: item ids (S10) from serial ranges, the packages themselves with their
custodian, postage tariffs, free-of-charge programmes, and receipts numbered per post office."""

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from postal.s10 import SERIAL_MAX

INDICATOR_VALIDATOR = RegexValidator(
    r"^[A-Z]{2}$", _("Mã dịch vụ gồm 2 chữ cái in hoa. / The service indicator is 2 capital letters."))


class Service(models.TextChoices):
    """What a package carries (and which postage applies)."""

    SEND_DOSSIER = "send_dossier", _("Chuyển hồ sơ đến cơ quan")
    RETURN_RESULT = "return_result", _("Chuyển trả kết quả")


class Zone(models.TextChoices):
    SAME_COMMUNE = "same_commune", _("Nội xã/phường")
    SAME_PROVINCE = "same_province", _("Nội tỉnh")
    OTHER_PROVINCE = "other_province", _("Liên tỉnh")


class ItemSeries(models.Model):
    """Dải số hiệu — a range of S10 serials a post office allocates from, for one service indicator."""

    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, related_name="item_series",
                                    verbose_name=_("bưu cục"))
    service = models.CharField(_("dịch vụ"), max_length=20, choices=Service.choices)
    indicator = models.CharField(_("mã dịch vụ S10"), max_length=2, validators=[INDICATOR_VALIDATOR])
    first_serial = models.PositiveIntegerField(_("số đầu"), validators=[MaxValueValidator(SERIAL_MAX)])
    last_serial = models.PositiveIntegerField(_("số cuối"), validators=[MaxValueValidator(SERIAL_MAX)])
    next_serial = models.PositiveIntegerField(_("số tiếp theo"), validators=[MaxValueValidator(SERIAL_MAX + 1)])
    active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = {"province": "post_office__province", "post_office": "post_office"}

    class Meta:
        ordering = ["post_office__code", "service", "first_serial"]
        verbose_name = _("dải số hiệu bưu gửi")
        verbose_name_plural = _("dải số hiệu bưu gửi")
        constraints = [
            models.CheckConstraint(condition=Q(first_serial__lte=models.F("last_serial")),
                                   name="series_first_le_last"),
            models.CheckConstraint(condition=Q(next_serial__gte=models.F("first_serial"))
                                   & Q(next_serial__lte=models.F("last_serial") + 1),
                                   name="series_next_in_range"),
        ]

    def __str__(self):
        return f"{self.post_office.code} {self.indicator} {self.first_serial:08d}–{self.last_serial:08d}"

    @property
    def remaining(self) -> int:
        return self.last_serial + 1 - self.next_serial


class ItemStatus(models.TextChoices):
    """Normalised package statuses (shared with scanners and connected systems)."""

    PENDING = "pending", _("Chờ chuyển")
    PICKED_UP = "picked_up", _("Đã nhận gửi")
    IN_TRANSIT = "in_transit", _("Đang vận chuyển")
    AT_ONE_STOP_DESK = "at_one_stop_desk", _("Đã đến Bộ phận Một cửa")
    RECEIVED_BY_AGENCY = "received_by_agency", _("Cơ quan đã nhận")
    RESULT_READY = "result_ready", _("Đã có kết quả")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Đang phát")
    DELIVERY_FAILED = "delivery_failed", _("Phát không thành công")
    HELD_AT_POST_OFFICE = "held_at_post_office", _("Lưu tại bưu cục")
    DELIVERED = "delivered", _("Đã phát")
    RETURNED_TO_AGENCY = "returned_to_agency", _("Đã trả lại cơ quan")
    CANCELLED = "cancelled", _("Đã hủy")


class Custodian(models.TextChoices):
    POST_OFFICE = "post_office", _("Bưu cục")
    POSTMAN = "postman", _("Bưu tá")
    MANIFEST = "manifest", _("Bảng kê đang vận chuyển")
    DESK = "desk", _("Bộ phận Một cửa")
    AGENCY = "agency", _("Cơ quan")
    CITIZEN = "citizen", _("Công dân")


class Item(models.Model):
    """Bưu gửi — one sealed package (a dossier going out, a result coming back) with exactly one custodian."""

    class Kind(models.TextChoices):
        DOSSIER = "dossier", _("Hồ sơ")
        SUPPLEMENT = "supplement", _("Hồ sơ bổ sung")
        RESULT = "result", _("Kết quả")

    item_id = models.CharField(_("số hiệu bưu gửi"), max_length=13, unique=True)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="items",
                                verbose_name=_("hồ sơ"))
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="+")
    origin_post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, related_name="+",
                                           null=True, blank=True, verbose_name=_("bưu cục nhận gửi"))
    series = models.ForeignKey(ItemSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="items")
    status = models.CharField(_("trạng thái"), max_length=30, choices=ItemStatus.choices,
                              default=ItemStatus.PENDING)
    custodian_kind = models.CharField(_("đang giữ"), max_length=20, choices=Custodian.choices)
    custodian_post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, null=True,
                                              blank=True, related_name="held_items")
    custodian_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="held_items")
    custodian_desk = models.ForeignKey("network.OneStopDesk", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="held_items")
    custodian_agency = models.ForeignKey("network.Agency", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="held_items")
    custodian_manifest = models.ForeignKey("custody.Manifest", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="held_items")
    returning = models.BooleanField(_("đang trả lại công dân"), default=False,
                                    help_text="A dossier package sent back to the citizen (e.g. not eligible).")
    last_event_at = models.DateTimeField(_("sự kiện gần nhất"), null=True, blank=True)
    leg_started_at = models.DateTimeField(_("bắt đầu chặng"), null=True, blank=True)
    leg_due_at = models.DateTimeField(_("hạn chặng"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("đã báo quá hạn lúc"), null=True, blank=True)
    seal_numbers = models.JSONField(_("số niêm phong"), default=list, blank=True)
    weight_grams = models.PositiveIntegerField(_("khối lượng (g)"), null=True, blank=True,
                                               validators=[MaxValueValidator(30_000)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_paths = {"province": "province", "post_office": "origin_post_office", "agency": "dossier__agency"}

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bưu gửi")
        verbose_name_plural = _("bưu gửi")
        indexes = [models.Index(fields=["custodian_kind", "custodian_post_office", "status"]),
                   models.Index(fields=["leg_due_at"])]

    def __str__(self):
        return self.item_id

    @property
    def custodian(self):
        return {
            Custodian.POST_OFFICE: self.custodian_post_office,
            Custodian.POSTMAN: self.custodian_user,
            Custodian.DESK: self.custodian_desk,
            Custodian.AGENCY: self.custodian_agency,
            Custodian.MANIFEST: self.custodian_manifest,
        }.get(self.custodian_kind)


class PostageRate(models.Model):
    """Cước — postage for a service and zone, national or for one province (the province's rate wins)."""

    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="postage_rates", verbose_name=_("tỉnh (trống = toàn quốc)"))
    service = models.CharField(_("dịch vụ"), max_length=20, choices=Service.choices)
    zone = models.CharField(_("vùng"), max_length=20, choices=Zone.choices)
    base_amount = models.PositiveIntegerField(_("cước nấc đầu (đồng)"))
    base_weight_grams = models.PositiveIntegerField(_("nấc đầu đến (g)"), default=2000)
    step_amount = models.PositiveIntegerField(_("cước mỗi nấc tiếp (đồng)"), default=0)
    step_weight_grams = models.PositiveIntegerField(_("nấc tiếp (g)"), default=500)
    valid_from = models.DateField(_("áp dụng từ"))
    valid_to = models.DateField(_("áp dụng đến"), null=True, blank=True)

    class Meta:
        ordering = ["province__code", "service", "zone", "-valid_from"]
        verbose_name = _("biểu cước")
        verbose_name_plural = _("biểu cước")

    # Rates with no province are national and visible to everyone; scope applies to writing.
    scope_paths = {"province": "province"}

    def __str__(self):
        return f"{self.get_service_display()} — {self.get_zone_display()}: {self.base_amount:,} đ"

    def amount_for(self, weight_grams: int | None) -> int:
        weight = weight_grams or 0
        if weight <= self.base_weight_grams or not self.step_amount:
            return self.base_amount
        extra = weight - self.base_weight_grams
        steps = -(-extra // max(self.step_weight_grams, 1))
        return self.base_amount + steps * self.step_amount


class FreeProgramme(models.Model):
    """Chương trình miễn phí — a province (or one procedure of it) pays the postage instead of the citizen."""

    class Covers(models.TextChoices):
        SEND = "send", _("Miễn cước gửi hồ sơ")
        RETURN = "return", _("Miễn cước trả kết quả")
        BOTH = "both", _("Miễn cước cả hai chiều")

    name = models.CharField(_("tên chương trình"), max_length=255)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="free_programmes",
                                 verbose_name=_("tỉnh"))
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="free_programmes",
                                  verbose_name=_("thủ tục (trống = mọi thủ tục)"))
    covers = models.CharField(_("miễn"), max_length=10, choices=Covers.choices)
    basis = models.CharField(_("căn cứ"), max_length=255, blank=True)
    valid_from = models.DateField(_("áp dụng từ"))
    valid_to = models.DateField(_("áp dụng đến"), null=True, blank=True)

    scope_paths = {"province": "province"}

    class Meta:
        ordering = ["province__code", "-valid_from"]
        verbose_name = _("chương trình miễn cước")
        verbose_name_plural = _("chương trình miễn cước")

    def __str__(self):
        return self.name

    def covers_service(self, service: str) -> bool:
        return self.covers == self.Covers.BOTH or (
            (self.covers == self.Covers.SEND and service == Service.SEND_DOSSIER)
            or (self.covers == self.Covers.RETURN and service == Service.RETURN_RESULT))


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Tiền mặt")
    TRANSFER = "transfer", _("Chuyển khoản")
    QR = "qr", _("Quét mã QR")


class ReceiptCounter(models.Model):
    """The last receipt number a post office issued in a year; locked to issue the next one."""

    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(validators=[MaxValueValidator(9999)])
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post_office", "year"], name="one_receipt_counter")]

    def __str__(self):
        return f"{self.post_office_id}/{self.year}: {self.last_number}"


class Receipt(models.Model):
    """Biên lai — what the citizen paid: postage and fees collected on the agency's behalf.

    Numbered per post office and year without gaps: the number is taken in the same transaction that
    writes the receipt, so a failed intake takes no number; a mistaken receipt is voided, never deleted."""

    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, related_name="receipts",
                                    verbose_name=_("bưu cục"))
    year = models.PositiveSmallIntegerField(_("năm"), validators=[MaxValueValidator(9999)])
    number = models.PositiveIntegerField(_("số"))
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="receipts",
                                verbose_name=_("hồ sơ"))
    payer_name = models.CharField(_("người nộp"), max_length=255)
    method = models.CharField(_("hình thức thanh toán"), max_length=10, choices=PaymentMethod.choices)
    payment_reference = models.CharField(_("mã giao dịch"), max_length=100, blank=True)
    postage_amount = models.PositiveBigIntegerField(_("cước (đồng)"), default=0)
    fee_amount = models.PositiveBigIntegerField(_("phí, lệ phí thu hộ (đồng)"), default=0)
    total = models.PositiveBigIntegerField(_("tổng (đồng)"))
    lines = models.JSONField(_("các khoản"), default=list)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True)
    issued_at = models.DateTimeField(_("thời điểm"))
    voided = models.BooleanField(_("đã hủy"), default=False)

    scope_paths = {"province": "post_office__province", "post_office": "post_office", "agency": "dossier__agency"}

    class Meta:
        ordering = ["post_office", "year", "number"]
        verbose_name = _("biên lai")
        verbose_name_plural = _("biên lai")
        constraints = [models.UniqueConstraint(fields=["post_office", "year", "number"], name="unique_receipt_number")]

    def __str__(self):
        return self.code

    @property
    def code(self) -> str:
        return f"{self.post_office.code}-{self.year}-{self.number:06d}"
