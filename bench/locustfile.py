"""The cluster's load (scripts/cluster.py runs it headless against the balancer): what citizens and
verifiers do at a busy hour, mixed.

- holders open their e-licence and renew its QR code (`display`, `qr`);
- verifiers check the QR codes just shown, anonymously and as police (`verify`, `verify police`);
- newcomers ask for a phone code, read it from the SMS gateway's file (written by the messages
  worker) and register (`phone code`, `register`);
- applicants upload their ID photo (`photo upload`), checked by the photos worker from the object store.

Each simulated person sends its own client address in X-Forwarded-For, as an edge proxy in front
of the balancer would (the cluster lists 127.0.0.1 in TRUSTED_PROXIES), so per-address rate limits
apply per person, not to the whole load. Reads CLUSTER_ACCOUNTS (people and tokens made by
scripts/cluster_data.py) and CLUSTER_SMS_FILE; writes what it sent to CLUSTER_LOAD_RESULT at the end.
"""

import itertools
import json
import os
import random
import re
import threading
import time
from collections import Counter, deque
from datetime import date, timedelta
from pathlib import Path

from locust import FastHttpUser, between, events, task
from stdnum.cn import ric

ACCOUNTS = json.loads(Path(os.environ["CLUSTER_ACCOUNTS"]).read_text())
SMS_FILE = Path(os.environ["CLUSTER_SMS_FILE"])
RESULT = os.environ.get("CLUSTER_LOAD_RESULT")
PHOTOS = [Path(p).read_bytes() for p in ACCOUNTS["photos"]]
RUN = os.environ.get("CLUSTER_LOAD_RUN", "0")

recent_tokens: deque = deque(maxlen=200)  # QR tokens just shown by holders, for verifiers to scan
applicants = deque(ACCOUNTS["applicants"])  # each uploads one photo, once
sequence = itertools.count()
sent = Counter()  # what succeeded, by kind: the cluster compares it with the database afterwards
lock = threading.Lock()


def id_number() -> str:
    """A fresh valid resident ID number: born on a day of its own per registration of this run."""
    n = next(sequence)
    born = date(1970, 1, 1) + timedelta(days=n % 9000)
    body = f"110105{born:%Y%m%d}{RUN}{n // 9000 % 100:02d}"
    return body + ric.calc_check_digit(body + "0")  # the function takes all 18 characters


def address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Person(FastHttpUser):
    abstract = True
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.headers = {"X-Forwarded-For": address()}


class Holder(Person):
    weight = 6

    def on_start(self) -> None:
        super().on_start()
        self.headers["Authorization"] = f"Token {random.choice(ACCOUNTS['holders'])}"

    @task(1)
    def display(self) -> None:
        self.client.get("/api/v1/elicence", headers=self.headers, name="display")

    @task(3)
    def qr(self) -> None:
        with self.client.get("/api/v1/elicence/qr", headers=self.headers, name="qr", catch_response=True) as answer:
            if answer.status_code == 200:
                recent_tokens.append(answer.json()["token"])
                answer.success()


class Verifier(Person):
    weight = 6

    @task(3)
    def verify(self) -> None:
        self._verify({}, "verify")

    @task(1)
    def verify_police(self) -> None:
        self._verify({"Authorization": f"Token {ACCOUNTS['police']}"}, "verify police")

    def _verify(self, extra: dict, name: str) -> None:
        if not recent_tokens:
            return
        body = {"token": random.choice(recent_tokens)}
        with self.client.post(
            "/api/v1/verifications", json=body, headers={**self.headers, **extra}, name=name, catch_response=True
        ) as answer:
            if answer.status_code == 200 and not answer.json()["valid"]:
                answer.failure(f"not valid: {answer.json()['reason']}")


class Newcomer(Person):
    weight = 1
    wait_time = between(1, 3)

    @task
    def register(self) -> None:
        self.headers = {"X-Forwarded-For": address()}
        phone = f"186{RUN}{next(sequence):07d}"
        answer = self.client.post(
            "/api/v1/accounts/phone-codes", json={"phone": phone}, headers=self.headers, name="phone code"
        )
        if answer.status_code != 202:
            return
        code = self._code_for(phone)
        if code is None:
            events.request.fire(
                request_type="SMS", name="code arrives", response_time=15000, response_length=0,
                exception=RuntimeError("no SMS within 15 s"), context={},
            )  # fmt: skip
            return
        body = {"id_number": id_number(), "name": "新用户", "phone": phone, "phone_code": code,
                "password": "cluster-load-12123"}  # fmt: skip
        answer = self.client.post("/api/v1/accounts/register", json=body, headers=self.headers, name="register")
        if answer.status_code == 201:
            with lock:
                sent["registered"] += 1

    def _code_for(self, phone: str) -> str | None:
        started = time.monotonic()
        while time.monotonic() - started < 15:
            if SMS_FILE.exists():
                for line in reversed(SMS_FILE.read_text(encoding="utf-8").splitlines()):
                    message = json.loads(line)
                    if message["to"] == phone:
                        events.request.fire(
                            request_type="SMS", name="code arrives", response_time=(time.monotonic() - started) * 1000,
                            response_length=0, exception=None, context={},
                        )  # fmt: skip
                        return re.search(r"\d{6}", message["text"]).group(0)
            time.sleep(0.25)
        return None


class Applicant(Person):
    weight = 1
    wait_time = between(0.5, 2)

    @task
    def upload(self) -> None:
        try:
            applicant = applicants.popleft()
        except IndexError:
            return  # every seeded applicant has uploaded
        boundary = f"cluster{random.getrandbits(64):016x}"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="photo.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + random.choice(PHOTOS)
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            **self.headers,
            "Authorization": f"Token {applicant['token']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        answer = self.client.post(
            f"/api/v1/applications/{applicant['application']}/photo", data=body, headers=headers, name="photo upload"
        )
        if answer.status_code == 202:
            with lock:
                sent["photos"] += 1


@events.quitting.add_listener
def _write_result(environment, **_kwargs) -> None:
    if RESULT:
        Path(RESULT).write_text(json.dumps(dict(sent)))
