# ruff: noqa: E501 (the script run inside Django is kept readable as one block)
"""One auto-approval pass over N due applications on PostgreSQL, next to a plain bulk UPDATE.

    .venv/bin/python bench/approvals.py [--count 10000] [--scale 1000,10000,100000]

For each count (the scale, and the requested count), creates the database
`elicence_bench_approvals` afresh, bulk-loads N verified people, their licence records (portrait
on record) and due applications, then times in one run:
1. `applications_approve_due()` — the service the beat task and `approve_due` run: batches claimed
   with one statement, re-checked with set queries, the e-licences, timeline, audit entries and SMS
   outbox rows bulk-inserted (the SMS delivery tasks go to a broker folder nobody reads);
2. a plain `UPDATE ... SET status='approved'` of the same rows (after resetting them), the floor.
The last line is `approval pass / bulk UPDATE: N×` for the requested count.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "elicence_bench_approvals"

SCRIPT = r"""
import time
from django.db import connection, transaction
from conftest import make_due_applications
from reviews.models import Application
from reviews.services import applications_approve_due

N = int(COUNT)
started = time.perf_counter()
with transaction.atomic():  # the same rows as the approval race tests
    make_due_applications(N, username=lambda i: f"b{i}", phone=lambda i: f"13{i:09d}")
print(f"loaded {N} due applications in {time.perf_counter() - started:.1f} s")

import os
if os.environ.get("BENCH_PROFILE"):
    import cProfile, pstats
    profile = cProfile.Profile()
    profile.enable()
started = time.perf_counter()
counts = applications_approve_due()
service = time.perf_counter() - started
if os.environ.get("BENCH_PROFILE"):
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
assert counts["approved"] == N, counts

Application.objects.update(status="submitted")
started = time.perf_counter()
with connection.cursor() as cursor:
    cursor.execute("UPDATE reviews_application SET status = 'approved', decided_at = now() WHERE status = 'submitted' AND due_at <= now()")
    updated = cursor.rowcount
bulk = time.perf_counter() - started
assert updated == N
print(f"auto-approval pass: {N} approved in {service:.1f} s = {service / N * 1000:.2f} ms each, {N / service:.0f}/s")
print(f"plain bulk UPDATE of the same {N} rows: {bulk * 1000:.0f} ms  (the pass is {service / bulk:.1f}x that)")
print(f"RESULT {N} {service:.3f} {bulk:.4f}")
"""


def run(count: int) -> tuple[float, float]:
    """One fresh database, one pass over `count` applications: (pass seconds, bulk UPDATE seconds)."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        # Tasks go to a folder broker nobody reads: the pass is timed, not the SMS gateway after it.
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FS_BROKER_DIR": tempfile.mkdtemp(prefix="bench-broker-"),
        "SMS_BACKEND": "locmem",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT.replace("COUNT", str(count))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = None
    for line in out.splitlines():
        if line.startswith("RESULT "):
            _n, service, bulk = line.split()[1:]
            result = (float(service), float(bulk))
        elif line.strip() and "objects imported" not in line:
            print(line)
    assert result is not None, out
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--scale", default="1000,10000,100000", help="counts to show growth at ('' for none)")
    args = parser.parse_args()
    counts = sorted({int(c) for c in args.scale.split(",") if c} | {args.count})
    results = {}
    for count in counts:
        results[count] = run(count)
    print(
        f"PostgreSQL on 127.0.0.1, one process, {os.cpu_count()} cores, APPROVAL_BATCH_SIZE "
        f"{os.environ.get('APPROVAL_BATCH_SIZE', '1000')}"
    )
    print("| due applications | pass | per application | bulk UPDATE | ratio |")
    print("|---|---|---|---|---|")
    for count, (service, bulk) in results.items():
        print(
            f"| {count:,} | {service:.2f} s | {service / count * 1000:.3f} ms | {bulk * 1000:.0f} ms | {service / bulk:.1f}× |"
        )
    service, bulk = results[args.count]
    print(f"approval pass / bulk UPDATE: {service / bulk:.1f}×")


if __name__ == "__main__":
    main()
