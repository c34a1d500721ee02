from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    name = "custody"
    verbose_name = _("Chuỗi bàn giao: bảng kê, sự kiện, sự cố")
