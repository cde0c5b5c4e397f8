"""Verifications per second from one web process (gunicorn, PostgreSQL), next to their floors.

    .venv/bin/python bench/verifications.py [--seconds 5] [--rounds 3] [--connections 8] [--threads 1]
    PROFILE_SORT=cumulative PROFILE_LINES=60 .venv/bin/python bench/verifications.py --profile
    .venv/bin/python bench/verifications.py --spy [--seconds 10]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and `wrk` (Debian package); Redis on
127.0.0.1:6379 is used as the shared cache (rate limits) when it answers, as in production.
Creates the database `elicence_bench` afresh, starts `gunicorn -w 1` on a free port of 127.0.0.1
with production settings (DEBUG=0), and measures in one run:
- the trivial endpoint: GET /api/v1/health (no database);
- the floor: POST /api/v1/bench/floor, one indexed read of an e-licence with its licence and one
  durable insert of a verification row, through the same middleware and DRF stack (mounted only
  with BENCH_FLOOR=1);
- the checked floor: POST /api/v1/bench/floor/checked, the floor plus what a verification cannot leave
  out, each in its least form: the QR token's signature check, the rate limit (Redis) and a receipt's
  Ed25519 signature (also mounted with BENCH_FLOOR=1). A verification that keeps those three does at
  least this much work; `anonymous verification / checked floor` is how close the real one comes;
- POST /api/v1/verifications anonymously and as a police member (token decoded without the
  database, one read, the verification row inserted as its own audit record, the rate limit
  counted, the receipt signed);
- the e-licence display path: GET /api/v1/elicence/qr?svg=0 as the holder (a short code stored, the
  token signed; the display draws the QR in the browser), next to its floor GET /api/v1/bench/floor
  (one read, one short-code insert).
Every endpoint is measured once per round, in turn, for --rounds rounds (3 × 5 s by default); each
figure is the median of its rounds, shown with the rounds' own (this machine's speed drifts within
minutes). A QR token lives 60 s: each verification run presents a token the holder has just been
issued (GET elicence/qr, as the display does), and one more verification after the run must still
answer `valid`. An expired token is answered without reading the e-licence, so faster: before
2026-11-29 the runs more than a minute in measured that (docs/benchmarks.md). wrk, gunicorn and
PostgreSQL share this machine's cores: the figures are for the whole box. The last two lines are
`anonymous verification / floor: P %` and `anonymous verification / trivial: P %`.

`--spy` measures instead where the served worker's time goes: py-spy (a sampling profiler, idle time
included) records the gunicorn worker while wrk loads each endpoint above in turn, and a table gives
milliseconds per request: the worker waiting for wrk's next connection, gunicorn's own work (accept,
parse, write, close), Django and DRF around the view, and the view, split into its reads, insert, token
check or signing, rate limit and receipt. It samples from a second into each run to a second before its
end, so under load only. The in-process `--profile` sees the view only. Sampling pauses the worker (here
a quarter to a third fewer requests per second, more for the trivial endpoint); the shares are what to read.
"""

import argparse
import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import spy  # noqa: E402
from bench.common import fresh_database, production_env  # noqa: E402

PY = sys.executable
DB = "elicence_bench"

SETUP = r"""
import json
from conftest import make_person, make_organisation, make_elicence
from rest_framework.authtoken.models import Token
citizen = make_person(name="张三")
elicence = make_elicence(citizen)
police = make_person(name="李警官", organisation=make_organisation("police"))
print(json.dumps({"police": Token.objects.create(user=police).key,
                  "holder": Token.objects.create(user=citizen).key, "elicence": str(elicence.pk)}))
"""


PROFILE = r"""
import cProfile, json, os, pstats, time
from django.test import Client
from licences.models import ELicence
from licences.services import elicence_qr_issue
elicence = ELicence.objects.first()
body = json.dumps({"token": elicence_qr_issue(elicence=elicence).token})
client = Client()
for label, path, data in (("verification", "/api/v1/verifications", body),
                          ("floor", "/api/v1/bench/floor", json.dumps({"elicence": str(elicence.pk)}))):
    for _ in range(20):
        client.post(path, data, content_type="application/json")
    started = time.perf_counter()
    for _ in range(300):
        response = client.post(path, data, content_type="application/json")
    answer = f", valid {response.json()['valid']}" if label == "verification" else ""
    print(f"{label}: {(time.perf_counter() - started) / 300 * 1000:.2f} ms each, status {response.status_code}{answer}")
profile = cProfile.Profile()
profile.enable()
for _ in range(300):
    client.post("/api/v1/verifications", body, content_type="application/json")
profile.disable()
order, lines = os.environ.get("PROFILE_SORT", "tottime"), int(os.environ.get("PROFILE_LINES", "25"))
pstats.Stats(profile).sort_stats(order).print_stats(lines)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = free_port()


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def run(cmd, env, **kw):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True, **kw)


def wrk(path: str, seconds: int, connections: int, script: str | None = None, headers: dict | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{PORT}{path}"], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(non2xx.group(1)) if non2xx else 0}


def api(path: str, headers: dict, body: dict | None = None) -> dict:
    """One request to the server under test (a POST of `body` as JSON if given); its JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    headers = headers if body is None else {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


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
    parser.add_argument("--seconds", type=int, default=5, help="wrk's run per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3, help="every endpoint once per round; medians reported")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads in the one worker (gthread if > 1)")
    parser.add_argument("--profile", action="store_true", help="profile verifications in-process instead")
    parser.add_argument("--spy", action="store_true", help="where the served worker's time goes (py-spy) instead")
    args = parser.parse_args()
    if args.seconds > 40:
        parser.error("--seconds: at most 40 (a run's QR token lives 60 s)")
    if args.spy and args.seconds < spy.MIN_SECONDS:
        parser.error(f"--spy: --seconds of at least {spy.MIN_SECONDS} (it leaves out the first and last second)")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    env = production_env(
        fresh_database(DB),
        DB_CONN_MAX_AGE="60",
        ALLOWED_HOSTS="127.0.0.1",
        VERIFY_RATE_LIMIT="100000000",
        BENCH_FLOOR="1",
    )
    if redis_up():  # the shared cache of production: rate limits count there
        env["CACHE_URL"] = "redis://127.0.0.1:6379/13"
    run([PY, "manage.py", "migrate", "--noinput"], env)
    if args.profile:  # where a verification's time goes, in-process (Django's test client), no server
        env["ALLOWED_HOSTS"] = "testserver"
        run([PY, "manage.py", "shell", "-c", SETUP], env)
        print(subprocess.run([PY, "manage.py", "shell", "-c", PROFILE], cwd=ROOT, env=env, text=True,
                             capture_output=True, check=True).stdout)  # fmt: skip
        return
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "-w",
            "1",
            "--threads",
            str(args.threads),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
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
        secrets = json.loads(run([PY, "manage.py", "shell", "-c", SETUP], env).stdout.strip().splitlines()[-1])
        police_headers = {"Authorization": f"Token {secrets['police']}"}
        # Each verification run presents a QR token the holder was issued just before it (a token lives
        # QR_TOKEN_TTL = 60 s), as their display gets it: the verifier's body and headers besides the token.
        verifiers = {
            "checked": ({"elicence": secrets["elicence"]}, {}),
            "anonymous": ({}, {}),
            "police": ({"purpose": "bench"}, police_headers),
        }
        endpoints = {  # name → its label, then what wrk is given; measured in this order, round after round
            "trivial": ("GET /api/v1/health (trivial DRF)", "/api/v1/health", None, None),
            "floor": (
                "POST /api/v1/bench/floor (1 read, 1 insert)",
                "/api/v1/bench/floor",
                post_script({"elicence": secrets["elicence"]}, {}),
                None,
            ),
            "checked": ("POST /api/v1/bench/floor/checked (+ checks)", "/api/v1/bench/floor/checked", None, None),
            "anonymous": ("POST /api/v1/verifications anonymous", "/api/v1/verifications", None, None),
            "police": ("POST /api/v1/verifications police", "/api/v1/verifications", None, None),
            "qr_floor": (
                "GET /api/v1/bench/floor (QR floor)",
                f"/api/v1/bench/floor?elicence={secrets['elicence']}",
                None,
                None,
            ),
            # as the display asks: it draws the QR itself
            "qr": (
                "GET /api/v1/elicence/qr?svg=0 (holder)",
                "/api/v1/elicence/qr?svg=0",
                None,
                {"Authorization": f"Token {secrets['holder']}"},
            ),
        }

        def given(name: str) -> tuple:
            """What wrk is given for `name`, and the QR token a verification run presents (else None)."""
            _label, path, script, headers = endpoints[name]
            if name not in verifiers:
                return (path, script, headers), None
            extra, verifier = verifiers[name]
            qr = api("/api/v1/elicence/qr?svg=0", {"Authorization": f"Token {secrets['holder']}"})
            return (path, post_script({"token": qr["token"], **extra}, verifier), headers), qr["token"]

        def still_valid(name: str, token: str | None) -> None:
            """One more check after a verification run: valid, or the run measured something else."""
            if token is not None:
                extra, verifier = verifiers[name]
                answer = api(endpoints[name][1], verifier, {"token": token, **extra})
                if answer.get("valid") is not True:
                    sys.exit(f"the verifications measured were not of a valid e-licence: {answer.get('reason')}")

        if args.spy:
            spied = {}
            for name in endpoints:
                (path, script, headers), token = given(name)
                wrk(path, 2, args.connections, script, headers)  # warm
                load = functools.partial(wrk, path, args.seconds, args.connections, script, headers)
                spied[name] = spy.spy_breakdown(server.pid, load, args.seconds)
                still_valid(name, token)
            print(spy.spy_table(spied))
            return
        rounds = {name: [] for name in endpoints}
        for _round in range(args.rounds):
            for name in endpoints:
                (path, script, headers), token = given(name)
                rounds[name].append(wrk(path, args.seconds, args.connections, script, headers))
                still_valid(name, token)
    finally:
        server.terminate()
        server.wait(timeout=20)
    cache = "Redis cache (rate limits)" if "CACHE_URL" in env else "no shared cache (rate limits in PostgreSQL)"
    print(
        f"one gunicorn worker ({args.threads} thread{'s' if args.threads > 1 else ''}), PostgreSQL, {cache}, "
        f"wrk -t2 -c{args.connections} -d{args.seconds}s per endpoint and round, {args.rounds} rounds "
        f"(every endpoint once per round, in turn), {os.cpu_count()} cores"
    )
    print(f"{'req/s, median of the rounds':<46} {'median':>8}   rounds")
    for name, (label, *_given) in endpoints.items():
        each = rounds[name]
        middle = sorted(each, key=lambda result: result["rps"])[len(each) // 2]  # its p50 and p99 are shown
        worst = max(each, key=lambda result: _ms(result["p99"]))
        print(
            f"{label:<46} {middle['rps']:8.1f}   {' '.join(str(round(result['rps'])) for result in each)}   "
            f"p50 {middle['p50']:>8}   p99 {middle['p99']:>8}   worst p99 {worst['p99']:>8}   "
            f"non-2xx {sum(result['errors'] for result in each)}"
        )

    def ratio(top: str, bottom: str) -> tuple[str, str]:
        """The ratio of the medians, then its range over the rounds (a round's two figures are measured within
        about half a minute of each other, so a machine that speeds up or slows down moves both)."""
        median = _median([r["rps"] for r in rounds[top]]) / _median([r["rps"] for r in rounds[bottom]]) * 100
        per_round = [a["rps"] / b["rps"] * 100 for a, b in zip(rounds[top], rounds[bottom], strict=True)]
        return f"{median:.0f} %", f"(rounds {min(per_round):.0f}–{max(per_round):.0f} %)"

    for label, top, bottom in (
        ("police / anonymous verification", "police", "anonymous"),
        ("QR issue / its floor", "qr", "qr_floor"),
        ("checked floor / floor", "checked", "floor"),
        ("checked floor / trivial", "checked", "trivial"),
        ("anonymous verification / checked floor", "anonymous", "checked"),
    ):
        print(f"{label}: {' '.join(ratio(top, bottom))}")
    for label, top, bottom in (
        ("anonymous verification / floor", "anonymous", "floor"),
        ("anonymous verification / trivial", "anonymous", "trivial"),
    ):
        print(f"  {label}, round by round: {ratio(top, bottom)[1]}")
    # The last two lines, exactly as other tools read them.
    print(f"anonymous verification / floor: {ratio('anonymous', 'floor')[0]}")
    print(f"anonymous verification / trivial: {ratio('anonymous', 'trivial')[0]}")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _ms(text: str) -> float:
    """wrk's latency ("812.00us", "12.34ms", "1.20s") in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


if __name__ == "__main__":
    main()
