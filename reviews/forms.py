"""Applications' and the review console's forms; the services check the values (portal.forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import ServiceForm


class ApplyForm(ServiceForm):
    validity_start = forms.CharField(label=_("Validity start date printed on your licence"), required=False)
    selfie = forms.FileField(label=_("Live selfie"), required=False)


class PhotoForm(ServiceForm):
    action = forms.CharField(required=False)  # "cancel", or a photo upload
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"), required=False)


class DecisionForm(ServiceForm):
    decision = forms.CharField(required=False)
    reason = forms.CharField(label=_("Reason (for a rejection)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class QueueFilterForm(forms.Form):
    problem = forms.CharField(required=False)
    older = forms.IntegerField(label=_("Waiting at least (hours)"), required=False, min_value=0)
