"""Account services (A1–A7): the only place where account state changes.

Pages, API views, admin actions and commands all call these. Each service checks its inputs,
writes its audit entry and raises `DomainError` with a stable `code` on bad input. Rate-limit
hits and code attempts are counted outside the atomic block on purpose, so that a failed
attempt is still counted.
"""

from portal.accounts.services.codes import one_time_codes_purge, phone_code_request
from portal.accounts.services.identity import identity_photo_set
from portal.accounts.services.login import (
    api_token_issue,
    password_reset_confirm,
    password_reset_request,
    user_authenticate,
)
from portal.accounts.services.organisations import (
    STUDENT_IMPORT_MAX_ROWS,
    STUDENTS_CSV_MAX_BYTES,
    organisation_create,
    organisation_decide,
    organisation_particulars_clean,
    organisation_update,
    students_import,
    students_parse_csv,
)
from portal.accounts.services.registration import (
    Preregistration,
    account_activate,
    account_preregister,
    account_register,
    counter_registration_create,
    face_verification_submit,
    face_verify,
)
from portal.accounts.services.schedules import (
    periodic_task_save,
    periodic_tasks_run_now,
    periodic_tasks_set_enabled,
)
from portal.accounts.services.second_factor import second_factor_check, second_factor_device
from portal.accounts.services.staff import account_roles_set, account_save_by_staff

__all__ = [
    "STUDENTS_CSV_MAX_BYTES",
    "STUDENT_IMPORT_MAX_ROWS",
    "Preregistration",
    "account_activate",
    "account_preregister",
    "account_register",
    "account_roles_set",
    "account_save_by_staff",
    "api_token_issue",
    "counter_registration_create",
    "face_verification_submit",
    "face_verify",
    "identity_photo_set",
    "one_time_codes_purge",
    "organisation_create",
    "organisation_decide",
    "organisation_particulars_clean",
    "organisation_update",
    "password_reset_confirm",
    "password_reset_request",
    "periodic_task_save",
    "periodic_tasks_run_now",
    "periodic_tasks_set_enabled",
    "phone_code_request",
    "second_factor_check",
    "second_factor_device",
    "students_import",
    "students_parse_csv",
    "user_authenticate",
]
