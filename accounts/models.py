"""Staff accounts: each user has one role and is bound to the unit the role needs."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTER_CLERK = "counter_clerk", _("Giao dịch viên")
    POSTMAN = "postman", _("Bưu tá")
    POST_OFFICE_MANAGER = "post_office_manager", _("Trưởng bưu cục")
    ONE_STOP_OFFICER = "one_stop_officer", _("Cán bộ Bộ phận Một cửa")
    SECONDED_STAFF = "seconded_staff", _("Nhân viên bưu điện tại Bộ phận Một cửa")
    AGENCY_PROCESSOR = "agency_processor", _("Chuyên viên xử lý")
    CALL_CENTRE = "call_centre", _("Tổng đài viên")
    PROVINCIAL_ADMIN = "provincial_admin", _("Quản trị cấp tỉnh")
    NATIONAL_ADMIN = "national_admin", _("Quản trị toàn quốc")
    AUDITOR = "auditor", _("Kiểm toán viên")


POST_OFFICE_ROLES = {Role.COUNTER_CLERK, Role.POSTMAN, Role.POST_OFFICE_MANAGER}
AGENCY_ROLES = {Role.ONE_STOP_OFFICER, Role.AGENCY_PROCESSOR, Role.SECONDED_STAFF}
PROVINCE_ROLES = {Role.PROVINCIAL_ADMIN, Role.CALL_CENTRE}


class User(AbstractUser):
    """Người dùng — a member of staff of the post, an agency or a province."""

    role = models.CharField(_("vai trò"), max_length=30, choices=Role.choices)
    post_office = models.ForeignKey(
        "network.PostOffice", on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("bưu cục"),
    )
    agency = models.ForeignKey(
        "network.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("cơ quan"),
    )
    province = models.ForeignKey(
        "geo.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("tỉnh/thành phố"),
        help_text=_("Derived from the post office or agency; set directly for provincial roles."),
    )
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)

    scope_paths = {"province": "province", "post_office": "post_office", "agency": "agency"}

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def clean(self):
        super().clean()
        errors = {}
        if self.role in POST_OFFICE_ROLES and not self.post_office_id:
            errors["post_office"] = _("Vai trò này cần một bưu cục. / This role needs a post office.")
        if self.role in AGENCY_ROLES and not self.agency_id:
            errors["agency"] = _("Vai trò này cần một cơ quan. / This role needs an agency.")
        if self.role in PROVINCE_ROLES and not self.province_id:
            errors["province"] = _("Vai trò này cần một tỉnh. / This role needs a province.")
        if self.role not in POST_OFFICE_ROLES and self.role != Role.SECONDED_STAFF and self.post_office_id:
            errors["post_office"] = _("Vai trò này không gắn với bưu cục. / This role is not bound to a post office.")
        if self.role not in AGENCY_ROLES and self.agency_id:
            errors["agency"] = _("Vai trò này không gắn với cơ quan. / This role is not bound to an agency.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # The province always follows the unit, so scope checks need one column.
        if self.agency_id:
            self.province_id = self.agency.province_id
        elif self.post_office_id:
            self.province_id = self.post_office.province_id
        super().save(*args, **kwargs)

    @property
    def is_national(self) -> bool:
        return self.is_superuser or self.role == Role.NATIONAL_ADMIN or (
            self.role == Role.AUDITOR and not self.province_id
        )
