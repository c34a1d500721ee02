"""The one-stop desk's records of a dossier (Decree 118/2025): the daily code sequence, requests to
supplement (form 02) and the clock pauses they cause, the hand-offs inside the agency (form 06), extensions
(form 04), notices (refusal form 03, stop form 05, withdrawal, financial obligation), scanned documents, and
what a province lets seconded postal staff do at a Mode 2 desk. The dossier's status and dates live on
``dossiers.Dossier``; every change goes through onestop.services."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeCounter(models.Model):
    """The last sequence number an agency gave on a day (locked to give the next: no gap, no reuse)."""

    agency = models.ForeignKey("network.Agency", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(9999)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="one_code_counter_per_day")]

    def __str__(self):
        return f"{self.agency_id} {self.day}: {self.last}"


class SupplementRequest(models.Model):
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (form 02)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Chờ bổ sung")
        ANSWERED = "answered", _("Đã bổ sung")
        CLOSED = "closed", _("Đã đóng")

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="supplement_requests")
    number = models.PositiveSmallIntegerField(_("lần"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(_("lý do"), max_length=1000)
    lines = models.JSONField(_("nội dung cần bổ sung"), default=list,
                             help_text="[{name, kind, count, reason}]")
    requested_at = models.DateTimeField(_("thời điểm yêu cầu"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("thời điểm bổ sung"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    item = models.ForeignKey("postal.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("bưu gửi hồ sơ bổ sung"))

    scope_paths = {"province": "dossier__province", "post_office": "dossier__post_office",
                   "agency": ("dossier__agency", "dossier__desk__agency")}

    class Meta:
        ordering = ["dossier", "number"]
        verbose_name = _("yêu cầu bổ sung hồ sơ")
        verbose_name_plural = _("yêu cầu bổ sung hồ sơ")
        constraints = [models.UniqueConstraint(fields=["dossier", "number"], name="one_supplement_number")]

    def __str__(self):
        return f"{self.dossier_id} #{self.number}"


class ClockPause(models.Model):
    """A time the legal clock stood still (a supplement asked after acceptance, a financial obligation)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="pauses")
    reason = models.CharField(_("lý do"), max_length=40)
    started_at = models.DateTimeField(_("bắt đầu"))
    ended_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)

    class Meta:
        ordering = ["dossier", "started_at"]

    def __str__(self):
        return f"{self.dossier_id} {self.reason} {self.started_at:%Y-%m-%d}"


class ProcessingStep(models.Model):
    """One line of the process control slip (form 06): who handed the dossier to whom, when, and whether
    each step kept its time."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField(_("bước"))
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("bên giao"))
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="processing_steps", verbose_name=_("bên nhận"))
    to_label = models.CharField(_("đơn vị / bộ phận nhận"), max_length=255, blank=True)
    task = models.CharField(_("nội dung công việc"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("thời điểm giao"))
    due_at = models.DateTimeField(_("hạn của bước"), null=True, blank=True)
    done_at = models.DateTimeField(_("thời điểm hoàn thành"), null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        ordering = ["dossier", "position"]
        constraints = [models.UniqueConstraint(fields=["dossier", "position"], name="one_step_position")]

    def __str__(self):
        return f"{self.dossier_id} #{self.position}"

    @property
    def on_time(self) -> bool | None:
        if self.due_at is None or self.done_at is None:
            return None
        return self.done_at <= self.due_at


class Extension(models.Model):
    """Văn bản xin lỗi và đề nghị gia hạn (form 04) — issued before the due date, with the new date."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="extensions")
    previous_due_at = models.DateTimeField(_("hạn cũ"))
    new_due_at = models.DateTimeField(_("hạn mới"))
    reason = models.CharField(_("lý do"), max_length=1000)
    issued_at = models.DateTimeField(_("thời điểm"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["dossier", "issued_at"]

    def __str__(self):
        return f"{self.dossier_id} → {self.new_due_at:%Y-%m-%d}"


class Notice(models.Model):
    """A decision notice: refusal (form 03), stop (form 05), withdrawal at the citizen's request, or a
    financial obligation to meet before processing goes on."""

    class Kind(models.TextChoices):
        REFUSAL = "refusal", _("Từ chối tiếp nhận (mẫu 03)")
        STOP = "stop", _("Dừng giải quyết (mẫu 05)")
        WITHDRAWAL = "withdrawal", _("Công dân rút hồ sơ")
        FINANCIAL_OBLIGATION = "financial_obligation", _("Thông báo nghĩa vụ tài chính")

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("loại"), max_length=30, choices=Kind.choices)
    reason = models.CharField(_("lý do"), max_length=1000)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"), null=True, blank=True)
    issued_at = models.DateTimeField(_("thời điểm"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    met_at = models.DateTimeField(_("đã thực hiện lúc"), null=True, blank=True)

    class Meta:
        ordering = ["dossier", "issued_at"]

    def __str__(self):
        return f"{self.dossier_id} {self.kind}"


class Attachment(models.Model):
    """A scanned document (or the result's file): PDF, JPEG or PNG, as its bytes say."""

    class Kind(models.TextChoices):
        SCAN = "scan", _("Bản quét hồ sơ")
        RESULT = "result", _("Bản quét kết quả")

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.SCAN)
    file = models.FileField(_("tệp"), upload_to="dossiers/%Y/%m/")
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    content_type = models.CharField(_("định dạng"), max_length=40)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    document_name = models.CharField(_("giấy tờ"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)

    scope_paths = {"province": "dossier__province", "post_office": "dossier__post_office",
                   "agency": ("dossier__agency", "dossier__desk__agency")}

    class Meta:
        ordering = ["dossier", "uploaded_at"]
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")

    def __str__(self):
        return self.original_name


class SecondedPolicy(models.Model):
    """What a province lets seconded postal staff do at a Mode 2 desk on the agency's behalf."""

    province = models.OneToOneField("geo.Province", on_delete=models.PROTECT, related_name="seconded_policy")
    may_accept = models.BooleanField(_("tiếp nhận, cấp mã hồ sơ"), default=True)
    may_request_supplement = models.BooleanField(_("yêu cầu bổ sung"), default=True)
    may_refuse = models.BooleanField(_("từ chối tiếp nhận"), default=False)
    may_hand_result = models.BooleanField(_("trả kết quả, chuyển kết quả cho bưu chính"), default=True)
    may_digitise = models.BooleanField(_("số hóa hồ sơ"), default=True)

    scope_paths = {"province": "province"}

    class Meta:
        verbose_name = _("phân quyền nhân viên bưu điện tại Một cửa")
        verbose_name_plural = _("phân quyền nhân viên bưu điện tại Một cửa")

    def __str__(self):
        return str(self.province)



