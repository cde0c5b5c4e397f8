"""Building blocks of every app's staff console: read-only record admins, find-by-full-number."""

from django import forms
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PortalAdminSite(admin.AdminSite):
    """The staff console. Its own log-in page is not used: everyone logs in through the portal's
    (rate limits, audit, the staff session length), and staff pass a second factor before any
    console page opens."""

    site_header = site_title = _("E-licence staff console")
    index_title = _("Staff console")

    def has_permission(self, request) -> bool:
        verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and bool(verified and verified())

    def login(self, request, extra_context=None):
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated and request.user.is_staff:
            return redirect_to_login(target, login_url=reverse("accounts:second_factor"))
        return redirect_to_login(target, login_url=reverse("accounts:login"))


class LabelledSplitDateTime(admin.widgets.AdminSplitDateTime):
    """Django's date + time inputs, each with an accessible name (the admin template gives them none)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = _("Date")
        self.widgets[1].attrs["aria-label"] = _("Time")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (audit, verifications, applications): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FindByNumberForm(forms.Form):
    number = forms.CharField(label=_("Full ID number or mobile number"), max_length=24)


class FindByNumberMixin:
    """A POST form that finds one record by a full ID or mobile number and opens it.

    POST, so the number never enters a URL, a log or the browser history. Subclasses say how to
    find the record (`find_object`) and what to call the page; the change list links to it as
    `find_url`.
    """

    find_title = _("Find")
    find_missing = _("Nothing has this number.")

    def find_object(self, number: str):
        raise NotImplementedError

    def find_url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_find"

    def find_urls(self) -> list:
        return [path("find/", self.admin_site.admin_view(self.find_view), name=self.find_url_name())]

    def find_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = FindByNumberForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            found = self.find_object(form.cleaned_data["number"].strip())
            if found is not None:
                opts = self.model._meta
                return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[found.pk]))
            form.add_error("number", self.find_missing)
        context = {
            **self.admin_site.each_context(request),
            "title": self.find_title,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/find_by_number.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "find_url": reverse(f"admin:{self.find_url_name()}")}
        return super().changelist_view(request, extra_context)


def structured_html(value):
    """A stored JSON value as staff read it: one `name: value` line per key, lists joined; never a
    Python or JSON literal. A technical record (names and values as stored), so `translate="no"`."""
    if value in (None, "", {}, []):
        return "—"
    if isinstance(value, dict):
        return format_html(
            '<ul class="structured" translate="no">{}</ul>',
            format_html_join("", "<li><code>{}</code>: {}</li>", ((k, _plain(v)) for k, v in value.items())),
        )
    return format_html('<span translate="no">{}</span>', _plain(value))


def _plain(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {_plain(v)}" for k, v in value.items())
    return str(value)


# Texts of Django 5.2's admin templates (and django-celery-beat's) that their Chinese catalogues
# lack: listed here so that `make messages` puts them into the portal's catalogue, read first.
DJANGO_ADMIN_TEXTS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
    gettext_noop("Search"),
    gettext_noop("Task Name"),  # django-celery-beat's
)
