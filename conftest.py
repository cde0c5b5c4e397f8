"""Shared fixtures: personas (a citizen, an outsider, staff of each role, organisation members)."""

import itertools
import re

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from portal.accounts import sms
from portal.accounts.models import (
    AccountKind,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    RealNameStatus,
    RegisteredVia,
    User,
)
from portal.accounts.validators import id_number_with_check_digit

PASSWORD = "correct-horse-12123"
_sequence = itertools.count(100)


def new_id_number() -> str:
    """A fresh, valid resident ID number (Beijing Chaoyang, born 1990-03-07)."""
    return id_number_with_check_digit(f"11010519900307{next(_sequence) % 1000:03d}")


def new_phone() -> str:
    return f"139{next(_sequence):08d}"


def new_uscc() -> str:
    from stdnum.cn import uscc

    body = f"91110000MA{next(_sequence):07d}"
    return body + uscc.calc_check_digit(body)


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings):
    """Tasks run in-process (the worker tests start real workers); SMS go to a list; the cache starts
    empty (with Redis as the cache, rate-limit counts would otherwise carry over from test to test)."""
    from django.core.cache import cache

    from portal.celery import app

    cache.clear()
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def staff_authenticator(user):
    """The staff member's confirmed TOTP device (made on first use)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True
    )


def current_code(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.fixture(autouse=True)
def _force_login_is_a_finished_log_in(monkeypatch):
    """`client.force_login(staff)` stands for a whole log-in, second factor included; the tests of
    the log-in itself (test_second_factor.py) go through the pages."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = staff_authenticator(user).persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def make_person(*, verified: bool = True, organisation=None, **extra) -> User:
    user = User(
        username=f"p{next(_sequence)}",
        kind=AccountKind.PERSONAL,
        name=extra.pop("name", "张三"),
        id_number=extra.pop("id_number", None) or new_id_number(),
        phone=extra.pop("phone", None) or new_phone(),
        registered_via=RegisteredVia.ONLINE,
        real_name_status=RealNameStatus.VERIFIED if verified else RealNameStatus.FACE_REQUIRED,
        organisation=organisation,
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def make_staff(role: str) -> User:
    user = User(username=f"{role}{next(_sequence)}", kind=AccountKind.STAFF, name=role, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])  # transactional tests flush migration data
    return user


def make_organisation(kind: str, *, approved: bool = True) -> Organisation:
    return Organisation.objects.create(
        name=f"示范单位{next(_sequence)}",
        uscc=new_uscc(),
        kind=kind,
        contact_name="联系人",
        contact_phone=new_phone(),
        status=OrganisationStatus.APPROVED if approved else OrganisationStatus.PENDING,
    )


@pytest.fixture
def citizen(db) -> User:
    return make_person(name="张三")


@pytest.fixture
def outsider(db) -> User:
    return make_person(name="李四")


@pytest.fixture
def clerk(db) -> User:
    return make_staff("counter_clerk")


@pytest.fixture
def reviewer(db) -> User:
    return make_staff("reviewer")


@pytest.fixture
def supervisor(db) -> User:
    return make_staff("supervisor")


@pytest.fixture
def school(db) -> Organisation:
    return make_organisation(OrganisationKind.DRIVING_SCHOOL)


@pytest.fixture
def school_member(school) -> User:
    return make_person(name="赵教练", organisation=school)


def last_code(phone: str) -> str:
    """The 6-digit code in the newest SMS to `phone`."""
    for message in reversed(sms.outbox):
        if message["to"] == phone:
            return re.search(r"\b(\d{6})\b", message["text"]).group(1)
    raise AssertionError(f"no SMS to {phone}: {sms.outbox}")


@pytest.fixture
def request_code(api, django_capture_on_commit_callbacks):
    """POST a registration code request (the SMS is delivered on commit) and return the code."""

    def _request(phone: str) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/accounts/phone-codes", {"phone": phone}, format="json")
        assert response.status_code == 202, response.content
        return last_code(phone)

    return _request


LICENCE_DATA = {
    "name": "张三",
    "sex": "M",
    "birth_date": "1990-03-07",
    "nationality": "中国",
    "address": "北京市朝阳区示范路 1 号",
    "first_issued_on": "2012-05-04",
    "classes": ["C1"],
    "valid_from": "2022-05-04",
    "valid_until": "2032-05-04",
    "issuing_authority": "北京市公安局公安交通管理局",
    "file_number": "110100001234",
    "status": "normal",
    "points": 0,
}


def make_due_applications(count: int, *, username=None, number=None, phone=None) -> None:
    """`count` verified people with a licence record (portrait on record) and an application due now,
    bulk-loaded (the approval race tests, scripts/cluster_data.py). `username`, `number` and `phone`
    are functions of the row's index."""
    import uuid
    from datetime import date, timedelta

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from licences.models import Licence
    from portal.crypto import lookup_hash
    from portal.masking import mask_id_number
    from reviews.models import Application

    username = username or (lambda i: f"race{i}")
    number = number or (
        lambda i: id_number_with_check_digit(f"110105{19600101 + (i % 9000) * 100 + i // 9000:08d}{i % 1000:03d}"[:17])
    )
    phone = phone or (lambda i: f"139{i:08d}")
    password = make_password(None)
    users, licences, applications = [], [], []
    for i in range(count):
        id_number, mobile = number(i), phone(i)
        user = User(id=uuid.uuid4(), username=username(i), name="张三", id_number=id_number,
                    id_number_hash=lookup_hash(id_number), phone=mobile, phone_hash=lookup_hash(mobile),
                    real_name_status="verified", password=password)  # fmt: skip
        licence = Licence(id=uuid.uuid4(), number=id_number, number_hash=lookup_hash(id_number),
                          number_masked=mask_id_number(id_number), name="张三", sex="M", birth_date=date(1990, 1, 1),
                          address="北京", first_issued_on=date(2010, 1, 1), classes=["C1"],
                          valid_from=date(2022, 5, 4), valid_until=date(2032, 5, 4),
                          issuing_authority="北京市公安局公安交通管理局", file_number="1101",
                          portrait="portraits/bulk.jpg")  # fmt: skip
        users.append(user)
        licences.append(licence)
        applications.append(
            Application(applicant=user, licence=licence, licence_version=1, validity_start=date(2022, 5, 4),
                        status="submitted", due_at=timezone.now() - timedelta(minutes=1), face_verified=True)
        )  # fmt: skip
    User.objects.bulk_create(users, batch_size=1000)
    Licence.objects.bulk_create(licences, batch_size=1000)
    Application.objects.bulk_create(applications, batch_size=1000)


def redis_url() -> str:
    """This machine's Redis (database 12, emptied), as production's shared cache; "" if none answers."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=12, socket_connect_timeout=0.5).flushdb()
    except redis.RedisError:
        return ""
    return "redis://127.0.0.1:6379/12"


def make_licence(person, **changes):
    from licences.services import licence_upsert

    data = {**LICENCE_DATA, "name": person.name, **changes}
    licence, _created = licence_upsert(actor="test", number=person.id_number, data=data)
    return licence


def make_elicence(person, **changes):
    from licences.services import elicence_issue

    return elicence_issue(licence=make_licence(person, **changes), holder=person, actor="test")


@pytest.fixture
def authority(db) -> User:
    user = User(username=f"authority{next(_sequence)}", kind=AccountKind.AUTHORITY)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def police_member(db) -> User:
    return make_person(name="李警官", organisation=make_organisation(OrganisationKind.POLICE))


@pytest.fixture
def insurer_member(db) -> User:
    return make_person(name="王保险", organisation=make_organisation(OrganisationKind.INSURER))


def give_identity_photo(person, data: bytes | None = None):
    """Put the person's ID-card photo into the identity register (the face step's reference)."""
    from portal.accounts.services import identity_photo_set
    from tests import photoset

    record, _created = identity_photo_set(actor="test", id_number=person.id_number, photo=data or photoset.good(9).data)
    return record


def make_flagged_application(person, photo: bytes | None = None, **licence_changes):
    """An application of `person` whose uploaded photo the checker flagged (by default: background
    not white): it waits for a reviewer. The licence record has no portrait, so a photo was asked for."""
    from reviews import services
    from tests import photoset

    make_licence(person, **licence_changes)
    give_identity_photo(person)
    application = services.application_submit(
        user=person, validity_start=LICENCE_DATA["valid_from"], selfie=photoset.good(4).data
    )
    photo = services.photo_upload(
        user=person, application_id=application.pk, photo=photo or photoset.background_not_white(0).data
    )
    services.photo_check_run(photo_id=photo.pk)
    application.refresh_from_db()
    return application


# The migrations that write data (staff groups and their permissions, the beat schedules): a
# transactional test flushes what they wrote, so tests that need it run them again (idempotent).
DATA_MIGRATIONS = [
    ("accounts", "0002_staff_roles_and_housekeeping"),
    ("licences", "0002_daily_expiry_task"),
    ("reviews", "0002_approve_due_task"),
    ("reviews", "0003_staff_permissions"),
    ("reviews", "0004_purge_rejected_photos_task"),
    ("accounts", "0007_resend_waiting_messages_task"),
    ("reviews", "0008_recheck_waiting_photos_task"),
]


def restore_migration_data() -> None:
    from importlib import import_module

    from django.apps import apps
    from django.db.migrations import RunPython

    for app_label, name in DATA_MIGRATIONS:
        module = import_module(f"{apps.get_app_config(app_label).name}.migrations.{name}")
        for operation in module.Migration.operations:
            if isinstance(operation, RunPython):
                operation.code(apps, None)


def pytest_terminal_summary(terminalreporter):
    """The page crawler's coverage and time, when it ran (tests/test_pages.py)."""
    import sys

    crawl = sys.modules.get("tests.crawler")
    if crawl is not None and crawl.SUMMARY:
        terminalreporter.section("page crawler")
        for line in crawl.SUMMARY:
            terminalreporter.write_line(line)
