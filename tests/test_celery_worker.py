"""A real Celery worker process, on the configured broker (file system by default, Redis in CI).

The test process publishes through the API exactly as the web server does; a separate
`celery worker` process picks the task up from the broker and delivers the SMS through the `file`
backend. Nothing runs eagerly here.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import new_phone
from portal.accounts.models import MessageStatus, OutboundMessage

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    from portal.celery import app

    sms_file = tmp_path / "sms.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_file),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "-l",
            "INFO",
            "-n",
            f"test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    app.conf.task_always_eager = False
    try:
        yield sms_file
    finally:
        app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print((tmp_path / "worker.log").read_text()[-3000:])


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def test_real_worker_delivers_the_registration_code(worker, client):
    phone = new_phone()
    response = client.post("/api/v1/accounts/phone-codes", {"phone": phone}, content_type="application/json")
    assert response.status_code == 202
    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.PENDING  # nothing ran in this process

    def delivered():
        if not worker.exists():
            return None
        return [json.loads(line) for line in worker.read_text().splitlines()]

    lines = wait_for(delivered)
    assert len(lines) == 1 and lines[0]["to"] == phone
    assert any(ch.isdigit() for ch in lines[0]["text"])
    wait_for(lambda: OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT)
    print("broker:", settings.CELERY_BROKER_URL.split("@")[-1])
