"""Account pages' forms. Errors from the services land next to their field (portal.forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts import validators
from portal.accounts.models import OrganisationKind
from portal.errors import DomainError
from portal.forms import ServiceForm


class AccountForm(ServiceForm):
    field_of_code = {
        "invalid_id_number": "id_number",
        "invalid_name": "name",
        "invalid_phone": "phone",
        "phone_taken": "phone",
        "code_invalid": "phone_code",
        "code_locked": "phone_code",
        "weak_password": "password",
        "invalid_uscc": "uscc",
        "organisation_exists": "uscc",
        "activation_code_invalid": "activation_code",
    }


class RegisterForm(AccountForm):
    name = forms.CharField(label=_("Real name"), max_length=64)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=24,  # the length rule and the check digit: validators.clean_id_number, in its words
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false", "maxlength": "18"}
        ),
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

    # Checked before a code is sent too: no SMS for an ID number with a wrong check digit.
    def clean_name(self):
        return _checked(validators.clean_name, self.cleaned_data["name"])

    def clean_id_number(self):
        return _checked(validators.clean_id_number, self.cleaned_data["id_number"])

    def clean_phone(self):
        return _checked(validators.clean_phone, self.cleaned_data["phone"])


def _checked(clean, value):
    try:
        return clean(value)
    except DomainError as exc:
        raise forms.ValidationError(str(exc.detail), code=exc.code) from None


class LoginForm(AccountForm):
    username = forms.CharField(
        label=_("ID number or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class FaceForm(AccountForm):
    default_field = "selfie"

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


class PasswordResetForm(AccountForm):
    username = forms.CharField(label=_("ID number or mobile number"), max_length=150)


class PasswordResetConfirmForm(AccountForm):
    field_of_argument = {"phone_code": "code", "password": "new_password"}

    username = forms.CharField(label=_("ID number or mobile number"), max_length=150)
    code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, remembered: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if remembered:  # typed on the previous step: the view carries it from the session
            del self.fields["username"]


class ActivateForm(AccountForm):
    field_of_argument = {"phone_code": "activation_code"}

    id_number = forms.CharField(label=_("Resident ID number"), max_length=18)
    activation_code = forms.CharField(
        label=_("Activation code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class OrganisationForm(AccountForm):
    field_of_argument = {"phone": "contact_phone", "name": "contact_name"}

    name = forms.CharField(label=_("Organisation name"), max_length=128)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=18)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    contact_name = forms.CharField(label=_("Contact name"), max_length=64)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class StudentsCsvForm(AccountForm):
    file = forms.FileField(
        label=_("CSV file (id_number, name, phone)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )


class CounterRegistrationForm(AccountForm):
    id_number = forms.CharField(label=_("Resident ID number"), max_length=18)
    name = forms.CharField(label=_("Real name"), max_length=64)
    phone = forms.CharField(label=_("Mobile number"), max_length=20)


class SecondFactorForm(AccountForm):
    default_field = "otp_token"

    otp_token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
