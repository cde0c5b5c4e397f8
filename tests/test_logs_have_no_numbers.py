"""A whole journey through a real gunicorn and a real Celery worker: their logs (access, web, worker)
hold no full ID number and no full phone number. Numbers travel in request bodies, never in URLs."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.authtoken.models import Token

from conftest import LICENCE_DATA, PASSWORD, new_id_number, new_phone
from portal.accounts.models import AccountKind, User
from tests import photoset
from tests.workers import ROOT, celery_workers, database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Web:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.token = None

    def call(self, path: str, *, json_body=None, files=None):
        headers = {"Accept-Language": "en"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if files is not None:
            data, headers["Content-Type"] = encode_multipart(BOUNDARY, files), MULTIPART_CONTENT
        elif json_body is not None:
            data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        else:
            data = None
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def _upload(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_a_journeys_logs_hold_no_full_numbers(tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_file),
        "FACE_VERIFIER": "local",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "DEBUG",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    authority = User.objects.create(username="authority-logs", kind=AccountKind.AUTHORITY)
    authority_token = Token.objects.create(user=authority).key
    id_number, phone = new_id_number(), new_phone()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    access_log, web_log = tmp_path / "access.log", tmp_path / "web.log"
    gunicorn = [
        os.path.join(os.path.dirname(sys.executable), "gunicorn"),
        "portal.wsgi",
        "-w",
        "1",
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(access_log),
        "--error-logfile",
        str(web_log),
        "--capture-output",
    ]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    try:
        with celery_workers(1, tmp_path, **{k: env[k] for k in ("SMS_BACKEND", "SMS_FILE_PATH", "MEDIA_ROOT")}):
            web = Web(port)
            wait_for(lambda: _answers(web), timeout=30)
            web.token = authority_token
            assert web.call("/authority/licences", json_body={**LICENCE_DATA, "number": id_number})[0] == 201
            identity = {"id_number": id_number, "photo": _upload(photoset.good(9).data, "id.jpg")}
            assert web.call("/authority/identity-photos", files=identity)[0] == 200
            web.token = None
            assert web.call("/accounts/phone-codes", json_body={"phone": phone})[0] == 202
            code = wait_for(lambda: sms_file.exists() and json.loads(sms_file.read_text().splitlines()[-1])["text"])
            code = "".join(ch for ch in code if ch.isdigit())[:6]
            body = {"id_number": id_number, "name": "张三", "phone": phone, "phone_code": code, "password": PASSWORD}
            assert web.call("/accounts/register", json_body=body)[0] == 201
            assert web.call("/accounts/register", json_body=body)[0] == 409  # already registered: logged as 4xx
            assert web.call("/auth/token", json_body={"username": id_number, "password": "wrong"})[0] == 400
            status, answer = web.call("/auth/token", json_body={"username": phone, "password": PASSWORD})
            assert status == 200
            web.token = json.loads(answer)["token"]
            selfie = {"selfie": _upload(photoset.good(4).data, "selfie.jpg")}
            assert web.call("/accounts/face-verification", files=selfie)[0] == 200
            assert web.call("/licence")[0] == 200
            assert web.call("/accounts/password-reset", json_body={"username": id_number})[0] == 202
            wait_for(lambda: len(sms_file.read_text().splitlines()) >= 2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    logs = {p.name: p.read_text(errors="replace") for p in tmp_path.glob("*.log")}
    assert {"access.log", "web.log", "worker-0.log"} <= set(logs)
    assert "POST /api/v1/authority/licences" in logs["access.log"]  # the logs did record the journey
    for name, text in logs.items():
        for secret in (id_number, id_number.lower(), phone):
            assert secret not in text, f"{secret[:3]}… found in {name}"


def _answers(web: Web) -> bool:
    try:
        return web.call("/health")[0] == 200
    except OSError:
        time.sleep(0.2)
        return False
