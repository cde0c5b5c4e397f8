"""Production settings: refuse development secrets, and `check --deploy` stays quiet."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    unset = {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_HASH_KEY", "RECEIPT_SIGNING_KEY", "QR_SIGNING_KEY",
             "DJANGO_ALLOW_ASYNC_UNSAFE"}  # fmt: skip
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="elicence.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_field_keys():
    result = manage("check", DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="elicence.example")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr


def test_bad_boolean_is_a_loud_error():
    result = manage("check", DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be a boolean" in result.stderr


def test_bad_cache_timeout_is_a_loud_error():
    for raw, message in (("soon", "CACHE_TIMEOUT must be a number"), ("0", "CACHE_TIMEOUT must be more than 0")):
        result = manage("check", CACHE_TIMEOUT=raw)
        assert result.returncode != 0 and message in result.stderr


def test_too_short_database_connect_timeout_is_a_loud_error():
    result = manage("check", DATABASE_URL="postgres://postgres@127.0.0.1:5432/elicence", DB_CONNECT_TIMEOUT="1")
    assert result.returncode != 0 and "DB_CONNECT_TIMEOUT must be 2 seconds or more" in result.stderr


def test_unknown_log_format_is_a_loud_error():
    result = manage("check", LOG_FORMAT="xml")
    assert result.returncode != 0 and "LOG_FORMAT must be text or json" in result.stderr


def test_check_deploy_is_quiet_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=Fernet.generate_key().decode() * 2,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        FIELD_HASH_KEY="h" * 40,
        RECEIPT_SIGNING_KEY="r" * 43,
        QR_SIGNING_KEY="q" * 43,
        ALLOWED_HOSTS="elicence.example",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def _readme_production_snippet() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running on PostgreSQL and Redis") :]
    block = section[section.index("```sh") + len("```sh") : section.index("```", section.index("```sh") + 5)]
    return [line.strip() for line in block.strip().splitlines()]


def test_the_readme_production_snippet_starts_and_answers(tmp_path):
    """The snippet's environment (its own key commands included) passes check --deploy and serves requests."""
    import socket
    import time
    import urllib.error
    import urllib.request

    exports = [line for line in _readme_production_snippet() if line.startswith("export ")]
    assert any("RECEIPT_SIGNING_KEY" in line for line in exports)
    assert any("QR_SIGNING_KEY" in line for line in exports)
    shell = subprocess.run(
        ["bash", "-c", "set -e\n" + "\n".join(exports) + "\nenv -0"],
        capture_output=True,
        timeout=60,
        env={"PATH": os.environ["PATH"]},
    )
    assert shell.returncode == 0, shell.stderr
    snippet_env = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)
    # SQLite in place of the snippet's PostgreSQL: this checks the settings, not the database server.
    snippet_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {**{k: v for k, v in os.environ.items() if k not in snippet_env}, **snippet_env, "VAR_DIR": str(tmp_path)}
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "portal.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/health",
            headers={"Host": "elicence.example", "X-Forwarded-Proto": "https"},
        )
        deadline, answer = time.monotonic() + 30, None
        while answer is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    answer = (response.status, response.read())
            except OSError:
                time.sleep(0.3)
        assert answer == (200, b'{"status":"ok"}'), server.stderr.read1() if answer is None else answer
        # A balancer probes over plain HTTP: the probes answer there instead of redirecting to HTTPS.
        plain = {"Host": "elicence.example"}
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers=plain)) as live:
            assert live.status == 200
        # This database was never migrated: the node is alive but not ready, and says why.
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/readyz", headers=plain))
            raise AssertionError("/readyz answered 200 on an unmigrated database")
        except urllib.error.HTTPError as not_ready:
            assert not_ready.code == 503
            checks = json.loads(not_ready.read())["checks"]
            assert checks["migrations"]["ok"] is False, checks
    finally:
        server.terminate()
        server.wait(timeout=10)
