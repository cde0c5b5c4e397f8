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

    def ready(self):
        super().ready()
        from django.contrib.admin.templatetags import admin_list

        admin_list._boolean_icon = _boolean_icon  # helpers and utils look it up here when they render


def _boolean_icon(value):
    """Django's yes/no icon, with its text in the reader's language (Django writes "True"/"False")."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    name, text = {True: ("yes", _("Yes")), False: ("no", _("No")), None: ("unknown", _("Unknown"))}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), text)
