"""Staff console: users, organisations, audit log. Actions call the same services as the API."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from portal.accounts import forms, selectors, services
from portal.accounts.models import AuditEntry, Organisation, OutboundMessage, Role, User
from portal.accounts.permissions import holds_role
from portal.admin import (
    DateRangeFilter,
    FindByNumberMixin,
    LabelledSplitDateTime,
    LargeListMixin,
    ReadOnlyAdmin,
    structured_html,
)
from portal.dates import local_time
from portal.errors import DomainError
from portal.forms import ServiceModelForm
from portal.masking import mask_phone
from portal.ratelimit import client_ip


def role_label(group) -> str:
    """A staff group by its role's name in the reader's language (groups are named by role value)."""
    return str(Role(group.name).label) if group.name in Role.values else group.name


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(FindByNumberMixin, LargeListMixin, BaseUserAdmin):
    find_title = _("Find person")
    find_missing = _("No account has this ID or mobile number.")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = role_label
            field.label = _("roles")
        return field

    list_display = [
        "shown_name",
        "id_number_masked",
        "phone_masked",
        "kind",
        "real_name_status",
        "registered_via",
        "organisation",
        "is_active",
        "date_joined",
    ]
    list_filter = ["kind", "real_name_status", "registered_via", "is_active", "is_staff", RoleFilter]
    search_fields = ["name", "username", "organisation__name"]
    search_help_text = _("Name, username or organisation. To find a person by ID or mobile number, use “Find person”.")
    ordering = ["-date_joined"]
    readonly_fields = [
        "id_number_masked",
        "phone_masked",
        "real_name_status",
        "registered_via",
        "phone_verified_at",
        "face_verified_at",
        "in_person_verified_at",
        "registered_by_organisation",
        "last_login",
        "date_joined",
        "roles_shown",
    ]
    fieldsets = [
        (None, {"fields": ["username"]}),  # passwords: set by their owners only
        (
            _("Person"),
            {
                "fields": [
                    "kind",
                    "name",
                    "id_number_masked",
                    "phone_masked",
                    "real_name_status",
                    "registered_via",
                    "phone_verified_at",
                    "face_verified_at",
                    "in_person_verified_at",
                    "organisation",
                    "registered_by_organisation",
                ]
            },
        ),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        """Shown, not edited (a staff member without the right to change this account): the roles by
        their names, not the groups' stored ones."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        swap = {"groups": "roles_shown"}
        return [(name, {**opts, "fields": [swap.get(f, f) for f in opts["fields"]]}) for name, opts in fieldsets]

    @admin.display(description=_("roles"))
    def roles_shown(self, obj):
        return _(", ").join(role_label(group) for group in obj.groups.all()) or "—"

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, obj):
        return obj.display_name

    @admin.display(description=_("mobile number"))
    def phone_masked(self, obj):
        return obj.phone_masked

    def get_urls(self):
        extra = [
            path(
                "counter-registration/",
                self.admin_site.admin_view(self.counter_registration_view),
                name="accounts_user_counter_registration",
            ),
        ]
        return extra + self.find_urls() + super().get_urls()

    def counter_registration_view(self, request):
        """A2: the clerk registers a person in front of them and hands over the activation code."""
        if not holds_role(request.user, Role.COUNTER_CLERK):
            raise PermissionDenied
        form = forms.CounterRegistrationForm(request.POST or None)
        result = None
        if form.submit(request, services.counter_registration_create, clerk=request.user, ip=client_ip(request)):
            result, form = form.result, forms.CounterRegistrationForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Counter registration"),
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/counter_registration.html", context)

    def find_object(self, number: str):
        return selectors.user_by_personal_number(number)

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted: the audit log and verifications name them

    def user_change_password(self, request, id, form_url=""):
        # Passwords are set by their owners (activation code, SMS reset); machine accounts: manage.py changepassword.
        raise PermissionDenied

    def save_model(self, request, obj, form, change):
        services.account_save_by_staff(staff=request.user, user=obj, changed=form.changed_data, ip=client_ip(request))

    def save_related(self, request, form, formsets, change):
        if "groups" in form.cleaned_data:
            services.account_roles_set(
                staff=request.user, user=form.instance, groups=form.cleaned_data["groups"], ip=client_ip(request)
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if holds_role(request.user, Role.COUNTER_CLERK):
            extra_context["counter_registration_url"] = reverse("admin:accounts_user_counter_registration")
        return super().changelist_view(request, extra_context)


class OrganisationAdminForm(ServiceModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "uscc", "kind", "contact_name"]

    def service_check(self, cleaned: dict) -> dict:
        return services.organisation_particulars_clean(
            name=cleaned.get("name", ""),
            uscc=cleaned.get("uscc", ""),
            kind=cleaned.get("kind", ""),
            contact_name=cleaned.get("contact_name", ""),
        )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "uscc", "kind", "status", "contact_name", "created_at", "decided_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "uscc", "contact_name"]
    readonly_fields = ["status", "created_by", "created_at", "decided_by", "decided_at", "contact_phone_masked"]
    exclude = ["contact_phone"]
    actions = ["approve", "reject"]

    @admin.display(description=_("contact phone"))
    def contact_phone_masked(self, obj):
        return obj.contact_phone_masked

    def has_add_permission(self, request):
        return False  # organisations register themselves (A3); staff approve them

    def has_delete_permission(self, request, obj=None):
        return False  # members, verifications and the audit log refer to it

    def save_model(self, request, obj, form, change):
        services.organisation_update(
            staff=request.user, organisation=obj, changed=form.changed_data, ip=client_ip(request)
        )

    def _decide(self, request, queryset, approve: bool):
        done = 0
        for organisation in queryset:
            try:
                services.organisation_decide(
                    staff=request.user, organisation_id=organisation.pk, approve=approve, ip=client_ip(request)
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{organisation.name}: {exc.detail}", messages.WARNING)
        if done:
            self.message_user(request, _("%(n)d organisation(s) updated.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Approve selected organisations"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject selected organisations"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log: actions and objects are named by their technical names (in code type)."""

    list_display = ["at", "actor_shown", "action_shown", "object_type_shown", "object_id", "ip"]
    search_fields = ["actor_label", "action", "object_id"]
    search_ids = ("object_id",)
    search_help_text = _("Actor, action or object id.")
    list_filter = [("at", DateRangeFilter)]
    fields = readonly_fields = [
        "at",
        "actor",
        "actor_shown",
        "action_shown",
        "object_type_shown",
        "object_id",
        "data_shown",
        "ip",
    ]

    @admin.display(description=_("actor"), ordering="actor_label")
    def actor_shown(self, obj):
        return format_html('<code translate="no">{}</code>', obj.actor_label) if obj.actor_label else "—"

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, obj):
        return format_html('<code translate="no">{}</code>', obj.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_type_shown(self, obj):
        return format_html('<code translate="no">{}</code>', obj.object_type) if obj.object_type else "—"

    @admin.display(description=_("data"))
    def data_shown(self, obj):
        return structured_html(obj.data)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "recipient_masked", "status", "sent_at"]
    list_filter = ["channel", "status"]
    fields = ["created_at", "channel", "recipient_masked", "status", "sending_since", "sent_at", "error"]

    @admin.display(description=_("recipient"))
    def recipient_masked(self, obj):
        return mask_phone(obj.recipient)


admin.site.unregister(PeriodicTask)


class PeriodicTaskNameFilter(admin.SimpleListFilter):
    """django-celery-beat's task filter, with a title in the reader's language (its own is English)."""

    title = _("task")
    parameter_name = "task"

    def lookups(self, request, model_admin):
        return [
            (name, name) for name in PeriodicTask.objects.order_by("task").values_list("task", flat=True).distinct()
        ]

    def queryset(self, request, queryset):
        return queryset.filter(task=self.value()) if self.value() else queryset


@admin.register(PeriodicTask)
class AuditedPeriodicTaskAdmin(PeriodicTaskAdmin):
    """django-celery-beat's schedules, changed by supervisors through audited services."""

    actions = ["enable_tasks", "disable_tasks", "run_tasks"]
    formfield_overrides = {models.DateTimeField: {"widget": LabelledSplitDateTime}}
    # django-celery-beat's headings and help texts, in the portal's catalogue (its own Chinese one lacks
    # them, and some of its help texts are built by joining strings, which no catalogue can translate).
    list_display = ["name", "enabled", "schedule_shown", "start_time", "last_run_at", "one_off"]
    list_filter = ["enabled", "one_off", PeriodicTaskNameFilter]
    fieldsets = [
        (None, {"fields": ["name", "regtask", "task", "enabled", "description"]}),
        (
            _("Schedule"),
            {"fields": ["interval", "crontab", "solar", "clocked", "start_time", "last_run_shown"]},
        ),
        (_("Arguments"), {"fields": ["args", "kwargs"], "classes": ["collapse"]}),
        (
            _("Execution options"),
            {"fields": ["one_off", "expires", "expire_seconds", "queue", "priority"], "classes": ["collapse"]},
        ),
    ]
    help_texts = {
        "name": _("A short name for the schedule."),
        "interval": _("Run at this interval; or choose a crontab, a solar event or a clock time instead."),
        "crontab": _("Run at these crontab times."),
        "solar": _("Run at this solar event."),
        "clocked": _("Run once at this time."),
        "start_time": _("Do not run before this time (Beijing time)."),
        "last_run_at": _("When the schedule last ran the task."),
        "args": _("Positional arguments of the task, as a JSON list."),
        "kwargs": _("Named arguments of the task, as a JSON object."),
        "expires": _("Do not run after this time."),
        "expire_seconds": _("Skip a run that could not start within this many seconds."),
        "queue": _("The Celery queue to send the task to (empty: the default queue)."),
        "priority": _("0 to 255; empty for the default."),
        "one_off": _("Run once, then switch the schedule off."),
    }

    readonly_fields = ["last_run_shown"]

    @admin.display(description=_("schedule"))
    def schedule_shown(self, obj):
        return crontab_text(obj.crontab) if obj.crontab else obj.scheduler

    @admin.display(description=_("last run"))
    def last_run_shown(self, obj):
        return local_time(obj.last_run_at) or "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name, field in form.base_fields.items():
            field.help_text = self.help_texts.get(name, "")
        if "crontab" in form.base_fields:
            form.base_fields["crontab"].label_from_instance = crontab_text
        return form

    def save_model(self, request, obj, form, change):
        services.periodic_task_save(supervisor=request.user, task=obj, changed=form.changed_data, ip=client_ip(request))

    def has_delete_permission(self, request, obj=None):
        return False  # switch a schedule off instead: the audit log keeps what ran when

    def _set_enabled(self, request, queryset, enabled: bool):
        count = services.periodic_tasks_set_enabled(
            supervisor=request.user, tasks=queryset, enabled=enabled, ip=client_ip(request)
        )
        self.message_user(request, _("%(n)d schedule(s) updated.") % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Enable selected tasks"), permissions=["change"])
    def enable_tasks(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description=_("Disable selected tasks"), permissions=["change"])
    def disable_tasks(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description=_("Run selected tasks now"), permissions=["change"])
    def run_tasks(self, request, queryset):
        try:
            count = services.periodic_tasks_run_now(supervisor=request.user, tasks=queryset, ip=client_ip(request))
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
        else:
            self.message_user(request, _("%(n)d task(s) sent to the workers.") % {"n": count}, messages.SUCCESS)


def crontab_text(crontab) -> str:
    """A crontab as staff read it: its five fields named in their language, and its time zone."""
    fields = f"{crontab.minute} {crontab.hour} {crontab.day_of_month} {crontab.month_of_year} {crontab.day_of_week}"
    zone = _("Beijing time") if str(crontab.timezone) == settings.TIME_ZONE else str(crontab.timezone)
    legend = _("minute hour day month weekday")
    return f"{fields} ({legend}, {zone})"
