"""The service network: post offices, commune post points and the agencies
(with their one-stop desks) that dossiers travel between."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PostOffice(models.Model):
    """Bưu cục / Bưu điện văn hóa xã (BĐVHX) — a place where the post receives dossiers."""

    class Kind(models.TextChoices):
        POST_OFFICE = "post_office", _("Bưu cục")
        COMMUNE_POINT = "commune_point", _("Điểm Bưu điện văn hóa xã")

    code = models.CharField(_("mã bưu cục"), max_length=20, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices, default=Kind.POST_OFFICE)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="post_offices")
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="post_offices"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("bưu cục quản lý"),
    )
    street = models.CharField(_("địa chỉ (số nhà, đường)"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    opening_hours = models.CharField(_("giờ mở cửa"), max_length=255, blank=True)
    latitude = models.DecimalField(_("vĩ độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    accepts_dossiers = models.BooleanField(_("tiếp nhận hồ sơ TTHC"), default=True)
    served_communes = models.ManyToManyField(
        "geo.Commune", blank=True, related_name="serving_post_offices", verbose_name=_("xã/phường phục vụ"),
    )
    carries_to = models.ManyToManyField(
        "network.OneStopDesk", blank=True, related_name="carriers", verbose_name=_("chuyển hồ sơ đến"),
    )
    active = models.BooleanField(_("đang hoạt động"), default=True)

    scope_paths = {"province": "province", "post_office": "pk"}

    class Meta:
        ordering = ["province__code", "code"]
        verbose_name = _("bưu cục")
        verbose_name_plural = _("bưu cục")

    def __str__(self):
        return f"{self.code} — {self.name}"


class Agency(models.Model):
    """Cơ quan có thẩm quyền giải quyết TTHC and its one-stop desk (Bộ phận Một cửa)."""

    class Level(models.TextChoices):
        PROVINCIAL_DEPARTMENT = "provincial_department", _("Sở, ban, ngành cấp tỉnh")
        PROVINCIAL_CENTRE = "provincial_centre", _("Trung tâm Phục vụ hành chính công tỉnh")
        COMMUNE_COMMITTEE = "commune_committee", _("UBND cấp xã")
        COMMUNE_CENTRE = "commune_centre", _("Trung tâm Phục vụ hành chính công cấp xã")
        MINISTRY_BRANCH = "ministry_branch", _("Cơ quan ngành dọc của Bộ")

    identifier = models.CharField(_("mã định danh"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    level = models.CharField(_("cấp"), max_length=30, choices=Level.choices)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="agencies")
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="agencies"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("cơ quan cấp trên"),
    )
    street = models.CharField(_("địa chỉ (số nhà, đường)"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    active = models.BooleanField(_("đang hoạt động"), default=True)

    scope_paths = {"province": "province", "agency": "pk"}

    class Meta:
        ordering = ["province__code", "identifier"]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self):
        return f"{self.identifier} — {self.name}"


class OneStopDesk(models.Model):
    """Bộ phận Một cửa / Trung tâm Phục vụ hành chính công — where dossiers are handed in.

    Mode 1: the desk is at a post office (the post office is the desk).
    Mode 2: postal staff are seconded into the desk (Decision 468/QĐ-TTg, 2021)."""

    class Level(models.TextChoices):
        PROVINCIAL = "provincial", _("Cấp tỉnh")
        COMMUNE = "commune", _("Cấp xã")

    class Mode(models.TextChoices):
        STANDARD = "standard", _("Bộ phận Một cửa của cơ quan")
        AT_POST_OFFICE = "mode1", _("Mô hình 1: tiếp nhận, trả kết quả tại bưu cục")
        SECONDED = "mode2", _("Mô hình 2: nhân viên bưu điện làm việc tại Bộ phận Một cửa")

    code = models.CharField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="desks", verbose_name=_("cơ quan"))
    level = models.CharField(_("cấp"), max_length=20, choices=Level.choices)
    mode = models.CharField(_("mô hình"), max_length=20, choices=Mode.choices, default=Mode.STANDARD)
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, related_name="desks")
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="desks")
    post_office = models.ForeignKey(PostOffice, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="hosted_desks", verbose_name=_("bưu cục (mô hình 1)"))
    street = models.CharField(_("địa chỉ (số nhà, đường)"), max_length=255, blank=True)
    opening_hours = models.CharField(_("giờ làm việc"), max_length=255, blank=True)
    active = models.BooleanField(_("đang hoạt động"), default=True)

    scope_paths = {"province": "province", "agency": "agency"}

    class Meta:
        ordering = ["province__code", "code"]
        verbose_name = _("Bộ phận Một cửa")
        verbose_name_plural = _("Bộ phận Một cửa")

    def __str__(self):
        return f"{self.code} — {self.name}"
