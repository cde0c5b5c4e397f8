from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "licences"
    verbose_name = _("Licences")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the app's Celery tasks in every process, so that services can enqueue them by name.
        import_module("licences.tasks")
        from licences.selectors import portrait_of_number
        from portal.accounts.selectors import REFERENCE_PHOTO_FALLBACKS

        # Without an identity-register photo, the licence portrait on record is the face reference.
        if portrait_of_number not in REFERENCE_PHOTO_FALLBACKS:
            REFERENCE_PHOTO_FALLBACKS.append(portrait_of_number)
