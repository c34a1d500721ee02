"""The catalogue of administrative procedures (TTHC) each province publishes, with
what may be received and returned by post (Decision 45/2016/QĐ-TTg, Art. 5)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.text import fold


class Field(models.Model):
    """Lĩnh vực — the field a procedure belongs to (e.g. Hộ tịch, Đất đai)."""

    code = models.CharField(_("mã lĩnh vực"), max_length=40, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")

    def __str__(self):
        return self.name


class Level(models.TextChoices):
    CENTRAL = "central", _("Cấp trung ương")
    PROVINCIAL = "provincial", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")
    MULTI = "multi", _("Nhiều cấp")


class Procedure(models.Model):
    """Thủ tục hành chính — identified nationally by its code (e.g. 1.001612).

    What a province publishes about it lives in ``ProcedureVersion``."""

    code = models.CharField(_("mã TTHC"), max_length=30, unique=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures",
                              verbose_name=_("lĩnh vực"))
    level = models.CharField(_("cấp thực hiện"), max_length=20, choices=Level.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")

    def __str__(self):
        return f"{self.code} — {self.name}"


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "days", _("ngày làm việc")
    WORKING_HOURS = "hours", _("giờ làm việc")
    HALF_DAYS = "half_days", _("buổi làm việc")


class ProcedureVersion(models.Model):
    """One province's published version of a procedure: agency, legal time, whether
    it may be received / returned by post (each with its legal basis), documents, fees.

    Versions go draft → published; publishing closes the previous version's validity
    (valid_to) so that at any moment a province has at most one published version,
    and a dossier keeps the version it was filed under."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        PUBLISHED = "published", _("Đã công bố")
        SUPERSEDED = "superseded", _("Đã thay thế")

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="procedure_versions")
    number = models.PositiveIntegerField(_("phiên bản"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    agency = models.ForeignKey("network.Agency", on_delete=models.PROTECT, related_name="procedure_versions",
                               verbose_name=_("cơ quan giải quyết"))
    processing_time = models.PositiveIntegerField(_("thời hạn giải quyết"))
    processing_unit = models.CharField(_("đơn vị thời hạn"), max_length=12, choices=TimeUnit.choices,
                                       default=TimeUnit.WORKING_DAYS)
    receive_by_post = models.BooleanField(_("tiếp nhận hồ sơ qua bưu chính"))
    receive_basis = models.CharField(_("căn cứ (tiếp nhận)"), max_length=255, blank=True)
    receive_basis_date = models.DateField(_("ngày ban hành căn cứ (tiếp nhận)"), null=True, blank=True)
    return_by_post = models.BooleanField(_("trả kết quả qua bưu chính"))
    return_basis = models.CharField(_("căn cứ (trả kết quả)"), max_length=255, blank=True)
    return_basis_date = models.DateField(_("ngày ban hành căn cứ (trả kết quả)"), null=True, blank=True)
    not_by_post_reason = models.CharField(_("lý do không thực hiện qua bưu chính"), max_length=500, blank=True)
    search_text = models.CharField(max_length=600, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = {"province": "province", "agency": "agency"}

    class Meta:
        ordering = ["province__code", "procedure__code", "-number"]
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "province", "number"], name="unique_version_number"),
            models.UniqueConstraint(fields=["procedure", "province"], condition=Q(status="published"),
                                    name="one_published_version_per_province"),
        ]
        indexes = [models.Index(fields=["province", "status"])]

    def __str__(self):
        return f"{self.procedure.code} v{self.number} ({self.province.code})"

    def save(self, *args, **kwargs):
        self.search_text = fold(f"{self.procedure.code} {self.name}")[:600]
        super().save(*args, **kwargs)

    @property
    def service_choices(self) -> list[int]:
        """The Decision 45 service choices this version allows: 1 send, 2 receive result, 3 both."""
        choices = []
        if self.receive_by_post:
            choices.append(1)
        if self.return_by_post:
            choices.append(2)
        if self.receive_by_post and self.return_by_post:
            choices.append(3)
        return choices


class DocumentKind(models.TextChoices):
    ORIGINAL = "original", _("Bản chính")
    CERTIFIED_COPY = "certified_copy", _("Bản sao chứng thực")
    PHOTOCOPY = "photocopy", _("Bản photo")


class RequiredDocument(models.Model):
    """Thành phần hồ sơ — one document of a procedure version's checklist."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    kind = models.CharField(_("loại bản"), max_length=20, choices=DocumentKind.choices)
    count = models.PositiveSmallIntegerField(_("số lượng"), default=1)
    mandatory = models.BooleanField(_("bắt buộc"), default=True)
    template = models.FileField(_("mẫu đơn, tờ khai"), upload_to="catalog/templates/", blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()} × {self.count})"


class FeeLine(models.Model):
    """Phí / lệ phí — one fee line of a procedure version."""

    class Kind(models.TextChoices):
        FEE = "phi", _("Phí")
        CHARGE = "le_phi", _("Lệ phí")

    class Collector(models.TextChoices):
        AGENCY = "agency", _("Cơ quan giải quyết thu")
        POST = "post", _("Bưu điện thu hộ")

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="fees")
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    code = models.CharField(_("mã phí"), max_length=40, blank=True)
    name = models.CharField(_("tên phí, lệ phí"), max_length=255)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("mức thu (đồng)"), null=True, blank=True)
    formula = models.CharField(_("cách tính (nếu không cố định)"), max_length=500, blank=True)
    collector = models.CharField(_("đơn vị thu"), max_length=10, choices=Collector.choices,
                                 default=Collector.POST)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")

    def __str__(self):
        return self.name


class ImportBatch(models.Model):
    """One upload of a province's list (.xlsx / .csv): previewed first, then committed
    all-or-nothing by a background task (``catalog.tasks.run_import``).

    While the task runs, its progress lives in a small file beside the upload (see
    ``catalog.imports``) because the rows it writes are invisible to other connections
    until its single transaction commits; ``processed_rows`` holds the final figure."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Đã kiểm tra, chờ nhập")
        REJECTED = "rejected", _("Có lỗi, không nhập")
        QUEUED = "queued", _("Đang chờ xử lý")
        RUNNING = "running", _("Đang nhập")
        COMMITTED = "committed", _("Đã nhập")
        FAILED = "failed", _("Nhập thất bại")

    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="import_batches",
                                 verbose_name=_("tỉnh/thành phố"))
    file = models.FileField(_("tệp"), upload_to="catalog/imports/")
    original_name = models.CharField(_("tên tệp"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("người tải lên"))
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("người xác nhận nhập"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    total_rows = models.PositiveIntegerField(_("số dòng"), default=0)
    processed_rows = models.PositiveIntegerField(_("số dòng đã xử lý"), default=0)
    report = models.JSONField(_("kết quả"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu nhập"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)

    scope_paths = {"province": "province"}

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lần nhập danh mục")
        verbose_name_plural = _("lần nhập danh mục")

    def __str__(self):
        return f"{self.original_name} ({self.province_id}, {self.get_status_display()})"

    @property
    def counts(self) -> dict:
        return {key: self.report.get(key, 0) for key in ("added", "changed", "unchanged")}

    @property
    def errors(self) -> list[dict]:
        return self.report.get("errors", [])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.COMMITTED, self.Status.FAILED, self.Status.REJECTED)
