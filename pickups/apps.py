from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PickupsConfig(AppConfig):
    name = "pickups"
    verbose_name = _("Thu gom hồ sơ tại nhà")
