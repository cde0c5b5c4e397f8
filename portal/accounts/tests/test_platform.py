"""Cross-cutting: audit (X2), encryption at rest, masking, messaging, rate limits, i18n (X4), API docs."""

import io
import json

import pytest
from django.db import connection

from conftest import make_person, redis_url
from portal import crypto, ratelimit
from portal.accounts import sms
from portal.accounts.audit import audit_record
from portal.accounts.messaging import message_deliver, message_send
from portal.accounts.models import AuditEntry, OutboundMessage, User
from portal.errors import RateLimited
from portal.masking import mask_id_number, mask_name, mask_phone
from tests.fakes import SilentServer, closed_port


def test_masks():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13912341234") == "139****1234"
    assert mask_name("张三") == "*三" and mask_name("欧阳娜娜") == "**娜娜"


@pytest.mark.django_db
def test_id_and_phone_are_encrypted_at_rest():
    person = make_person()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash FROM accounts_user WHERE id = %s", [person.pk.hex])
        row = cursor.fetchone() or ()
    if not row:  # PostgreSQL stores UUIDs natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number, phone, id_number_hash FROM accounts_user WHERE id = %s", [person.pk])
            row = cursor.fetchone()
    raw_id, raw_phone, id_hash = row
    assert person.id_number not in raw_id and person.phone not in raw_phone
    assert crypto.decrypt(raw_id) == person.id_number
    assert id_hash == crypto.lookup_hash(person.id_number)


@pytest.mark.django_db
def test_key_rotation_keeps_values_readable(settings):
    from cryptography.fernet import Fernet

    person = make_person()
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    crypto._fernet.cache_clear()
    try:
        from django.core.management import call_command

        call_command("rotate_field_keys")
        settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key is retired
        crypto._fernet.cache_clear()
        assert User.objects.get(pk=person.pk).id_number == person.id_number
    finally:
        settings.FIELD_ENCRYPTION_KEYS = old_keys
        crypto._fernet.cache_clear()


@pytest.mark.django_db
def test_audit_entries_are_append_only():
    entry = audit_record(actor=None, action="test.action", data={"x": 1}, ip="127.0.0.1")
    entry.action = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"


@pytest.mark.django_db
def test_audit_admin_is_read_only_and_for_supervisors(client, supervisor, reviewer):
    entry = audit_record(actor=supervisor, action="test.action", ip="127.0.0.1")
    client.force_login(supervisor)
    assert client.get("/admin/accounts/auditentry/").status_code == 200
    page = client.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and b'type="submit"' not in page.content.split(b"<footer")[0].split(b"</form>")[-1]
    assert client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/").status_code == 403
    client.force_login(reviewer)
    assert client.get("/admin/accounts/auditentry/").status_code == 403


@pytest.mark.django_db
def test_message_delivery_is_idempotent(django_capture_on_commit_callbacks):
    message = message_send(recipient="13900000001", text="hello")
    assert message_deliver(message_id=str(message.pk)) is True
    assert message_deliver(message_id=str(message.pk)) is False
    assert sms.outbox == [{"to": "13900000001", "text": "hello"}]
    assert OutboundMessage.objects.get().status == "sent"


@pytest.mark.django_db
def test_file_sms_backend_writes_json_lines(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    for text in ("一", "two"):
        message_deliver(message_id=str(message_send(recipient="13900000001", text=text).pk))
    lines = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert lines == [{"to": "13900000001", "text": "一"}, {"to": "13900000001", "text": "two"}]


@pytest.mark.django_db
def test_rate_limit_counts_to_the_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:ip": (3, 60)}
    for _ in range(3):
        ratelimit.hit("login:ip", "10.0.0.1")
    with pytest.raises(RateLimited):
        ratelimit.hit("login:ip", "10.0.0.1")
    ratelimit.hit("login:ip", "10.0.0.2")  # another IP has its own counter


def test_redis_rate_limit_expires_and_outlives_a_lost_connection(settings):
    """In Redis the counter gets its window's expiry; a hit after the server dropped this thread's kept
    connection, or forgot the script (as after a restart), still counts once; a forked process makes its
    own connection."""
    import multiprocessing

    import redis

    url = redis_url()
    assert url, "Redis on 127.0.0.1:6379 (this machine's) is needed"
    settings.RATE_LIMIT_STORE, settings.CACHE_URL = "cache", url
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:ip": (4, 60)}
    server = redis.Redis.from_url(url)
    ratelimit.hit("login:ip", "10.0.0.9")
    [key] = server.keys("rate:*")
    assert int(server.get(key)) == 1
    assert 0 < server.ttl(key) <= 61
    assert server.client_kill_filter(_type="normal", skipme=True) >= 1  # this thread's connection too
    ratelimit.hit("login:ip", "10.0.0.9")
    assert int(server.get(key)) == 2
    server.script_flush()
    ratelimit.hit("login:ip", "10.0.0.9")
    assert int(server.get(key)) == 3

    def in_child(results):
        try:
            ratelimit.hit("login:ip", "10.0.0.9")
            results.put(ratelimit._hit_script(url, settings.CACHE_TIMEOUT) is not parent_script)
        except Exception as exc:  # reported to the parent, which fails
            results.put(repr(exc))

    parent_script = ratelimit._hit_script(url, settings.CACHE_TIMEOUT)
    results = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=in_child, args=(results,))
    child.start()
    assert results.get(timeout=20) is True
    child.join(timeout=20)
    assert int(server.get(key)) == 4
    with pytest.raises(RateLimited):
        ratelimit.hit("login:ip", "10.0.0.9")
    assert 0 < server.ttl(key) <= 61


def test_counting_overlaps_the_block_and_counts_each_attempt_once(settings):
    """`counting`: the block runs while Redis counts; over the limit, RateLimited comes after the block. A
    block that fails still has its reply read (else the next attempt on this thread's connection would read
    it and count one short); a connection Redis dropped, or a script it forgot, is counted once."""
    import redis

    url = redis_url()
    assert url, "Redis on 127.0.0.1:6379 (this machine's) is needed"
    settings.RATE_LIMIT_STORE, settings.CACHE_URL = "cache", url
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify:ip": (5, 600)}
    server = redis.Redis.from_url(url)
    ran = []
    with pytest.raises(ValueError), ratelimit.counting("verify:ip", "10.0.0.5"):
        raise ValueError("the block failed")
    [key] = server.keys("rate:*")
    assert int(server.get(key)) == 1
    with ratelimit.counting("verify:ip", "10.0.0.5"):
        ran.append(2)
    assert server.client_kill_filter(_type="normal", skipme=True) >= 1  # this thread's kept connection too
    with ratelimit.counting("verify:ip", "10.0.0.5"):
        ran.append(3)
    server.script_flush()
    with ratelimit.counting("verify:ip", "10.0.0.5"):
        ran.append(4)
    ratelimit.hit("verify:ip", "10.0.0.5")  # 5: the last one allowed, on the same connection
    assert int(server.get(key)) == 5
    with pytest.raises(RateLimited), ratelimit.counting("verify:ip", "10.0.0.5"):
        ran.append(6)  # runs (it only computes), then the attempt is refused
    assert ran == [2, 3, 4, 6] and int(server.get(key)) == 6
    assert 0 < server.ttl(key) <= 601
    with ratelimit.counting("verify:ip", "10.0.0.6"):  # another address has its own counter
        pass
    # Counting again inside the block, on the same connection, would read the block's reply: refused.
    with pytest.raises(RuntimeError), ratelimit.counting("verify:ip", "10.0.0.7"):
        ratelimit.hit("verify:ip", "10.0.0.8")
    ratelimit.hit("verify:ip", "10.0.0.7")
    assert sorted(int(server.get(k)) for k in server.keys("rate:*")) == [1, 2, 6]  # .6 once, .7 twice, .8 never


@pytest.mark.django_db
def test_counting_without_redis_refuses_before_the_block(settings):
    settings.RATE_LIMIT_STORE, settings.CACHE_URL = "database", ""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify:ip": (1, 600)}
    ran = []
    with ratelimit.counting("verify:ip", "10.0.0.5"):
        ran.append(1)
    with pytest.raises(RateLimited), ratelimit.counting("verify:ip", "10.0.0.5"):
        ran.append(2)
    assert ran == [1]


@pytest.mark.parametrize("fault", ["hangs", "is down"])
def test_a_cache_that_hangs_or_is_down_refuses_within_its_timeout(settings, fault):
    """The rate limit's Redis answers within CACHE_TIMEOUT or the attempt is refused (503, Retry-After):
    the request is not held, and a limit that cannot be counted is not waived."""
    import threading

    from portal.errors import Unavailable

    server = SilentServer() if fault == "hangs" else None
    port = server.port if server else closed_port()
    settings.RATE_LIMIT_STORE, settings.CACHE_URL, settings.CACHE_TIMEOUT = "cache", f"redis://127.0.0.1:{port}/0", 0.3
    outcome = []

    def attempt(counting: bool):
        try:
            if counting:  # the verification's way: sent before its block, read after it
                with ratelimit.counting("login:ip", "10.0.0.7"):
                    pass
            else:
                ratelimit.hit("login:ip", "10.0.0.7")
            outcome.append("passed")
        except Unavailable as exc:
            outcome.append(exc)

    try:
        for counting in (False, False, True):  # the second on the connection the first left behind
            worker = threading.Thread(target=attempt, args=(counting,), daemon=True)
            worker.start()
            # CACHE_TIMEOUT is what bounds the wait. Before it, redis-py's default (5 s, retried once) held
            # each hit 10 s; with no socket timeout at all the hit would never return.
            worker.join(timeout=5)
            assert not worker.is_alive(), "the rate limit waited on a silent cache longer than CACHE_TIMEOUT"
    finally:
        if server:
            server.close()
    assert [type(item) for item in outcome] == [Unavailable, Unavailable, Unavailable]
    error = outcome[-1]
    assert error.status == 503 and error.code == "unavailable" and error.retry_after > 0
    assert str(error.detail) in {"服务繁忙，请稍后重试。", "The service is busy. Please try again in a moment."}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "cache", "memory cache"])
def test_rate_limit_holds_under_concurrent_hits(settings, store):
    """16 threads race for 5 slots: exactly 5 pass (an atomic counter, not read-then-write), in the
    database, in Redis and in Django's cache alike."""
    import threading

    from django.db import connections

    from portal.models import RateCounter

    settings.RATE_LIMIT_STORE = "database" if store == "database" else "cache"
    # "cache": Redis as in production (CACHE_URL); "memory cache": Django's cache API, one process.
    settings.CACHE_URL = redis_url() if store == "cache" else ""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:account": (5, 600)}
    passed, barrier = [], threading.Barrier(16)

    def attempt():
        barrier.wait()
        try:
            ratelimit.hit("login:account", "race")
            passed.append(1)
        except RateLimited:
            pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 5
    assert RateCounter.objects.exists() == (store == "database")  # the cache stores leave the table alone


@pytest.mark.django_db
def test_pages_are_chinese_by_default_even_for_english_browsers(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page and "电子驾驶证" in page


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert switched.status_code == 302 and switched["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page and "Log in" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "登录" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_api_errors_follow_accept_language(api):
    zh = api.post("/api/v1/accounts/phone-codes", {"phone": "1"}, format="json").json()["detail"]
    en = api.post("/api/v1/accounts/phone-codes", {"phone": "1"}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "手机" in zh and "mobile number" in en["detail"]


@pytest.mark.django_db
def test_every_page_has_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


CONTRACT_ENDPOINTS = [  # the API contract (api.md) as served today
    ("/api/v1/health", "get"),
    ("/api/v1/auth/token", "post"),
    ("/api/v1/accounts/phone-codes", "post"),
    ("/api/v1/accounts/register", "post"),
    ("/api/v1/accounts/face-verification", "post"),
    ("/api/v1/accounts/password-reset", "post"),
    ("/api/v1/accounts/password-reset/confirm", "post"),
    ("/api/v1/accounts/activate", "post"),
    ("/api/v1/accounts/me", "get"),
    ("/api/v1/organisations", "post"),
    ("/api/v1/organisations/{organisation_id}/students", "post"),
    ("/api/v1/organisations/{organisation_id}/students", "get"),
    ("/api/v1/staff/organisations/{organisation_id}/approve", "post"),
    ("/api/v1/staff/counter-registrations", "post"),
    ("/api/v1/licence", "get"),
    ("/api/v1/elicence", "get"),
    ("/api/v1/elicence/qr", "get"),
    ("/api/v1/elicence/verifications", "get"),
    ("/api/v1/elicence/shares", "post"),
    ("/api/v1/elicence/shares", "get"),
    ("/api/v1/elicence/shares/{share_id}", "delete"),
    ("/api/v1/elicence/shares/{share_id}/download", "get"),
    ("/api/v1/verifications", "post"),
    ("/api/v1/receipts/public-key", "get"),
    ("/api/v1/receipts/verify", "post"),
    ("/api/v1/receipts/{signed_id}", "get"),
    ("/api/v1/authority/licences", "post"),
    ("/api/v1/authority/licences/portrait", "post"),
    ("/api/v1/authority/identity-photos", "post"),
    ("/api/v1/applications", "post"),
    ("/api/v1/applications", "get"),
    ("/api/v1/applications/{application_id}", "get"),
    ("/api/v1/applications/{application_id}/photo", "post"),
    ("/api/v1/applications/{application_id}/cancel", "post"),
    ("/api/v1/staff/applications", "get"),
    ("/api/v1/staff/applications/{application_id}/decision", "post"),
]


@pytest.mark.django_db
def test_schema_describes_every_endpoint_of_the_contract(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    for path, method in CONTRACT_ENDPOINTS:
        assert method in schema["paths"].get(path, {}), path


@pytest.mark.django_db
def test_api_docs_are_served_locally(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger" in page.lower()
    assert "cdn" not in page.lower() and "https://" not in page.replace("https://swagger", "")
    assert "<script>" not in page  # scripts are files (CSP)


@pytest.mark.django_db
def test_oversized_request_is_refused_before_it_is_read(api, citizen, settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    api.force_authenticate(citizen)
    big = io.BytesIO(b"\xff\xd8\xff\xe0" + bytes(2 * 1024 * 1024))
    big.name = "huge.jpg"
    response = api.post("/api/v1/accounts/face-verification", {"selfie": big}, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    assert AuditEntry.objects.count() == 0  # nothing reached the service


@pytest.mark.django_db
def test_unknown_api_paths_answer_json_and_pages_answer_html(client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_stored_images_are_pixels_only():
    """A JPEG carrying a comment (here a ZIP), EXIF and an ICC profile is stored as pixels alone."""
    from PIL import Image, ImageCms

    from portal.images import decode_image

    zip_payload = b"PK\x03\x04" + b"hidden archive" * 20
    exif = Image.Exif()
    exif[0x0131] = "Photoshop"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 180, 160)).save(
        out, format="JPEG", comment=zip_payload, exif=exif.tobytes(), icc_profile=srgb
    )
    source = out.getvalue()
    assert zip_payload in source and b"Photoshop" in source
    stored = decode_image(source).jpeg
    assert b"PK\x03\x04" not in stored and b"Photoshop" not in stored
    markers = {stored[i + 1] for i in range(len(stored) - 1) if stored[i] == 0xFF and 0xE1 <= stored[i + 1] <= 0xFE}
    assert markers == set(), [hex(m) for m in markers]  # no APP1–APP15 (EXIF, ICC …), no COM segment
    assert Image.open(io.BytesIO(stored)).size == (300, 400)


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ("", "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no trusted proxy: the header is ignored
        ("10.0.0.0/8", "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # the peer is no proxy of ours
        ("10.0.0.0/8", "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.0/8", "10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # a forged left part is ignored
        ("10.0.0.0/8", "10.0.0.2", "198.51.100.1, 10.0.0.7", "198.51.100.1"),  # two proxies of ours
        ("10.0.0.0/8", "10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.0/8", "10.0.0.2", "not-an-address", "10.0.0.2"),
    ],
)
def test_client_address_believes_x_forwarded_for_only_from_trusted_proxies(settings, trusted, peer, forwarded, client):
    import ipaddress

    from django.test import RequestFactory

    settings.TRUSTED_PROXIES = [ipaddress.ip_network(trusted)] if trusted else []
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_ip(request) == client


@pytest.mark.django_db
def test_behind_a_proxy_one_abuser_does_not_use_up_everyones_limit(api, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code:ip": (2, 3600)}
    for n in range(3):
        abuser = api.post(
            "/api/v1/accounts/phone-codes",
            {"phone": f"1390000{n:04d}"},
            format="json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    assert abuser.status_code == 429
    someone_else = api.post(
        "/api/v1/accounts/phone-codes",
        {"phone": "13900009999"},
        format="json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert someone_else.status_code == 202


@pytest.mark.django_db
def test_a_message_whose_task_was_lost_is_sent_once_by_the_sweep(django_capture_on_commit_callbacks, monkeypatch):
    """The broker is down when the message is queued: the request still succeeds, the message waits,
    and the sweep sends it once it is older than MESSAGE_RESEND_AFTER; a second sweep sends nothing more."""
    from datetime import timedelta

    from celery import current_app
    from django.conf import settings
    from django.utils import timezone

    from portal.accounts.messaging import message_resend_waiting

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(current_app.tasks["portal.accounts.tasks.deliver_message"], "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            message = message_send(recipient="13900000002", text="lost task")
    assert OutboundMessage.objects.get(pk=message.pk).status == "pending"
    assert sms.outbox == []

    assert message_resend_waiting() == 0  # too young: its task may still be on its way
    later = timezone.now() + timedelta(seconds=settings.MESSAGE_RESEND_AFTER + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert message_resend_waiting(now=later) == 1
    assert sms.outbox == [{"to": "13900000002", "text": "lost task"}]
    with django_capture_on_commit_callbacks(execute=True):
        assert message_resend_waiting(now=later) == 0
    assert len(sms.outbox) == 1
    assert OutboundMessage.objects.get(pk=message.pk).status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_sent_message_is_recorded_as_sent_through_a_database_outage(monkeypatch):
    """The gateway took the message, then the database went away for a moment (a restart): the
    `sent` mark is retried until it lands; the message is not left `sending`, nor sent again."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    from portal.accounts import messaging

    message = OutboundMessage.objects.create(recipient="13900000003", text="through a restart")  # its task not run
    real_update = QuerySet.update
    failures = iter([OperationalError("server closed the connection unexpectedly")] * 2)

    def flaky_update(queryset, **fields):
        if fields.get("status") == "sent":
            failure = next(failures, None)
            if failure:
                raise failure
        return real_update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", flaky_update)
    monkeypatch.setattr(messaging.time, "sleep", lambda _seconds: None)
    assert message_deliver(message_id=str(message.pk)) is True
    assert OutboundMessage.objects.get(pk=message.pk).status == "sent"
    assert message_deliver(message_id=str(message.pk)) is False
    assert sms.outbox == [{"to": "13900000003", "text": "through a restart"}]


class Killed(BaseException):
    """The worker process dies here (SIGKILL): no `except Exception` of the code under test runs."""


@pytest.mark.django_db
def test_a_message_whose_worker_died_mid_send_is_marked_unknown_and_never_sent_twice(
    django_capture_on_commit_callbacks, monkeypatch, client, supervisor
):
    """The worker claims the message and dies before the gateway's answer is recorded: the message does
    not stay "sending" for ever. After MESSAGE_SEND_TIMEOUT the sweep marks it unknown (staff read that
    in their language); it is sent by nothing afterwards. A worker that was only slow still records sent."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from portal.accounts.messaging import message_mark_stalled, message_resend_waiting
    from portal.accounts.tasks import resend_waiting_messages

    with django_capture_on_commit_callbacks(execute=False):
        message = message_send(recipient="13900000003", text="never twice")

    def dies(self, *, to, text):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(sms.LocmemBackend, "send", dies)
        with pytest.raises(Killed):
            message_deliver(message_id=str(message.pk))
    stored = OutboundMessage.objects.get(pk=message.pk)
    assert stored.status == "sending" and stored.sending_since is not None

    assert message_mark_stalled() == 0  # its worker may still be talking to the gateway
    assert resend_waiting_messages() == {"queued": 0, "unknown": 0}
    later = timezone.now() + timedelta(seconds=settings.MESSAGE_SEND_TIMEOUT + 1)
    assert message_mark_stalled(now=later) == 1
    assert OutboundMessage.objects.get(pk=message.pk).status == "unknown"
    assert message_mark_stalled(now=later) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert message_resend_waiting(now=later + timedelta(days=1)) == 0
    assert message_deliver(message_id=str(message.pk)) is False  # its task delivered again (acks_late)
    assert sms.outbox == []

    client.force_login(supervisor)
    listing = client.get("/admin/accounts/outboundmessage/?status=unknown").content.decode()
    assert "结果未知" in listing and "139****0003" in listing and ">unknown<" not in listing

    # Slow, not dead: the sweep runs while the gateway call is still under way; the answer is recorded.
    with django_capture_on_commit_callbacks(execute=False):
        slow = message_send(recipient="13900000004", text="slow gateway")
    sent = sms.LocmemBackend.send

    def slow_send(self, *, to, text):
        assert message_mark_stalled(now=later) == 1
        sent(self, to=to, text=text)

    with monkeypatch.context() as patch:
        patch.setattr(sms.LocmemBackend, "send", slow_send)
        assert message_deliver(message_id=str(slow.pk)) is True
    assert OutboundMessage.objects.get(pk=slow.pk).status == "sent"
    assert sms.outbox == [{"to": "13900000004", "text": "slow gateway"}]
