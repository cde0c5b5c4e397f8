"""Licence pages' forms; the services check the values (portal.forms puts their errors on the fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import ServiceForm


class ShareForm(ServiceForm):
    purpose = forms.CharField(label=_("Purpose"), required=False)
    valid_days = forms.CharField(label=_("Valid for (days, 1–30)"), required=False, initial="7")


class VerifyCodeForm(ServiceForm):
    code = forms.CharField(label=_("Code shown under the QR, or a share code"), required=False)
