from django import forms
from django.utils.translation import gettext_lazy as _

from workdays.calendar import UNIT_DAYS, UNIT_HALF_DAYS, UNIT_HOURS

MAX_AMOUNT = 1000

UNIT_CHOICES = [
    (UNIT_DAYS, _("ngày làm việc")),
    (UNIT_HALF_DAYS, _("buổi làm việc")),
    (UNIT_HOURS, _("giờ làm việc")),
]


class DeadlineForm(forms.Form):
    """The deadline calculator of the calendar page."""

    start = forms.DateTimeField(
        label=_("Thời điểm tiếp nhận"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": _("Cần nhập thời điểm tiếp nhận. / The receipt time is required."),
            "invalid": _("Thời điểm không hợp lệ. / Invalid date and time."),
        },
    )
    amount = forms.IntegerField(
        label=_("Thời hạn"), min_value=0, max_value=MAX_AMOUNT,
        error_messages={
            "required": _("Cần nhập thời hạn. / The time limit is required."),
            "invalid": _("Thời hạn phải là số nguyên. / The time limit must be a whole number."),
            "min_value": _("Thời hạn không được âm. / The time limit cannot be negative."),
            "max_value": _("Thời hạn tối đa là %(limit_value)s. / The time limit is at most %(limit_value)s."),
        },
    )
    unit = forms.ChoiceField(
        label=_("Đơn vị"), choices=UNIT_CHOICES, initial=UNIT_DAYS,
        error_messages={
            "required": _("Cần chọn đơn vị. / The unit is required."),
            "invalid_choice": _("Đơn vị không hợp lệ. / Invalid unit."),
        },
    )
