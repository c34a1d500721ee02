"""A dossier (hồ sơ TTHC) handed to the post: who filed it, for which procedure version, what was
counted and sealed, what was charged, and where it stands. Every change goes through dossiers.services."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import DocumentKind

# Crockford-like alphabet without 0/O, 1/I/L, U: easy to read out over the phone.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 12  # 30^12 ≈ 5·10^17: unguessable, and the phone number is asked as well


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def format_tracking_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


class ServiceChoice(models.IntegerChoices):
    """Decision 45/2016, Art. 5: choosing one never obliges the other."""

    SEND = 1, _("Gửi hồ sơ")
    RECEIVE = 2, _("Nhận kết quả")
    BOTH = 3, _("Gửi hồ sơ và nhận kết quả")


class Channel(models.TextChoices):
    COUNTER = "counter", _("Quầy bưu cục")
    COMMUNE_POINT = "commune_point", _("Điểm BĐVHX")
    HOME_PICKUP = "home_pickup", _("Thu gom tại nhà")
    CONNECTED_SYSTEM = "connected_system", _("Đơn hàng từ hệ thống kết nối")


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("Cá nhân")
    ORGANISATION = "organisation", _("Tổ chức")


class Status(models.TextChoices):
    RECEIVED = "received", _("Bưu chính đã tiếp nhận")
    ACCEPTED = "accepted", _("Đã tiếp nhận, hẹn trả kết quả")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung hồ sơ")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    PROCESSING = "processing", _("Đang giải quyết")
    FINANCIAL_OBLIGATION = "financial_obligation", _("Chờ thực hiện nghĩa vụ tài chính")
    STOPPED = "stopped", _("Dừng giải quyết")
    WITHDRAWN = "withdrawn", _("Công dân rút hồ sơ")
    PROCESSED = "processed", _("Đã có kết quả")
    RESULT_RETURNED = "result_returned", _("Đã trả kết quả")
    CANCELLED = "cancelled", _("Đã hủy")


S = Status
# The explicit transition table: status -> statuses a dossier may move to. Anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    S.RECEIVED: {S.ACCEPTED, S.SUPPLEMENT_REQUESTED, S.REFUSED, S.WITHDRAWN, S.CANCELLED},
    S.SUPPLEMENT_REQUESTED: {S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.REFUSED, S.WITHDRAWN,
                             S.STOPPED},
    S.ACCEPTED: {S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.WITHDRAWN, S.STOPPED},
    S.PROCESSING: {S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.FINANCIAL_OBLIGATION, S.STOPPED, S.WITHDRAWN,
                   S.PROCESSED},
    S.FINANCIAL_OBLIGATION: {S.PROCESSING, S.STOPPED, S.WITHDRAWN},
    S.PROCESSED: {S.RESULT_RETURNED},
    S.REFUSED: set(),
    S.STOPPED: set(),
    S.WITHDRAWN: set(),
    S.RESULT_RETURNED: set(),
    S.CANCELLED: set(),
}

# TrangThaiHoSo of the national public service portal (1–10).
PORTAL_STATUS: dict[str, int | None] = {
    S.RECEIVED: 1, S.ACCEPTED: 2, S.REFUSED: 3, S.PROCESSING: 4, S.SUPPLEMENT_REQUESTED: 5,
    S.FINANCIAL_OBLIGATION: 6, S.WITHDRAWN: 7, S.STOPPED: 8, S.PROCESSED: 9, S.RESULT_RETURNED: 10,
    S.CANCELLED: None,
}


class Dossier(models.Model):
    """Hồ sơ — one dossier (or, for service choice 2, one registration to receive a result by post)."""

    tracking_code = models.CharField(_("mã tra cứu"), max_length=TRACKING_LENGTH, unique=True, editable=False)
    submission_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False,
                                      help_text="The form's or API client's key: the same submission twice "
                                                "creates one dossier")
    service_choice = models.PositiveSmallIntegerField(_("dịch vụ"), choices=ServiceChoice.choices)
    channel = models.CharField(_("kênh tiếp nhận"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("trạng thái"), max_length=30, choices=Status.choices, default=Status.RECEIVED)

    version = models.ForeignKey("catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers",
                                verbose_name=_("phiên bản thủ tục"))
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="dossiers",
                                  verbose_name=_("thủ tục"))
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="dossiers")
    agency = models.ForeignKey("network.Agency", on_delete=models.PROTECT, related_name="dossiers",
                               verbose_name=_("cơ quan giải quyết"))
    desk = models.ForeignKey("network.OneStopDesk", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="dossiers", verbose_name=_("Bộ phận Một cửa nhận"))
    post_office = models.ForeignKey("network.PostOffice", on_delete=models.PROTECT, related_name="dossiers",
                                    verbose_name=_("bưu cục tiếp nhận"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True, verbose_name=_("người tiếp nhận"))
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"))
    expected_arrival = models.DateTimeField(_("dự kiến đến cơ quan"), null=True, blank=True)
    external_code = models.CharField(_("mã hồ sơ tại cơ quan"), max_length=40, blank=True,
                                     help_text=_("For a dossier filed directly or online (service choice 2)."))

    applicant_kind = models.CharField(_("người nộp là"), max_length=20, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("họ tên / tên tổ chức"), max_length=255)
    applicant_id_number = models.CharField(_("số CCCD / mã số thuế"), max_length=14)
    applicant_phone = models.CharField(_("số điện thoại"), max_length=10)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_street = models.CharField(_("địa chỉ người nộp"), max_length=255, blank=True)
    applicant_commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="+", verbose_name=_("xã/phường người nộp"))

    return_street = models.CharField(_("địa chỉ nhận kết quả (số nhà, đường)"), max_length=255, blank=True)
    return_commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("xã/phường nhận kết quả"))
    return_address_input = models.CharField(_("địa chỉ như khai (cũ)"), max_length=500, blank=True)

    weight_grams = models.PositiveIntegerField(_("khối lượng (g)"), null=True, blank=True,
                                               validators=[MaxValueValidator(30_000)])
    checklist_override_reason = models.CharField(_("lý do tiếp nhận khi thiếu giấy tờ"), max_length=500,
                                                 blank=True)
    checklist_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                              blank=True, related_name="+")
    postage_total = models.PositiveBigIntegerField(_("cước (đồng)"), default=0)
    fee_total = models.PositiveBigIntegerField(_("phí, lệ phí thu hộ (đồng)"), default=0)
    amount_paid = models.PositiveBigIntegerField(_("đã thu (đồng)"), default=0)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    # The one-stop desk's side (onestop.services).
    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True, null=True, blank=True,
                            help_text=_("{mã định danh}-{yyMMdd}-{NNNN}, given when the desk accepts the dossier."))
    accepted_at = models.DateTimeField(_("thời điểm tiếp nhận tại Một cửa"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("người tiếp nhận tại Một cửa"))
    due_at = models.DateTimeField(_("hẹn trả kết quả"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("hẹn trả ban đầu"), null=True, blank=True)
    decided_at = models.DateTimeField(_("thời điểm có kết quả"), null=True, blank=True)
    result_reference = models.CharField(_("số, ký hiệu kết quả"), max_length=255, blank=True)
    result_fees_due = models.PositiveBigIntegerField(_("phí, lệ phí còn phải thu (đồng)"), default=0)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_paths = {"province": "province", "post_office": "post_office", "agency": ("agency", "desk__agency")}

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        permissions = [("override_checklist", _("Tiếp nhận hồ sơ khi thiếu giấy tờ bắt buộc (ghi rõ lý do)"))]
        indexes = [
            models.Index(fields=["post_office", "-received_at"]),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["province", "received_at"]),
            models.Index(fields=["agency", "due_at"]),
        ]

    def __str__(self):
        return f"{self.display_tracking_code} — {self.procedure.code}"

    @property
    def display_tracking_code(self) -> str:
        return format_tracking_code(self.tracking_code)

    @property
    def outbound_item(self):
        return next((i for i in self.items.all() if i.kind == "dossier"), None)

    @property
    def portal_status(self) -> int | None:
        return PORTAL_STATUS.get(self.status)

    @property
    def amount_due(self) -> int:
        return self.postage_total + self.fee_total

    @property
    def sends_dossier(self) -> bool:
        return self.service_choice in (ServiceChoice.SEND, ServiceChoice.BOTH)

    @property
    def returns_result(self) -> bool:
        return self.service_choice in (ServiceChoice.RECEIVE, ServiceChoice.BOTH)


class ChecklistLine(models.Model):
    """One line of the count made with the citizen: what the procedure asks for, and what was brought."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    document = models.ForeignKey("catalog.RequiredDocument", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    name = models.CharField(_("giấy tờ"), max_length=500)
    mandatory = models.BooleanField(_("bắt buộc"))
    required_kind = models.CharField(_("loại bản yêu cầu"), max_length=20, choices=DocumentKind.choices)
    required_count = models.PositiveSmallIntegerField(_("số lượng yêu cầu"))
    brought_kind = models.CharField(_("loại bản nộp"), max_length=20, choices=DocumentKind.choices, blank=True)
    brought_count = models.PositiveSmallIntegerField(_("số lượng nộp"), default=0,
                                                     validators=[MaxValueValidator(99)])

    class Meta:
        ordering = ["dossier", "position"]
        verbose_name = _("thành phần hồ sơ đã kiểm đếm")
        verbose_name_plural = _("thành phần hồ sơ đã kiểm đếm")

    def __str__(self):
        return self.name


class Charge(models.Model):
    """One amount of a dossier: postage for a leg, or an agency fee collected on its behalf."""

    class Kind(models.TextChoices):
        POSTAGE_SEND = "postage_send", _("Cước gửi hồ sơ")
        POSTAGE_RETURN = "postage_return", _("Cước trả kết quả")
        AGENCY_FEE = "agency_fee", _("Phí, lệ phí thu hộ")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="charges")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("khoản"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("nội dung"), max_length=255)
    list_amount = models.PositiveBigIntegerField(_("mức (đồng)"))
    amount = models.PositiveBigIntegerField(_("người nộp trả (đồng)"))
    fee_line = models.ForeignKey("catalog.FeeLine", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    free_programme = models.ForeignKey("postal.FreeProgramme", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="charges")
    zone = models.CharField(_("vùng"), max_length=20, blank=True)

    class Meta:
        ordering = ["dossier", "position"]
        verbose_name = _("khoản thu")
        verbose_name_plural = _("khoản thu")

    def __str__(self):
        return f"{self.label}: {self.amount}"
