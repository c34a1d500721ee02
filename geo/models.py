"""Administrative units of the two-tier local government (from 01/07/2025).

Codes are those of Decision 19/2025/QĐ-TTg: 2 digits for a province, 5 for a
commune. Units are loaded from the ``vietnam-provinces`` package by
``manage.py load_units``; a unit that disappears from the list is marked
retired, never deleted, because dossiers and addresses refer to it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.text import fold


class Province(models.Model):
    """Tỉnh / thành phố trực thuộc trung ương — one of the 34 provinces."""

    code = models.CharField(_("mã"), max_length=2, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    division_type = models.CharField(_("loại"), max_length=40, blank=True)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    retired = models.BooleanField(_("đã giải thể"), default=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    # Scope: a province is itself the province of the scope rules.
    scope_paths = {"province": "pk"}

    class Meta:
        ordering = ["code"]
        verbose_name = _("tỉnh/thành phố")
        verbose_name_plural = _("tỉnh/thành phố")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)


class Commune(models.Model):
    """Xã / phường / đặc khu — one of the 3,321 commune-level units."""

    code = models.CharField(_("mã"), max_length=5, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    division_type = models.CharField(_("loại"), max_length=40, blank=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    postal_code = models.CharField(_("mã bưu chính"), max_length=5, blank=True)
    retired = models.BooleanField(_("đã giải thể"), default=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    scope_paths = {"province": "province"}

    class Meta:
        ordering = ["province__code", "code"]
        verbose_name = _("xã/phường/đặc khu")
        verbose_name_plural = _("xã/phường/đặc khu")

    def __str__(self):
        return f"{self.name}, {self.province.name}"

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)
