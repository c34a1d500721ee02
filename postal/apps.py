from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostalConfig(AppConfig):
    name = "postal"
    verbose_name = _("Bưu chính: số hiệu bưu gửi, cước, biên lai")
