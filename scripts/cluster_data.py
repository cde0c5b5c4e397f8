"""The cluster's data: what `scripts/cluster.py` puts in and reads back from its database.

Run with the cluster's environment (DATABASE_URL, broker, keys): each sub-command prints one JSON
object on its last line.

    people --tag T --holders N --applicants M --out FILE
                                                   holders with e-licences, a police member, applicants
                                                   whose application waits for a photo; tokens to FILE
    due --count N --tag T                          N verified people with due applications
    messages --count N --tag T                     N SMS queued through the outbox (enqueued on commit)
    approvals --tag T                              invariants of the applications tagged T
    messages-report --tag T --sms-file F           invariants of the SMS tagged T, against the gateway's file
    photos                                         every photo: stored in the bucket, checked, not lost
    registrations                                  accounts registered online during the run
    schedule --seconds S                           the approval pass and the outbox sweep every S seconds
"""

import argparse
import itertools
import json
import os
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402

from licences.models import ELicence  # noqa: E402
from portal.accounts.models import OutboundMessage, User  # noqa: E402
from portal.accounts.validators import id_number_with_check_digit  # noqa: E402
from reviews.models import Application, Photo  # noqa: E402

VALID_FROM = date(2022, 5, 4)


def _number(tag: int, i: int) -> str:
    """A valid resident ID number, unique per (tag, i) for tags < 50 and i < 28,000: born in 1950 + tag."""
    return id_number_with_check_digit(f"110105{1950 + tag}01{i // 1000 + 1:02d}{i % 1000:03d}")


def people(args) -> dict:
    from rest_framework.authtoken.models import Token

    import conftest
    from conftest import make_elicence, make_licence, make_organisation, make_person
    from reviews.models import ApplicationStatus
    from tests import photoset

    conftest._sequence = itertools.count(args.tag * 10_000)  # user names and phones apart from other tags
    hashed = make_password(conftest.PASSWORD)  # hashed once: the load logs in with tokens
    User.set_password = lambda user, _raw: setattr(user, "password", hashed)
    numbers = (_number(args.tag, i) for i in itertools.count())
    out = {"holders": [], "applicants": [], "photos": []}
    police = make_person(name="李警官", organisation=make_organisation("police"), id_number=next(numbers))
    out["police"] = Token.objects.create(user=police).key
    for _ in range(args.holders):
        person = make_person(name="张三", id_number=next(numbers))
        make_elicence(person)
        out["holders"].append(Token.objects.create(user=person).key)
    for _ in range(args.applicants):
        person = make_person(name="王五", id_number=next(numbers))
        licence = make_licence(person)  # no portrait on record: the application asks for a photo
        application = Application.objects.create(
            applicant=person,
            licence=licence,
            licence_version=licence.version,
            validity_start=VALID_FROM,
            status=ApplicationStatus.PHOTO_REQUIRED,
            face_verified=True,
        )
        out["applicants"].append({"token": Token.objects.create(user=person).key, "application": str(application.pk)})
    photo_dir = Path(args.out).parent / "photos"
    photo_dir.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        path = photo_dir / f"good-{i}.jpg"
        path.write_bytes(photoset.good(i).data)
        out["photos"].append(str(path))
    Path(args.out).write_text(json.dumps(out))
    return {"holders": args.holders, "applicants": args.applicants}


def due(args) -> dict:
    """N verified people with licence records (portrait on record) and applications due now."""
    from conftest import make_due_applications

    with transaction.atomic():
        make_due_applications(
            args.count,
            username=lambda i: f"t{args.tag}-{i}",
            number=lambda i: _number(args.tag, i),
            phone=lambda i: f"15{args.tag:02d}{i:07d}",
        )
    return {"due": args.count}


def _tagged_applications(tag: int):
    return Application.objects.filter(applicant__username__startswith=f"t{tag}-")


def approvals(args) -> dict:
    applications = _tagged_applications(args.tag)
    by_status = Counter(applications.values_list("status", flat=True))
    holders = applications.values_list("applicant_id", flat=True)
    per_holder = Counter(ELicence.objects.filter(holder_id__in=holders).values_list("holder_id", flat=True))
    messages = OutboundMessage.objects.filter(user_id__in=holders)
    return {
        "applications": sum(by_status.values()),
        "by_status": dict(by_status),
        "elicences": sum(per_holder.values()),
        "holders_with_two_elicences": sum(1 for n in per_holder.values() if n > 1),
        "messages": messages.count(),
        "messages_by_status": dict(Counter(messages.values_list("status", flat=True))),
    }


def messages(args) -> dict:
    from portal.accounts.messaging import message_send

    with transaction.atomic():
        for i in range(args.count):
            message_send(recipient=f"1770000{i:04d}", text=f"[cluster {args.tag}] message {i}")
    return {"queued": args.count}


def messages_report(args) -> dict:
    marker = f"[cluster {args.tag}] "
    tagged = [m for m in OutboundMessage.objects.all() if m.text.startswith(marker)]  # decrypted once
    texts = [m.text for m in tagged]
    statuses = Counter(m.status for m in tagged)
    lines = []
    sms_file = Path(args.sms_file)
    if sms_file.exists():
        lines = [json.loads(line)["text"] for line in sms_file.read_text(encoding="utf-8").splitlines() if line]
    sent = Counter(text for text in lines if text.startswith(marker))
    return {
        "messages": len(texts),
        "by_status": dict(statuses),
        "sent_lines": sum(sent.values()),
        "sent_twice": sum(1 for n in sent.values() if n > 1),
        "never_sent": sum(1 for text in texts if text not in sent),
    }


def photos(args) -> dict:
    from django.conf import settings
    from django.core.files.storage import default_storage, storages

    rows = list(Photo.objects.all())
    missing = sum(1 for photo in rows if not default_storage.exists(photo.image.name))
    local = Path(settings.MEDIA_ROOT)
    return {
        "photos": len(rows),
        "by_status": dict(Counter(photo.status for photo in rows)),
        "missing_in_store": missing,
        "storage": type(storages["default"]).__name__,
        "local_files": sum(1 for p in local.rglob("*") if p.is_file()) if local.exists() else 0,
    }


def registrations(args) -> dict:
    return {"online": User.objects.filter(registered_via="online", username__startswith="u").count()}


def schedule(args) -> dict:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _created = IntervalSchedule.objects.get_or_create(every=args.seconds, period="seconds")
    changed = PeriodicTask.objects.filter(
        task__in=["reviews.tasks.approve_due", "portal.accounts.tasks.resend_waiting_messages"]
    ).update(interval=every, crontab=None)
    from django_celery_beat.models import PeriodicTasks

    PeriodicTasks.update_changed()
    return {"tasks": changed, "every_seconds": args.seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("people")
    p.add_argument("--tag", type=int, required=True)
    p.add_argument("--holders", type=int, default=40)
    p.add_argument("--applicants", type=int, default=300)
    p.add_argument("--out", required=True)
    for name in ("due", "messages"):
        p = sub.add_parser(name)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--tag", type=int, required=True)
    sub.add_parser("approvals").add_argument("--tag", type=int, required=True)
    p = sub.add_parser("messages-report")
    p.add_argument("--tag", type=int, required=True)
    p.add_argument("--sms-file", required=True)
    sub.add_parser("photos")
    sub.add_parser("registrations")
    sub.add_parser("schedule").add_argument("--seconds", type=int, required=True)
    args = parser.parse_args()
    handler = {
        "people": people,
        "due": due,
        "messages": messages,
        "approvals": approvals,
        "messages-report": messages_report,
        "photos": photos,
        "registrations": registrations,
        "schedule": schedule,
    }[args.command]
    print(json.dumps(handler(args), ensure_ascii=False))


if __name__ == "__main__":
    main()
