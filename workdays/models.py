"""Working-day calendar data (the engine is workdays/calendar.py).

The calendar is **national**: public holidays come from the ``holidays`` package
(country VN) and the government's yearly day moves are ``CalendarOverride`` rows,
one per date, that apply to the whole country. A province-specific calendar
(e.g. a provincial day off) is not needed now; adding one later means a nullable
``province`` column on ``CalendarOverride``, a unique (date, province) pair and a
calendar per province in ``workdays.calendar.get_calendar``.

Overrides are national reference data, so they have no ``scope_paths``: every
authenticated user may read them, and only national administrators
(``can_act(user, "manage_units")``) may change them, through
``workdays.services``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Ngày nghỉ thêm")
    WORKING_DAY = "working_day", _("Ngày làm việc bù")


class CalendarOverride(models.Model):
    """Ngày điều chỉnh — an extra day off or a make-up working day decided by the government."""

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=20, choices=OverrideKind.choices)
    reason = models.CharField(
        _("lý do / căn cứ"), max_length=255,
        help_text=_("Lý do và căn cứ pháp lý, ví dụ số văn bản. / Reason and legal basis, e.g. the document number."),
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("ngày điều chỉnh")
        verbose_name_plural = _("ngày điều chỉnh")

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"


class HolidaySource(models.TextChoices):
    HOLIDAYS = "holidays", _("Lịch nhà nước (gói holidays)")
    OVERRIDE = "override", _("Ngày điều chỉnh")


class PublicHoliday(models.Model):
    """Ngày lễ và ngày hoán đổi — the special days of a year, materialised by the
    ``refresh_calendar`` task so that administrators can see, before New Year, that
    next year's Tết is known. Read-only: the calendar engine itself reads the
    ``holidays`` package and the overrides directly, never this table."""

    date = models.DateField(_("ngày"), unique=True)
    name = models.CharField(_("tên"), max_length=255)
    name_en = models.CharField(_("tên (tiếng Anh)"), max_length=255, blank=True)
    kind = models.CharField(_("loại"), max_length=20, choices=OverrideKind.choices, default=OverrideKind.DAY_OFF)
    source = models.CharField(_("nguồn"), max_length=20, choices=HolidaySource.choices)

    class Meta:
        ordering = ["date"]
        verbose_name = _("ngày lễ")
        verbose_name_plural = _("ngày lễ và ngày hoán đổi")

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class CalendarState(models.Model):
    """Trạng thái lịch — one row (pk=1): the version every process compares with its
    cached calendar, and what the last ``refresh_calendar`` run found."""

    version = models.PositiveBigIntegerField(_("phiên bản"), default=0)
    changed_at = models.DateTimeField(_("thay đổi lúc"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("làm mới lúc"), null=True, blank=True)
    known_years = models.JSONField(_("các năm đã biết"), default=list, blank=True)
    warnings = models.JSONField(_("cảnh báo"), default=list, blank=True)

    class Meta:
        verbose_name = _("trạng thái lịch")
        verbose_name_plural = _("trạng thái lịch")

    def __str__(self):
        return f"v{self.version}"

    @classmethod
    def current_version(cls) -> int:
        return cls.objects.filter(pk=1).values_list("version", flat=True).first() or 0
