from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The shared layer: rate-limit counters and the building blocks every app uses."""

    name = "portal"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"
