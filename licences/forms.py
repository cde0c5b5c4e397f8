"""Licence pages' forms; the services check the values (portal.forms puts their errors on the fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import ServiceForm


class ShareForm(ServiceForm):
    purpose = forms.CharField(label=_("Purpose"), required=False)
    valid_days = forms.CharField(label=_("Valid for (days, 1–30)"), required=False, initial="7")


class VerifyCodeForm(ServiceForm):
    code = forms.CharField(
        label=_("Code shown under the QR, or a share code"),
        error_messages={"required": _("Enter the code shown under the holder's QR code, or a share code.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    purpose = forms.CharField(
        label=_("Purpose of the check (optional)"),
        required=False,
        max_length=100,
        help_text=_("Recorded in the holder's log. Kept for your next checks, scanned QR codes included."),
    )
