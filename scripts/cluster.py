"""A production-shaped cluster on this machine, its load and its faults (issue: production topology).

    .venv/bin/python scripts/cluster.py up       # `make cluster`: start everything, Ctrl-C stops it
    .venv/bin/python scripts/cluster.py check    # `make cluster-check`: bounded load + faults, then stop

What runs (every piece a separate process, as on separate hosts):
- haproxy (Debian) on a free port of 127.0.0.1 → two gunicorn web nodes (one process, 4 threads each),
  checked on /readyz every second;
- PostgreSQL on 127.0.0.1:5432 (database `elicence_cluster`, made afresh), RabbitMQ on 127.0.0.1:5672
  (vhost `elicence-cluster`) as the broker, Redis on 127.0.0.1:6379 (database 14) as the shared cache,
  moto's S3-compatible server on a free port for photos and portraits: this machine's services,
  started here when they are down;
- one Celery worker per queue (photos, approvals, messages, celery) and one beat.
The SMS gateway is the file backend (var/cluster/sms.jsonl): what was sent, once per line.

`check` then runs, printing what happened and checking the database afterwards:
1. photos through the object store: uploaded on web node 1, checked by the photos worker, read on node 2;
2. the load (bench/locustfile.py, locust headless) with 1 web node, then with 2: requests, failures,
   p50/p95/p99 and requests per second per kind; then no photo lost, every SMS sent exactly once;
3. faults: SIGKILL the approvals worker in the middle of a pass; restart PostgreSQL in the middle of a
   pass; restart RabbitMQ with SMS queued (and one requested while it is down); SIGKILL a web node
   under load. Each fault's invariants: every application approved exactly once, every SMS sent
   exactly once, errors only on the requests in flight at the kill.
The last line is `cluster: ok` or `cluster: FAILED <what>`. Everything started is stopped at the end
(the machine's services stay as they were found, PostgreSQL and RabbitMQ restarted once each).
"""

import argparse
import contextlib
import csv
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
VAR = ROOT / "var" / "cluster"
DB = "elicence_cluster"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
VHOST = "elicence-cluster"
BROKER_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
QUEUES = ("photos", "approvals", "messages", "celery")
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: S110 — a service coming up answers with errors first
            pass
        time.sleep(interval)
    return False


def sh(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def fetch(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 10):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 — http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Failed(Exception):
    pass


class Cluster:
    def __init__(self, web_threads: int = 4) -> None:
        self.procs: dict[str, subprocess.Popen] = {}
        self.web_threads = web_threads
        self.web_ports = {"web1": free_port(), "web2": free_port()}
        self.lb_port = free_port()
        self.s3_port = free_port()
        self.failures: list[str] = []
        self.figures: list[str] = []
        from cryptography.fernet import Fernet

        self.sms_file = VAR / "sms.jsonl"
        self.env = {
            **os.environ,
            "VAR_DIR": str(VAR),
            "DEBUG": "0",
            "SECRET_KEY": "cluster-" + Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "FIELD_HASH_KEY": "cluster-hash-key-0123456789abcdef",
            "RECEIPT_SIGNING_KEY": "Y2x1c3Rlci1yZWNlaXB0LWtleS0wMTIzNDU2Nzg5YWI",
            "QR_SIGNING_KEY": "Y2x1c3Rlci1xci1zaWduaW5nLWtleS0wMTIzNDU2Nzg",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "TRUSTED_PROXIES": "127.0.0.1",
            "DATABASE_URL": DB_URL,
            "DB_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CACHE_URL": "redis://127.0.0.1:6379/14",
            "S3_BUCKET": "elicence-cluster",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "cluster",
            "S3_SECRET_ACCESS_KEY": "cluster-secret",
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(self.sms_file),
            # Verifiers at a police checkpoint share an address; the load's verifiers would trip the
            # anonymous per-address limit that protects a single portal from scraping.
            "VERIFY_RATE_LIMIT": "100000000",
            "APPROVAL_BATCH_SIZE": "100",  # many batches per pass: a fault lands in the middle of one
            "APPROVAL_CLAIM_TIMEOUT": "30",  # a dead worker's batch is taken back after 30 s (default 120)
            "MESSAGE_RESEND_AFTER": "20",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "PROMETHEUS_MULTIPROC_DIR": str(VAR / "metrics"),
            "PYTHONUNBUFFERED": "1",
        }

    # --- processes -------------------------------------------------------------------------------
    def start(self, name: str, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(VAR / "logs" / f"{name}.log", "a")  # noqa: SIM115 — kept open for the process's life
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = process
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        process = self.procs.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            if sig == signal.SIGKILL:  # the host is lost: the process and all its children at once
                os.killpg(process.pid, sig)
            else:  # the main process only: Celery finishes its tasks (warm shutdown), gunicorn its requests
                process.send_signal(sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything of its group left behind

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def data(self, *args: str) -> dict:
        out = sh(PY, "scripts/cluster_data.py", *args, cwd=ROOT, env=self.env, check=False)
        if out.returncode:
            raise Failed(f"cluster_data.py {args[0]}: {out.stderr.strip().splitlines()[-1:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def sql(self, query: str):
        import psycopg

        with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), connect_timeout=3) as conn:
            return conn.execute(query).fetchone()[0]

    # --- the machine's services --------------------------------------------------------------------
    def services(self) -> None:
        if not port_open(5432):
            say("PostgreSQL is down: starting it")
            sh("pg_ctlcluster", "--skip-systemctl-redirect", self.pg_version(), "main", "start")
        if not port_open(6379):
            say("Redis is down: starting it")
            sh("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
               "--appendonly", "no")  # fmt: skip
        if not port_open(5672):
            say("RabbitMQ is down: starting it")
            self.rabbit_start()
        if not wait_until(lambda: port_open(5432) and port_open(6379), 30):
            raise Failed("PostgreSQL or Redis did not start")
        sh("rabbitmqctl", "-q", "add_vhost", VHOST, check=False)
        sh("rabbitmqctl", "-q", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
        for queue in QUEUES:
            sh("rabbitmqctl", "-q", "purge_queue", "-p", VHOST, queue, check=False)
        sh("redis-cli", "-n", "14", "flushdb")

    @staticmethod
    def pg_version() -> str:
        return sorted(os.listdir("/etc/postgresql"))[0]

    @staticmethod
    def rabbit_start() -> None:
        subprocess.run(["rabbitmq-server", "-detached"], check=True, capture_output=True)
        if not wait_until(lambda: port_open(5672), 90):
            raise Failed("RabbitMQ did not start")
        sh("rabbitmqctl", "await_startup", "--timeout", "60")

    def database(self) -> None:
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", DB)
        sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB)
        sh(PY, "manage.py", "migrate", "--noinput", cwd=ROOT, env=self.env)
        sh(PY, "manage.py", "collectstatic", "--noinput", cwd=ROOT, env=self.env)

    def object_store(self) -> None:
        self.start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)])
        if not wait_until(lambda: port_open(self.s3_port), 30):
            raise Failed("the S3 server did not start")
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.env["S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="cluster",
            aws_secret_access_key="cluster-secret",
        ).create_bucket(Bucket=self.env["S3_BUCKET"])

    # --- the portal's processes ---------------------------------------------------------------------
    def web(self, name: str) -> None:
        port = self.web_ports[name]
        command = [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                   "--threads", str(self.web_threads), "--timeout", "30", "--graceful-timeout", "10"]  # fmt: skip
        self.start(name, command)
        if not wait_until(lambda: fetch("GET", f"http://127.0.0.1:{port}/readyz")[0] == 200, 60):
            raise Failed(f"{name} did not become ready")

    def balancer(self, nodes: list[str]) -> None:
        """(Re)start haproxy in front of `nodes`, configured as deploy/haproxy.cfg without TLS."""
        servers = "\n".join(f"    server {n} 127.0.0.1:{self.web_ports[n]} check" for n in nodes)
        config = f"""global
    maxconn 4000
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A busy node answers its probe late, not never: give it 3 s, and three misses, before taking it out.
    timeout check 3s
    retries 2
    option redispatch
    # A fresh connection to the node per request: a request that reaches a dead node fails to connect
    # and is redispatched, instead of failing on a kept-alive connection (measured: 2 such errors).
    option http-server-close

frontend portal
    bind 127.0.0.1:{self.lb_port}
    unique-id-format %{{+X}}o%ci%cp%fi%fp%Ts%rt%pid
    http-request set-header X-Request-ID %[unique-id] unless {{ req.hdr(X-Request-ID) -m found }}
    http-request deny if {{ path /metrics }}
    default_backend web

backend web
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter 1s fall 3 rise 1 maxconn 100
{servers}
"""
        path = VAR / "haproxy.cfg"
        path.write_text(config)
        self.stop("haproxy")
        self.start("haproxy", [shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", str(path), "-db"])
        if not wait_until(lambda: fetch("GET", f"{self.url}/readyz")[0] == 200, 30):
            raise Failed("the balancer did not answer")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    def worker(self, queue: str) -> None:
        concurrency = {"photos": "2", "approvals": "2", "messages": "2", "celery": "1"}[queue]
        self.start(f"worker-{queue}", [PY, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "-n",
                                       f"{queue}@%h", "--concurrency", concurrency, "-l", "INFO"])  # fmt: skip

    def up(self) -> None:
        shutil.rmtree(VAR, ignore_errors=True)
        (VAR / "logs").mkdir(parents=True)
        (VAR / "metrics").mkdir()
        say("services: PostgreSQL, Redis, RabbitMQ (this machine's; started if down)")
        self.services()
        say("S3-compatible object store (moto server)")
        self.object_store()
        say(f"database {DB}: created, migrated; static files collected")
        self.database()
        self.data("schedule", "--seconds", "10")  # the approval pass and the outbox sweep every 10 s
        for queue in QUEUES:
            self.worker(queue)
        self.start("beat", [PY, "-m", "celery", "-A", "portal", "beat", "-l", "INFO"])
        say("web nodes web1, web2 (gunicorn) and the balancer (haproxy)")
        self.web("web1")
        self.web("web2")
        self.balancer(["web1", "web2"])
        say(f"up: balancer {self.url} → web1 :{self.web_ports['web1']}, web2 :{self.web_ports['web2']}")

    # --- 1. photos through the object store -------------------------------------------------------
    def photos_across_nodes(self, accounts: dict) -> None:
        probe = accounts["probe"]
        photo = Path(accounts["photos"][0]).read_bytes()
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + photo
            + f"\r\n--{boundary}--\r\n".encode()
        )
        auth = {"Authorization": f"Token {probe['token']}"}
        status, _ = fetch(
            "POST",
            f"http://127.0.0.1:{self.web_ports['web1']}/api/v1/applications/{probe['application']}/photo",
            body,
            {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        if status != 202:
            raise Failed(f"photo upload on web1 answered {status}")
        seen = {}

        def checked_on_web2() -> bool:
            _, answer = fetch(
                "GET",
                f"http://127.0.0.1:{self.web_ports['web2']}/api/v1/applications/{probe['application']}",
                None,
                auth,
            )
            seen.update(json.loads(answer))
            return seen["photo"]["status"] in ("passed", "flagged")

        if not wait_until(checked_on_web2, 60):
            raise Failed(f"the photo uploaded on web1 was not checked: {seen.get('status')}")
        store = self.data("photos")
        say(
            f"photo uploaded on web1, checked by the photos worker, seen on web2 as {seen['photo']['status']} "
            f"(application {seen['status']}); storage {store['storage']}, {store['photos']} in the bucket, "
            f"{store['missing_in_store']} missing, {store['local_files']} local files"
        )
        if store["missing_in_store"] or store["local_files"] or store["storage"] != "S3Storage":
            raise Failed(f"photos not (only) in the object store: {store}")

    # --- 2. load ---------------------------------------------------------------------------------
    def load(self, nodes: list[str], seconds: int, users: int, run: int) -> dict:
        self.balancer(nodes)
        prefix = VAR / f"load-{len(nodes)}"
        result = VAR / f"load-{len(nodes)}.json"
        env = {
            **self.env,
            "CLUSTER_ACCOUNTS": str(VAR / f"accounts-{run}.json"),
            "CLUSTER_SMS_FILE": str(self.sms_file),
            "CLUSTER_LOAD_RESULT": str(result),
            "CLUSTER_LOAD_RUN": str(run),
        }
        say(f"load: {users} users for {seconds} s through the balancer, {len(nodes)} web node(s)")
        with open(VAR / "logs" / f"locust-{len(nodes)}.log", "w") as log:
            subprocess.run(
                [str(BIN / "locust"), "-f", "bench/locustfile.py", "--headless", "-u", str(users), "-r", str(users),
                 "-t", f"{seconds}s", "--host", self.url, "--csv", str(prefix), "--only-summary", "--loglevel",
                 "WARNING", "--stop-timeout", "20"],
                cwd=ROOT, env=env, check=False, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        with open(f"{prefix}_stats.csv") as stats:
            rows = list(csv.DictReader(stats))
        lines = [f"{len(nodes)} web node(s), {users} users, {seconds} s:"]
        lines.append(f"  {'kind':<16}{'requests':>9}{'failed':>8}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}  ms")
        for row in rows:
            lines.append(
                f"  {row['Name']:<16}{row['Request Count']:>9}{row['Failure Count']:>8}"
                f"{float(row['Requests/s']):>8.1f}{row['50%']:>7}{row['95%']:>7}{row['99%']:>7}"
            )
        for line in lines:
            print(line, flush=True)
        self.figures += lines
        total = next(row for row in rows if row["Name"] == "Aggregated")
        sent = json.loads(result.read_text()) if result.exists() else {}
        failed_kinds = [
            row["Name"]
            for row in rows
            if row["Name"] != "Aggregated" and int(row["Failure Count"]) > 0.01 * max(int(row["Request Count"]), 1)
        ]
        if failed_kinds:
            self.failures.append(f"load with {len(nodes)} node(s): over 1 % errors in {', '.join(failed_kinds)}")
        return {"rps": float(total["Requests/s"]), "sent": sent}

    def after_load(self, sent: dict) -> None:
        """Every accepted photo checked and in the store; every account; every SMS sent exactly once."""
        photos = {}

        def photos_done() -> bool:
            photos.update(self.data("photos"))
            return photos["by_status"].get("checking", 0) == 0

        wait_until(photos_done, 180, 2)
        accepted = sent.get("photos", 0) + 1  # + the probe photo of step 1
        say(f"photos: {accepted} accepted, {photos['photos']} stored, by status {photos['by_status']}, "
            f"{photos['missing_in_store']} missing in the store")  # fmt: skip
        if photos["photos"] != accepted or photos["missing_in_store"] or photos["by_status"].get("checking"):
            self.failures.append(f"photos lost or unchecked after the load: {photos}")
        registered = self.data("registrations")["online"]
        say(f"registrations: {sent.get('registered', 0)} answered 201, {registered} accounts in the database")
        if registered != sent.get("registered", 0):
            self.failures.append(f"registrations: {sent.get('registered', 0)} answered 201, {registered} stored")
        self.sms_exactly_once("after the load")

    def sms_exactly_once(self, when: str) -> None:
        report = {}

        def all_sent() -> bool:
            report.update(self.sms_report())
            return report["waiting"] == 0

        wait_until(all_sent, 120, 1)
        say(f"SMS {when}: {report['messages']} messages, {report['sent']} marked sent, {report['lines']} sent by "
            f"the gateway, {report['twice']} sent twice, {report['waiting']} still waiting")  # fmt: skip
        if report["waiting"] or report["twice"] or report["sent"] != report["lines"]:
            self.failures.append(f"SMS {when}: {report}")

    def sms_report(self) -> dict:
        import psycopg

        with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), connect_timeout=3) as conn:
            rows = dict(
                conn.execute("SELECT status, count(*) FROM accounts_outboundmessage GROUP BY status").fetchall()
            )
        lines = self.sms_file.read_text(encoding="utf-8").splitlines() if self.sms_file.exists() else []
        return {
            "messages": sum(rows.values()),
            "sent": rows.get("sent", 0),
            "waiting": rows.get("pending", 0) + rows.get("sending", 0),
            "lines": len(lines),
            "twice": len(lines) - len(set(lines)),
        }

    # --- 3. faults -------------------------------------------------------------------------------
    def approved(self, tag: int) -> int:
        return self.sql(
            "SELECT count(*) FROM reviews_application a JOIN accounts_user u ON u.id = a.applicant_id "  # noqa: S608
            f"WHERE u.username LIKE 't{int(tag)}-%' AND a.status = 'approved'"
        )

    def mid_pass(self, tag: int, count: int, fault, label: str, within: float) -> None:
        self.data("due", "--count", str(count), "--tag", str(tag))
        say(f"{label}: {count} applications due; waiting for the beat's pass to start")
        progress = {"n": 0}

        def started() -> bool:
            progress["n"] = self.approved(tag)
            return progress["n"] >= 200

        if not wait_until(started, 60, 0.02):
            self.failures.append(f"{label}: the approval pass did not start")
            return
        say(f"{label}: {progress['n']} of {count} approved when the fault strikes")
        fault()
        back = time.monotonic()

        def all_approved() -> bool:
            progress["n"] = self.approved(tag)
            return progress["n"] == count

        done = wait_until(all_approved, within, 1)
        report = self.data("approvals", "--tag", str(tag))
        say(f"{label}: all {count} approved {time.monotonic() - back:.0f} s after the fault" if done else
            f"{label}: {progress['n']} of {count} approved {within:.0f} s after the fault")  # fmt: skip
        say(f"{label}: {report}")
        if (
            not done
            or report["elicences"] != count
            or report["holders_with_two_elicences"]
            or report["messages"] != count
        ):
            self.failures.append(f"{label}: {report}")

    def kill_approvals_worker(self) -> None:
        def fault() -> None:
            self.stop("worker-approvals", signal.SIGKILL)
            say("approvals worker killed (SIGKILL, with its pool); starting a new one")
            self.worker("approvals")

        self.mid_pass(1, 5000, fault, "SIGKILL worker mid-pass", 120)

    def restart_postgresql(self) -> None:
        def fault() -> None:
            started = time.monotonic()
            sh("pg_ctlcluster", "--skip-systemctl-redirect", self.pg_version(), "main", "restart")
            wait_until(lambda: port_open(5432), 60, 0.2)
            say(f"PostgreSQL restarted (every connection cut), back after {time.monotonic() - started:.1f} s")

        self.mid_pass(2, 5000, fault, "PostgreSQL restart mid-pass", 240)

    def restart_rabbitmq(self) -> None:
        label = "RabbitMQ restart with SMS queued"
        self.stop("worker-messages")
        self.data("messages", "--count", "300", "--tag", "3")
        depth = self.queue_depth("messages")
        say(f"{label}: messages worker stopped, 300 SMS queued ({depth} in the messages queue)")
        sh("rabbitmqctl", "shutdown")
        say(f"{label}: RabbitMQ stopped")
        phone = "18699999999"
        status, _ = fetch("POST", f"{self.url}/api/v1/accounts/phone-codes", json.dumps({"phone": phone}).encode(),
                         {"Content-Type": "application/json", "X-Forwarded-For": "10.9.9.9"})  # fmt: skip
        say(f"{label}: a phone code asked for while the broker is down: {status}")
        if status != 202:
            self.failures.append(f"{label}: a phone code while the broker was down answered {status}")
        self.rabbit_start()
        depth = self.queue_depth("messages")
        say(f"{label}: RabbitMQ back; {depth} in the messages queue")
        if depth < 300:
            self.failures.append(f"{label}: only {depth} of 300 queued SMS survived the restart")
        self.worker("messages")
        report = {}

        def delivered() -> bool:
            report.update(self.data("messages-report", "--tag", "3", "--sms-file", str(self.sms_file)))
            return report["by_status"] == {"sent": 300} and self.phone_got_code(phone)

        done = wait_until(delivered, 120, 2)
        say(f"{label}: {report}; the code asked for during the outage sent: {self.phone_got_code(phone)}")
        if not done or report["sent_lines"] != 300 or report["sent_twice"] or report["never_sent"]:
            self.failures.append(f"{label}: {report}")

    def phone_got_code(self, phone: str) -> int:
        lines = self.sms_file.read_text(encoding="utf-8").splitlines() if self.sms_file.exists() else []
        return sum(1 for line in lines if json.loads(line)["to"] == phone)

    @staticmethod
    def queue_depth(queue: str) -> int:
        out = sh("rabbitmqctl", "-q", "list_queues", "-p", VHOST, "name", "messages", check=False).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == queue and parts[1].isdigit():
                return int(parts[1])
        return 0

    def kill_web_node(self, accounts: dict, seconds: float = 12, threads: int = 8) -> None:
        label = "SIGKILL web node under load"
        self.balancer(["web1", "web2"])
        results: list[tuple[float, bool, int]] = []  # (started, answered 200, client)
        kinds: dict[str, int] = {}
        stop_at = time.monotonic() + seconds
        lock = threading.Lock()

        def client(i: int) -> None:
            token = accounts["holders"][i % len(accounts["holders"])]
            connection = None
            while time.monotonic() < stop_at:
                started = time.monotonic()
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection("127.0.0.1", self.lb_port, timeout=10)
                    connection.request("GET", "/api/v1/elicence/qr", headers={"Authorization": f"Token {token}"})
                    answer = connection.getresponse()
                    answer.read()
                    ok = answer.status == 200
                    if answer.will_close:  # the balancer's error page closes the connection
                        connection = None
                except (OSError, http.client.HTTPException) as error:
                    ok = False
                    connection = None
                    with lock:
                        kinds[type(error).__name__] = kinds.get(type(error).__name__, 0) + 1
                with lock:
                    results.append((started, ok, i))

        workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
        for thread in workers:
            thread.start()
        time.sleep(seconds / 3)
        killed_at = time.monotonic()
        self.stop("web2", signal.SIGKILL)
        killed = time.monotonic()
        say(f"{label}: web2 killed (SIGKILL) with {threads} clients running")
        for thread in workers:
            thread.join()
        before = sum(1 for t, _ok, _i in results if t < killed_at)
        errors = [t - killed_at for t, ok, _i in results if not ok]
        # In flight: what reached the node as it died. The kernel still queues connections for a few
        # milliseconds while the killed processes exit, so a client whose request failed can reconnect
        # into the dying node once more (seen in CI): "at the kill" is a window of a second, in which each
        # client loses at most two requests; after it, nothing may fail.
        late = [t for t, ok, _i in results if not ok and t > killed + 1.0]
        twice = [i for i in range(threads) if sum(1 for _t, ok, c in results if not ok and c == i) > 2]
        served = sum(1 for t, ok, _i in results if t > killed_at and ok)
        say(f"{label}: {len(results)} requests ({before} before the kill), {len(errors)} failed "
            f"(at {', '.join(f'{e:+.2f}s' for e in errors[:10]) or '-'} from the kill); served after: "
            f"{served}; client-side errors: {kinds or 'none'}")  # fmt: skip
        self.figures.append(f"web node killed under load: {len(errors)} of {len(results)} requests failed")
        if late or twice or not any(ok for t, ok, _i in results if t > killed_at + 3):
            self.failures.append(
                f"{label}: {len(errors)} errors, {len(late)} on requests sent over a second after the kill, "
                f"{len(twice)} clients failed more than twice"
            )


def check(args) -> int:
    cluster = Cluster()
    try:
        cluster.up()
        say("people: holders with e-licences, a police member, applicants waiting for a photo")
        accounts = {}
        for run in (1, 2):
            path = VAR / f"accounts-{run}.json"
            cluster.data(
                "people",
                "--tag",
                str(10 + run),
                "--holders",
                "30",
                "--applicants",
                str(args.applicants),
                "--out",
                str(path),
            )
            accounts[run] = json.loads(path.read_text())
        accounts[1]["probe"] = accounts[1]["applicants"].pop()
        cluster.photos_across_nodes(accounts[1])
        Path(VAR / "accounts-1.json").write_text(json.dumps(accounts[1]))
        sent = {}
        rates = {}
        for run, nodes in ((1, ["web1"]), (2, ["web1", "web2"])):
            result = cluster.load(nodes, args.seconds, args.users, run)
            rates[len(nodes)] = result["rps"]
            for key, value in result["sent"].items():
                sent[key] = sent.get(key, 0) + value
        line = f"throughput: 1 node {rates[1]:.0f} req/s, 2 nodes {rates[2]:.0f} req/s ({rates[2] / rates[1]:.2f}×)"
        say(line)
        cluster.figures.append(line)
        cluster.after_load(sent)
        cluster.kill_approvals_worker()
        cluster.restart_postgresql()
        cluster.restart_rabbitmq()
        cluster.kill_web_node(accounts[1])
        cluster.sms_exactly_once("at the end")
    except Failed as failure:
        cluster.failures.append(str(failure))
    except Exception as error:  # the line below must still be printed, and everything stopped
        cluster.failures.append(f"{type(error).__name__}: {error}")
        import traceback

        traceback.print_exc()
    finally:
        cluster.stop_all()
    print("\n".join(cluster.figures))
    if cluster.failures:
        print(f"cluster: FAILED {'; '.join(cluster.failures)}")
        return 1
    print("cluster: ok")
    return 0


def up(args) -> int:
    cluster = Cluster()
    try:
        cluster.up()
        sh(PY, "manage.py", "seed_demo", cwd=ROOT, env=cluster.env)
        accounts = json.loads((VAR / "demo-accounts.json").read_text())["accounts"]
        print("\n  Demo log-ins (username / password):")
        for account in accounts:
            print(f"    {account['role']:<15} {account['username']:<12} {account['password']}")
        print(f"\n  Balancer: {cluster.url}   logs: {VAR / 'logs'}   SMS: {cluster.sms_file}")
        print("  Ctrl-C stops everything.\n", flush=True)
        while all(p.poll() is None for p in cluster.procs.values()):
            time.sleep(1)
        dead = [name for name, p in cluster.procs.items() if p.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited (see {VAR / 'logs'})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the cluster; Ctrl-C stops it")
    p = sub.add_parser("check", help="the bounded load and fault runs; ends with `cluster: ok` or `cluster: FAILED`")
    p.add_argument("--seconds", type=int, default=30, help="load per node count")
    p.add_argument("--users", type=int, default=40)
    p.add_argument("--applicants", type=int, default=150, help="seeded applicants per load run (one photo each)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    return {"up": up, "check": check}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
