from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin, structured_html
from portal.ratelimit import client_ip
from reviews import presenters, services
from reviews.models import Application, Photo, TimelineEntry, WorkingDayOverride


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(admin.ModelAdmin):
    """Supervisors correct the calendar and enter years the holidays library does not know yet (R2)."""

    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        services.working_day_override_save(supervisor=request.user, override=obj, ip=client_ip(request))

    def delete_model(self, request, obj):
        services.working_day_override_delete(supervisor=request.user, override=obj, ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for override in queryset:
            self.delete_model(request, override)


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "status", "note_shown"]

    @admin.display(description=_("note"))
    def note_shown(self, obj):
        return obj.note_text

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "licence", "status", "due_at", "calendar_unknown", "decided_at", "reason_shown"]
    list_filter = ["status", "calendar_unknown"]
    search_fields = ["licence__name", "licence__number_masked"]
    search_ids = ("pk",)  # the id in the applicant's own address of their application
    search_help_text = _("Name or masked number (110105********1234); or an application's id.")
    inlines = [TimelineInline]
    exclude = ["reason", "face_metrics"]
    readonly_fields = ["reason_shown", "face_metrics_shown"]

    @admin.display(description=_("reason"))
    def reason_shown(self, obj):
        return presenters.reason_label(obj.reason) if obj.reason else "—"

    @admin.display(description=_("face check measurements"))
    def face_metrics_shown(self, obj):
        return structured_html(obj.face_metrics)


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["uploaded_at", "application", "status", "reason_shown"]
    list_filter = ["status"]
    exclude = ["image", "problems", "metrics", "source_metadata", "reason"]
    readonly_fields = ["problems_shown", "reason_shown", "metrics_shown", "source_metadata_shown"]

    @admin.display(description=_("problems"))
    def problems_shown(self, obj):
        return (
            format_html_join(
                "",
                "<p><strong>{}</strong> {}</p>",
                ((presenters.problem_label(p["code"]), "; ".join(presenters.measurements(p))) for p in obj.problems),
            )
            or "—"
        )

    @admin.display(description=_("reason"))
    def reason_shown(self, obj):
        return presenters.reason_label(obj.reason) if obj.reason and obj.reason != "replaced" else "—"

    @admin.display(description=_("measurements"))
    def metrics_shown(self, obj):
        return structured_html(obj.metrics)

    @admin.display(description=_("metadata of the upload"))
    def source_metadata_shown(self, obj):
        return structured_html(obj.source_metadata)
