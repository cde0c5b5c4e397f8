from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import OrganisationKind


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=64)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    phone_code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("ID number or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class FaceForm(forms.Form):
    selfie = forms.FileField(
        label=_("Selfie"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": "image/jpeg,image/png",
                "capture": "user",
                "data-precheck": "too_dark,no_face",
                "data-precheck-output": "precheck",
            }
        ),
    )


class PasswordResetForm(forms.Form):
    username = forms.CharField(label=_("ID number or mobile number"), max_length=150)


class PasswordResetConfirmForm(forms.Form):
    username = forms.CharField(label=_("ID number or mobile number"), max_length=150)
    code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class ActivateForm(forms.Form):
    id_number = forms.CharField(label=_("Resident ID number"), max_length=18)
    activation_code = forms.CharField(
        label=_("Activation code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=128)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=18)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    contact_name = forms.CharField(label=_("Contact name"), max_length=64)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class StudentsCsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file (id_number, name, phone)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )


class CounterRegistrationForm(forms.Form):
    id_number = forms.CharField(label=_("Resident ID number"), max_length=18)
    name = forms.CharField(label=_("Real name"), max_length=64)
    phone = forms.CharField(label=_("Mobile number"), max_length=20)
