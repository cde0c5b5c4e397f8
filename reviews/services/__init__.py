"""Application services (R1–R7): the only place where applications and their photos change state.

The page, the API, the staff console, `approve_due` and the Celery tasks all call these.
"""

from reviews.services.applications import application_cancel, application_submit
from reviews.services.approval import applications_approve_due, applications_reschedule_unknown
from reviews.services.photos import (
    MAX_REJECTED_PHOTOS,
    REJECT_REASONS,
    application_photo_decide,
    photo_check_run,
    photo_upload,
    photos_purge_rejected,
    photos_recheck_waiting,
)
from reviews.services.working_days import working_day_override_delete, working_day_override_save

__all__ = [
    "MAX_REJECTED_PHOTOS",
    "REJECT_REASONS",
    "application_cancel",
    "application_photo_decide",
    "application_submit",
    "applications_approve_due",
    "applications_reschedule_unknown",
    "photo_check_run",
    "photo_upload",
    "photos_purge_rejected",
    "photos_recheck_waiting",
    "working_day_override_delete",
    "working_day_override_save",
]
