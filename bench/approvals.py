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
import time, uuid
from datetime import date, timedelta
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from licences.models import Licence
from portal.accounts.models import User
from portal.accounts.validators import id_number_with_check_digit
from portal.crypto import lookup_hash
from portal.masking import mask_id_number
from reviews.models import Application
from reviews.services import applications_approve_due

N = int(COUNT)
started = time.perf_counter()
password = make_password(None)
users, licences, applications = [], [], []
for i in range(N):
    number = id_number_with_check_digit(f"110105{19500101 + (i % 9000) * 100 + i // 9000:08d}{i % 1000:03d}"[:17])
    phone = f"13{i:09d}"
    user = User(id=uuid.uuid4(), username=f"b{i}", name="张三", id_number=number, id_number_hash=lookup_hash(number),
                phone=phone, phone_hash=lookup_hash(phone), real_name_status="verified", password=password)
    licence = Licence(id=uuid.uuid4(), number=number, number_hash=lookup_hash(number), number_masked=mask_id_number(number),
                      name="张三", sex="M", birth_date=date(1990, 1, 1), address="北京", first_issued_on=date(2010, 1, 1),
                      classes=["C1"], valid_from=date(2022, 5, 4), valid_until=date(2032, 5, 4),
                      issuing_authority="北京市公安局公安交通管理局", file_number="1101", portrait="portraits/bench.jpg")
    users.append(user)
    licences.append(licence)
    applications.append(Application(applicant=user, licence=licence, licence_version=1, validity_start=date(2022, 5, 4),
                                    status="submitted", due_at=timezone.now() - timedelta(minutes=1), face_verified=True))
with transaction.atomic():
    User.objects.bulk_create(users, batch_size=1000)
    Licence.objects.bulk_create(licences, batch_size=1000)
    Application.objects.bulk_create(applications, batch_size=1000)
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
