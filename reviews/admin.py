from django.contrib import admin

from portal.admin import ReadOnlyAdmin
from portal.ratelimit import client_ip
from reviews import services
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
    readonly_fields = ["at", "status", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "licence", "status", "due_at", "calendar_unknown", "decided_at", "reason"]
    list_filter = ["status", "calendar_unknown"]
    search_fields = ["licence__name", "licence__number_masked"]
    inlines = [TimelineInline]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["uploaded_at", "application", "status", "reason"]
    list_filter = ["status"]
    exclude = ["image"]
