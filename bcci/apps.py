from django.apps import AppConfig


class BcciConfig(AppConfig):
    name = "bcci"
    verbose_name = "bcci"
