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
