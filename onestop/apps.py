from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnestopConfig(AppConfig):
    name = "onestop"
    verbose_name = _("Bộ phận Một cửa: tiếp nhận, giải quyết, trả kết quả")
