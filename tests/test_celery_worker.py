"""Real Celery worker processes, on the configured broker (file system by default, Redis in CI).

The test process publishes exactly as the web server does; separate `celery worker` processes
pick the tasks up from the broker. Nothing runs eagerly here.
"""

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db.models import Count
from django.utils import timezone
from PIL import Image

from conftest import make_licence, make_person, new_phone
from licences.models import ELicence
from portal.accounts.models import MessageStatus, OutboundMessage
from reviews.models import Application, TimelineEntry
from tests.workers import celery_workers, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_real_worker_delivers_the_registration_code(client, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    with celery_workers(1, tmp_path, SMS_BACKEND="file", SMS_FILE_PATH=str(sms_file)):
        phone = new_phone()
        response = client.post("/api/v1/accounts/phone-codes", {"phone": phone}, content_type="application/json")
        assert response.status_code == 202
        message = OutboundMessage.objects.get()
        assert message.status == MessageStatus.PENDING  # nothing ran in this process
        lines = wait_for(lambda: sms_file.exists() and [json.loads(x) for x in sms_file.read_text().splitlines()])
        assert len(lines) == 1 and lines[0]["to"] == phone and any(ch.isdigit() for ch in lines[0]["text"])
        wait_for(lambda: OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT)


def _due_applications(count: int) -> list[Application]:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (250, 250, 250)).save(out, format="JPEG")
    made = []
    for _ in range(count):
        person = make_person()
        licence = make_licence(person)
        licence.portrait.save("p.jpg", ContentFile(out.getvalue()), save=True)
        made.append(
            Application.objects.create(
                applicant=person,
                licence=licence,
                licence_version=licence.version,
                validity_start=licence.valid_from,
                status="submitted",
                due_at=timezone.now() - timedelta(minutes=1),
                face_verified=True,
            )
        )
    return made


def test_two_real_workers_race_over_the_same_due_applications(tmp_path, settings):
    """R3: several approval passes run at once in two worker processes: each application once."""
    from reviews.tasks import approve_due

    settings.MEDIA_ROOT = tmp_path / "media"
    applications = _due_applications(24)
    with celery_workers(2, tmp_path, SMS_BACKEND="locmem", MEDIA_ROOT=str(tmp_path / "media")):
        for _ in range(6):  # six passes queued at once: both workers run them concurrently
            approve_due.delay()
        wait_for(lambda: not Application.objects.filter(status__in=["submitted", "approving"]).exists(), timeout=120)
    assert Application.objects.filter(status="approved").count() == len(applications)
    assert ELicence.objects.count() == len(applications)  # none approved twice...
    per_licence = ELicence.objects.values("licence").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_licence.exists()
    approvals = TimelineEntry.objects.filter(status="approved").values("application").annotate(n=Count("id"))
    assert sorted(a["n"] for a in approvals) == [1] * len(applications)  # ...and none missed


def _many_due_applications(count: int) -> None:
    """`count` verified people with a licence (portrait on record) and a due application, bulk-loaded."""
    from conftest import make_due_applications

    make_due_applications(count)


def test_four_real_workers_approve_thousands_exactly_once(tmp_path):
    """R3 set-based: four worker processes run approval passes at once over 2,000 due applications in
    batches of 100 (claimed with one statement each): every application approved once, nothing lost."""
    from portal.accounts.models import AuditEntry
    from reviews.tasks import approve_due

    count = 2000
    _many_due_applications(count)
    with celery_workers(4, tmp_path, SMS_BACKEND="locmem", APPROVAL_BATCH_SIZE="100"):
        for _ in range(12):
            approve_due.delay()
        wait_for(lambda: not Application.objects.filter(status__in=["submitted", "approving"]).exists(), timeout=300)
        wait_for(lambda: not OutboundMessage.objects.exclude(status=MessageStatus.SENT).exists(), timeout=120)
    # Each worker's log says what its passes did: together they approved each application once.
    per_worker = [
        sum(
            int(n)
            for n in re.findall(r"approve_due\[[^]]+\] succeeded in [\d.]+s: \{'approved': (\d+)", log.read_text())
        )
        for log in sorted(tmp_path.glob("worker-*.log"))
    ]
    assert sum(per_worker) == count and sum(1 for n in per_worker if n) >= 2, per_worker  # shared the work
    assert Application.objects.filter(status="approved").count() == count
    assert ELicence.objects.count() == count
    assert not ELicence.objects.values("licence").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Application.objects.filter(status="approved", elicence__isnull=True).exists()
    approvals = TimelineEntry.objects.filter(status="approved").values("application").annotate(n=Count("id"))
    assert approvals.count() == count and not approvals.filter(n__gt=1).exists()
    assert AuditEntry.objects.filter(action="application.approved").count() == count
    assert AuditEntry.objects.filter(action="elicence.issued").count() == count
    per_user = OutboundMessage.objects.values("user").annotate(n=Count("id"))
    assert per_user.count() == count and not per_user.filter(n__gt=1).exists()  # one SMS each, sent once


def test_each_kind_of_work_waits_for_a_worker_of_its_own_queue(client, tmp_path):
    # deploy/ runs one worker per queue: a worker of the messages queue sends SMS and leaves approvals
    # alone, even those enqueued first; a worker of the approvals queue then approves them.
    from reviews.tasks import approve_due

    applications = _due_applications(3)
    sms_file = tmp_path / "sms.jsonl"
    with celery_workers(1, tmp_path, queues="messages", SMS_BACKEND="file", SMS_FILE_PATH=str(sms_file)):
        approve_due.delay()
        response = client.post("/api/v1/accounts/phone-codes", {"phone": new_phone()}, content_type="application/json")
        assert response.status_code == 202
        wait_for(lambda: sms_file.exists() and sms_file.read_text().strip())
        assert Application.objects.filter(status="submitted").count() == 3
    with celery_workers(1, tmp_path, queues="approvals", SMS_BACKEND="locmem"):
        wait_for(
            lambda: Application.objects.filter(pk__in=[a.pk for a in applications], status="approved").count() == 3
        )
    assert ELicence.objects.filter(licence__in=[a.licence for a in applications]).count() == 3


def test_a_second_beat_started_by_mistake_doubles_nothing(tmp_path):
    """Deployments run one beat; if a second starts (a bad deploy), every schedule is sent twice, and
    every task must shrug it off: the approval pass claims rows, the SMS outbox sends each once."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from tests.workers import celery_beat

    count = 300
    _many_due_applications(count)
    every_second, _created = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="reviews: approve due applications",
        defaults={"task": "reviews.tasks.approve_due", "interval": every_second, "enabled": True},
    )
    (tmp_path / "beat-a").mkdir()
    (tmp_path / "beat-b").mkdir()
    env = {"SMS_BACKEND": "locmem", "APPROVAL_BATCH_SIZE": "20"}
    with (
        celery_workers(2, tmp_path, **env),
        celery_beat(tmp_path / "beat-a", **env),
        celery_beat(tmp_path / "beat-b", **env),
    ):
        wait_for(lambda: not Application.objects.filter(status__in=["submitted", "approving"]).exists(), timeout=300)
        wait_for(lambda: not OutboundMessage.objects.exclude(status=MessageStatus.SENT).exists(), timeout=120)

        def both_beats_sent_twice():
            sent = [
                (tmp_path / name / "beat.log").read_text().count("Sending due task reviews: approve due applications")
                for name in ("beat-a", "beat-b")
            ]
            return all(n >= 2 for n in sent) and sent

        print("approve_due sent by each beat:", wait_for(both_beats_sent_twice, timeout=60))
    assert ELicence.objects.count() == count
    assert not ELicence.objects.values("licence").annotate(n=Count("id")).filter(n__gt=1).exists()
    approvals = TimelineEntry.objects.filter(status="approved").values("application").annotate(n=Count("id"))
    assert approvals.count() == count and not approvals.filter(n__gt=1).exists()
    per_user = OutboundMessage.objects.values("user").annotate(n=Count("id"))
    assert per_user.count() == count and not per_user.filter(n__gt=1).exists()
