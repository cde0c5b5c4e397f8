"""Start real Celery worker processes against the test database and the configured broker."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def celery_workers(count: int, log_dir: Path, queues: str | None = None, **env_extra):
    """Run `count` worker processes (solo pool each) until the block ends; nothing runs eagerly.
    `queues` (e.g. "photos,approvals") limits what they consume, as deploy/ does; all queues otherwise."""
    from portal.celery import app

    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0", **env_extra}
    processes, logs = [], []
    for index in range(count):
        log = open(log_dir / f"worker-{index}.log", "w")  # noqa: SIM115 (closed below)
        logs.append(log)
        processes.append(
            subprocess.Popen(
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
                    f"test{index}-{os.getpid()}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    *(["-Q", queues] if queues else []),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    app.conf.task_always_eager = False
    try:
        yield processes
    finally:
        app.conf.task_always_eager = True
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        for index in range(count):
            print((log_dir / f"worker-{index}.log").read_text()[-2000:])


def wait_for(predicate, timeout: float = 90.0, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the workers")


@contextmanager
def celery_beat(log_dir: Path, **env_extra):
    """Run one `celery beat` (django-celery-beat's DatabaseScheduler) against the test database."""
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0", **env_extra}
    log = open(log_dir / "beat.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "-l",
            "INFO",
            "--max-interval",
            "1",
            "-s",
            str(log_dir / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print((log_dir / "beat.log").read_text()[-2000:])
