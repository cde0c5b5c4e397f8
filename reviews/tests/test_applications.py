"""R1–R7: apply, working days, auto-approval, photos, staff review, status and notifications."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from prometheus_client import REGISTRY

from conftest import give_identity_photo, make_licence, make_person
from licences.models import ELicence
from licences.services import licence_set_portrait
from portal.accounts import sms
from reviews import calendar
from reviews.models import Application, Photo, TimelineEntry, WorkingDayOverride
from reviews.services import applications_approve_due, photo_check_run
from tests import photoset

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _local_verifier(settings, tmp_path):
    settings.FACE_VERIFIER = "local"
    settings.MEDIA_ROOT = tmp_path


def holder(*, portrait=True, **changes):
    """A person with a licence record; with its portrait, or else with an identity-register photo."""
    person = make_person(name="张三")
    licence = make_licence(person, **changes)
    if portrait:
        licence_set_portrait(actor="test", number=person.id_number, portrait=photoset.good(9).data)
    else:
        give_identity_photo(person)
    return person, licence


def submit(api, person, *, validity_start="2022-05-04", selfie=None):
    api.force_authenticate(person)
    upload = io.BytesIO(selfie or photoset.good(4).data)
    upload.name = "selfie.jpg"
    return api.post("/api/v1/applications", {"validity_start": validity_start, "selfie": upload}, format="multipart")


# --- R2 calendar ----------------------------------------------------------------------------------------
def test_calendar_knows_china_holidays_and_adjusted_workdays():
    assert not calendar.is_working_day(date(2026, 2, 16))  # Spring Festival eve, a Monday
    assert calendar.is_working_day(date(2026, 2, 14))  # a Saturday made a working day (调休)
    assert not calendar.is_working_day(date(2026, 11, 28))  # an ordinary Saturday
    friday = datetime(2026, 11, 27, 15, 30, tzinfo=BEIJING)
    assert calendar.add_working_days(friday, 1) == datetime(2026, 11, 30, 15, 30, tzinfo=BEIJING)  # Monday
    # 2026 National Day: 1–7 October off; Sunday 20 September and Saturday 10 October are worked.
    assert calendar.is_working_day(date(2026, 9, 20)) and calendar.is_working_day(date(2026, 10, 10))
    before_holiday = datetime(2026, 9, 30, 10, 0, tzinfo=BEIJING)
    assert calendar.add_working_days(before_holiday, 1).date() == date(2026, 10, 8)


def test_overrides_win_and_unknown_years_refuse():
    WorkingDayOverride.objects.create(date=date(2026, 11, 30), is_working_day=False, note="storm")
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=BEIJING)
    assert calendar.add_working_days(friday, 1).date() == date(2026, 12, 1)
    with pytest.raises(calendar.CalendarUnknown):
        calendar.is_working_day(date(2031, 3, 3))
    WorkingDayOverride.objects.create(date=date(2031, 1, 1), is_working_day=False, note="New Year")
    assert calendar.is_working_day(date(2031, 3, 3))  # staff took the year in hand: weekdays work


# --- R1 apply ----------------------------------------------------------------------------------------------
def test_apply_with_portrait_waits_one_working_day(api, django_capture_on_commit_callbacks):
    person, _licence = holder()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(api, person)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["due_at"]
    due = datetime.fromisoformat(body["due_at"])
    assert due > timezone.now() and calendar.is_working_day(timezone.localtime(due).date())
    assert body["timeline"][0]["status"] == "submitted"
    assert sms.outbox and sms.outbox[-1]["to"] == person.phone


@pytest.mark.parametrize(
    ("setup", "validity_start", "code"),
    [
        ({}, "2022-05-05", "validity_start_mismatch"),
        ({}, "2099-01-01", "validity_start_mismatch"),
        ({"status": "detained"}, "2022-05-04", "licence_not_eligible"),
        ({"status": "revoked"}, "2022-05-04", "licence_not_eligible"),
    ],
)
def test_apply_refusals(api, setup, validity_start, code):
    person, _licence = holder(**setup)
    response = submit(api, person, validity_start=validity_start)
    assert response.status_code == 400 and response.json()["code"] == code
    assert Application.objects.count() == 0


def test_apply_bad_date_format(api):
    person, _licence = holder()
    response = submit(api, person, validity_start="04/05/2022")
    assert response.status_code == 400 and "validity_start" in response.json()["fields"]


def test_apply_without_record_unverified_or_other_person(api):
    nobody = make_person()
    assert submit(api, nobody).json()["code"] == "no_licence_record"
    unverified = make_person(verified=False)
    make_licence(unverified)
    assert submit(api, unverified).json()["code"] == "real_name_unverified"
    person, _licence = holder()
    other = _other_person_selfie()
    assert submit(api, person, selfie=other).json()["code"] == "face_verification_failed"
    assert Application.objects.count() == 0


def _other_person_selfie() -> bytes:
    import cv2
    import numpy as np
    from PIL import Image
    from skimage import data

    face = cv2.resize((data.lfw_subset()[0] * 255).astype("uint8"), (300, 300), interpolation=cv2.INTER_CUBIC)
    out = io.BytesIO()
    Image.fromarray(np.repeat(face[..., None], 3, axis=2)).save(out, format="JPEG")
    return out.getvalue()


def test_one_open_application_and_none_while_active(api):
    person, _licence = holder()
    assert submit(api, person).status_code == 201
    again = submit(api, person)
    assert again.status_code == 409 and again.json()["code"] == "application_pending"
    applications_approve_due(as_of=timezone.now() + timedelta(days=10))
    assert submit(api, person).json()["code"] == "elicence_already_active"


# --- R3 auto-approval -------------------------------------------------------------------------------------
def test_due_application_is_approved_once_and_issues_the_elicence(api):
    person, _licence = holder()
    application_id = submit(api, person).json()["id"]
    assert applications_approve_due()["approved"] == 0  # not yet due
    later = timezone.now() + timedelta(days=10)
    approved_before = REGISTRY.get_sample_value("elicence_auto_approvals_total", {"outcome": "approved"}) or 0
    assert applications_approve_due(as_of=later)["approved"] == 1
    assert applications_approve_due(as_of=later)["approved"] == 0  # running twice changes nothing
    # /metrics counts it once too.
    assert REGISTRY.get_sample_value("elicence_auto_approvals_total", {"outcome": "approved"}) == approved_before + 1
    application = Application.objects.get(pk=application_id)
    assert application.status == "approved" and application.elicence.is_valid
    assert ELicence.objects.count() == 1
    statuses = [t.status for t in application.timeline.all()]
    assert statuses == ["submitted", "approved"]


def test_approve_due_command_and_beat_task_share_the_service(api, capsys):
    from reviews.tasks import approve_due

    person, _licence = holder()
    submit(api, person)
    call_command("approve_due", "--as-of", (timezone.now() + timedelta(days=10)).isoformat())
    assert '"approved": 1' in capsys.readouterr().out
    assert approve_due.delay().get()["approved"] == 0


def test_recheck_rejects_when_the_record_changed(api):
    person, _licence = holder()
    submit(api, person)
    make_licence(person, status="revoked")
    result = applications_approve_due(as_of=timezone.now() + timedelta(days=10))
    assert result["rejected"] == 1 and Application.objects.get().reason == "licence_not_eligible"


def test_one_changed_licence_is_rejected_alone_and_its_batch_approved(api):
    people = [holder()[0] for _ in range(4)]
    ids = [submit(api, person).json()["id"] for person in people]
    make_licence(people[1], valid_from=date(2023, 1, 1))  # changed after the application (a new validity)
    result = applications_approve_due(as_of=timezone.now() + timedelta(days=10), batch_size=10)
    assert result["batches"] == 1 and result["approved"] == 3 and result["rejected"] == 1, result
    statuses = {str(a.pk): (a.status, a.reason) for a in Application.objects.all()}
    assert statuses[ids[1]] == ("rejected", "licence_changed")
    assert [statuses[i][0] for i in (ids[0], ids[2], ids[3])] == ["approved"] * 3
    rejected = Application.objects.get(pk=ids[1])
    assert [t.note_key for t in rejected.timeline.all()] == ["", "rejected"]  # submitted, then the reason
    assert ELicence.objects.count() == 3


def test_what_a_batch_writes_for_the_approved_and_the_rejected(api):
    """The rows a batch inserts (COPY on PostgreSQL, bulk_create elsewhere, from values, not instances):
    the e-licence, the timeline, the audit entries and the SMS, whose phone number is copied encrypted
    from the applicant's row and decrypts to that number; the words are the portal's."""
    from django.conf import settings
    from django.db import connection
    from django.utils import translation
    from django.utils.translation import gettext

    from licences.services import ISSUED_MESSAGE
    from portal.accounts.models import AuditEntry, OutboundMessage
    from reviews.services.timeline import timeline_sms_text

    people = [holder()[0] for _ in range(2)]
    ids = [submit(api, person).json()["id"] for person in people]
    make_licence(people[1], valid_from=date(2023, 1, 1))  # the second one's licence changed: rejected
    assert applications_approve_due(as_of=timezone.now() + timedelta(days=10))["approved"] == 1
    approved, rejected = Application.objects.get(pk=ids[0]), Application.objects.get(pk=ids[1])
    assert (approved.status, rejected.status, rejected.reason) == ("approved", "rejected", "licence_changed")

    elicence = approved.elicence
    assert elicence.holder == people[0] and elicence.licence_version == approved.licence.version
    assert elicence.is_valid and elicence.invalidated_at is None and elicence.invalid_reason == ""
    assert [(t.status, t.note_key) for t in approved.timeline.all()] == [("submitted", ""), ("approved", "ready")]
    assert rejected.timeline.last().note_args == {"reason": "licence_changed"}

    entries = {(e.action, e.object_id): e for e in AuditEntry.objects.filter(action__startswith="application.")}
    assert entries[("application.approved", str(approved.pk))].data == {"elicence": str(elicence.pk)}
    assert entries[("application.rejected", str(rejected.pk))].data == {"reason": "licence_changed"}
    issued = AuditEntry.objects.get(action="elicence.issued", object_id=str(elicence.pk))
    assert (issued.actor_id, issued.actor_label, issued.object_type) == (None, "auto-approval", "licences.elicence")
    assert issued.data == {"version": elicence.licence_version}

    with translation.override(settings.LANGUAGE_CODE):
        issued_text = gettext(ISSUED_MESSAGE)
    rejected_text = timeline_sms_text(rejected.timeline.last())
    assert issued_text != rejected_text
    for person, text in ((people[0], issued_text), (people[1], rejected_text)):
        [message] = [m for m in OutboundMessage.objects.filter(user=person) if m.text == text]
        assert (message.recipient, message.status) == (person.phone, "pending")
        with connection.cursor() as cursor:  # stored encrypted, as any other message
            cursor.execute("SELECT recipient, text FROM accounts_outboundmessage WHERE id = %s", [message.pk.hex])
            recipient, stored_text = cursor.fetchone()
        assert person.phone not in recipient and text not in stored_text


def test_a_failing_batch_is_handed_back_whole_and_the_next_pass_approves_it(api, monkeypatch):
    from portal.accounts.models import AuditEntry
    from reviews.services import approval

    people = [holder()[0] for _ in range(3)]
    for person in people:
        submit(api, person)
    later = timezone.now() + timedelta(days=10)
    real_insert = approval._insert

    def broken(model, rows, **options):
        if model is AuditEntry:
            raise RuntimeError("database hiccup")
        real_insert(model, rows, **options)

    monkeypatch.setattr(approval, "_insert", broken)
    result = applications_approve_due(as_of=later)
    assert result["failed"] == 3 and result["approved"] == 0, result
    assert set(Application.objects.values_list("status", flat=True)) == {"submitted"}  # handed back
    assert ELicence.objects.count() == 0 and not TimelineEntry.objects.filter(status="approved").exists()
    monkeypatch.setattr(approval, "_insert", real_insert)
    assert applications_approve_due(as_of=later)["approved"] == 3
    assert ELicence.objects.count() == 3


def test_a_claim_left_by_a_dead_worker_is_taken_back_and_its_worker_can_no_longer_write(api, settings):
    """A worker claims a batch and dies (SIGKILL between claim and write): after the claim timeout the
    next pass takes the batch back and approves it once. Were the first worker only slow, its late
    write finds its claim gone and writes nothing."""
    from reviews.services import approval

    people = [holder()[0] for _ in range(3)]
    for person in people:
        submit(api, person)
    later = timezone.now() + timedelta(days=10)
    ids, claim = approval._claim_batch(later, 10, set())
    assert len(ids) == 3 and set(Application.objects.values_list("status", flat=True)) == {"approving"}
    assert applications_approve_due(as_of=later)["approved"] == 0  # the claim is young: left alone

    settings.APPROVAL_CLAIM_TIMEOUT = 0
    result = applications_approve_due(as_of=later)
    assert result["released"] == 3 and result["approved"] == 3, result
    with pytest.raises(approval.BatchConflict):
        approval._approve_batch(ids, claim)  # the "dead" worker wakes up: nothing of its batch is its own
    assert ELicence.objects.count() == 3
    assert set(Application.objects.values_list("status", flat=True)) == {"approved"}
    assert TimelineEntry.objects.filter(status="approved").count() == 3


def test_unknown_calendar_year_is_flagged_not_approved(api, monkeypatch):
    person, _licence = holder()

    def unknown(start, days):
        raise calendar.CalendarUnknown(2031)

    monkeypatch.setattr(calendar, "add_working_days", unknown)
    body = submit(api, person).json()
    assert body["due_at"] is None and body["calendar_unknown"] is True
    assert applications_approve_due(as_of=timezone.now() + timedelta(days=400))["approved"] == 0
    from reviews.selectors import review_queue

    assert len(review_queue()) == 1
    monkeypatch.undo()  # staff entered the calendar: the next pass gives it a due time, then approves it
    result = applications_approve_due(as_of=timezone.now() + timedelta(days=10))
    assert result["rescheduled"] == 1 and result["approved"] == 1


def test_invalid_as_of_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("approve_due", "--as-of", "yesterday")


# --- R4/R5 photos ---------------------------------------------------------------------------------------
def upload_photo(api, person, application_id, data):
    api.force_authenticate(person)
    file = io.BytesIO(data)
    file.name = "photo.jpg"
    return api.post(f"/api/v1/applications/{application_id}/photo", {"photo": file}, format="multipart")


def test_missing_portrait_asks_for_a_photo_then_clean_photo_goes_on(api, django_capture_on_commit_callbacks):
    person, licence = holder(portrait=False)
    body = submit(api, person).json()
    assert body["status"] == "photo_required" and body["due_at"] is None
    checks_before = REGISTRY.get_sample_value("elicence_photo_check_seconds_count") or 0
    with django_capture_on_commit_callbacks(execute=True):
        response = upload_photo(api, person, body["id"], photoset.good(2).data)
    assert response.status_code == 202
    assert REGISTRY.get_sample_value("elicence_photo_check_seconds_count") == checks_before + 1  # its duration
    application = Application.objects.get()
    assert application.status == "submitted" and application.due_at  # eager task ran on commit
    assert [t.status for t in application.timeline.all()] == ["photo_required", "photo_checking", "submitted"]
    applications_approve_due(as_of=timezone.now() + timedelta(days=10))
    licence.refresh_from_db()
    assert licence.has_portrait  # the approved photo went on the record
    assert Application.objects.get().status == "approved"


def test_editor_and_age_in_the_uploads_metadata_are_judged_although_the_stored_copy_has_none(
    api, django_capture_on_commit_callbacks
):
    from PIL import Image

    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]
    exif = Image.Exif()
    exif[0x0131] = "Adobe Photoshop 25.0"
    exif.get_ifd(0x8769)[0x9003] = "2019:01:01 10:00:00"
    out = io.BytesIO()
    Image.open(io.BytesIO(photoset.good(2).data)).save(out, format="JPEG", quality=92, exif=exif.tobytes())
    with django_capture_on_commit_callbacks(execute=True):
        upload_photo(api, person, application_id, out.getvalue())
    photo = Photo.objects.get()
    with photo.image.open("rb") as fh:
        assert b"Photoshop" not in fh.read()  # the stored copy is pixels only
    assert {"edited", "too_old"} <= {p["code"] for p in photo.problems}
    assert photo.status == "flagged" and photo.source_metadata["software"] == "Adobe Photoshop 25.0"


def test_photo_checking_is_visible_while_the_task_runs(api):
    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]
    upload_photo(api, person, application_id, photoset.good(2).data)  # on_commit not run: task pending
    assert api.get(f"/api/v1/applications/{application_id}").json()["status"] == "photo_checking"
    photo = Photo.objects.get()
    assert photo_check_run(photo_id=photo.pk) == "passed"
    assert photo_check_run(photo_id=photo.pk) is None  # twice: nothing changes


def test_a_photo_uploaded_while_the_broker_is_down_is_accepted_and_checked_by_the_sweep(
    api, django_capture_on_commit_callbacks, monkeypatch
):
    from celery import current_app

    from reviews.services import photos_recheck_waiting
    from reviews.services.photos import RECHECK_AFTER

    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(current_app.tasks["reviews.tasks.check_photo"], "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = upload_photo(api, person, application_id, photoset.good(2).data)
    assert response.status_code == 202  # stored and committed: the citizen is not told it failed
    assert Photo.objects.get().status == "checking"
    assert photos_recheck_waiting() == 0  # too young to be called lost
    later = timezone.now() + RECHECK_AFTER + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert photos_recheck_waiting(now=later) == 1
    assert Photo.objects.get().status == "passed"
    assert Application.objects.get().status == "submitted"
    assert photos_recheck_waiting(now=later) == 0


def test_flagged_photo_goes_to_review_with_problems(api, django_capture_on_commit_callbacks):
    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        upload_photo(api, person, application_id, photoset.background_not_white(0).data)
    body = api.get(f"/api/v1/applications/{application_id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["status"] == "photo_review"
    assert body["photo"]["status"] == "flagged"
    assert "background_not_white" in [p["code"] for p in body["photo"]["problems"]]
    assert any("background" in p["message"] for p in body["photo"]["problems"])


def test_corrupt_photo_and_someone_elses_application(api):
    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]
    bad = upload_photo(api, person, application_id, b"not an image")
    assert bad.status_code == 400 and bad.json()["code"] == "unreadable"
    assert Photo.objects.count() == 0 and Application.objects.get().status == "photo_required"
    outsider = make_person()
    assert upload_photo(api, outsider, application_id, photoset.good(2).data).status_code == 404
    api.force_authenticate(outsider)
    assert api.get(f"/api/v1/applications/{application_id}").status_code == 404
    assert api.post(f"/api/v1/applications/{application_id}/cancel").status_code == 404


# --- R6 staff decisions --------------------------------------------------------------------------------------
def flagged_case(api, callbacks):
    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]
    with callbacks(execute=True):
        upload_photo(api, person, application_id, photoset.background_not_white(0).data)
    return person, application_id


def test_reviewer_approves_once(api, reviewer, django_capture_on_commit_callbacks):
    _person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    api.force_authenticate(reviewer)
    queue = api.get("/api/v1/staff/applications", {"problem": "background_not_white"}).json()
    assert [a["id"] for a in queue] == [application_id]
    assert api.get("/api/v1/staff/applications", {"problem": "blurry"}).json() == []
    decided = api.post(f"/api/v1/staff/applications/{application_id}/decision", {"decision": "approve"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "submitted"
    twice = api.post(f"/api/v1/staff/applications/{application_id}/decision", {"decision": "approve"}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_decided"


def test_citizen_cannot_decide(api, django_capture_on_commit_callbacks):
    person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    api.force_authenticate(person)
    response = api.post(f"/api/v1/staff/applications/{application_id}/decision", {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert api.get("/api/v1/staff/applications").status_code == 403
    assert Application.objects.get().status == "photo_review"


def test_three_rejected_photos_send_the_citizen_to_a_counter(api, reviewer, django_capture_on_commit_callbacks):
    person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    for attempt in range(3):
        api.force_authenticate(reviewer)
        body = {"decision": "reject", "reason": "background", "note": f"attempt {attempt}"}
        response = api.post(f"/api/v1/staff/applications/{application_id}/decision", body, format="json")
        assert response.status_code == 200
        if attempt < 2:
            assert response.json()["status"] == "photo_required"
            with django_capture_on_commit_callbacks(execute=True):
                upload_photo(api, person, application_id, photoset.background_not_white(attempt + 1).data)
    final = Application.objects.get()
    assert final.status == "rejected" and final.reason == "visit_counter"
    refused = upload_photo(api, person, application_id, photoset.good(2).data)
    assert refused.status_code == 409 and refused.json()["code"] == "visit_counter"


def test_reject_needs_a_reason(api, reviewer, django_capture_on_commit_callbacks):
    _person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    api.force_authenticate(reviewer)
    response = api.post(f"/api/v1/staff/applications/{application_id}/decision", {"decision": "reject"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]


def test_console_pages(client, reviewer, supervisor, citizen, api, django_capture_on_commit_callbacks):
    _person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    client.force_login(reviewer)
    queue = client.get("/staff/review/").content.decode()
    assert application_id in queue
    case = client.get(f"/staff/review/{application_id}/").content.decode()
    assert "background_not_white" in case and "<rect" in case
    photo = Photo.objects.get()
    image = client.get(f"/staff/review/photo/{photo.pk}")
    assert image.status_code == 200 and image["Cache-Control"] == "no-store"
    assert client.get("/staff/dashboard/").status_code == 403  # reviewers are not supervisors
    done = client.post(f"/staff/review/{application_id}/", {"decision": "approve"})
    assert done.status_code == 302
    client.force_login(supervisor)
    board = client.get("/staff/dashboard/").content.decode()
    assert "approvals-chart" in board and "background_not_white" in board
    client.force_login(citizen)
    assert client.get("/staff/review/").status_code == 403
    assert client.get(f"/staff/review/photo/{photo.pk}").status_code == 403


def test_cancel(api):
    person, _licence = holder()
    application_id = submit(api, person).json()["id"]
    api.force_authenticate(person)
    assert api.post(f"/api/v1/applications/{application_id}/cancel").json()["status"] == "cancelled"
    assert api.post(f"/api/v1/applications/{application_id}/cancel").status_code == 409
    assert submit(api, person).status_code == 201  # a new application may follow


def test_citizen_pages(client, api, django_capture_on_commit_callbacks):
    person, _licence = holder(portrait=False)
    client.force_login(person)
    page = client.get("/apply/").content.decode()
    assert 'name="validity_start"' in page and "photo-precheck.js" in page
    file = io.BytesIO(photoset.good(4).data)
    file.name = "selfie.jpg"
    response = client.post("/apply/", {"validity_start": "2022-05-04", "selfie": file})
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert 'data-status="photo_required"' in detail and "photo-example.svg" in detail


def test_rejected_photos_are_deleted_after_the_retention_period(
    api, reviewer, settings, django_capture_on_commit_callbacks
):
    from reviews.tasks import purge_rejected_photos

    _person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    api.force_authenticate(reviewer)
    api.post(
        f"/api/v1/staff/applications/{application_id}/decision",
        {"decision": "reject", "reason": "background"},
        format="json",
    )
    photo = Photo.objects.get()
    path = photo.image.path
    assert purge_rejected_photos.delay().get() == 0  # within the retention period: kept
    Photo.objects.update(decided_at=timezone.now() - timedelta(days=settings.PHOTO_RETENTION_DAYS + 1))
    assert purge_rejected_photos.delay().get() == 1
    assert purge_rejected_photos.delay().get() == 0  # twice: nothing more
    photo.refresh_from_db()
    assert not photo.image and photo.problems  # the file is gone, the findings stay
    import os

    assert not os.path.exists(path)


def test_retakes_do_not_count_as_rejections(api, reviewer, django_capture_on_commit_callbacks):
    person, application_id = flagged_case(api, django_capture_on_commit_callbacks)
    for seed in (1, 2, 3):  # the citizen retakes three times before any reviewer looks
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                upload_photo(api, person, application_id, photoset.background_not_white(seed).data).status_code == 202
            )
    api.force_authenticate(reviewer)
    body = {"decision": "reject", "reason": "background"}
    response = api.post(f"/api/v1/staff/applications/{application_id}/decision", body, format="json")
    assert response.json()["status"] == "photo_required"  # one real rejection, not four
    assert upload_photo(api, person, application_id, photoset.good(2).data).status_code == 202


def test_calendar_overrides_from_the_console_are_audited(client, supervisor):
    from portal.accounts.models import AuditEntry

    client.force_login(supervisor)
    added = client.post(
        "/admin/reviews/workingdayoverride/add/", {"date": "2031-01-02", "is_working_day": "on", "note": "调休"}
    )
    assert added.status_code == 302
    override = WorkingDayOverride.objects.get(date=date(2031, 1, 2))
    entry = AuditEntry.objects.get(action="calendar.override_created")
    assert entry.actor == supervisor and entry.data == {"date": "2031-01-02", "working_day": True}
    deleted = client.post(f"/admin/reviews/workingdayoverride/{override.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not WorkingDayOverride.objects.exists()
    assert AuditEntry.objects.filter(action="calendar.override_deleted", actor=supervisor).exists()


def test_someone_elses_application_page_is_not_found(client):
    person, _licence = holder(portrait=False)
    other = make_person(name="李四")
    application = Application.objects.create(
        applicant=person, licence=_licence, licence_version=1, validity_start=date(2022, 5, 4), status="photo_required"
    )
    client.force_login(other)
    assert client.get(f"/applications/{application.pk}/").status_code == 404
    client.force_login(person)
    assert client.get(f"/applications/{application.pk}/").status_code == 200


def test_apply_compares_the_selfie_with_the_reference_and_a_stranger_is_refused(api, settings, tmp_path):
    from pathlib import Path

    real = Path(__file__).resolve().parents[2].parent / "shared" / "photos" / "real"
    person = make_person(name="张三")
    make_licence(person)  # no portrait: the identity register's photo is the reference
    give_identity_photo(person, (real / "obama3.jpg").read_bytes())
    stranger = submit(api, person, selfie=(real / "biden.jpg").read_bytes())
    assert stranger.status_code == 400 and stranger.json()["code"] == "face_verification_failed"
    assert not Application.objects.exists()
    same = submit(api, person, selfie=(real / "obama.jpg").read_bytes())
    assert same.status_code == 201 and same.json()["status"] == "photo_required"
    nobody = make_person(name="李四")
    make_licence(nobody)
    nothing = submit(api, nobody, selfie=(real / "obama.jpg").read_bytes())
    assert nothing.status_code == 400 and nothing.json()["code"] == "no_reference_photo"
