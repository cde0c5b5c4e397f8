"""Staff console for the register: edits go through the same service as import and the authority API."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from licences import presenters, selectors, services
from licences.models import ELicence, Licence, Share, Verification
from portal.accounts import selectors as account_selectors
from portal.accounts.validators import normalise_id_number
from portal.admin import DateRangeFilter, FindByNumberMixin, LargeListMixin, ReadOnlyAdmin
from portal.errors import DomainError
from portal.forms import ServiceModelForm
from portal.ratelimit import client_ip

EDITABLE = [
    "name",
    "sex",
    "nationality",
    "birth_date",
    "address",
    "first_issued_on",
    "classes",
    "valid_from",
    "valid_until",
    "issuing_authority",
    "status",
    "points",
]


class LicenceAdminForm(ServiceModelForm):
    """Checked by the register's own rules (`licence_clean`), so a refused edit shows on the form."""

    classes = forms.CharField(label=_("vehicle classes"), help_text=_("Separated by spaces, e.g. C1 D"))

    class Meta:
        model = Licence
        fields = EDITABLE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["classes"] = " ".join(self.instance.classes or [])

    def clean_classes(self) -> list[str]:
        return self.cleaned_data["classes"].upper().replace(",", " ").split()

    def service_check(self, cleaned: dict) -> None:
        services.licence_clean({**cleaned, "file_number": self.instance.file_number})


@admin.register(Licence)
class LicenceAdmin(FindByNumberMixin, LargeListMixin, admin.ModelAdmin):
    form = LicenceAdminForm
    find_title = _("Find licence")
    find_missing = _("No licence has this number.")
    list_display = [
        "name",
        "number_masked",
        "classes_text",
        "status",
        "points",
        "valid_until",
        "issuing_authority",
        "version",
    ]
    list_filter = ["status", "issuing_authority"]
    search_fields = ["name", "number_masked", "issuing_authority"]
    search_help_text = _(
        "Name, masked number (110105********1234) or issuing authority. "
        "To find a licence by its full number, use “Find licence”."
    )
    fields = ["number_masked", "file_number_masked", *EDITABLE, "has_portrait", "version", "updated_at"]
    readonly_fields = ["number_masked", "file_number_masked", "has_portrait", "version", "updated_at"]
    actions = ["issue_elicence"]

    @admin.display(description=_("vehicle classes"))
    def classes_text(self, obj):
        return " ".join(obj.classes or [])

    @admin.display(description=_("file number"))
    def file_number_masked(self, obj):
        return obj.file_number_masked

    @admin.display(description=_("portrait"), boolean=True)
    def has_portrait(self, obj):
        return obj.has_portrait

    def has_add_permission(self, request):
        return False  # records come from import_licences and the authority API

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service, so a change of classes, validity or issuer invalidates the e-licence."""
        data = {field: form.cleaned_data[field] for field in EDITABLE}
        data["file_number"] = obj.file_number
        services.licence_upsert(actor=request.user, number=obj.number, data=data, ip=client_ip(request))

    def get_urls(self):
        return [*self.find_urls(), *super().get_urls()]

    def find_object(self, number: str):
        return selectors.licence_by_number(normalise_id_number(number))

    @admin.action(description=_("Issue the e-licence to its holder (testing)"), permissions=["change"])
    def issue_elicence(self, request, queryset):
        for licence in queryset:
            holder = account_selectors.user_by_id_number(licence.number)
            if holder is None or not holder.is_active:
                missing = _("no active account has this ID number")
                self.message_user(request, f"{licence}: {missing}", messages.WARNING)
                continue
            try:
                services.elicence_issue(licence=licence, holder=holder, actor=request.user, ip=client_ip(request))
                issued = _("e-licence issued")
                self.message_user(request, f"{licence}: {issued}", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{licence}: {exc.detail}", messages.WARNING)


@admin.register(ELicence)
class ELicenceAdmin(ReadOnlyAdmin):
    list_display = ["licence", "state", "invalid_reason", "licence_version", "issued_at", "invalidated_at"]
    list_filter = ["state", "invalid_reason", "licence__issuing_authority"]
    search_fields = ["licence__name", "licence__number_masked"]
    search_ids = ("pk",)
    search_help_text = _("Name or masked number (110105********1234); or an e-licence's id.")


class VerificationResultFilter(admin.SimpleListFilter):
    title = _("result")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in presenters.RESULT_LABELS.items() if code != "not_found"]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == "valid":
            return queryset.filter(valid=True)
        if value == "bad_token":
            return queryset.filter(reason__in=["bad_token", "not_found"])
        return queryset.filter(reason=value)


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "organisation", "method", "purpose", "result", "paper_required"]
    list_select_related = ["organisation"]  # one query for the page, not one per row with an organisation
    list_filter = [("checked_at", DateRangeFilter), VerificationResultFilter, "method", "organisation__kind"]
    search_fields = ["organisation__name", "purpose"]
    search_ids = ("pk", "elicence")
    search_help_text = _("Organisation or purpose; or the receipt id of a check, or an e-licence's id.")
    exclude = ["reason"]
    readonly_fields = ["result"]

    @admin.display(description=_("result"))
    def result(self, obj):
        return presenters.result_label(obj.reason if not obj.valid else "valid")


@admin.register(Share)
class ShareAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "purpose", "expires_at", "revoked_at"]
    search_fields = ["purpose", "code"]
