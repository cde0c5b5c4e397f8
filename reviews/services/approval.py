"""Auto-approval (R3): one pass over the due applications, exactly once with any number of workers.

Set-based: a batch of due applications is claimed with one statement, re-checked with a few set
queries, and approved with bulk inserts (e-licences, timeline, audit, SMS outbox) and one guarded
UPDATE, in one transaction per batch. A row that no longer qualifies is rejected alone; a batch that
fails is handed back whole for the next pass.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from licences.models import ELicence, ELicenceState, Licence, LicenceStatus
from licences.services import ISSUED_MESSAGE, elicence_issue, licence_set_portrait
from portal import metrics
from portal.accounts.audit import audit_record, audit_values
from portal.accounts.models import AuditEntry, OutboundMessage
from portal.crypto import decrypt, encrypt
from portal.queue import enqueue_on_commit
from reviews.models import Application, ApplicationStatus, Photo, PhotoStatus, TimelineEntry
from reviews.services.timeline import due_at_from, timeline_record, timeline_sms_text

log = logging.getLogger(__name__)
USABLE_PHOTO = [PhotoStatus.PASSED, PhotoStatus.APPROVED]


class BatchConflict(Exception):
    """Some claimed rows were no longer this worker's when the batch was written: roll it back."""


def _blocker(application: Application, *, has_active: bool, has_photo: bool) -> str | None:
    """Why a due application may no longer be approved (a reason code), or None."""
    licence = application.licence
    if licence is None or licence.number_hash != application.applicant.id_number_hash:
        return "no_licence_record"
    if licence.version != application.licence_version or licence.valid_from != application.validity_start:
        return "licence_changed"
    if licence.status != LicenceStatus.NORMAL or licence.is_overdue:
        return "licence_not_eligible"
    if not application.face_verified:
        return "face_verification_failed"
    if has_active:
        return "elicence_already_active"
    if not licence.has_portrait and not has_photo:
        return "photo_required"
    return None


def _approval_blocker(application: Application) -> str | None:
    licence = Licence.objects.filter(pk=application.licence_id).first()
    application.licence = licence
    return _blocker(
        application,
        has_active=bool(licence) and licence.elicences.filter(state=ELicenceState.VALID).exists(),
        has_photo=application.photos.filter(status__in=USABLE_PHOTO).exists(),
    )


def _stale_claim() -> timedelta:
    """A claim older than this was left by a worker that died (SIGKILL, lost host): the next pass
    releases it. Safe however short: a slow worker whose claim was released writes nothing (the
    claim's time is its token, checked by every write)."""
    return timedelta(seconds=settings.APPROVAL_CLAIM_TIMEOUT)


def _application_approve_claimed(application_id, claim: datetime) -> str:
    """One claimed application, on its own (a portrait to copy from its photo): approve or reject it."""
    application = Application.objects.select_related("applicant", "licence").get(pk=application_id)
    mine = Application.objects.filter(pk=application.pk, status=ApplicationStatus.APPROVING, claimed_at=claim)
    with transaction.atomic():
        reason = _approval_blocker(application)
        now = timezone.now()
        if reason:
            if not mine.update(status=ApplicationStatus.REJECTED, reason=reason, decided_at=now):
                raise BatchConflict("the claim was taken back")
            timeline_record(application, ApplicationStatus.REJECTED, "rejected", reason=reason)
            audit_record(actor=None, action="application.rejected", obj=application, data={"reason": reason})
            return "rejected"
        photo = application.photos.filter(status__in=USABLE_PHOTO).first()
        if photo is not None and not application.licence.has_portrait:
            with photo.image.open("rb") as fh:
                licence_set_portrait(actor="auto-approval", number=application.licence.number, portrait=fh.read())
        elicence = elicence_issue(licence=application.licence, holder=application.applicant, actor="auto-approval")
        if not mine.update(status=ApplicationStatus.APPROVED, decided_at=now, elicence=elicence):
            raise BatchConflict("the claim was taken back")
        timeline_record(application, ApplicationStatus.APPROVED, "ready", notify=False)
        audit_record(actor=None, action="application.approved", obj=application, data={"elicence": str(elicence.pk)})
    return "approved"


# --- claiming -----------------------------------------------------------------------------------------
def _claim_batch(as_of: datetime, size: int, skip: set) -> tuple[list, datetime]:
    """Claim up to `size` due applications with one statement (submitted → approving); their ids and
    the claim's time, which every later write of this batch checks (its token).

    PostgreSQL: the inner SELECT locks with SKIP LOCKED, so concurrent passes take different rows.
    SQLite serialises writers; the outer `status = submitted` keeps the claim conditional anyway."""
    due = (
        Application.objects.filter(status=ApplicationStatus.SUBMITTED, due_at__lte=as_of, calendar_unknown=False)
        .exclude(pk__in=skip)
        .order_by("due_at")
        .values("pk")[:size]
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    table = connection.ops.quote_name(Application._meta.db_table)
    claim = timezone.now()
    claimed_at = Application._meta.get_field("claimed_at").get_db_prep_value(claim, connection)
    # Only the quoted table name and the ORM-compiled subquery are formatted in; values are parameters.
    sql = f"UPDATE {table} SET status = %s, claimed_at = %s WHERE status = %s AND id IN ({{inner_sql}}) RETURNING id"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:  # FOR UPDATE compiles only inside one
        inner_sql, inner_params = due.query.sql_with_params()
        cursor.execute(
            sql.format(inner_sql=inner_sql),
            [ApplicationStatus.APPROVING, claimed_at, ApplicationStatus.SUBMITTED, *inner_params],
        )
        rows = cursor.fetchall()
    pk = Application._meta.pk
    return [pk.to_python(row[0]) for row in rows], claim


PLAIN_FIELDS = (
    models.UUIDField,
    models.CharField,
    models.BooleanField,
    models.PositiveIntegerField,
    models.IntegerField,
    models.DateTimeField,
    models.ForeignKey,
    models.GenericIPAddressField,
)


def _insert(model, rows: list[dict], *, stored: tuple = ()) -> None:
    """Insert many rows, each given as {attname: value}; a field not given takes its default. The
    `stored` fields (encrypted ones) are given as they are stored, copied or encrypted once for many
    rows: nothing is decrypted or encrypted again on the way.

    PostgreSQL: `COPY … FROM STDIN` straight from the values, with no model instance and no insert
    compiler; no primary keys are read back. Elsewhere: `bulk_create` of instances."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**{name: decrypt(v) if name in stored and v else v for name, v in row.items()}) for row in rows]
        )
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField | models.BigAutoField)]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # Values of the plain field types (exactly those: ids, text, numbers, times) go as they are; any
    # other field (encrypted text, JSON, a subclass) prepares its value as `save()` would.
    plan = [
        (field.attname, field.get_default, type(field) in PLAIN_FIELDS or field.attname in stored, field)
        for field in fields
    ]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for name, default, ready, field in plan:
                value = row[name] if name in row else default()
                values.append(value if ready else field.get_db_prep_save(value, connection))
            copy.write_row(values)


def _hand_back(ids, claim: datetime) -> None:
    Application.objects.filter(pk__in=ids, status=ApplicationStatus.APPROVING, claimed_at=claim).update(
        status=ApplicationStatus.SUBMITTED
    )


# --- one batch ------------------------------------------------------------------------------------------
def _message(application, text: str) -> dict:
    """An SMS row to the applicant: the phone number and `text` as stored (encrypted)."""
    return {
        "id": uuid.uuid4(),
        "recipient": application.phone_stored,
        "user_id": application.applicant_id,
        "text": text,
    }


def _application_audit(application, action: str, data: dict, at: datetime) -> dict:
    """The audit row of the pass's decision on one application (the pass acts, not a person)."""
    return audit_values(
        actor=None,
        action=action,
        object_type=Application._meta.label_lower,
        object_id=str(application.pk),
        data=data,
        at=at,
    )


def _approve_batch(ids: list, claim: datetime) -> tuple[dict, list]:
    """Approve or reject a claimed batch in one transaction. Returns the counts, and the ids that need
    the one-by-one path (a portrait to copy from the photo's file)."""
    mine = Application.objects.filter(pk__in=ids, status=ApplicationStatus.APPROVING, claimed_at=claim)
    applications = list(
        mine.select_related("applicant", "licence")
        .only(  # what the re-check and the writes read: no encrypted ID or licence number is decrypted
            "licence_version",
            "validity_start",
            "face_verified",
            "applicant__id",
            "applicant__id_number_hash",
            "licence__id",
            "licence__number_hash",
            "licence__version",
            "licence__valid_from",
            "licence__valid_until",
            "licence__status",
            "licence__portrait",
        )
        # The phone number as stored (encrypted): the messages get a copy, nothing is decrypted.
        .annotate(phone_stored=Cast("applicant__phone", models.TextField()))
    )
    if len(applications) != len(ids):
        raise BatchConflict(f"{len(ids) - len(applications)} claimed rows were taken back")
    licence_ids = {a.licence_id for a in applications if a.licence_id}
    active = set(
        ELicence.objects.filter(licence_id__in=licence_ids, state=ELicenceState.VALID).values_list(
            "licence_id", flat=True
        )
    )
    bare = [a.pk for a in applications if a.licence is not None and not a.licence.has_portrait]
    with_photo = (
        set(
            Photo.objects.filter(application_id__in=bare, status__in=USABLE_PHOTO).values_list(
                "application_id", flat=True
            )
        )
        if bare
        else set()
    )
    approve, rejected, one_by_one, taken = [], defaultdict(list), [], set()
    for application in applications:
        reason = _blocker(
            application,
            has_active=application.licence_id in active or application.licence_id in taken,
            has_photo=application.pk in with_photo,
        )
        if reason:
            rejected[reason].append(application)
        elif not application.licence.has_portrait:
            one_by_one.append(application.pk)
        else:
            approve.append(application)
            taken.add(application.licence_id)

    now = timezone.now()
    with transaction.atomic():
        elicences = [
            {
                "id": uuid.uuid4(),
                "licence_id": a.licence_id,
                "holder_id": a.applicant_id,
                "licence_version": a.licence.version,
                "issued_at": now,
            }
            for a in approve
        ]
        _insert(ELicence, elicences)
        if approve:
            updated = mine.filter(pk__in=[a.pk for a in approve]).update(
                status=ApplicationStatus.APPROVED,
                decided_at=now,
                # The licence's one valid e-licence, just inserted (a unique constraint keeps it one).
                elicence=Subquery(
                    ELicence.objects.filter(licence_id=OuterRef("licence_id"), state=ELicenceState.VALID).values("pk")[
                        :1
                    ]
                ),
            )
            if updated != len(approve):
                raise BatchConflict(f"{len(approve) - updated} claimed rows were taken back")
        timeline = [
            {"application_id": a.pk, "status": ApplicationStatus.APPROVED, "note_key": "ready", "at": now}
            for a in approve
        ]
        elicence_type = ELicence._meta.label_lower
        audit = [
            entry
            for a, e in zip(approve, elicences, strict=True)
            for entry in (
                audit_values(
                    actor="auto-approval",
                    action="elicence.issued",
                    object_type=elicence_type,
                    object_id=str(e["id"]),
                    data={"version": e["licence_version"]},
                    at=now,
                ),
                _application_audit(a, "application.approved", {"elicence": str(e["id"])}, now),
            )
        ]
        # The phone number is copied as stored (encrypted) from the applicant's row to the message's; the
        # same words for everyone are encrypted once (they hold nothing personal).
        with translation.override(settings.LANGUAGE_CODE):  # SMS in the portal's language
            issued_text = encrypt(_(ISSUED_MESSAGE))
        messages = [_message(a, issued_text) for a in approve if a.phone_stored]
        for reason, group in rejected.items():
            updated = mine.filter(pk__in=[a.pk for a in group]).update(
                status=ApplicationStatus.REJECTED, reason=reason, decided_at=now
            )
            if updated != len(group):
                raise BatchConflict(f"{len(group) - updated} claimed rows were taken back")
            for a in group:
                entry = {
                    "application_id": a.pk,
                    "status": ApplicationStatus.REJECTED,
                    "note_key": "rejected",
                    "note_args": {"reason": reason},
                    "at": now,
                }
                timeline.append(entry)
                if a.phone_stored:
                    messages.append(_message(a, encrypt(timeline_sms_text(TimelineEntry(**entry)))))
                audit.append(_application_audit(a, "application.rejected", {"reason": reason}, now))
        _insert(TimelineEntry, timeline)
        _insert(AuditEntry, audit)
        _insert(OutboundMessage, messages, stored=("recipient", "text"))
        if messages:
            enqueue_on_commit("portal.accounts.tasks.deliver_messages", [str(m["id"]) for m in messages])
    counts = {"approved": len(approve), "rejected": sum(len(group) for group in rejected.values())}
    return counts, one_by_one


def applications_approve_due(*, as_of: datetime | None = None, batch_size: int | None = None) -> dict:
    """One auto-approval pass (the beat task and `approve_due` both call this).

    Exactly once with any number of workers: each batch is claimed by one conditional UPDATE
    (submitted → approving); rows another worker claimed are not returned to this one. A claim left
    behind by a crashed worker is released after APPROVAL_CLAIM_TIMEOUT seconds.
    """
    as_of = as_of or timezone.now()
    batch_size = batch_size or settings.APPROVAL_BATCH_SIZE
    counts = {"approved": 0, "rejected": 0, "claimed_elsewhere": 0, "released": 0, "failed": 0, "batches": 0}
    counts["rescheduled"] = applications_reschedule_unknown()
    counts["released"] = Application.objects.filter(
        status=ApplicationStatus.APPROVING, claimed_at__lt=timezone.now() - _stale_claim()
    ).update(status=ApplicationStatus.SUBMITTED)
    failed: set = set()
    while (claimed := _claim_batch(as_of, batch_size, failed))[0]:
        ids, claim = claimed
        counts["batches"] += 1
        try:
            done, one_by_one = _approve_batch(ids, claim)
        except Exception:
            # Never lose an application: hand the batch back for the next pass and say so in the log.
            log.exception("auto-approval batch of %d failed; handed back", len(ids))
            _hand_back(ids, claim)
            failed.update(ids)
            counts["failed"] += len(ids)
            continue
        counts["approved"] += done["approved"]
        counts["rejected"] += done["rejected"]
        for application_id in one_by_one:
            try:
                counts[_application_approve_claimed(application_id, claim)] += 1
            except Exception:
                log.exception("auto-approval failed for application %s", application_id)
                _hand_back([application_id], claim)
                failed.add(application_id)
                counts["failed"] += 1
    metrics.APPROVALS.labels("approved").inc(counts["approved"])
    metrics.APPROVALS.labels("rejected").inc(counts["rejected"])
    metrics.APPROVALS.labels("handed_back").inc(counts["failed"])
    return counts


def applications_reschedule_unknown() -> int:
    """Give a due time to applications flagged for an unknown calendar year, once staff entered it."""
    rescheduled = 0
    for application in Application.objects.filter(status=ApplicationStatus.SUBMITTED, calendar_unknown=True):
        photo = application.photos.filter(status__in=USABLE_PHOTO).first()
        due_at, unknown = due_at_from(photo.uploaded_at if photo else application.submitted_at)
        if not unknown:
            rescheduled += Application.objects.filter(pk=application.pk, calendar_unknown=True).update(
                due_at=due_at, calendar_unknown=False
            )
            timeline_record(application, ApplicationStatus.SUBMITTED, "calendar_known", at=due_at.isoformat())
    return rescheduled
