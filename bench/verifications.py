"""Verifications per second from one web process (gunicorn, PostgreSQL), next to a trivial DRF endpoint.

    .venv/bin/python bench/verifications.py [--seconds 10] [--connections 8]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and `wrk` (Debian package). Creates the
database `elicence_bench` afresh, starts `gunicorn -w 1` on 127.0.0.1:8765 with production
settings (DEBUG=0), and measures in one run: GET /api/v1/health (the trivial endpoint), then
POST /api/v1/verifications anonymously and as a police member. Every verification writes its
Verification row, an audit entry and a rate-limit counter update, as in production. wrk, gunicorn
and PostgreSQL share this machine's cores: the figures are for the whole box, not the process alone.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = 8765
DB = "elicence_bench"

SETUP = r"""
import json
from conftest import make_person, make_organisation, make_elicence
from licences.services import elicence_qr_issue
from rest_framework.authtoken.models import Token
citizen = make_person(name="张三")
elicence = make_elicence(citizen)
police = make_person(name="李警官", organisation=make_organisation("police"))
token = elicence_qr_issue(elicence=elicence).token
print(json.dumps({"token": token, "police": Token.objects.create(user=police).key}))
"""


def run(cmd, env, **kw):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True, **kw)


def wrk(path: str, seconds: int, connections: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{PORT}{path}"], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(non2xx.group(1)) if non2xx else 0}


def post_script(body: dict, headers: dict) -> str:
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(json.dumps(body))}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    return handle.name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "DB_CONN_MAX_AGE": "60",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "FIELD_HASH_KEY": "bench-hash-key-0123456789abcdef",
        "RECEIPT_SIGNING_KEY": "cmVjZWlwdC1iZW5jaC1rZXktMDEyMzQ1Njc4OWFiY2Q",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "VERIFY_RATE_LIMIT": "100000000",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "SMS_BACKEND": "locmem",
    }
    run([PY, "manage.py", "migrate", "--noinput"], env)
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "portal.wsgi", "-w", "1", "-b", f"127.0.0.1:{PORT}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        health = wrk("/api/v1/health", args.seconds, args.connections)
        secrets = json.loads(run([PY, "manage.py", "shell", "-c", SETUP], env).stdout.strip().splitlines()[-1])
        anonymous = wrk(
            "/api/v1/verifications", args.seconds, args.connections, post_script({"token": secrets["token"]}, {})
        )
        police = wrk(
            "/api/v1/verifications",
            args.seconds,
            args.connections,
            post_script(
                {"token": secrets["token"], "purpose": "bench"}, {"Authorization": f"Token {secrets['police']}"}
            ),
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"one gunicorn worker, PostgreSQL, wrk -t2 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores")
    for label, result in (
        ("GET /api/v1/health (trivial DRF)", health),
        ("POST /api/v1/verifications anonymous", anonymous),
        ("POST /api/v1/verifications police", police),
    ):
        print(
            f"{label:<40} {result['rps']:8.1f} req/s   p50 {result['p50']:>8}   p99 {result['p99']:>8}   "
            f"non-2xx {result['errors']}"
        )


if __name__ == "__main__":
    main()
