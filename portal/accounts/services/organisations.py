"""Organisations (A3): registration by a member, the authority's decision, staff edits, and
driving schools' pre-registration of students (A4)."""

import csv
import io

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts import selectors
from portal.accounts.audit import audit_record
from portal.accounts.messaging import message_send
from portal.accounts.models import (
    AccountKind,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    RegisteredVia,
    Role,
    User,
)
from portal.accounts.permissions import require_role
from portal.accounts.services.registration import account_preregister
from portal.accounts.validators import clean_name, clean_phone, clean_uscc
from portal.errors import DomainError, NotFoundError

STUDENT_IMPORT_MAX_ROWS = 2000
STUDENTS_CSV_MAX_BYTES = 2 * 1024 * 1024


def _organisation_exists() -> DomainError:
    return DomainError(
        "organisation_exists", _("An organisation with this credit code is already registered."), status=409
    )


def organisation_particulars_clean(*, name: str, uscc: str, kind: str, contact_name: str) -> dict:
    """An organisation's registered particulars, checked and normalised; DomainError on the first problem."""
    if kind not in OrganisationKind.values:
        raise DomainError("invalid_kind", _("Choose the kind of organisation."))
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 128:
        raise DomainError("invalid_name", _("Enter the organisation's registered name."))
    return {"name": name, "uscc": clean_uscc(uscc), "kind": kind, "contact_name": clean_name(contact_name)}


def organisation_create(
    *, user: User, name: str, uscc: str, kind: str, contact_name: str, contact_phone: str, ip: str
) -> Organisation:
    if user.kind != AccountKind.PERSONAL:
        raise DomainError("not_a_personal_account", _("Only a personal account can register an organisation."))
    if user.organisation_id:
        raise DomainError("already_member", _("Your account already belongs to an organisation."), status=409)
    particulars = organisation_particulars_clean(name=name, uscc=uscc, kind=kind, contact_name=contact_name)
    contact_phone = clean_phone(contact_phone)
    if Organisation.objects.filter(uscc=particulars["uscc"]).exists():
        raise _organisation_exists()
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(**particulars, contact_phone=contact_phone, created_by=user)
            if not User.objects.filter(pk=user.pk, organisation__isnull=True).update(organisation=organisation):
                raise DomainError("already_member", _("Your account already belongs to an organisation."), status=409)
            audit_record(
                actor=user,
                action="organisation.created",
                obj=organisation,
                data={"uscc": organisation.uscc, "kind": kind},
                ip=ip,
            )
    except IntegrityError:
        raise _organisation_exists() from None
    user.organisation = organisation
    return organisation


def organisation_decide(*, staff: User, organisation_id, approve: bool, ip: str | None = None) -> Organisation:
    """Staff approve (or reject) a pending organisation. Approving an approved one changes nothing."""
    require_role(staff, Role.COUNTER_CLERK)
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFoundError("not_found", _("Not found."))
    target = OrganisationStatus.APPROVED if approve else OrganisationStatus.REJECTED
    if organisation.status == target:
        return organisation
    with transaction.atomic():
        claimed = Organisation.objects.filter(pk=organisation.pk, status=OrganisationStatus.PENDING).update(
            status=target, decided_by=staff, decided_at=timezone.now()
        )
        if claimed != 1:
            raise DomainError("organisation_not_pending", _("This organisation has already been decided."), status=409)
        organisation.refresh_from_db()
        audit_record(actor=staff, action=f"organisation.{target}", obj=organisation, ip=ip)
        message_send(
            recipient=organisation.contact_phone,
            text=(
                _("[E-licence] %(name)s was approved: its members can now verify e-licences.")
                if approve
                else _("[E-licence] %(name)s was not approved. Please contact the service counter.")
            )
            % {"name": organisation.name},
        )
    return organisation


def organisation_update(*, staff: User, organisation: Organisation, changed: list[str], ip: str | None = None) -> None:
    """A staff edit of an organisation's particulars (the staff console's change form)."""
    require_role(staff, Role.COUNTER_CLERK)
    particulars = organisation_particulars_clean(
        name=organisation.name, uscc=organisation.uscc, kind=organisation.kind, contact_name=organisation.contact_name
    )
    kind_before = Organisation.objects.filter(pk=organisation.pk).values_list("kind", flat=True).first()
    for field, value in particulars.items():
        setattr(organisation, field, value)
    # The kind decides what members see of a licence (L4): a new kind is approved anew.
    reapproval = kind_before is not None and kind_before != organisation.kind
    if reapproval:
        organisation.status, organisation.decided_by, organisation.decided_at = OrganisationStatus.PENDING, None, None
    try:
        with transaction.atomic():
            organisation.save()
            data = {"changed": changed, "kind": [kind_before, organisation.kind] if reapproval else None}
            audit_record(actor=staff, action="organisation.updated", obj=organisation, data=data, ip=ip)
    except IntegrityError:
        raise _organisation_exists() from None


def students_parse_csv(data: bytes) -> list[dict]:
    """Columns id_number,name,phone (or 身份证号,姓名,手机号); UTF-8 (with or without BOM) or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError("invalid_csv", _("The file is not a UTF-8 or GB18030 text file."))
    aliases = {"身份证号": "id_number", "姓名": "name", "手机号": "phone", "手机号码": "phone"}
    reader = csv.DictReader(io.StringIO(text))
    columns = {aliases.get((c or "").strip(), (c or "").strip()) for c in reader.fieldnames or []}
    missing = {"id_number", "name", "phone"} - columns
    if missing:
        raise DomainError(
            "invalid_csv",
            _("The CSV file needs the columns id_number, name and phone (missing: %(cols)s).")
            % {"cols": ", ".join(sorted(missing))},
        )
    rows = []
    for raw in reader:
        rows.append({aliases.get((k or "").strip(), (k or "").strip()): (v or "").strip() for k, v in raw.items() if k})
        if len(rows) > STUDENT_IMPORT_MAX_ROWS:
            raise _too_many_rows()
    return rows


def _too_many_rows() -> DomainError:
    return DomainError("too_many_rows", _("At most %(n)s students per file.") % {"n": STUDENT_IMPORT_MAX_ROWS})


def students_import(*, actor: User, organisation_id, rows: list[dict], ip: str) -> list[dict]:
    """A4: pre-register students. Each row stands alone: broken rows are reported, the rest imported."""
    organisation = selectors.driving_school_of_member(actor=actor, organisation_id=organisation_id)
    if len(rows) > STUDENT_IMPORT_MAX_ROWS:
        raise _too_many_rows()
    results = []
    for number, row in enumerate(rows, start=1):
        row = row if isinstance(row, dict) else {}
        try:
            registered = account_preregister(
                id_number=str(row.get("id_number", "")),
                name=str(row.get("name", "")),
                phone=str(row.get("phone", "")),
                via=RegisteredVia.DRIVING_SCHOOL,
                organisation=organisation,
                actor=actor,
                ip=ip,
            )
        except DomainError as exc:
            status = "already_registered" if exc.code == "already_registered" else "error"
            results.append({"row": number, "status": status, "code": exc.code, "detail": str(exc.detail)})
            continue
        user = registered.user
        results.append(
            {
                "row": number,
                "status": "created",
                "id": user.pk,
                "name": user.name,
                "id_number_masked": user.id_number_masked,
                "activation_code": registered.activation_code,
            }
        )
    created = sum(1 for r in results if r["status"] == "created")
    audit_record(
        actor=actor,
        action="organisation.students_imported",
        obj=organisation,
        data={"rows": len(rows), "created": created},
        ip=ip,
    )
    return results
