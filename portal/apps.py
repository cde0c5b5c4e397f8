from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The shared layer: rate-limit counters and the building blocks every app uses."""

    default = True  # of the configs in this module, the one for "portal" itself
    name = "portal"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"


class PortalAdminConfig(admin_apps.AdminConfig):
    """The staff console on the portal's admin site: the portal's log-in, and a second factor."""

    default = False
    default_site = "portal.admin.PortalAdminSite"
