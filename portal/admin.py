"""Building blocks of every app's staff console: read-only record admins, find-by-full-number, change
lists that stay fast on tables of hundreds of millions of rows."""

import datetime
import uuid
from contextlib import contextmanager

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views import main
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, OperationalError, connections, router, transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from psycopg.errors import QueryCanceled


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


class LargeTablePaginator(Paginator):
    """A change list's count that stays cheap on a table that grows with the population (licences,
    accounts, applications, verifications, the audit log).

    Django's admin counts every row of the list for each page it shows: on a hundred million rows,
    seconds of PostgreSQL's time per page, and a deep page (`?p=500000`) reads every row before it.
    Here, once PostgreSQL's planner estimates the table (pg_class.reltuples, kept by ANALYZE) at
    `large_from` rows or more, the whole list shows that estimate ("about N"), a list narrowed by a
    filter or a search is counted up to `count_limit` rows ("more than N" past it), and pages reach
    `count_limit` rows at most: older rows are found by narrowing the list (a date range, a search).
    Smaller tables, a table not yet analysed, and SQLite are counted exactly, as Django does."""

    large_from = 100_000
    count_limit = 10_000

    # None when the count is exact; "about" (the planner's estimate) or "more than" (stopped at count_limit).
    approximate: str | None = None
    shown_count: int | None = None

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        estimate = _table_estimate(queryset.model, queryset.db)
        if estimate is None or estimate < self.large_from:
            return super().count
        if not queryset.query.where:  # the whole table
            self.approximate, self.shown_count = "about", estimate
            return min(estimate, self.count_limit)
        counted = queryset.order_by()[: self.count_limit + 1].count()
        if counted > self.count_limit:
            self.approximate, self.shown_count = "more than", self.count_limit
            return self.count_limit
        return counted

    def count_text(self) -> str:
        """'verification log: about 1,234,567', 'verification log: more than 10,000': how the templates
        give an approximate count."""
        things = self.object_list.model._meta.verbose_name_plural
        values = {"count": number_format(self.shown_count, force_grouping=True), "things": things}
        if self.approximate == "about":
            return _("%(things)s: about %(count)s") % values
        return _("%(things)s: more than %(count)s") % values


def _table_estimate(model, alias: str) -> int | None:
    """PostgreSQL's estimate of the table's rows (no scan), or None: another database, or never analysed."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class DateRangeFilter(admin.DateFieldListFilter):
    """Django's date links (today, the past 7 days, this month, this year) and a from–to pair of dates,
    days in the portal's time zone. Each is one range on the column (`>=` the first day's start, `<` the
    start of the day after the last), which the column's index answers on a table of any size.

    Used instead of Django's date hierarchy on the large lists: that asks for every distinct year, then
    month, then day, of the whole list (a scan of the table on each page) and filters months and days
    by extracting them from every row of the year."""

    template = "admin/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.from_param, self.to_param = f"{field_path}__from", f"{field_path}__to"
        super().__init__(field, request, params, model, model_admin, field_path)
        # The two days are not lookups of the column: they become the range in queryset().
        self.day_from = _one(self.used_parameters.pop(self.from_param, None))
        self.day_to = _one(self.used_parameters.pop(self.to_param, None))
        self.form: dict = {}

    def expected_parameters(self):
        return [*super().expected_parameters(), self.from_param, self.to_param]

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        try:
            start, end = _day_start(self.day_from), _day_start(self.day_to, days_after=1)
        except (ValueError, OverflowError):  # not a date, or the day after 9999-12-31
            raise IncorrectLookupParameters(_("Enter a valid date.")) from None
        if start is not None:
            queryset = queryset.filter(**{self.lookup_kwarg_since: start})
        if end is not None:
            queryset = queryset.filter(**{self.lookup_kwarg_until: end})
        return queryset

    def choices(self, changelist):
        # The links (each clears the other date parameters, the two days included), then what the
        # template's from–to form needs: every other parameter of the list as hidden inputs, kept.
        yield from super().choices(changelist)
        dropped = (main.PAGE_VAR, main.ERROR_FLAG)
        self.form = {
            "from_name": self.from_param,
            "to_name": self.to_param,
            "from_value": self.day_from or "",
            "to_value": self.day_to or "",
            "hidden": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if not name.startswith(self.field_generic) and name not in dropped
                for value in values
            ],
        }


def _one(value):
    return value[-1] if isinstance(value, list) else value


def _day_start(text: str | None, *, days_after: int = 0):
    """The start of the day `text` (YYYY-MM-DD), plus `days_after` days, in the portal's time zone."""
    if not text:
        return None
    day = datetime.date.fromisoformat(text) + datetime.timedelta(days=days_after)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class LargeListMixin:
    """Change lists of tables that grow with the population: counts by LargeTablePaginator, no second
    count of the whole table beside a narrowed list, no facet counts (each a count over the table), and
    on PostgreSQL a time limit on the list's queries."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # Fields that a search for a whole UUID (any case, with or without hyphens) matches exactly, through
    # their indexes, instead of the substring search of `search_fields`, a scan of the table: a check's
    # receipt id, an audit entry's object id. What else the term would match as a substring is text that
    # holds no UUIDs (names, purposes, actions).
    search_ids: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        if self.search_ids:
            try:
                wanted = uuid.UUID(search_term.strip())
            except ValueError:
                pass
            else:
                match = Q()
                for field in self.search_ids:
                    match |= Q(**{field: wanted})
                return queryset.filter(match), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request, extra_context=None):
        """On PostgreSQL a list's queries (GET: showing it, not an action on chosen rows) run under
        statement_timeout of ADMIN_LIST_TIMEOUT seconds, for this page only. A search for a fragment of
        a name over a hundred million rows is a scan of minutes: past the limit the database cancels it
        (rather than keep working on the primary after the page was abandoned), and staff are sent back
        to the plain list (to the console's home page if that was the plain list) and asked to narrow it
        first. The plain list itself is quick: its
        count is an estimate, and its first page comes from an index on its order."""
        connection = connections[router.db_for_read(self.model)]
        if connection.vendor != "postgresql" or request.method != "GET":
            return super().changelist_view(request, extra_context)
        try:
            # In a transaction (or a savepoint of the request's): a cancelled statement is rolled back
            # with it, and the connection stays usable for the RESET and the next page.
            with statement_timeout(connection, settings.ADMIN_LIST_TIMEOUT), transaction.atomic(using=connection.alias):
                response = super().changelist_view(request, extra_context)
                if hasattr(response, "render"):
                    response.render()  # the list's queries run while the template renders
        except OperationalError as exc:
            if not isinstance(exc.__cause__, QueryCanceled):
                raise
            self.message_user(
                request,
                _(
                    "This list took too long to load and was stopped. Narrow it first: choose the days, "
                    "a filter, or a more exact search."
                ),
                messages.WARNING,
            )
            return redirect(request.path if request.GET else reverse("admin:index", current_app=self.admin_site.name))
        return response


@contextmanager
def statement_timeout(connection, seconds: float):
    """PostgreSQL cancels each statement of the block that runs longer than `seconds` (QueryCanceled);
    the connection's own setting is back afterwards (RESET), whatever happened."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(max(int(seconds * 1000), 1))])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
        except DatabaseError:
            connection.close()  # a connection that cannot reset is not handed to the next request


class ReadOnlyAdmin(LargeListMixin, admin.ModelAdmin):
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
