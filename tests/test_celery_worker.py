"""Real Celery worker processes, on the configured broker (file system by default, Redis in CI).

The test process publishes exactly as the web server does; separate `celery worker` processes
pick the tasks up from the broker. Nothing runs eagerly here.
"""

import io
import json
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
