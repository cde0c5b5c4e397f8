"""Where a served request's time goes: py-spy (a sampling profiler, its idle samples kept) records a
running gunicorn worker while a load runs; each sampled stack is put in one part, and the shares become
milliseconds per request. Used by `bench/verifications.py --spy`."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

# A sampled stack belongs to the first part whose pattern it holds: the token authentication's read is a
# prepared look-up too, so its part comes before the reads. Frames look like "func (path/file.py:123)".
PARTS = [
    ("waiting for wrk's next connection", re.compile(r"SyncWorker\.wait \(")),
    ("token authentication (one read)", re.compile(r"authenticate_credentials \(portal/authentication\.py")),
    ("read (prepared look-up)", re.compile(r"PreparedLookup\.get \(")),
    ("insert", re.compile(r"PreparedInsert\.create \(|QuerySet\.create \(")),
    ("QR token: signing", re.compile(r"sign \(licences/signed_qr\.py")),
    ("QR token: signature check, claims", re.compile(r"reference_read \(licences/")),
    ("rate limit (Redis)", re.compile(r"counting \(portal/ratelimit\.py")),
    ("receipt: document, signature, link", re.compile(r"(receipt_sign|receipt_document_build|get_receipt_url) \(")),
    ("the view's other work", re.compile(r"\w+View\.(get|post) \((licences|portal|reviews)/")),
    ("Django and DRF around the view", re.compile(r"WSGIHandler\.__call__ \(")),
    ("gunicorn: accept, parse, write, close", re.compile(r"")),
]


# The recording leaves out the load's first and last second: a load shorter than this leaves nothing.
MIN_SECONDS = 3


def _py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        sys.exit("py-spy is needed: make install (it is in the test extras)")
    return found


def spy_breakdown(master_pid: int, load, seconds: int, rate: int = 250) -> dict:
    """Record gunicorn's one worker (the child of `master_pid`) while `load()` runs for `seconds` (it
    returns wrk's figures); the requests per second, and milliseconds per request for each part of PARTS.
    The recording starts a second into the load and stops a second before its end, so that every sample
    is taken under load (an idle worker before or after it would count as waiting)."""
    if seconds < MIN_SECONDS:
        raise ValueError(f"spy_breakdown needs a load of at least {MIN_SECONDS} s")
    worker = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True, check=True)
    pid = worker.stdout.split()[0]
    figures: dict = {}
    loading = threading.Thread(target=lambda: figures.update(load()))
    loading.start()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "spy.txt")
        time.sleep(1)
        command = [_py_spy(), "record", "--idle", "-r", str(rate), "-d", str(seconds - 2), "-f", "raw", "-o", out]
        subprocess.run([*command, "-p", pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stacks = Path(out).read_text().splitlines()
    loading.join()
    if "rps" not in figures:
        sys.exit("the load failed while py-spy recorded (its error is above)")
    rps = figures["rps"]
    counts: Counter = Counter()
    for line in stacks:
        stack, _, samples = line.rpartition(" ")
        part = next(name for name, pattern in PARTS if pattern.search(stack))
        counts[part] += int(samples)
    total = sum(counts.values())
    return {"rps": rps, "ms": {name: counts[name] / total * 1000 / rps for name, _ in PARTS}}


def spy_table(results: dict) -> str:
    """`results`: endpoint label → spy_breakdown's answer. One column per endpoint, ms per request."""
    labels = list(results)
    width = max(len(name) for name, _ in PARTS) + 2
    lines = [f"{'ms per request (py-spy on the worker)':<{width}}" + "".join(f"{label:>12}" for label in labels)]
    for name, _ in PARTS:
        lines.append(f"{name:<{width}}" + "".join(f"{results[label]['ms'][name]:12.3f}" for label in labels))
    lines.append(
        f"{'whole request (1 / req/s)':<{width}}" + "".join(f"{1000 / results[label]['rps']:12.3f}" for label in labels)
    )
    lines.append(f"{'req/s while sampled':<{width}}" + "".join(f"{results[label]['rps']:12.1f}" for label in labels))
    return "\n".join(lines)
